"""Routes of the contract's "Addresses: the agency's duties done by the product": the
person's export (Art. 15/20) and the agency's record of processing activities (Art. 30)."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.web.http import Api, RequestContext, html_response


def _format(ctx: RequestContext) -> str:
    wanted = ctx.query("format") or "json"
    if wanted not in ("json", "html"):
        raise ValidationFailed({"format": "Erlaubt: json, html."})
    return wanted


def register(api: Api) -> None:
    @api.route("/agency/addresses/{address_id}/export", auth="agency")
    def export_address(ctx: RequestContext) -> Any:
        export = ctx.container.access_export
        address_id = ctx.params["address_id"]
        export.book.require(ctx.agency_id, address_id)  # 404 before a bad format
        if _format(ctx) == "json":
            return export.build(ctx.agency_id, address_id)
        return html_response(export.html(ctx.agency_id, address_id))

    @api.route("/agency/gdpr/processing-record", auth="agency")
    def processing_record(ctx: RequestContext) -> Any:
        report = ctx.container.processing_record
        if _format(ctx) == "json":
            return report.build(ctx.agency_id)
        return html_response(report.html(ctx.agency_id))

    @api.route("/agency/gdpr/access-requests", auth="agency")
    def open_access_requests(ctx: RequestContext) -> Any:
        return ctx.container.access_requests.open(ctx.agency_id)

    @api.route("/agency/gdpr/access-requests", methods=["POST"], auth="agency", status=201)
    def record_access_request(ctx: RequestContext) -> Any:
        return ctx.container.access_requests.create(ctx.agency_id, ctx.json())

    @api.route("/agency/gdpr/access-requests/{request_id}/answer", methods=["POST"],
               auth="agency")
    def answer_access_request(ctx: RequestContext) -> Any:
        # The body (optional answered_on) is parsed once the request is found.
        from chalicelib.privacy.access_requests import AnswerInput

        return ctx.container.access_requests.answer(
            ctx.agency_id, ctx.params["request_id"], ctx.body(AnswerInput, optional=True))
