import posixpath

from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from contacts.api import registry
from contacts.api.docs_pages import OfflineRedocView
from crm import views as front

# Swagger UI and Redoc are React pages that set style attributes and <style> elements as they render: their two
# pages, and only they, allow inline styles (never inline scripts). Redoc also runs its search in a worker made
# from a blob, and would show its maker's logo from their CDN: its page allows the one and refuses the other.
swagger_page = csp_update({"style-src": ["'unsafe-inline'"]})


def redoc_page(view):
    return csp_replace({"img-src": ["'self'", "data:"]})(
        csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})(view)
    )


# The admin's "View site" goes to the front page.
admin.site.site_url = "/"

urlpatterns = [
    # The front door and the health check (crm/views.py).
    path("", front.home, name="home"),
    path("healthz", front.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The CRM's own API (docs/api.md).
    path("api/v1/", include("contacts.api.native.urls")),
    # The OpenAPI 3.1 description of every surface, and its Swagger UI and Redoc pages (served from
    # drf-spectacular-sidecar's static files; Swagger UI's init script is a static-like response, not inline).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", swagger_page(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("api/docs/redoc/", redoc_page(OfflineRedocView.as_view(url_name="schema")), name="api-docs-redoc"),
    # Every dialect the registry knows (contacts/api/registry.py), each with its catch-all 404; a mount also
    # accepts a doubled slash after the prefix (contacts/api/paths.py).
    *registry.mounts(),
]

# The only public files are avatars (random names under avatars/). Anything else that might be in MEDIA_ROOT
# (import files from before they moved to PRIVATE_FILES_ROOT, a file copied there by mistake) is never served.
PUBLIC_MEDIA_FOLDERS = ("avatars/",)


def serve_public_media(request: HttpRequest, path: str) -> HttpResponse:
    # Normalized first: "avatars/../imports/x.csv" must not reach a file outside avatars/.
    normalized = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    if normalized != path or not normalized.startswith(PUBLIC_MEDIA_FOLDERS):
        raise Http404("No such file")
    return serve(request, normalized, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    # Small installs serve uploaded avatars themselves; larger ones point MEDIA_URL at a web server or bucket.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve_public_media),
    ]
