"""Settings, read from the environment (see the configuration table in README.md)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from contacts.api.registry import throttle_rates as dialect_throttle_rates
from crm.envfile import load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Local .env file (crm/envfile.py) ---------------------------------------------------------------------------
# Read before any setting looks at the environment. Variables already set in the environment win; CRM_ENV_FILE
# names another file, or none when empty.
load_env_file(BASE_DIR)
# --- end of local .env file -------------------------------------------------------------------------------------


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            # One line: manage.py prints it as the whole error. `make run` writes a .env with both for local use.
            "SECRET_KEY is not set. Set SECRET_KEY in the environment or in .env, or DEBUG=1 for local development."
        )
    # Local development only: a fixed, clearly-marked key so sessions survive restarts.
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

# Used to encrypt recoverable credential secrets (HMAC shared secrets). Falls back to a key derived
# from SECRET_KEY so a single secret is enough to run; set it separately to rotate SECRET_KEY freely.
CREDENTIALS_ENCRYPTION_KEY = os.environ.get("CREDENTIALS_ENCRYPTION_KEY", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "contacts",
    "events",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "events.middleware.EventContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "crm.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "crm.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A failed request leaves nothing written: every request runs in one transaction, and the API error
# handlers mark it for rollback.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many concurrent writers against the embedded database wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The list's pages are short LIMIT queries; PostgreSQL still plans some of them with parallel workers, whose
    # start-up costs more than it saves on a few cores (docs/operations.md, "Parallel query").
    _workers = os.environ.get("DATABASE_PARALLEL_WORKERS", "0").strip() or "0"
    if not (_workers.isascii() and _workers.isdigit()):
        raise ImproperlyConfigured(f"DATABASE_PARALLEL_WORKERS must be a whole number, not {_workers!r}")
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # Appended to any `options` the URL already gives (`?options=-c%20...`), so neither replaces the other.
    _options["options"] = f"{_options.get('options', '')} -c max_parallel_workers_per_gather={int(_workers)}".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "crm"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "crm-default",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Serve MEDIA_ROOT from Django itself (fine for small installs; use a web server or object storage at scale).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

# --- Private files (import sources and error reports) ---------------------------------------------------------
# They hold contacts' personal data: stored outside MEDIA_ROOT in a storage without URLs, downloaded only through
# the import admin (which checks the organization), deleted with their job or after the retention period.
PRIVATE_FILES_ROOT = Path(os.environ.get("PRIVATE_FILES_ROOT", BASE_DIR / "private"))
try:
    IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("IMPORT_FILE_RETENTION_DAYS", "30"))
except ValueError:
    raise ImproperlyConfigured("IMPORT_FILE_RETENTION_DAYS must be a whole number of days") from None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": "contacts.storage.PrivateFileStorage"},
}
# --- end of private files ---------------------------------------------------------------------------------------

# Awal uploads (5 MB files) arrive as multipart bodies; the signature covers the raw body, so the whole
# body must be readable. Allow 5 MB of file plus form overhead; anything bigger is refused before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(6 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o644

PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DB_FORMAT = "E164"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "contacts.api.openapi.DocumentedAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Per-credential request rates, the scopes and defaults each dialect declares in the registry
    # (contacts/api/registry.py, contacts/api/throttling.py): mobivate, contactship, callbell, awal_write,
    # awal_read, sfmc, sfmc_token. `THROTTLE_<SCOPE>` overrides one (THROTTLE_CALLBELL=100/s).
    # The native API's budget per credential (docs/api.md); each dialect's comes from its registry entry.
    "DEFAULT_THROTTLE_RATES": {**dialect_throttle_rates(os.environ), "v1": os.environ.get("THROTTLE_V1", "600/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Contacts CRM",
    "DESCRIPTION": "The CRM's own REST API (`/api/v1/`, docs/api.md) and the five vendor dialects it speaks, "
    "each under its own tag and security scheme (docs/dialects.md).",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The dialect views are hand-written APIViews mirroring vendor contracts; don't generate a schema at check time.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # Request and response bodies are separate components (a contact's `id` is read-only, PATCH bodies partial).
    "COMPONENT_SPLIT_REQUEST": True,
    # contacts/api/openapi.py: one path per route; tags per resource and per dialect.
    "PREPROCESSING_HOOKS": ["contacts.api.openapi.preprocess"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "contacts.api.openapi.postprocess"],
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for each enum that appears in several bodies.
    "ENUM_NAME_OVERRIDES": {
        "CustomFieldTypeEnum": "contacts.models.CustomFieldType",
        "EventTypeEnum": "events.models.EventType",
    },
}

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean by default.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# --- Health check (crm/views.py) --------------------------------------------------------------------------------
# Load balancers probe each host over plain HTTP without X-Forwarded-Proto: /healthz answers them rather than
# redirecting to HTTPS (it carries no personal data and sets no cookie).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# --- end of health check ----------------------------------------------------------------------------------------

# Content-Security-Policy on every response (django-csp; see docs/security.md). The admin runs with nothing inline:
# Django's admin scripts and the CRM's stylesheet are static files. img-src allows https: because a contact's avatar
# may be a URL on another host, shown as a thumbnail in the admin.
MIDDLEWARE += ["csp.middleware.CSPMiddleware"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Celery runs long jobs (large imports) on workers when CELERY_BROKER_URL is set (e.g. redis://127.0.0.1:6379/1);
# unset, tasks run inline in the calling process, so a single-process install needs no broker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = not CELERY_RESULT_BACKEND
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Incremental sync (docs/api.md "Incremental sync") -----------------------------------------------------------
# The watermark a sync walk hands out allows this much for app hosts' clocks against the database's (PostgreSQL),
# and on SQLite this long for the longest write transaction (including its wait for the write lock).
SYNC_CLOCK_SKEW_SECONDS = int(os.environ.get("SYNC_CLOCK_SKEW_SECONDS", "5"))
SYNC_SQLITE_WRITE_SECONDS = int(os.environ.get("SYNC_SQLITE_WRITE_SECONDS", "60"))

# --- Change history (events/, docs/operations.md "Change history") -------------------------------------------
# `manage.py purge_events` deletes events older than this many days (the webhooks' outbox included).
try:
    EVENT_RETENTION_DAYS = int(os.environ.get("EVENT_RETENTION_DAYS", "365"))
except ValueError:
    raise ImproperlyConfigured("EVENT_RETENTION_DAYS must be a whole number of days") from None
if EVENT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("EVENT_RETENTION_DAYS must be at least 1")

# --- Webhooks (webhooks/, docs/webhooks.md) ---------------------------------------------------------------------
# Deliveries go to public addresses only; True allows loopback and private networks (a receiver on this machine).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "15"))
# Seconds before each attempt after the first fails: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts in all).
WEBHOOK_RETRY_SCHEDULE = [
    int(value) for value in env_list("WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")
]
WEBHOOK_DISABLE_AFTER_DAYS = float(os.environ.get("WEBHOOK_DISABLE_AFTER_DAYS", "5"))
# Without a broker, a thread of the web process delivers; off, only `manage.py deliver_webhooks` does.
WEBHOOK_DELIVERY_THREAD = env_bool("WEBHOOK_DELIVERY_THREAD", True)
WEBHOOK_POLL_SECONDS = float(os.environ.get("WEBHOOK_POLL_SECONDS", "1"))
# --- end of webhooks --------------------------------------------------------------------------------------------
