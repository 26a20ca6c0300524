"""docs/webhooks.md's receiver snippets, as printed, verify a real delivery and refuse an altered one."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.webhooks.conftest import make_event
from webhooks import runner

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def block(language: str) -> str:
    (found,) = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)
    return found


@pytest.fixture
def delivered(organization, endpoint, receiver):
    _, secret = endpoint
    make_event(organization)
    runner.run_pending()
    (request,) = receiver.requests
    return secret, request


def test_the_python_snippet_verifies_and_drops_a_repeat(delivered):
    secret, request = delivered
    namespace: dict = {}
    exec(compile(block("python"), str(DOC), "exec"), namespace)  # noqa: S102 - the doc's own example
    receive = namespace["receive"]

    event = receive(secret, request.body, request.headers)
    assert event["type"] == "contact.updated"
    assert receive(secret, request.body, request.headers) is None
    with pytest.raises(WebhookVerificationError):
        receive(secret, request.body.replace(b"contact.updated", b"contact.deleted"), request.headers)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_node_snippet_verifies_and_refuses_an_altered_body(delivered, tmp_path):
    secret, request = delivered
    (tmp_path / "verify.mjs").write_text(block("js"))
    (tmp_path / "run.mjs").write_text(
        'import { verify } from "./verify.mjs";\n'
        "const input = JSON.parse(process.argv[2]);\n"
        "try {\n"
        '  const event = verify(input.secret, input.headers, Buffer.from(input.body, "utf8"));\n'
        "  console.log(JSON.stringify({ ok: event.type }));\n"
        "} catch (error) {\n"
        "  console.log(JSON.stringify({ error: error.message }));\n"
        "}\n"
    )

    def run(body: bytes) -> dict:
        given = json.dumps({"secret": secret, "headers": request.headers, "body": body.decode()})
        done = subprocess.run(["node", "run.mjs", given], cwd=tmp_path, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    assert run(request.body) == {"ok": "contact.updated"}
    assert run(request.body.replace(b"contact.updated", b"contact.deleted")) == {"error": "no matching signature"}
