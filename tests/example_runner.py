"""Runs documentation examples as printed: shell blocks of curl commands, `manage.py` calls and scripts.

A doc's shell blocks are read the way a POSIX shell reads them (quotes, `$VAR`, `${VAR}`, `$(...)`, pipes,
backslash-newline continuations, `export`), each `curl` is sent with `requests` to the live test server in place
of `http://127.0.0.1:8000`, `.venv/bin/python manage.py ...` runs in this process against the test database, and
`python3 -c CODE` runs as a real subprocess fed the previous command's output. Anything else a block asks for is
an error, so a doc cannot grow a step the tests silently skip. Every HTTP exchange is recorded in `transcript`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.core.management import call_command

DOC_HOST = "http://127.0.0.1:8000"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)


@dataclass
class Block:
    lang: str
    text: str


def code_blocks(markdown: str) -> list[Block]:
    """Every fenced code block, in order, with the indentation of its fence removed."""
    blocks = []
    for match in FENCE.finditer(markdown):
        indent = len(match["indent"])
        lines = [line[indent:] if line[:indent].strip() == "" else line for line in match["body"].splitlines()]
        blocks.append(Block(match["lang"], "\n".join(lines) + "\n"))
    return blocks


def runnable_blocks(markdown: str) -> list[Block]:
    """The blocks a reader runs: shell and Python. JSON, JavaScript and plain blocks show shapes, not steps."""
    return [block for block in code_blocks(markdown) if block.lang in ("bash", "sh", "python")]


# Shell words.


def _closing_paren(text: str, start: int) -> int:
    """Index of the `)` closing the `$(` whose body starts at `start`, skipping quoted text."""
    depth, i = 1, start
    while i < len(text):
        char = text[i]
        if char == "'":
            i = text.index("'", i + 1)
        elif char == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif char == "\\":
            i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unclosed $( in {text!r}")


def split_commands(text: str) -> list[str]:
    """Commands separated by newlines outside quotes and `$(...)`; continuations joined, comments dropped."""
    text = text.replace("\\\n", " ")
    commands, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "'":
            end = text.index("'", i + 1)
            current.append(text[i : end + 1])
            i = end + 1
            continue
        if char == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            current.append(text[i : j + 1])
            i = j + 1
            continue
        if text.startswith("$(", i):
            end = _closing_paren(text, i + 2)
            current.append(text[i : end + 1])
            i = end + 1
            continue
        if char == "#" and (not current or "".join(current)[-1:].isspace()):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        if char == "\n":
            commands.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    commands.append("".join(current))
    return [command.strip() for command in commands if command.strip()]


class Shell:
    """The state of one reader's terminal: variables, the server the docs' host stands for, and what was sent."""

    def __init__(
        self, base_url: str, workdir: Path, on_request: Callable[[requests.PreparedRequest], None] | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.workdir = workdir
        self.env: dict[str, str] = {}
        self.transcript: list[dict[str, Any]] = []
        self.on_request = on_request
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    # Words and expansion.

    def words(self, command: str) -> list[str]:
        """The command's words after quote removal and expansion; a `|` outside quotes is a word of its own."""
        words: list[str] = []
        current: list[str] | None = None
        i = 0

        def add(text: str) -> None:
            nonlocal current
            current = (current or []) + [text]

        while i < len(command):
            char = command[i]
            if char in " \t\n":
                if current is not None:
                    words.append("".join(current))
                    current = None
                i += 1
            elif char == "|":
                if current is not None:
                    words.append("".join(current))
                    current = None
                words.append("|")
                i += 1
            elif char == "'":
                end = command.index("'", i + 1)
                add(command[i + 1 : end])
                i = end + 1
            elif char == '"':
                i += 1
                part = []
                while command[i] != '"':
                    if command[i] == "\\" and command[i + 1] in '$`"\\\n':
                        part.append(command[i + 1])
                        i += 2
                    elif command[i] == "$":
                        text, i = self._expand(command, i)
                        part.append(text)
                    else:
                        part.append(command[i])
                        i += 1
                add("".join(part))
                i += 1
            elif char == "\\":
                add(command[i + 1])
                i += 2
            elif char == "$":
                text, i = self._expand(command, i)
                add(text)
            elif char in ";&<>`":
                raise ValueError(f"unsupported shell syntax {char!r} in {command!r}")
            else:
                add(char)
                i += 1
        if current is not None:
            words.append("".join(current))
        return words

    def _expand(self, command: str, i: int) -> tuple[str, int]:
        """The value of the `$...` at `i`, and the index after it."""
        if command.startswith("$(", i):
            end = _closing_paren(command, i + 2)
            return self.run(command[i + 2 : end]).rstrip("\n"), end + 1
        if command.startswith("${", i):
            end = command.index("}", i)
            return self.variable(command[i + 2 : end]), end + 1
        match = NAME.match(command, i + 1)
        if not match:
            return "$", i + 1
        return self.variable(match[0]), match.end()

    def variable(self, name: str) -> str:
        if name not in self.env:
            raise KeyError(f"the example uses ${name} before setting it")
        return self.env[name]

    # Commands.

    def run_block(self, text: str) -> None:
        for command in split_commands(text):
            self.run(command)

    def run(self, command: str) -> str:
        """Run one command line (a pipeline or an assignment); return what it prints."""
        words = self.words(command)
        if words and words[0] == "export":
            words = words[1:]
        if words and all(ASSIGNMENT.fullmatch(word) for word in words):
            for word in words:
                name, value = ASSIGNMENT.fullmatch(word).groups()
                self.env[name] = value
            return ""
        output = ""
        stages: list[list[str]] = [[]]
        for word in words:
            if word == "|":
                stages.append([])
            else:
                stages[-1].append(word)
        for stage in stages:
            output = self._stage(stage, output)
        return output

    def _stage(self, words: list[str], stdin: str) -> str:
        while words and ASSIGNMENT.fullmatch(words[0]):  # `DEBUG=1 cmd`: the environment of one command
            words = words[1:]
        program, args = words[0], words[1:]
        if program == "curl":
            return self.curl(args)
        if program in ("python3", "python") and args[:1] == ["-c"]:
            result = subprocess.run(
                [sys.executable, "-c", args[1]], input=stdin, capture_output=True, text=True, timeout=60, check=False
            )
            if result.returncode:
                raise AssertionError(f"python3 -c failed on {stdin!r}: {result.stderr}")
            return result.stdout
        if program == ".venv/bin/python" and args[:1] == ["manage.py"]:
            return self.manage(args[1:])
        raise ValueError(f"the examples runner does not know {shlex.join(words)!r}")

    def manage(self, args: list[str]) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            call_command(*args, stdout=out)
        self.transcript.append({"manage.py": args[0]})
        return out.getvalue()

    def curl(self, args: list[str]) -> str:
        request = curl_request(args, self.workdir)
        request.url = (
            self.base_url + request.url.removeprefix(DOC_HOST) if request.url.startswith(DOC_HOST) else request.url
        )
        prepared = self.session.prepare_request(request)
        if self.on_request:
            self.on_request(prepared)
        response = self.session.send(prepared, timeout=60, allow_redirects=False)
        self.transcript.append(exchange(prepared, response))
        return response.text


