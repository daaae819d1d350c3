"""The embed script for tour players and the local demo player page."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from chalice import Response

from chalicelib.web.http import PUBLIC_CORS, Api, RequestContext, html_response

STATIC = Path(__file__).parent / "static"


@functools.cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def register(api: Api) -> None:
    @api.route("/embed/v1.js", cors=PUBLIC_CORS)
    def embed_script(ctx: RequestContext) -> Response:
        # Versioned path: v1 only ever gets compatible fixes, so caches may keep it a while.
        return Response(body=_static("embed-v1.js"), status_code=200, headers={
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=600",
            "X-Content-Type-Options": "nosniff",
        })

    @api.route("/embed/demo-player.js", dev_only=True)
    def demo_player_script(ctx: RequestContext) -> Response:
        return Response(body=_static("demo-player.js"), status_code=200, headers={
            "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-store"})

    @api.route("/demo/tours/{tour_id}", dev_only=True)
    def demo_player(ctx: RequestContext) -> Response:
        tour_id = ctx.params["tour_id"]
        ctx.container.tours.protection(tour_id)  # 404 for an unknown tour
        html = _static("demo-player.html").replace("__TOUR_ID__", json.dumps(tour_id)[1:-1])
        return html_response(html, headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
                                       "style-src 'unsafe-inline'; connect-src 'self'; "
                                       "base-uri 'none'; frame-ancestors 'none'",
        })
