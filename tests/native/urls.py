"""The native API mounted at /api/v1/, as crm/urls.py will mount it. Only that mount: these tests need no other
route, and stay independent of the dialects' modules."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("contacts.api.native.urls"))]
