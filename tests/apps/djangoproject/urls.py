from django.urls import path

from tests.apps.djangoproject import views

urlpatterns = [
    path("json", views.json_view),
    path("form", views.form),
    path("upload", views.upload),
    path("stream", views.stream),
    path("sse", views.sse),
    path("file", views.file),
    path("error", views.error),
    path("error-mid-stream", views.error_mid_stream),
    path("seen", views.seen),
]
