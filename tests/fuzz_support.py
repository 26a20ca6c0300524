"""Bad requests for tests/test_fuzz_dialects.py, and what the server must make of them.

The strategies start from a valid body and spoil it (one value, one key, a duplicate field, the whole body, the raw
bytes); a `Case` then records what the server will parse from the exact bytes sent, worked out here with Python's
own `json` and Django's documented form decoding, never by the code under test.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from hypothesis import strategies as st

# What PostgreSQL cannot store in text: NUL, and UTF-16 surrogates that are not part of a pair.
UNSTORABLE_CHARS = ("\x00", "\ud800", "\udbff", "\udc00", "\udfff")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
BOUNDARY = "----FuzzBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FORM = "application/x-www-form-urlencoded"
JSON_TYPES = ("application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8")
# Django's DATA_UPLOAD_MAX_NUMBER_FIELDS default; one more is "too many fields".
MAX_FIELDS = 1000
# A multipart part's headers may be 1 KiB in all (django.http.multipartparser.MAX_TOTAL_HEADER_SIZE); a name this
# long leaves no room for the rest of them.
MAX_PART_NAME = 900


def body_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@dataclass(frozen=True)
class RawJSON:
    """JSON text put into a body verbatim: numbers and nestings that `json.dumps` cannot write (or writes slowly)."""

    text: str

    def __repr__(self) -> str:
        return (
            f"RawJSON({self.text[:24]!r}...{len(self.text)} chars)"
            if len(self.text) > 40
            else f"RawJSON({self.text!r})"
        )


@dataclass(frozen=True)
class Pairs:
    """A JSON object written with these (key, value) pairs in order, duplicate keys included."""

    items: tuple


@dataclass(frozen=True)
class Case:
    """One request body. `unstorable` is what the server will parse: True when it holds NUL or a lone surrogate,
    False when it does not, None when the transport makes that unknowable here (mangled multipart). `malformed` is
    True when the body is not JSON that Python's strict parser reads (for JSON transports)."""

    body: bytes
    content_type: str
    description: str
    unstorable: bool | None
    malformed: bool = False

    @property
    def too_large(self) -> bool:
        return len(self.body) > body_limit()

    def __repr__(self) -> str:
        shown = self.body if len(self.body) <= 400 else self.body[:400] + b"...(%d bytes)" % len(self.body)
        return f"Case({self.description!r}, content_type={self.content_type!r}, body={shown!r})"


def has_unstorable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# JSON bodies.


def to_json(value: Any) -> str:
    """ASCII JSON text: NUL and lone surrogates travel as `\\u0000` / `\\ud800` escapes, as a client would send them."""
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items) + "}"
    if isinstance(value, dict):
        return to_json(Pairs(tuple(value.items())))
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return json.dumps(value)  # floats NaN/inf become NaN/Infinity, which strict JSON parsers refuse


def json_case(body: bytes, description: str, content_type: str = "application/json") -> Case:
    """What a strict JSON parser (Python's, as DRF uses it) reads from `body`; an empty body parses as nothing."""
    if not body:
        return Case(body, content_type, description, unstorable=False)
    try:
        parsed = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, NaN, over 4300 digits, too deep
        return Case(body, content_type, description, unstorable=False, malformed=True)
    return Case(body, content_type, description, unstorable=has_unstorable(parsed))


# Nasty values.

_NASTY_TEXT = (
    "",
    " ",
    "\t\r\n",
    "\u200f",  # right-to-left mark
    "\u202eevil\u202c",  # right-to-left override
    "\u2066\u2069",
    "\u200b",
    "\ufeff",
    "\u00a0",
    "\u2028\u2029",
    "😀",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "e\u0301\u0301\u0301",
    "\uffff\ufffe",
    "\U0010ffff",
    "\U000e0041",
    "İıßﬃǅ",
    "\x7f\x1b[31m",
    "\ud83d\ude00",  # a surrogate pair: JSON's escapes combine it into one emoji, which is storable
    "\ude00\ud83d",  # the same two halves the wrong way round: two lone surrogates
    "\\u0000",
    "%00",
    "NaN",
    "Infinity",
    "-Infinity",
    "nan",
    "1e309",
    "-0",
    "0x1F",
    "+",
    "00",
    "١٢٣٤٥٦٧٨٩٠",
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",  # full-width digits
    "9" * 400,
    "-" + "9" * 40,
    "null",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "a@b",
    "@",
    "x" * 256,
)
_NASTY_NUMBERS = (
    RawJSON("1" * 4400),  # more digits than Python converts: the parser refuses it
    RawJSON("9" * 300),
    RawJSON("-" + "9" * 30),
    RawJSON("1e999"),  # parses to infinity
    RawJSON("-1e999"),
    RawJSON("1e-999"),
    RawJSON("-0"),
    RawJSON("0.1e1"),
    2**63,
    -(2**63) - 1,
    2**64,
    10**20,
    0,
    -1,
    1.5,
    1e308,
    float("nan"),  # written as NaN: not JSON
    float("inf"),
)
_WRONG_TYPES = (None, True, False, [], {}, [None], {"": ""}, [[[]]], {"a": {"b": {"c": []}}}, ["a", 1, None])


