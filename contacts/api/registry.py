"""The dialect registry: every vendor API this server speaks, each declared once, in its own package.

A dialect's package (`contacts/api/dialects/<name>/__init__.py`) holds one `DIALECT = Dialect(...)` that states only
what is particular to the vendor: its title, rates and vendor documentation, and whatever departs from the
convention below. Everything else follows from where the declaration lives, as a Django app's label follows from
its module:

- `package` (declared: `package=__name__`): the module the declaration is made in
  (`contacts.api.dialects.mobivate`); `name`: its last part;
- `urls`: `<package>.urls`; the mount: `/<name>/`; the doc page: `docs/dialects/<name>.md`;
- the throttle scope every view counts against: `<name>` (a single `rates` is that scope's rate);
- authentication: `BEARER_API_KEY`, the project's own scheme (the native API's);
- the error renderer `errors.render_<name>_error` and the catch-all's base view `views.<Name>APIView`, both
  relative to the package.

From those declarations:

- `crm/urls.py` mounts every dialect (`mounts()`), each followed by the shared catch-all 404 (`catch_all.py`);
- `crm/settings.py` reads the rates (`throttle_rates()`), each overridable by a `THROTTLE_<SCOPE>` variable;
- `DialectAPIView` (`base.py`) gives every view of the package the dialect's authentication, throttle scope and
  error body unless the view says otherwise.

Packages are found by listing `contacts/api/dialects/`, so adding a dialect edits nothing outside its package.
This module is imported by the settings, so it imports nothing of Django's or DRF's that needs them at import time;
the dotted paths below are resolved on first use.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.urls.resolvers import URLResolver
    from rest_framework.response import Response

    from contacts.api.base import DialectAPIView
    from contacts.api.errors import ApiError

DIALECTS_PACKAGE = "contacts.api.dialects"
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Auth:
    """An authentication scheme: the views' `authentication_classes` (dotted paths) and how the front page names
    it."""

    classes: tuple[str, ...]
    label: str


# The shared schemes of contacts/api/auth.py; a scheme of the vendor's own is an `Auth` in its declaration.
BEARER_API_KEY = Auth(("contacts.api.auth.BearerApiKeyAuthentication",), "Bearer API key")
HEADER_API_KEY = Auth(("contacts.api.auth.HeaderApiKeyAuthentication",), "x-api-key header")
OAUTH_ACCESS_TOKEN = Auth(("contacts.api.auth.AccessTokenAuthentication",), "OAuth client credentials")


@dataclass(frozen=True, kw_only=True)
class Dialect:
    """One vendor's API. Dotted paths keep the declaration importable before Django is set up; an empty field
    takes its conventional value (the module docstring) when the declaration is made."""

    # The module the declaration is made in: `package=__name__`.
    package: str
    title: str
    # Rate-limit scope → default rate (`N/s`, `N/min`...), or one rate for the scope `throttle_scope`;
    # `THROTTLE_<SCOPE>` in the environment overrides it.
    rates: str | Mapping[str, str]
    vendor_docs: str
    auth: Auth = BEARER_API_KEY
    name: str = ""
    # Mounted at `/<prefix>/` (any number of slashes after it, see contacts/api/paths.py).
    prefix: str = ""
    # The scope a view counts against unless it sets its own; reads go to `read_throttle_scope` when there is one.
    throttle_scope: str = ""
    read_throttle_scope: str | None = None
    # Relative to the package. `(error: ApiError, view: DialectAPIView) -> Response`: the vendor's body for a
    # neutral error.
    error_renderer: str = ""
    # Relative to the package. The view class the catch-all derives from, so an unknown path gets every header the
    # dialect's answers carry (content negotiation, Awal's request id and rate-limit headers).
    base_view: str = ""
    docs: str = ""
    # The catch-all's message; `{method}` and `{path}` are the request's.
    not_found_message: str = "Not found"

    def __post_init__(self) -> None:
        name = self.name or self.package.rpartition(".")[2]
        conventions = {
            "name": name,
            "prefix": name,
            "throttle_scope": name,
            "error_renderer": f"errors.render_{name}_error",
            "base_view": f"views.{name.capitalize()}APIView",
            "docs": f"docs/dialects/{name}.md",
        }
        for field, value in conventions.items():
            if not getattr(self, field):
                object.__setattr__(self, field, value)
        undeclared = {self.throttle_scope, self.read_throttle_scope or self.throttle_scope} - set(self.throttle_rates)
        if undeclared:
            raise ValueError(f"Dialect {name!r} counts against scopes it gives no rate: {sorted(undeclared)}")

    @property
    def mount(self) -> str:
        return f"/{self.prefix}/"

    @property
    def urls(self) -> str:
        """The module whose `urlpatterns` (and `app_name`, if any) are mounted; the catch-all 404 follows them."""
        return f"{self.package}.urls"

    @property
    def auth_label(self) -> str:
        return self.auth.label

    @property
    def throttle_rates(self) -> Mapping[str, str]:
        return {self.throttle_scope: self.rates} if isinstance(self.rates, str) else self.rates

    def throttle_scope_for(self, method: str) -> str | None:
        if self.read_throttle_scope and method in READ_METHODS:
            return self.read_throttle_scope
        return self.throttle_scope

    @cached_property
    def authentication_classes(self) -> list[type]:
        return [import_string(path) for path in self.auth.classes]

    @cached_property
    def render_error(self) -> Callable[[ApiError, DialectAPIView], Response]:
        return import_string(f"{self.package}.{self.error_renderer}")

    @cached_property
    def base_view_class(self) -> type[DialectAPIView]:
        return import_string(f"{self.package}.{self.base_view}")

    def url_resolver(self) -> URLResolver:
        """`/<prefix>/...`: the dialect's urlpatterns, then the catch-all that answers every other path."""
        from django.urls import re_path

        from contacts.api.catch_all import not_found_view
        from contacts.api.paths import mount

        module = importlib.import_module(self.urls)
        patterns = [*module.urlpatterns, re_path(r"^", not_found_view(self), name=f"{self.name}-not-found")]
        return mount(self.prefix, (patterns, getattr(module, "app_name", None)))


