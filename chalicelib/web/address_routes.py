"""Routes of the contract's "Addresses" section: the address book itself (CRUD, preview,
activities, consent records, bulk delete). The GDPR settings, properties, the consent
assistant and the worklists are in ``gdpr_routes``."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.body import Body, validated
from chalicelib.errors import ValidationFailed
from chalicelib.web.http import Api, RequestContext, html_response


def _who(ctx: RequestContext) -> dict[str, Any]:
    """Who deletes: the person or API key (chalicelib/auth/actor.py)."""
    return ctx.actor.as_dict()


def _assignable(ctx: RequestContext, body: Any) -> Any:
    """``assigned_user_id`` names a person of this agency (one GetItem), else 422."""
    wanted = body.get("assigned_user_id") if isinstance(body, dict) else None
    if (isinstance(wanted, str) and wanted.strip()
            and ctx.container.users.member(ctx.agency_id, wanted.strip()) is None):
        raise ValidationFailed({"assigned_user_id": "Keine Person dieses Maklerbüros."})
    return body


def register(api: Api) -> None:
    @api.route("/agency/addresses", auth="agency")
    def list_addresses(ctx: RequestContext) -> Any:
        # Lazy: the finder imports the address book (pydantic via validation).
        from chalicelib.privacy.finder import AddressFinder

        return AddressFinder(ctx.container.addresses).find(
            ctx.agency_id, email=ctx.query("email"), q=ctx.query("q"),
            page=ctx.page(default=100, maximum=100))

    @api.route("/agency/addresses", methods=["POST"], auth="agency", status=201)
    def create_address(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.addresses.create(ctx.agency_id, _assignable(ctx, ctx.json()),
                                                   ctx.actor)

    @api.route("/agency/addresses/bulk-delete", methods=["POST"], auth="agency")
    def bulk_delete(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.addresses.bulk_delete(ctx.agency_id, ctx.json(), _who(ctx))

    @api.route("/agency/addresses/{address_id}", auth="agency")
    def get_address(ctx: RequestContext) -> Any:
        # Lazy: the address book imports pydantic via validation (cold start, issue 7).
        from chalicelib.privacy.addresses import public_address

        return public_address(ctx.container.addresses.require(ctx.agency_id,
                                                              ctx.params["address_id"]))

    @api.route("/agency/addresses/{address_id}", methods=["PATCH"], auth="agency")
    def patch_address(ctx: RequestContext) -> Any:
        # The body is parsed once the address is found: 404 wins over 400/413/422.
        from chalicelib.privacy.model import AddressPatch

        return ctx.container.gdpr.addresses.patch(ctx.agency_id, ctx.params["address_id"],
                                                  Body(lambda: validated(
                                                      AddressPatch, _assignable(ctx, ctx.json()))),
                                                  ctx.actor)

    @api.route("/agency/addresses/{address_id}", methods=["DELETE"], auth="agency")
    def delete_address(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.addresses.delete(ctx.agency_id, ctx.params["address_id"],
                                                   _who(ctx))

    @api.route("/agency/addresses/{address_id}/preview", auth="agency")
    def preview_address(ctx: RequestContext) -> Any:
        return ctx.container.addresses.preview(ctx.agency_id, ctx.params["address_id"])

    @api.route("/agency/addresses/{address_id}/activities", methods=["POST"], auth="agency",
               status=201)
    def add_activity(ctx: RequestContext) -> Any:
        from chalicelib.privacy.model import ActivityInput

        return ctx.container.gdpr.addresses.add_activity(ctx.agency_id,
                                                         ctx.params["address_id"],
                                                         ctx.body(ActivityInput), ctx.actor)

    @api.route("/agency/addresses/{address_id}/suggestions/{activity_id}/apply",
               methods=["POST"], auth="agency")
    def apply_suggestion(ctx: RequestContext) -> Any:
        """A verified lead's differing contact details, stored at the agency's click."""
        from chalicelib.privacy.leads import Leads

        return Leads(ctx.container.addresses, ctx.container.clock).apply_suggestion(
            ctx.agency_id, ctx.params["address_id"], ctx.params["activity_id"], _who(ctx))

    @api.route("/agency/addresses/{address_id}/consent-records", auth="agency")
    def consent_records(ctx: RequestContext) -> Any:
        gdpr = ctx.container.gdpr
        address_id = ctx.params["address_id"]
        records = gdpr.addresses.consent_records(ctx.agency_id, address_id)  # 404 first
        wanted = ctx.query("format") or "json"
        if wanted == "json":
            return records
        if wanted != "html":
            raise ValidationFailed({"format": "Erlaubt: json, html."})
        html = gdpr.addresses.dossier(ctx.agency_id, address_id,
                                      gdpr.consent.agency(ctx.agency_id))
        response: Response = html_response(html)
        return response
