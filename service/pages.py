"""The pages the service serves beside GraphQL: a landing page, the README, the SDL and GraphiQL, all from the
package itself (the README is the package's own description), so that they work on a network with no way out."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib.metadata import metadata
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse

STATIC = Path(__file__).parent / "static"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/pages.css"></head>
<body><main>{body}</main></body></html>"""


@lru_cache(maxsize=1)
def readme_sections() -> list[tuple[str, str, str]]:
    """The README's second-level sections: (anchor, title, text). From the package's description once installed;
    from the file itself in a working copy, so that an edit shows without reinstalling."""
    source = Path(__file__).parents[1] / "README.md"
    text = source.read_text() if source.exists() else metadata("send-records").get_payload() or ""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return [(anchor(title), title.strip(), body.strip()) for title, body in zip(parts[1::2], parts[2::2])]


def anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def landing(graphiql: bool) -> HTMLResponse:
    links = [("/graphql", "GraphiQL", "write and run queries (set your bearer token in its headers pane)")] if graphiql else []
    links += [("/app", "The record viewer", "partnerships, plans, actions and the scorecard, at any past moment"),
              ("/schema.graphql", "The schema", "the GraphQL SDL, for code generators and readers"),
              ("/healthz", "Liveness", "answers while the process runs"),
              ("/readyz", "Readiness", "whether the store answers (details with a bearer token)"),
              ("/readme", "README", "how to run, use and operate the service")]
    items = "".join(f'<li><a href="{href}">{name}</a>: {html.escape(what)}</li>' for href, name, what in links)
    sections = "".join(f'<li><a href="/readme#{key}">{html.escape(title)}</a></li>' for key, title, _ in readme_sections())
    body = (f"<h1>send-records</h1><p>The record a local area SEND partnership keeps after an Ofsted/CQC inspection, "
            f"served through GraphQL at <code>/graphql</code>.</p><ul>{items}</ul><h2>The README</h2><ul>{sections}</ul>")
    return HTMLResponse(PAGE.format(title="send-records", body=body))


def readme(request: Request) -> HTMLResponse:
    """The README, one section after another, as the text it is written in (Markdown reads as plain text)."""
    sections = "".join(f'<section id="{key}"><h2>{html.escape(title)}</h2><pre>{html.escape(text)}</pre></section>'
                       for key, title, text in readme_sections())
    return HTMLResponse(PAGE.format(title="send-records: README", body=f'<p><a href="/">Back</a></p>{sections}'))


def sdl(request: Request) -> PlainTextResponse:
    from service.graphql.schema import schema

    return PlainTextResponse(schema.as_str() + "\n")


def graphiql_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "graphiql" / "index.html").read_text())


def stylesheet(request: Request) -> FileResponse:
    return FileResponse(STATIC / "pages.css")


def viewer(request: Request) -> FileResponse:
    """The record viewer (service/static/app/): one page whatever its query string, which names the view."""
    return FileResponse(STATIC / "app" / "index.html")


def assets(folder: str) -> list[str]:
    """The addresses of the files under static/<folder>."""
    return [f"/static/{path.relative_to(STATIC).as_posix()}" for path in (STATIC / folder).rglob("*") if path.is_file()]
