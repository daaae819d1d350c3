"""The agency dashboard, the QA console and their shared assets (static files).

Only files shipped in ``static/ui``, ``static/dashboard`` and ``static/qa-console`` whose
names match ``ASSET_NAME`` are served: the request path is only ever a dictionary key,
never joined to a file path, so no traversal can reach anything else.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from chalice import Response

from chalicelib.errors import NotFound
from chalicelib.web.http import Api, RequestContext

STATIC = Path(__file__).parent / "static"
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\.(css|js|svg)$")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml; charset=utf-8",
}
# The pages load nothing but their own scripts and styles and talk only to this API; no
# inline script or style is allowed, so injected markup could not run even if some text
# escaped textContent.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Unversioned file names: the browser may keep a copy but revalidates it each time
# (ETag → 304), so a deployment is visible on the next load.
CACHE = "no-cache"

PLACEHOLDER = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/ui/common.css"></head>
<body><main><h1>{title}</h1><p>Diese Seite ist noch nicht verfügbar.</p></main></body></html>
"""


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    etag: str


def _load(path: Path) -> StaticFile:
    body = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    return StaticFile(body, CONTENT_TYPES[path.suffix[1:]], f'"{digest}"')


@functools.cache
def assets(directory: str) -> dict[str, StaticFile]:
    """The servable files of one static directory, read once per container."""
    folder = STATIC / directory
    if not folder.is_dir():
        return {}
    return {path.name: _load(path) for path in sorted(folder.iterdir())
            if path.is_file() and ASSET_NAME.match(path.name)}


@functools.cache
def page(directory: str, title: str) -> StaticFile:
    path = STATIC / directory / "index.html"
    if path.is_file():
        return _load(path)
    body = PLACEHOLDER.format(title=title)
    return StaticFile(body, CONTENT_TYPES["html"], '"placeholder"')


def dashboard_csp(media_origin: str) -> str:
    """The strict CSP plus the media bucket: the dashboard uploads panoramas straight to it
    (presigned PUT) and shows their thumbnails (presigned GET)."""
    return (CSP.replace("connect-src 'self'", f"connect-src 'self' {media_origin}")
            .replace("img-src 'self' data:", f"img-src 'self' data: {media_origin}"))


def serve(ctx: RequestContext, file: StaticFile, csp: str = CSP) -> Response:
    headers: dict[str, str | list[str]] = {
        **SECURITY_HEADERS, "Content-Security-Policy": csp, "Content-Type": file.content_type,
        "Cache-Control": CACHE, "ETag": file.etag}
    if ctx.header("if-none-match") == file.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=file.body, status_code=200, headers=headers)


def _asset(directory: str, name: str) -> StaticFile:
    found = assets(directory).get(name)
    if found is None:
        raise NotFound()
    return found


# (path, static directory, title of the placeholder page while the directory is empty)
SITES = (("/dashboard", "dashboard", "Makler-Dashboard"),
         ("/qa-console", "qa-console", "QA-Konsole"))


def register(api: Api) -> None:
    for path, directory, title in SITES:
        _site(api, path, directory, title)

    @api.route("/ui/{asset}")
    def ui_asset(ctx: RequestContext) -> Response:
        return serve(ctx, _asset("ui", ctx.params["asset"]))


def _site(api: Api, path: str, directory: str, title: str) -> None:
    # API Gateway (and Chalice) strip a trailing slash, so "/dashboard" also answers
    # "/dashboard/" — the path the contract and the mails use. The pages refer to their
    # files by absolute paths, so both spellings load the same.
    def site_page(ctx: RequestContext) -> Response:
        if directory == "dashboard":
            return serve(ctx, page(directory, title),
                         dashboard_csp(ctx.container.media.bucket.origin()))
        return serve(ctx, page(directory, title))

    def site_asset(ctx: RequestContext) -> Response:
        return serve(ctx, _asset(directory, ctx.params["asset"]))

    name = directory.replace("-", "_")
    site_page.__name__ = name
    site_asset.__name__ = name + "_asset"
    api.route(path)(site_page)
    api.route(path + "/{asset}")(site_asset)
