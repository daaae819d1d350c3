"""Routes of the contract's "Addresses: the agency's duties done by the product": the
agency's controller details (``/agency/profile``)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    @api.route("/agency/profile", auth="agency")
    def get_profile(ctx: RequestContext) -> Any:
        return ctx.container.agency_profiles.get(ctx.agency_id).public()

    @api.route("/agency/profile", methods=["PUT"], auth="agency")
    def put_profile(ctx: RequestContext) -> Any:
        return ctx.container.agency_profiles.put(ctx.agency_id, ctx.json()).public()
