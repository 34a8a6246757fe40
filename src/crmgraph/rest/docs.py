"""GET /docs: the OpenAPI document as one self-contained HTML page.

Rendered here from the same document /openapi.json serves, with no script and nothing
fetched from elsewhere (no CDN, no vendored bundle), so it works offline, under the shim's
strict Content-Security-Policy (hence plain HTML, no inline style) and without JavaScript:
each operation with its method, path, summary, permission, parameters, request body and
answers, then every schema as JSON.
Every text taken from the document is HTML-escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any


def _json(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, indent=2))}</pre>"


def _schema_ref(content: dict[str, Any]) -> str:
    parts = []
    for media, body in content.items():
        parts.append(f"<div><code>{escape(media)}</code>{_json(body.get('schema', {}))}</div>")
    return "".join(parts)


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    out = [f"<section id=\"{escape(op.get('operationId', ''))}\">",
           f"<h3>{escape(method.upper())} <code>{escape(path)}</code></h3>",
           f"<p>{escape(op.get('summary', ''))}</p>"]  # fmt: skip
    if op.get("description"):
        out.append(f"<p>{escape(op['description'])}</p>")
    if op.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'required' if p.get('required') else 'optional'}</td>"
            f"<td><code>{escape(json.dumps(p.get('schema', {})))}</code></td></tr>"
            for p in op["parameters"]
        )
        out.append(f"<h4>Parameters</h4><table>{rows}</table>")
    if "requestBody" in op:
        out.append(f"<h4>Request body</h4>{_schema_ref(op['requestBody']['content'])}")
    out.append("<h4>Responses</h4><table>")
    for status, answer in op.get("responses", {}).items():
        out.append(f"<tr><th>{escape(status)}</th><td>{escape(answer.get('description', ''))}"
                   f"</td></tr>")  # fmt: skip
    out.append("</table>")
    for status, answer in op.get("responses", {}).items():
        if status.startswith("2") and answer.get("content"):
            out.append(f"<h4>{escape(status)} body</h4>{_schema_ref(answer['content'])}")
    out.append("</section>")
    return "".join(out)


def docs_page(document: dict[str, Any]) -> str:
    """The HTML page of an OpenAPI document."""
    info = document.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    body = [f"<h1>{escape(title)}</h1>", f"<p>{escape(info.get('description', ''))}</p>",
            '<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>. '
            "Send credentials as <code>Authorization: Bearer &lt;token&gt;</code>.</p>",
            "<h2>Operations</h2>"]  # fmt: skip
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            body.append(_operation(path, method, op))
    body.append("<h2>Schemas</h2>")
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        body.append(f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
                    f"{_json(schema)}</section>")  # fmt: skip
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}"
            f"</title></head><body>{''.join(body)}</body></html>")  # fmt: skip
