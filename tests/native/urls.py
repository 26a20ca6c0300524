"""The project's routes with the native API mounted at /api/v1/, as crm/urls.py is to mount it."""

from django.urls import include, path

from crm.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/", include("contacts.api.native.urls")), *project_urlpatterns]