@cache
def deep_nesting() -> st.SearchStrategy[RawJSON]:
    depths = st.sampled_from((50, 500, 900, 990, 2_000, 100_000))
    return depths.flatmap(lambda n: st.sampled_from((RawJSON("[" * n + "]" * n), RawJSON('{"a":' * n + "1" + "}" * n))))


@cache
def huge_text() -> st.SearchStrategy[str]:
    """Long strings; now and then up to and just past the body limit (read when drawn, so settings apply)."""
    chars = st.sampled_from(("x", "é", "😀", "\u200f"))
    # Lengths are in bytes as JSON writes the character (an emoji takes 12), so no body is many times the limit.
    long = st.builds(
        lambda length, char: char * (length // (len(json.dumps(char)) - 2)),
        st.sampled_from((1_001, 10_001, 100_000)),
        chars,
    )
    near_limit = st.sampled_from((lambda: 1 << 20, lambda: body_limit() - 2048, lambda: body_limit() + 1))
    limit = st.builds(lambda length, char: char * (length() // (len(json.dumps(char)) - 2)), near_limit, chars)
    return st.one_of(long, long, long, limit)


@cache
def unstorable_text() -> st.SearchStrategy[str]:
    """Text with at least one NUL or lone surrogate somewhere in it."""
    return st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(max_size=12),
        st.sampled_from(UNSTORABLE_CHARS),
        st.text(max_size=12),
    )


@cache
def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | unstorable_text()
    keys = st.text(max_size=10) | unstorable_text()
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=12,
    )


@cache
def nasty_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        unstorable_text(),
        st.sampled_from(_NASTY_TEXT),
        st.sampled_from(_NASTY_NUMBERS),
        st.sampled_from(_WRONG_TYPES),
        unstorable_text(),
        st.text(),
        huge_text() | huge_text().map(lambda text: text + "\x00"),
        deep_nesting(),
        json_values(),
    )


@cache
def nasty_text() -> st.SearchStrategy[str]:
    """For form fields, where everything is text."""
    return st.one_of(
        unstorable_text(),
        st.sampled_from(_NASTY_TEXT),
        st.sampled_from(("1" * 4400, "1e999", "-1", "0", "1.5", "99999999999999999999")),
        st.text(),
        unstorable_text(),
        huge_text() | huge_text().map(lambda text: text + "\x00"),
    )


@cache
def nasty_keys() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(("", " ", "__proto__", "constructor", "$where", "a.b", "a[0]", "😀", "\u200f", "id", "pk")),
        st.sampled_from(("organization", "organization_id", "uuid", "created_at", "x" * 10_000)),
        unstorable_text(),
        st.text(max_size=16),
    )


# Spoiling a valid JSON body.


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, element in items:
        yield (*prefix, key)
        yield from _paths(element, (*prefix, key))


