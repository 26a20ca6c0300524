from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("mobivate/", include("contacts.api.dialects.mobivate.urls")),
    path("contactship/", include("contacts.api.dialects.contactship.urls")),
    path("callbell/", include("contacts.api.dialects.callbell.urls")),
    path("awal/", include("contacts.api.dialects.awal.urls")),
    path("sfmc/", include("contacts.api.dialects.sfmc.urls")),
]

if settings.SERVE_MEDIA:
    # Small installs serve uploaded avatars themselves; larger ones point MEDIA_URL at a web server or bucket.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
