"""A Django project of one views module, served through its WSGI handler
(`wsgi.py`) and its ASGI handler (`asgi.py`)."""