def _containers(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        yield prefix
    for path in _paths(value, prefix):
        element = value
        for step in path:
            element = element[step]
        if isinstance(element, dict):
            yield path


def _parent(body: Any, path: tuple) -> Any:
    for step in path[:-1]:
        body = body[step]
    return body


def _replaced(base: dict, path: tuple, value: Any) -> dict:
    body = copy.deepcopy(base)
    _parent(body, path)[path[-1]] = value
    return body


def _dropped(base: dict, path: tuple) -> dict:
    body = copy.deepcopy(base)
    del _parent(body, path)[path[-1]]
    return body


def _with_key(base: dict, container: tuple, key: str, value: Any) -> dict:
    body = copy.deepcopy(base)
    target = body
    for step in container:
        target = target[step]
    target[key] = value
    return body


def spoiled_json(base: dict) -> st.SearchStrategy[tuple[Any, str]]:
    """(body, description): `base` with one value replaced, a key added or removed, a key given twice, or
    replaced by something else entirely."""
    paths = list(_paths(base))
    containers = list(_containers(base))
    replace = st.builds(
        lambda path, value: (_replaced(base, path, value), f"{'.'.join(map(str, path))} = nasty value"),
        st.sampled_from(paths),
        nasty_values(),
    )
    add_key = st.builds(
        lambda where, key, value: (_with_key(base, where, key, value), f"nasty key in {where or 'body'}"),
        st.sampled_from(containers),
        nasty_keys(),
        nasty_values() | st.just("value"),
    )
    drop = st.sampled_from(paths).map(lambda path: (_dropped(base, path), f"without {'.'.join(map(str, path))}"))
    twice = st.builds(
        lambda key, value, bad_first: (
            Pairs(((key, value), *base.items()) if bad_first else (*base.items(), (key, value))),
            f"{key} twice",
        ),
        st.sampled_from(list(base)),
        nasty_values(),
        st.booleans(),
    )
    wrapped = st.sampled_from(([base], {"data": base}, [], "", 0, None)).map(lambda body: (body, "wrong top level"))
    whole = json_values().map(lambda body: (body, "random JSON"))
    return st.one_of(replace, replace, replace, add_key, drop, twice, wrapped, whole)


def _spoiled_text(text: str) -> st.SearchStrategy[tuple[bytes, str]]:
    raw = text.encode()
    cut = st.integers(0, len(raw)).map(lambda n: (raw[:n], "truncated"))
    byte = st.builds(
        lambda i, b: (raw[:i] + bytes([b]) + raw[i + 1 :], "one byte changed"),
        st.integers(0, len(raw) - 1),
        st.integers(0, 255),
    )
    spliced = st.sampled_from(
        (b"\x00", b"\xed\xa0\x80", b"\xff", b"\xc0\x80", b"\xef\xbb\xbf", b"\\u0000", b'\\ud800"', b"\\")
    ).flatmap(lambda piece: st.integers(0, len(raw)).map(lambda i: (raw[:i] + piece + raw[i:], f"{piece!r} inserted")))
    framing = st.sampled_from(
        (
            (b"\xef\xbb\xbf" + raw, "UTF-8 BOM"),
            (text.encode("utf-16"), "UTF-16"),
            (raw + b"garbage", "trailing garbage"),
            (raw + b"\x00", "trailing NUL byte"),
            (raw.replace(b'":', b'":\x00', 1), "raw NUL byte in the body"),
        )
    )
    return st.one_of(cut, byte, spliced, framing)


def json_cases(base: dict) -> st.SearchStrategy[Case]:
    """Mostly-valid bodies with one thing wrong, random JSON, byte-level damage and random bytes."""
    valid_text = to_json(base)
    documents = st.builds(
        lambda spoiled, content_type: json_case(to_json(spoiled[0]).encode(), spoiled[1], content_type),
        spoiled_json(base),
        st.sampled_from(JSON_TYPES),
    )
    damaged = _spoiled_text(valid_text).map(lambda spoiled: json_case(spoiled[0], spoiled[1]))
    random_bytes = st.binary(max_size=300).map(lambda body: json_case(body, "random bytes"))
    return st.one_of(documents, documents, documents, documents, damaged, random_bytes)


# Form bodies (multipart and urlencoded), where every value is text.


def _encode(text: str) -> bytes:
    # A lone surrogate cannot be UTF-8; sent as its three bytes anyway, it reaches Django as invalid UTF-8.
    return text.encode("utf-8", "surrogatepass")


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]] = ()) -> bytes:
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (BOUNDARY.encode(), _encode(name), _encode(value))
        for name, value in fields
    ]
    for name, filename, content in files:
        head = b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: image/jpeg\r\n\r\n'
        parts.append(head % (BOUNDARY.encode(), _encode(name), _encode(filename)) + content + b"\r\n")
    parts.append(b"--%s--\r\n" % BOUNDARY.encode())
    return b"".join(parts)


def urlencoded(fields: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in fields).encode()


