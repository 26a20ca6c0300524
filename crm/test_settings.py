"""Settings for the test suite: production settings with a throwaway key and test-speed hashing."""

import os

# A developer's .env (written by `make run`, DEBUG=1) must not change the settings under test.
os.environ.setdefault("CRM_ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from crm.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SERVE_MEDIA = True
