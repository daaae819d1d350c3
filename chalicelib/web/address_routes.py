"""Read routes of the contract's "Addresses" section that the tour leads need now."""

from __future__ import annotations

from typing import Any

from chalicelib.privacy.addresses import public_address
from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    @api.route("/agency/addresses", auth="agency")
    def list_addresses(ctx: RequestContext) -> Any:
        return ctx.container.addresses.search(ctx.agency_id, ctx.query("email"),
                                              ctx.query("cursor"))

    @api.route("/agency/addresses/{address_id}", auth="agency")
    def get_address(ctx: RequestContext) -> Any:
        return public_address(ctx.container.addresses.require(ctx.agency_id,
                                                              ctx.params["address_id"]))

    @api.route("/agency/addresses/{address_id}/preview", auth="agency")
    def preview_address(ctx: RequestContext) -> Any:
        return ctx.container.addresses.preview(ctx.agency_id, ctx.params["address_id"])