# Dialects added at run time (tests), on top of the packages found on disk.
_registered: dict[str, Dialect] = {}


@cache
def _discovered() -> tuple[Dialect, ...]:
    package = importlib.import_module(DIALECTS_PACKAGE)
    found = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            declared = getattr(importlib.import_module(f"{DIALECTS_PACKAGE}.{module.name}"), "DIALECT", None)
            if isinstance(declared, Dialect):
                found.append(declared)
    return tuple(found)


def dialects() -> list[Dialect]:
    """Every dialect, by name; a name registered at run time replaces the package of that name."""
    by_name = {dialect.name: dialect for dialect in _discovered()}
    by_name.update(_registered)
    return [by_name[name] for name in sorted(by_name)]


def get(name: str) -> Dialect:
    for dialect in dialects():
        if dialect.name == name:
            return dialect
    raise LookupError(f"No dialect named {name!r}")


def for_module(module: str) -> Dialect | None:
    """The dialect whose package holds `module` (a view's `__module__`), if any."""
    for dialect in dialects():
        if module == dialect.package or module.startswith(f"{dialect.package}."):
            return dialect
    return None


def register(dialect: Dialect) -> Dialect:
    """Add a dialect that lives outside `contacts/api/dialects/` (a test's); mounted by the next `mounts()`."""
    _registered[dialect.name] = dialect
    return dialect


def unregister(name: str) -> None:
    _registered.pop(name, None)


def mounts() -> list[URLResolver]:
    """One URL resolver per dialect, for `crm/urls.py`."""
    return [dialect.url_resolver() for dialect in dialects()]


def throttle_rates(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Every dialect's rates, for REST_FRAMEWORK's DEFAULT_THROTTLE_RATES: `THROTTLE_<SCOPE>` wins over the
    declared default (`THROTTLE_AWAL_WRITE=50/min`)."""
    rates = {}
    for dialect in dialects():
        for scope, default in dialect.throttle_rates.items():
            rates[scope] = environ.get(f"THROTTLE_{scope.upper()}", default)
    return rates


def declared_rate(scope: str) -> str | None:
    """The default rate a dialect declares for `scope` (one registered after the settings were read)."""
    for dialect in dialects():
        if scope in dialect.throttle_rates:
            return dialect.throttle_rates[scope]
    return None
