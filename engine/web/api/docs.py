"""The API's documentation page, rendered on the server from the OpenAPI description.

FastAPI's own pages (Swagger UI, ReDoc) load their scripts from a CDN, which a closed
network does not reach; this page is plain HTML with the application's own stylesheet:
each route with its roles, parameters, answers and a ``curl`` line, then the problems.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from .problems import TITLES

# The problems a caller may meet, by the engine's stable code (the ``type`` of each links here).
PROBLEMS = (
    ("token-missing", 401, "no Authorization: Bearer header"),
    ("token-invalid", 401, "a token this server did not issue"),
    ("token-expired", 401, "a token past its expiry date"),
    ("token-revoked", 401, "a revoked token"),
    ("token-disabled", 401, "the token's account is disabled"),
    ("role-needed", 403, "the token's account lacks every role the route allows"),
    ("not-found", 404, "no such record, or not an engine decision"),
    ("already-recorded", 409, "the request id has a record in force with other content (update=true supersedes it)"),
    ("already-decided", 409, "the decision has a human decision already"),
    ("superseded", 409, "the decision was superseded by a correction"),
    ("body-too-large", 413, "the body is over the API's limit"),
    ("invalid-request", 422, "the request does not follow the request schema: errors lists each field"),
    ("json-syntax", 422, "the body is not JSON (errors: line and col); also not-utf8, duplicate-key, empty-file"),
    ("bad-parameter", 422, "a query parameter or a field of the body is not valid: errors names it"),
    ("bad-cursor", 422, "a cursor this API did not give"),
    ("justification-required", 422, "the outcome needs a justification"),
    ("unknown-outcome", 422, "not one of the policy's outcomes"),
    ("rate-limited", 429, "too many calls: Retry-After says when to call again"),
)

TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title><link rel="stylesheet" href="/static/engage.css"></head>
<body><main id="main" class="page">
<h1>{{ title }} {{ version }}</h1>
<p class="lead">Every route takes a token in the header <code>Authorization: Bearer TOKEN</code>
(<code>engage users token NAME</code>, or the Accounts page) and acts with its account's roles.
Errors are problem details (<code>application/problem+json</code>).
The machine-readable description is <a href="{{ prefix }}/openapi.json">openapi.json</a>.
The examples read the server's address from <code>$ENGAGE_URL</code> and the token from <code>$ENGAGE_TOKEN</code>.</p>
{% for op in operations %}
<section class="api-route" id="{{ op.id }}">
<h2><code>{{ op.method }} {{ op.path }}</code></h2>
<p>{{ op.summary }}</p>
{% for para in op.description %}<p>{{ para | code }}</p>{% endfor %}
{% if op.parameters %}<table class="list"><caption>Parameters</caption>
<thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">About</th></tr></thead>
<tbody>{% for p in op.parameters %}<tr><th scope="row"><code>{{ p.name }}</code></th>
<td>{{ p.where }}</td><td>{{ p.type }}</td><td>{{ p.about }}</td></tr>{% endfor %}</tbody></table>{% endif %}
{% if op.body %}<p>Body: {{ op.body | code }}</p>{% endif %}
<p>Answers: {% for code, text in op.answers %}{% if not loop.first %}; {% endif %}
<strong>{{ code }}</strong> {{ text }}{% endfor %}.</p>
<pre style="white-space: pre-wrap; overflow-wrap: anywhere"><code>{{ op.curl }}</code></pre>
</section>
{% endfor %}
<section id="problems"><h2>Problems</h2>
<table class="list"><thead><tr><th scope="col">code</th><th scope="col">status</th><th scope="col">when</th></tr></thead>
<tbody>{% for code, status, text in problems %}<tr id="problem-{{ code }}">
<th scope="row"><code>{{ code }}</code></th><td>{{ status }}</td><td>{{ text }}</td></tr>{% endfor %}</tbody></table>
</section>
</main></body></html>
"""
_environment = Environment(autoescape=True)


def _code(text: str) -> Markup:
    """The OpenAPI description's Markdown code spans (`like this`) as <code>; everything else escaped."""
    parts = str(text).split("`")
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


_environment.filters["code"] = _code
EXAMPLE_BODY = "@request.json"


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("format") or schema.get("type") or "")


def curl_line(method: str, path: str, body: str | None) -> str:
    """The ``curl`` command for a route (the README shows the same ones)."""
    shown = path.replace("{seq}", "1")
    parts = ["curl", "-sS"]
    if method != "GET":
        parts += ["-X", method]
    parts += ['-H "Authorization: Bearer $ENGAGE_TOKEN"']
    if body is not None:
        parts += ['-H "Content-Type: application/json"', f"--data-binary {body}"]
    query = {"/api/v1/evaluate": "?as_of=2026-11-24", "/api/v1/decisions": "?outcome=engage&limit=20"}.get(path, "")
    parts.append(f'"$ENGAGE_URL{shown}{query}"')
    return " ".join(parts)


def operations(openapi: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for relative, methods in openapi.get("paths", {}).items():
        path = prefix + relative  # the paths are relative to the server, /api/v1
        for method, op in methods.items():
            body = None
            if "requestBody" in op:
                ref = json.dumps(op["requestBody"].get("content", {}))
                body = EXAMPLE_BODY if "Request" in ref else '\'{"outcome": "engage", "justification": "..."}\''
            params = [
                {
                    "name": p["name"],
                    "where": p["in"],
                    "type": _type(p.get("schema", {})),
                    "about": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": [p.strip() for p in (op.get("description") or "").split("\n\n") if p.strip()],
                    "parameters": params,
                    "body": op.get("requestBody", {}).get("description", "JSON") if body else None,
                    "answers": [(code, a.get("description", TITLES.get(int(code), ""))) for code, a in op["responses"].items()],
                    "curl": curl_line(method.upper(), path, body),
                }
            )
    return found


def render_docs(openapi: dict[str, Any], prefix: str) -> str:
    info = openapi.get("info", {})
    return _environment.from_string(TEMPLATE).render(
        title=info.get("title", "API"),
        version=info.get("version", ""),
        prefix=prefix,
        operations=operations(openapi, prefix),
        problems=PROBLEMS,
    )
