"""SFMC scope names ↔ the project's canonical scopes.

SFMC's contacts API is guarded by `list_and_subscribers_read` and `list_and_subscribers_write`; there is no
separate create/update/delete permission in SFMC, so `..._write` stands for all three of ours. Canonical values
(`contacts:read`) and Mobivate's labels (`read:Contacts`) are accepted too, for clients created with finer scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

from contacts.models import Scope

SFMC_SCOPES: dict[str, frozenset[str]] = {
    "list_and_subscribers_read": frozenset({Scope.CONTACTS_READ.value}),
    "list_and_subscribers_write": frozenset(
        {Scope.CONTACTS_CREATE.value, Scope.CONTACTS_UPDATE.value, Scope.CONTACTS_DELETE.value}
    ),
}

SFMC_PERMISSIONS = frozenset().union(*SFMC_SCOPES.values())


class UnknownScope(ValueError):
    pass


def canonical_scopes(names: Iterable[str]) -> set[str]:
    """The canonical scopes the given SFMC or canonical scope names stand for."""
    result: set[str] = set()
    for name in names:
        if name in SFMC_SCOPES:
            result |= SFMC_SCOPES[name]
            continue
        try:
            result.add(Scope.from_label(name).value)
        except ValueError:
            raise UnknownScope(name) from None
    return result


def scope_text(scopes: Iterable[str]) -> str:
    """How a set of canonical scopes is named back to an SFMC client: SFMC names where they cover whole groups,
    canonical values for whatever is left (a client created with only `contacts:create`, say). Permissions no
    SFMC endpoint asks for (the native API's `contacts:write` and `settings:write`) are not named."""
    remaining = set(scopes) & SFMC_PERMISSIONS
    names = []
    for name, covered in SFMC_SCOPES.items():
        if covered <= remaining:
            names.append(name)
    for covered in (SFMC_SCOPES[name] for name in names):
        remaining -= covered
    return " ".join(names + [scope.value for scope in Scope if scope.value in remaining])
