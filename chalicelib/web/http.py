"""The HTTP edge: one decorator per route does auth, body parsing, id guards and the
error envelope, so handlers stay ``parse → service → result``."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import Chalice, CORSConfig, Response

from chalicelib.auth import roles
from chalicelib.body import Body, M, validated
from chalicelib.errors import AppError, MalformedBody, NotFound, PayloadTooLarge
from chalicelib.storage.cursor import Page

if TYPE_CHECKING:  # the wiring pulls in pydantic (Settings): not at cold start
    from chalicelib.auth.actor import Actor
    from chalicelib.auth.tokens import Kind, Principal
    from chalicelib.wiring import Container

log = logging.getLogger("freigabe.http")

MAX_ID_LENGTH = 200
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}

PUBLIC_CORS = CORSConfig(allow_origin="*", allow_headers=["Content-Type", "X-Viewer-Token"],
                         max_age=600, allow_credentials=False)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={**JSON_HEADERS, **(headers or {})})


def error_response(error: AppError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.status == 422 and error.fields:
        body["fields"] = error.fields
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return json_response({"error": body}, error.status, headers)


def internal_error() -> Response:
    return json_response({"error": {"code": "internal_error",
                                    "message": "Ein interner Fehler ist aufgetreten."}}, 500)


def html_response(html: str, status: int = 200, headers: dict[str, str] | None = None,
                  *, head: bool = False) -> Response:
    return Response(body="" if head else html, status_code=status,
                    headers={**PAGE_HEADERS, **(headers or {})})


@dataclass
class RequestContext:
    """What a handler may know about the request."""

    request: Any
    container: Container
    params: dict[str, str]
    principal: Principal | None = None
    max_body: int = 16 * 1024
    _body: Any = field(default=None, init=False)

    @property
    def agency_id(self) -> str:
        assert self.principal is not None and self.principal.agency_id
        return self.principal.agency_id

    @property
    def actor(self) -> Actor:
        """Who makes this request's changes (chalicelib/auth/actor.py)."""
        assert self.principal is not None
        return self.principal.actor

    def header(self, name: str) -> str | None:
        return (self.request.headers or {}).get(name.lower())

    def query(self, name: str) -> str | None:
        return (self.request.query_params or {}).get(name)

    def page(self, *, default: int = 50, maximum: int = 100, limit: bool = True) -> Page:
        """``?cursor=`` and (unless ``limit=False``: a list of fixed page size) ``?limit=``
        from 1 to ``maximum``, ``default`` when absent; parsed when the service asks."""
        return Page(self.query("limit") if limit else None, self.query("cursor"),
                    default=default, maximum=maximum)

    @property
    def client_ip(self) -> str | None:
        return ((self.request.context or {}).get("identity") or {}).get("sourceIp")

    def body(self, model: type[M], *, optional: bool = False) -> Body[M]:
        """The body as ``model``, parsed and validated when the service first asks for it
        (after its lookups: 404/409 before 400/413/422), then kept. ``optional``: an empty
        body reads as ``{}``."""
        def read() -> M:
            empty = optional and not (self.request.raw_body or b"").strip()
            return validated(model, {} if empty else self.json())

        return Body(read)

    def raw_body(self) -> Body[dict[str, Any]]:
        """The body as a JSON object, read when first asked for: for inputs whose rules
        depend on the record (a registration's required fields follow its tour)."""
        return Body(self.json)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object: 413 if too large, 400 if not a JSON object."""
        if self._body is None:
            self._body = parse_json_object(self.request.raw_body, self.max_body)
        body: dict[str, Any] = self._body
        return body


def parse_json_object(raw: bytes | None, max_bytes: int) -> dict[str, Any]:
    raw = raw or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"Der Anfrageinhalt ist zu groß (höchstens {max_bytes // 1024} KB).")
    if not raw.strip():
        raise MalformedBody("Der Anfrageinhalt fehlt.")

    def no_constants(value: str) -> Any:
        raise ValueError(value)

    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedBody() from exc
    if not isinstance(body, dict):
        raise MalformedBody("Der Anfrageinhalt muss ein JSON-Objekt sein.")
    return body


Handler = Callable[[RequestContext], Any]
# Renders an error as the route's own kind of answer (the link pages: a German HTML page).
ErrorPage = Callable[[AppError, bool], Response]


class Api:
    """Registers handlers on the Chalice app with the contract's conventions."""

    def __init__(self, app: Chalice) -> None:
        self.app = app

    def route(self, path: str, methods: Iterable[str] = ("GET",), *,
              auth: Kind | None = None, status: int = 200,
              cors: CORSConfig | None = None, content_types: list[str] | None = None,
              dev_only: bool = False, error_page: ErrorPage | None = None
              ) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            @functools.wraps(handler)
            def view(**params: str) -> Response:
                return self._run(handler, params, path=path, auth=auth, status=status,
                                 dev_only=dev_only, error_page=error_page)

            options: dict[str, Any] = {"methods": list(methods)}
            if cors is not None:
                options["cors"] = cors
            if content_types is not None:
                options["content_types"] = content_types
            self.app.route(path, **options)(view)
            return handler

        return decorator

    def _run(self, handler: Handler, params: dict[str, str], *, path: str, auth: Kind | None,
             status: int, dev_only: bool, error_page: ErrorPage | None = None) -> Response:
        from chalicelib.wiring import get_container

        request = self.app.current_request
        assert request is not None  # Chalice sets it before it calls any route's view
        try:
            container = get_container()
            if dev_only and not container.settings.dev_routes_enabled:
                raise NotFound()
            ctx = RequestContext(request, container, params,
                                 max_body=container.settings.max_body_bytes)
            if auth is not None:
                ctx.principal = container.authenticator.authenticate(
                    ctx.header("authorization"), auth)
                # The role policy, before any lookup and whatever the ids (403).
                roles.check(request.method, path, ctx.principal.role)
                if ctx.principal.agency_id:
                    # Where the agency works from (reviews' self-review check; never fails).
                    container.reviews.agency_request_seen(ctx.principal.agency_id,
                                                          ctx.client_ip)
            # An empty or absurd path segment can never name a record (and DynamoDB
            # refuses empty keys): answer it like any unknown id.
            if any(not v or len(v) > MAX_ID_LENGTH for v in params.values()):
                raise NotFound()
            result = handler(ctx)
        except AppError as error:
            if error_page is not None:
                return error_page(error, request.method == "HEAD")
            return error_response(error)
        except Exception:
            log.exception("unhandled error")
            return internal_error()
        if isinstance(result, Response):
            return result
        return json_response(result, status)