def _quote(text: str) -> str:
    data = _encode(text)
    if data.isascii() and data.isalnum():
        return text
    if len(data) > 65_536:
        # quote_plus takes seconds over megabytes. Long values here repeat one character: ASCII ones need escaping
        # in few places, the others in every byte.
        if data.isascii():
            return re.sub(rb"[^A-Za-z0-9_.~-]", lambda match: b"%%%02X" % match[0][0], data).decode()
        return "%" + data.hex("%")
    return quote_plus(data, safe="")


def _form_name(name: str) -> str:
    # Quotes and line breaks are multipart's own syntax; raw damage to the syntax is drawn separately.
    return re.sub(r'["\r\n]', "_", name)


def form_case(fields: list[tuple[str, str]], description: str, *, as_multipart: bool, files=()) -> Case:
    """What Django will read from the form: it decodes values as UTF-8 with replacement characters, so of the
    unstorable characters only NUL survives the trip; it drops a multipart part whose headers are not UTF-8 (a
    lone surrogate in the name), refuses part headers over 1 KiB, and refuses too many fields before reading any."""
    fields = [(_form_name(name), value) for name, value in fields]
    body = multipart(fields, files) if as_multipart else urlencoded(fields)
    if as_multipart:
        names = [name for name, _ in fields] + [part for name, filename, _ in files for part in (name, filename)]
        received = [(name, value) for name, value in fields if not has_unstorable(name.replace("\x00", ""))]
        carriers = [name for name, value in received if "\x00" in name + value]
        unstorable: bool | None = bool(carriers)
        if any(len(_encode(name)) > MAX_PART_NAME or "\\" in name for name in names):
            unstorable = None  # too long, or an escape whose reading is the header parser's business
        elif not all(char == "\x00" or char.isprintable() for name in carriers for char in name):
            unstorable = None  # line and paragraph separators mean something to the header parser (email.message)
        elif not unstorable and any("\x00" in filename for _, filename, _ in files):
            unstorable = None  # the file name is cut at its last slash before it is looked at
    else:
        unstorable = any("\x00" in name + value for name, value in fields)
    if len(fields) + len(files) > MAX_FIELDS:
        unstorable = False
    return Case(body, MULTIPART if as_multipart else FORM, description, unstorable)


def spoiled_form(base: dict[str, str]) -> st.SearchStrategy[tuple[list[tuple[str, str]], str]]:
    items = list(base.items())
    names = st.sampled_from(list(base))
    replace = st.builds(
        lambda name, value: ([(k, value if k == name else v) for k, v in items], f"{name} = nasty value"),
        names,
        nasty_text(),
    )
    add_key = st.builds(
        lambda key, value: ([*items, (key, value)], "nasty field name"), nasty_keys(), nasty_text() | st.just("v")
    )
    drop = names.map(lambda name: ([(k, v) for k, v in items if k != name], f"without {name}"))
    twice = st.builds(
        lambda name, value, bad_first: (
            [(name, value), *items] if bad_first else [*items, (name, value)],
            f"{name} twice",
        ),
        names,
        nasty_text(),
        st.booleans(),
    )
    too_many = st.just(([*items, *[(f"f{i}", "1") for i in range(MAX_FIELDS + 1)]], "too many fields"))
    empty = st.just(([], "no fields"))
    return st.one_of(replace, replace, replace, add_key, drop, twice, too_many, empty)


def raw_form_bytes(content_type: str) -> st.SearchStrategy[Case]:
    """Bytes no form encoder would write: what the server makes of them is unknown, only that it must not fail."""
    boundary = BOUNDARY.encode()
    mangled = st.sampled_from(
        (
            b'--%s\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end' % boundary,
            b"--%s\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--%s--\r\n" % (boundary, boundary),
            b'--%s\r\nContent-Disposition: form-data; name="a\r\nb"\r\n\r\nv\r\n--%s--\r\n' % (boundary, boundary),
            b'--%s\r\nContent-Disposition: form-data; name="\x00"; filename="\x00"\r\n\r\nv\r\n--%s--\r\n'
            % (boundary, boundary),
            b"--%s--\r\n" % boundary,
            b"a=%ZZ&b=%&=&&c",
        )
    )
    return st.one_of(st.binary(max_size=300), mangled).map(
        lambda body: Case(body, content_type, "raw form bytes", unstorable=None)
    )
