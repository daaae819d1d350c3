"""Mail action links: GET/HEAD show what will happen, POST does it once."""

from __future__ import annotations

from dataclasses import asdict
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

from chalice import Response

from chalicelib.errors import AppError, Gone, NotFound, PayloadTooLarge
from chalicelib.links.service import (
    FormInvalid,
    LinkGone,
    Page,
    Submission,
    gone_page,
    not_found_page,
)
from chalicelib.mail.render import render
from chalicelib.web.http import Api, RequestContext, html_response

FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
              "application/json"]


def _page(page: Page, status: int = 200, *, confirm_action: str | None = None,
          head: bool = False, headers: dict[str, str] | None = None) -> Response:
    if confirm_action is not None:
        html = render("link_confirm.html", action=confirm_action, **asdict(page))
    else:
        html = render("link_result.html", next_url=None, next_label=None, **asdict(page))
    return html_response(html, status, headers, head=head)


def _error_page(error: AppError, head: bool = False) -> Response:
    if isinstance(error, Gone):
        return _page(gone_page(), 410, head=head)
    if isinstance(error, NotFound):
        return _page(not_found_page(), 404, head=head)
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return _page(Page(heading="Bitte versuchen Sie es gleich noch einmal",
                      paragraphs=[error.message]), error.status, head=head, headers=headers)


def _gone(ctx: RequestContext, gone: LinkGone, head: bool = False) -> Response:
    """410 stays 410; a purpose may offer a way on (a form posting to ``…/resend``)."""
    offer = ctx.container.links.gone_offer(ctx.params["purpose"], gone)
    if offer is None:
        return _error_page(gone, head)
    # Relative to /links/<purpose>/<token>: the form posts to /links/<purpose>/<token>/resend.
    return _page(offer, 410, confirm_action=f"{ctx.params['token']}/resend", head=head)


def _form(ctx: RequestContext) -> dict[str, str]:
    """The posted fields as text: url-encoded or multipart (what browsers send); anything
    else counts as an empty form."""
    raw = ctx.request.raw_body or b""
    if len(raw) > ctx.max_body:
        raise PayloadTooLarge()
    content_type = ctx.header("content-type") or ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            return {}
        return {k: v[0] for k, v in parsed.items()}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace") + raw)
        fields: dict[str, str] = {}
        for part in message.iter_parts() if message.is_multipart() else ():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str) and part.get_content_maintype() == "text":
                fields.setdefault(name, str(part.get_content()))
        return fields
    return {}


def register(api: Api) -> None:
    # error_page: even a request the edge refuses before the handler runs (an absurdly long
    # path segment) gets the German page with the link headers, not the JSON envelope.
    @api.route("/links/{purpose}/{token}", methods=["GET", "HEAD"], error_page=_error_page)
    def show_link(ctx: RequestContext) -> Response:
        head = ctx.request.method == "HEAD"
        try:
            page = ctx.container.links.describe(ctx.params["purpose"], ctx.params["token"])
        except LinkGone as gone:
            return _gone(ctx, gone, head)
        except AppError as error:
            return _error_page(error, head)
        # The form posts back to this very URL; a relative empty action keeps the token out
        # of any Referer and works behind any base path.
        return _page(page, confirm_action="", head=head)

    @api.route("/links/{purpose}/{token}", methods=["POST"], content_types=FORM_TYPES,
               error_page=_error_page)
    def perform_link(ctx: RequestContext) -> Response:
        try:
            submission = Submission(_form(ctx), ctx.client_ip, ctx.header("user-agent"))
            outcome = ctx.container.links.perform(ctx.params["purpose"], ctx.params["token"],
                                                  submission)
        except FormInvalid as invalid:
            return _page(invalid.page, 422, confirm_action="")
        except LinkGone as gone:
            return _gone(ctx, gone)
        except AppError as error:
            return _error_page(error)
        if outcome.redirect:
            return _page(outcome.page, 303, headers={"Location": outcome.redirect})
        return _page(outcome.page)

    @api.route("/links/{purpose}/{token}/resend", methods=["POST"], content_types=FORM_TYPES,
               error_page=_error_page)
    def link_follow_up(ctx: RequestContext) -> Response:
        """The offer of a used link's 410 page ("Neuen Zugangslink senden")."""
        page = ctx.container.links.follow_up(ctx.params["purpose"], ctx.params["token"])
        return _page(page)
