"""The examples of docs/dialects/*.md run as printed, in order, against a fresh `make run` (the demo data installed).

Each doc's shell, Python and script blocks are run from the doc itself (tests/example_runner.py), so a doc cannot
drift from what is tested; what each request must answer is in tests/fixtures/doc_examples/<doc>.json, one entry per
request in the order the doc sends them, so a step added to or dropped from a doc fails here until its fixture says
what it answers. Each doc runs on its own fresh demo, and all of them one after another on one demo, followed by
every vendor's own example: no doc reads, changes or deletes a demo contact or another doc's, and none takes an
identifier another doc or a vendor's example needs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from contacts import demo
from contacts.models import Contact, Organization
from tests.dialects.base import jpeg_bytes
from tests.example_runner import DOC_HOST, Shell, load_json, matches, runnable_blocks
from tests.test_contract_examples import (
    FIXTURES as CONTRACT_FIXTURES,
)
from tests.test_contract_examples import (
    check_awal,
    check_callbell,
    check_contactship,
    check_mobivate,
    check_sfmc,
    seed_demo,
    send_curl_example,
    send_sfmc_example,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "dialects"
FIXTURES = Path(__file__).parent / "fixtures" / "doc_examples"
DOC_NAMES = sorted(path.stem for path in DOCS.glob("*.md"))
PHONE = re.compile(r"\+?\d(?:[ ().-]{0,2}\d)+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def doc_text(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def run_script(block_text: str, suffix: str, command: list[str], server: str, workdir: Path) -> str:
    """A whole-program example (Awal's signing client in Python and in sh), pointed at the test server."""
    assert DOC_HOST in block_text
    script = workdir / f"example{suffix}"
    script.write_text(block_text.replace(DOC_HOST, server), encoding="utf-8")
    result = subprocess.run(
        [*command, str(script)], cwd=workdir, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_doc(name: str, server: str, workdir: Path) -> list[dict[str, Any]]:
    """Run every example of the doc in order, as a reader at a fresh terminal in `workdir` would."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "avatar.jpg").write_bytes(jpeg_bytes())  # Awal's examples upload ./avatar.jpg
    shell = Shell(server, workdir)
    try:
        for block in runnable_blocks(doc_text(name)):
            if block.lang == "python":
                stdout = run_script(block.text, ".py", [sys.executable], server, workdir)
                shell.transcript.append({"script": "python", "stdout": stdout})
            elif block.text.startswith("#!/bin/sh"):
                if not (shutil.which("curl") and shutil.which("openssl")):
                    pytest.skip(f"{name}.md has an sh example that needs curl and openssl, which are not installed")
                stdout = run_script(block.text, ".sh", ["sh"], server, workdir)
                shell.transcript.append({"script": "sh", "stdout": stdout})
            else:
                shell.run_block(block.text)
    finally:
        shell.close()
    return shell.transcript


def check_transcript(name: str, transcript: list[dict[str, Any]]) -> None:
    expected = load_json(FIXTURES / f"{name}.json")
    sent = [entry.get("request") or entry.get("manage.py") or entry.get("script") for entry in transcript]
    wanted = [step.get("request") or step.get("manage.py") or step.get("script") for step in expected]
    assert len(sent) == len(wanted) and not matches(sent, wanted), (
        f"{name}.md runs {sent}, tests/fixtures/doc_examples/{name}.json lists {wanted}"
    )
    for index, (entry, step) in enumerate(zip(transcript, expected, strict=True)):
        problems = matches(entry, step, f"{name}[{index}]")
        assert not problems, "\n".join(problems)


def demo_contacts(organization: Organization) -> list[dict[str, Any]]:
    """Everything a doc could change about the demo's own contacts (any write moves `updated_at`)."""
    contacts = Contact.objects.filter(organization=organization).order_by("pk")
    return [
        {
            **{
                field: getattr(contact, field) for field in ("pk", "name", "full_name", "email", "alias", "contact_key")
            },
            "phone": contact.phone_e164,
            "custom_fields": contact.custom_fields,
            "tags": sorted(tag.name for tag in contact.tags.all()),
            "updated_at": contact.updated_at,
        }
        for contact in contacts
    ]


@pytest.fixture
def server(live_server) -> str:
    return live_server.url


def test_every_doc_has_a_fixture_and_runnable_examples():
    assert DOC_NAMES == ["awal", "callbell", "contactship", "mobivate", "sfmc"]
    assert sorted(path.stem for path in FIXTURES.glob("*.json")) == DOC_NAMES
    for name in DOC_NAMES:
        assert runnable_blocks(doc_text(name)), name


@pytest.mark.parametrize("name", DOC_NAMES)
def test_each_doc_runs_in_order_on_its_own_fresh_demo(name, server, tmp_path):
    organization = seed_demo(server)
    before = demo_contacts(organization)

    transcript = run_doc(name, server, tmp_path)

    check_transcript(name, transcript)
    assert demo_contacts(organization)[: len(before)] == before, f"{name}.md changed or deleted a demo contact"


@pytest.mark.parametrize("order", ["alphabetical", "reversed"])
def test_all_docs_then_every_vendor_example_run_on_one_demo(order, server, tmp_path):
    organization = seed_demo(server)
    before = demo_contacts(organization)
    names = DOC_NAMES if order == "alphabetical" else DOC_NAMES[::-1]

    for name in names:
        check_transcript(name, run_doc(name, server, tmp_path / name))

    after = demo_contacts(organization)
    assert after[: len(before)] == before, "a doc changed or deleted a demo contact"
    # Then a reader tries each vendor's own example on the same server.
    check_mobivate(send_curl_example("mobivate_create_contact.sh", server, tmp_path), organization)
    check_contactship(
        send_curl_example("contactship_create_complete.sh", server, tmp_path), organization, complete=True
    )
    exchange = send_curl_example("callbell_create_contact_with_parameter_examples.sh", server, tmp_path)
    check_callbell(exchange, organization, server, parameters=True)
    check_awal(send_curl_example("awal_create_contact.sh", server, tmp_path), organization, server)
    check_sfmc(send_sfmc_example(server, tmp_path), organization)


# Identifiers, read from the texts themselves.


def example_texts() -> dict[str, str]:
    """Each doc's runnable examples, each vendor's example requests and the README's code blocks, by source."""
    texts = {f"docs/dialects/{name}.md": "".join(b.text for b in runnable_blocks(doc_text(name))) for name in DOC_NAMES}
    for path in sorted(CONTRACT_FIXTURES.iterdir()):  # one vendor's examples may share their identifiers
        if path.suffix != ".md" and "response" not in path.name:
            source = f"{path.name.split('_')[0]}'s own examples"
            texts[source] = texts.get(source, "") + path.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    texts["README.md"] = "".join(re.findall(r"```[^\n]*\n(.*?)```", readme, re.S))
    return texts


def phone_digits(text: str) -> set[str]:
    """Every run of 9 or more digits written as a phone number would be (`+1 212-456 7890`, `(317) 531-5555`)."""
    runs = (re.sub(r"\D", "", match) for match in PHONE.findall(text))
    return {run for run in runs if len(run) >= 9}


def test_demo_contacts_share_no_identifier_with_any_example():
    texts = example_texts()
    for contact in demo.DEMO_CONTACTS:
        words = [contact["name"], contact.get("full_name"), contact.get("email"), contact.get("alias")]
        words.append(contact.get("contact_key"))
        national = str(phonenumbers.parse(contact["phone"]).national_number) if "phone" in contact else None
        for source, text in texts.items():
            for word in filter(None, words):
                assert word.casefold() not in text.casefold(), f"demo {word!r} is used by {source}"
            if national:
                clashes = [run for run in phone_digits(text) if run.endswith(national)]
                assert not clashes, f"demo phone {contact['phone']} is used by {source} as {clashes}"


def test_no_two_docs_and_no_doc_and_vendor_example_share_a_phone_or_email():
    texts = example_texts()
    owners: dict[str, str] = {}
    for source, text in texts.items():
        if source == "README.md":
            continue
        identifiers = {f"email {email.lower()}" for email in EMAIL.findall(text)}
        # A number is the same whatever the prefix: compare the last 9 digits (country codes differ in length).
        identifiers |= {f"phone …{run[-9:]}" for run in phone_digits(text)}
        for identifier in identifiers:
            if identifier.startswith("email agent@"):  # the demo's staff user, whom examples assign contacts to
                continue
            assert identifier not in owners, f"{identifier} is used by both {owners[identifier]} and {source}"
            owners[identifier] = source
