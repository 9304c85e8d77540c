"""The Twisted side of twistbridge: the Site that mounts the three implementations, the
native `twisted.web` resources, the WSGI pool, the ASGI bridge and the CLI."""
