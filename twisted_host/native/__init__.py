"""The chapter's features as native `twisted.web` resources, one module per lesson of
Twisted's "Twisted Web in 60 Seconds". `create_resource` assembles the tree."""

from twisted_host.native.app import create_resource

__all__ = ["create_resource"]