# curl.

CURL_FLAGS = {"-s", "-S", "-sS", "-Ss", "--silent", "--show-error", "-i", "--include", "--location", "-L"}


@dataclass
class CurlCommand:
    url: str = ""
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: list[bytes] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)


def parse_curl(args: list[str]) -> CurlCommand:
    """curl's arguments, for the options the examples use; any other option is an error."""
    curl = CurlCommand()
    values = iter(args)
    for arg in values:
        if arg in CURL_FLAGS:
            continue
        if arg in ("-X", "--request"):
            curl.method = next(values)
        elif arg in ("-H", "--header"):
            name, _, value = next(values).partition(":")
            curl.headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw", "--data-binary"):
            curl.data.append(next(values).encode())
        elif arg in ("-F", "--form"):
            name, _, value = next(values).partition("=")
            if value.startswith("@"):
                curl.files.append((name, value[1:]))
            else:
                curl.form.append((name, value))
        elif arg.startswith("-"):
            raise ValueError(f"curl option {arg} is not supported by the examples runner")
        else:
            curl.url = arg
    return curl


def curl_request(args: list[str], workdir: Path) -> requests.Request:
    curl = parse_curl(args)
    if curl.files or curl.form:
        files = [(name, (Path(path).name, (workdir / path).read_bytes())) for name, path in curl.files]
        return requests.Request(curl.method or "POST", curl.url, headers=curl.headers, data=curl.form, files=files)
    if curl.data:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **curl.headers}
        return requests.Request(curl.method or "POST", curl.url, headers=headers, data=b"&".join(curl.data))
    return requests.Request(curl.method or "GET", curl.url, headers=curl.headers)


def exchange(prepared: requests.PreparedRequest, response: requests.Response) -> dict[str, Any]:
    """One request and its answer as the fixtures describe them."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return {"request": f"{prepared.method} {prepared.path_url}", "status": response.status_code, "json": body}


# Expectations.


def matches(actual: Any, expected: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from `expected`, which gives the key fields only: a dict lists the keys that must
    be there (others may be too); a list must match item for item; {"$re": P} is a string fully matching P;
    {"$contains": X} is a list with an item matching X; {"$starts_with": [X, ...]} a list whose first items match
    those; {"$absent": K} (a key among the others) says the dict has no key K."""
    if isinstance(expected, dict) and set(expected) == {"$re"}:
        ok = isinstance(actual, str) and re.fullmatch(expected["$re"], actual, re.S)
        return [] if ok else [f"{path}: {actual!r} does not match {expected['$re']!r}"]
    if isinstance(expected, dict) and set(expected) == {"$starts_with"}:
        head = expected["$starts_with"]
        if not isinstance(actual, list) or len(actual) < len(head):
            return [f"{path}: {actual!r} has fewer than {len(head)} items"]
        return matches(actual[: len(head)], head, path)
    if isinstance(expected, dict) and set(expected) == {"$contains"}:
        if isinstance(actual, list) and any(not matches(item, expected["$contains"]) for item in actual):
            return []
        return [f"{path}: no item matches {expected['$contains']!r} in {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {actual!r} is not an object"]
        problems = []
        for key, value in expected.items():
            if key == "$absent":
                if value in actual:
                    problems.append(f"{path}.{value}: present")
            elif key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += matches(actual[key], value, f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: {actual!r} is not a list of {len(expected)}"]
        return [
            problem
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for problem in matches(a, e, f"{path}[{i}]")
        ]
    if actual != expected or type(actual) is not type(expected):
        return [f"{path}: {actual!r} != {expected!r}"]
    return []


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
