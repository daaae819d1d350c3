"""Routes of the contract's "Addresses" section around GDPR: properties and relations,
the agency's settings, the consent assistant, the three worklists, deletion proofs."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    # -- properties ---------------------------------------------------------------------

    @api.route("/agency/properties", methods=["POST"], auth="agency", status=201)
    def create_property(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.properties.create(ctx.agency_id, ctx.json())

    @api.route("/agency/properties", auth="agency")
    def list_properties(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.properties.list(ctx.agency_id,
                                                  ctx.page(default=100, maximum=100))

    @api.route("/agency/properties/{property_id}", auth="agency")
    def get_property(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.properties.get(ctx.agency_id, ctx.params["property_id"])

    @api.route("/agency/properties/{property_id}/archive", methods=["POST"], auth="agency")
    def archive_property(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.properties.archive(ctx.agency_id, ctx.params["property_id"])

    @api.route("/agency/properties/{property_id}/relations", auth="agency")
    def property_relations(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.properties.relations(ctx.agency_id, ctx.params["property_id"])

    @api.route("/agency/properties/{property_id}/relations", methods=["POST"], auth="agency",
               status=201)
    def relate(ctx: RequestContext) -> Any:
        from chalicelib.privacy.model import NewRelation

        return ctx.container.gdpr.properties.relate(ctx.agency_id, ctx.params["property_id"],
                                                    ctx.body(NewRelation))

    # -- settings -----------------------------------------------------------------------

    @api.route("/agency/gdpr/settings", auth="agency")
    def get_settings(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.settings.get(ctx.agency_id).public()

    @api.route("/agency/gdpr/settings", methods=["PUT"], auth="agency")
    def put_settings(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.settings.put(ctx.agency_id, ctx.json()).public()

    # -- consent assistant --------------------------------------------------------------

    @api.route("/agency/gdpr/consent-requests", methods=["POST"], auth="agency")
    def consent_requests(ctx: RequestContext) -> Any:
        # The body is parsed once the agency's controller details are known complete.
        from chalicelib.privacy.model import AddressIds

        return ctx.container.gdpr.consent.request(ctx.agency_id, ctx.body(AddressIds))

    # -- worklists ----------------------------------------------------------------------

    for name in ("consent-assistant", "deletion-requested", "expired"):
        _worklist(api, name)

    # -- deletion proofs ----------------------------------------------------------------

    @api.route("/agency/gdpr/deletions", auth="agency")
    def deletions(ctx: RequestContext) -> Any:
        email = ctx.query("email")
        if email is not None:
            # Lazy: validation imports pydantic and email-validator (cold start, issue 7).
            from chalicelib.validation import normalize_email

            try:
                email = normalize_email(email)
            except ValueError as exc:
                raise ValidationFailed({"email": "Ist keine gültige E-Mail-Adresse."}) from exc
        return ctx.container.gdpr.addresses.deletions(ctx.agency_id, email)


def _worklist(api: Api, name: str) -> None:
    def handler(ctx: RequestContext) -> Any:
        return ctx.container.gdpr.worklists.page(ctx.agency_id, name,
                                                 ctx.page(default=50, maximum=100))

    handler.__name__ = "worklist_" + name.replace("-", "_")
    api.route(f"/agency/gdpr/widgets/{name}", auth="agency")(handler)
