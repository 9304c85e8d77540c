"""The Twisted side of twistbridge: the Site that mounts the four implementations, the
native `twisted.web` resources, the WSGI pool, the ASGI bridge and the CLI."""

# The one place the version is written: setuptools reads it for the package's metadata
# (pyproject.toml, `dynamic`), `twistbridge --version` prints it, CHANGELOG.md names it.
__version__ = "0.1.0"
