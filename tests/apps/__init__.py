"""Apps of other people's kind that the tests host: written against the plain
interfaces (`echo`) and with real third-party frameworks (FastAPI, Django, Flask),
served by `twistbridge serve --wsgi/--asgi` and by uvicorn or gunicorn beside it."""
