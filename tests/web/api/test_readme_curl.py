"""The README's ``curl`` examples of the JSON API: each names a route the OpenAPI description lists, together they
call all of them, and each one, run as written by ``curl`` against a real ``engage serve``, gets the status it says."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest

from engine.cli import main

from ...helpers.logsupport import EXAMPLES, write_requests
from ...helpers.serving import engage_serve
from ...helpers.support import ROOT
from .apisupport import request_body

README = ROOT / "README.md"


def readme_curls() -> list[str]:
    """Every ``curl`` command of the README's API section, its continued lines joined."""
    text = README.read_text("utf-8")
    section = text[text.index("### The JSON API (`/api/v1/`)") :]
    section = section[: section.index("\n## ")]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("curl "):
                commands.append(line)
    return commands


def route(command: str) -> tuple[str, str]:
    """The method and the path (``/api/v1/...``, without its query) a command calls."""
    words = shlex.split(command)
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    (url,) = [w for w in words if w.startswith("$ENGAGE_URL/")]
    return method, urlsplit(url.replace("$ENGAGE_URL", "http://host")).path


def _template(path: str, listed: set[tuple[str, str]], method: str) -> str | None:
    for m, template in listed:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method and re.match(pattern, path):
            return template
    return None


def _engage(*argv: str, stdin: str = "") -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(list(argv), out, err, io.StringIO(stdin)) == 0, err.getvalue()
    return out.getvalue()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples are run with curl, which is not installed")
def test_the_readmes_curl_examples_call_every_route_of_the_api_and_get_their_statuses(tmp_path: Path) -> None:
    commands = readme_curls()
    assert len(commands) == 7
    db = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    # 27 decisions in force (28 once the README's example records one): a page of 20 has a next; #1 engages.
    _engage("evaluate", str(EXAMPLES), "--as-of", "2026-11-24", "--record", "--db", db, "--quiet")
    for n in (2, 3):
        more = write_requests(tmp_path / f"more-{n}", {f"0{i}": {"id": f"REQ-2026-0{n}0{i}"} for i in range(1, 10)})
        _engage("evaluate", str(more), "--as-of", "2026-11-24", "--record", "--db", db, "--quiet")
    _engage("users", "add", "intake.system", "--role", "intake", "--role", "board", "--password-stdin", "--db", db,
            stdin="a long enough password\n")  # fmt: skip
    token = _engage("users", "token", "intake.system", "--expires", "365", "--db", db).splitlines()[-1]
    (tmp_path / "request.json").write_text(json.dumps(request_body(id="REQ-CURL-1")), "utf-8")
    expected = {  # as the README's comments say
        ("POST", "/api/v1/evaluate"): 200,
        ("POST", "/api/v1/requests"): 201,
        ("GET", "/api/v1/decisions"): 200,
        ("GET", "/api/v1/decisions/{seq}"): 200,
        ("POST", "/api/v1/decisions/{seq}/human"): 201,
        ("GET", "/api/v1/exceptions"): 200,
    }
    with engage_serve(db) as (base, _):
        document = httpx.get(f"{base}/api/v1/openapi.json").json()
        listed = {(m.upper(), "/api/v1" + p) for p, ops in document["paths"].items() for m in ops}
        called = {}
        for command in commands:
            method, path = route(command)
            template = _template(path, listed, method)
            assert template is not None, f"{method} {path}: not a route of the OpenAPI description"
            called[command] = (method, template)
        assert set(called.values()) == listed == set(expected)  # the 6 routes, every one with an example
        cursor = ""
        env = dict(os.environ, ENGAGE_URL=base, ENGAGE_TOKEN=token)
        for command in commands:
            method, template = called[command]
            if "CURSOR" in command:
                assert cursor, "the first page of decisions gave no cursor"
            shown = subprocess.run(
                ["bash", "-c", command.replace("CURSOR", cursor) + " -w '\\n%{http_code}'"],
                check=False,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
            )
            assert shown.returncode == 0, (command, shown.stderr)
            body, status = shown.stdout.rsplit("\n", 1)
            assert int(status) == expected[(method, template)], (command, body)
            answer = json.loads(body)
            if "outcome=engage" in command:
                assert answer["items"] and {d["outcome"] for d in answer["items"]} == {"engage"}
                first = httpx.get(f"{base}/api/v1/decisions?limit=20", headers={"Authorization": f"Bearer {token}"})
                cursor = first.json()["next"]  # the page the README's next example goes on to
            elif "CURSOR" in command:
                assert len(answer["items"]) == 8  # after the first 20 of the 28 (REQ-CURL-1 recorded above)
    recorded = _engage("log", "list", "--db", db, "--format", "json")
    assert "REQ-CURL-1" in recorded  # the request the README records is in the log
