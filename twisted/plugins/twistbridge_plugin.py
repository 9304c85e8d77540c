"""twistd's plugin for twistbridge: `twistd -n twistbridge --port 8000`, `twist
twistbridge`. A `ServiceMaker` imports `twisted_host.twistd` only when the plugin runs,
not whenever twistd lists its plugins. (No `__init__.py` here nor in `twisted/`:
Twisted gathers `twisted/plugins` folders from every entry of `sys.path`.)"""

from twisted.application.service import ServiceMaker

twistbridge = ServiceMaker(
    "twistbridge",
    "twisted_host.twistd",
    "The chapter's web examples, four ways, on one Site (as `twistbridge serve`).",
    "twistbridge",
)
