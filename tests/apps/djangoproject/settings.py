"""The least a Django project needs to answer requests: no database, no CSRF (the
suite posts forms from a client of its own), errors answered as 500 pages."""

SECRET_KEY = "differential-suite-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.apps.djangoproject.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, object] = {}
USE_TZ = True
# The 3 MiB upload is read as a stream; a form over this would be refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
