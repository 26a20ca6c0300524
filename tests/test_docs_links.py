"""The documentation stands on its own: every relative link resolves inside the repository, and nothing points at
files a clone of the project does not have."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
SOURCE_FOLDERS = ("docs", "contacts", "crm", "tests", "bench", "templates")
SOURCE_SUFFIXES = {".md", ".py", ".html", ".txt", ".json", ".css", ".js", ".toml", ".cfg", ".ini", ".sh"}
SKIPPED_FOLDERS = {"__pycache__", "migrations", "out", "node_modules"}

# The sibling folder of the original workspace, its two design documents and its vendor contracts folder. Spelled in
# pieces, so that neither this file nor a grep of the repository finds a mention here.
OUTSIDE_FOLDER, WORKSPACE_DOC_A, WORKSPACE_DOC_B, CONTRACTS_FOLDER = (
    "../" + "shared",
    "DES" + "IGN",
    "NOT" + "ES",
    "con" + "tracts/",
)
OUTSIDE_REFERENCES = re.compile(
    rf"{re.escape(OUTSIDE_FOLDER)}|\b{WORKSPACE_DOC_A}\.md\b|\b{WORKSPACE_DOC_B}\b|\b{re.escape(CONTRACTS_FOLDER)}[\w.-]+\.md\b"
)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
MARKDOWN_NAME = re.compile(r"(?<![\w./<-])([\w][\w./-]*\.md)\b")


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def prose(text: str) -> str:
    """Markdown without its code: links in code blocks and code spans are examples, not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    body = prose(text)
    return LINK.findall(body) + REFERENCE_DEFINITION.findall(body)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*_~]|<[^>]+>", "", text).strip().lower()
    text = "".join(ch for ch in text if ch in " -" or unicodedata.category(ch)[0] in "LNM")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    problems = []
    for target in links(path.read_text(encoding="utf-8")):
        if URL.match(target) or target.startswith(("mailto:", "tel:")):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if destination != ROOT and ROOT not in destination.parents:
            problems.append(f"{target} leaves the repository")
        elif not destination.exists():
            problems.append(f"{target} does not exist")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            problems.append(f"{target}: no heading #{anchor} in {relative(destination)}")
    return problems


def source_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SOURCE_SUFFIXES and not SKIPPED_FOLDERS & set(path.parts):
                files.append(path)
    return files


THIS_FILE = Path(__file__).resolve()


def markdown_names_in_repository() -> set[str]:
    return {path.name for path in ROOT.rglob("*.md") if ".venv" not in path.parts and "node_modules" not in path.parts}


@pytest.mark.parametrize("path", DOCS, ids=relative)
def test_relative_links_resolve_inside_the_repository(path):
    assert broken_links(path) == []


def test_nothing_refers_to_files_outside_the_repository():
    mentions = []
    for path in source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if OUTSIDE_REFERENCES.search(line):
                mentions.append(f"{relative(path)}:{number}: {line.strip()}")
    assert mentions == []


def test_every_markdown_file_mentioned_exists():
    """`see docs/x.md` in a comment or a page must name a file the repository has."""
    names = markdown_names_in_repository()
    missing = []
    # This file's own examples name documents that exist only in a temporary folder.
    for path in (path for path in source_files() if path != THIS_FILE):
        text = URL.sub("", path.read_text(encoding="utf-8", errors="replace"))
        for mention in MARKDOWN_NAME.findall(text):
            mention = mention.rstrip(".")
            found = (
                (ROOT / mention).exists()
                or (path.parent / mention).exists()
                or ("/" not in mention and mention in names)
            )
            if not found:
                missing.append(f"{relative(path)}: {mention}")
    assert sorted(set(missing)) == []


# The checker itself, on small documents whose verdicts are known.
def test_checker_finds_broken_links_and_anchors(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# Title\n\n## Rate limits\n\n## Rate limits\n\n### `Code` and *more*!\n")
    page = tmp_path / "docs" / "a.md"
    page.write_text(
        "[ok](b.md) [anchor](b.md#rate-limits) [second](b.md#rate-limits-1) [code](b.md#code-and-more)\n"
        "[web](https://example.com/x.md) [self](#here)\n## Here\n"
        "`[in code](missing.md)`\n```\n[in a fence](missing.md)\n```\n"
        "[gone](missing.md) [bad anchor](b.md#nope) [out](../../elsewhere.md)\n"
        "[ref]: nowhere.md\n"
    )

    assert broken_links(page) == [
        "missing.md does not exist",
        "b.md#nope: no heading #nope in docs/b.md",
        "../../elsewhere.md leaves the repository",
        "nowhere.md does not exist",
    ]


@pytest.mark.parametrize(
    "line",
    [
        f"see {OUTSIDE_FOLDER}/{CONTRACTS_FOLDER}awal.md",
        f"the {WORKSPACE_DOC_A}.md choice",
        f"({WORKSPACE_DOC_B} **Choice**)",
        f"{CONTRACTS_FOLDER}awal.md",
    ],
)  # fmt: skip
def test_outside_references_are_recognized(line):
    assert OUTSIDE_REFERENCES.search(line)


@pytest.mark.parametrize("line", ["docs/dialects/awal.md", "notes on the design", "the contract's example"])
def test_ordinary_text_is_not_an_outside_reference(line):
    assert OUTSIDE_REFERENCES.search(line) is None
