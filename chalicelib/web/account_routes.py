"""Routes of the contract's "Accounts" section for a signed-in agency: who am I, the
agency's users (owner) and API keys (owner)."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    @api.route("/agency/me", auth="agency")
    def agency_me(ctx: RequestContext) -> Any:
        principal = ctx.principal
        assert principal is not None
        if not principal.is_person:
            # An API key acts as the agency's owner (except on users and keys).
            return {"agency_id": principal.agency_id, "role": "owner",
                    "api_key_id": principal.api_key_id, "name": principal.actor.name}
        return {"agency_id": principal.agency_id, "role": principal.role,
                "user_id": principal.user_id, "name": principal.actor.name,
                "email": principal.email}

    # -- API keys (owner) ------------------------------------------------------------------

    @api.route("/agency/api-keys", auth="agency")
    def list_api_keys(ctx: RequestContext) -> Any:
        return ctx.container.api_keys.list(ctx.agency_id)

    @api.route("/agency/api-keys", methods=["POST"], auth="agency", status=201)
    def create_api_key(ctx: RequestContext) -> Any:
        return ctx.container.api_keys.create(ctx.agency_id, ctx.json(), ctx.actor)

    @api.route("/agency/api-keys/{api_key_id}", methods=["DELETE"], auth="agency")
    def revoke_api_key(ctx: RequestContext) -> Any:
        return ctx.container.api_keys.revoke(ctx.agency_id, ctx.params["api_key_id"])

    # -- users (owner; the list for every role) ---------------------------------------------

    @api.route("/agency/users", auth="agency")
    def list_users(ctx: RequestContext) -> Any:
        return ctx.container.staff.list(ctx.agency_id)

    @api.route("/agency/users", methods=["POST"], auth="agency", status=201)
    def invite_user(ctx: RequestContext) -> Any:
        return ctx.container.staff.invite(ctx.agency_id, ctx.json(), ctx.actor)

    @api.route("/agency/users/{user_id}/resend-invitation", methods=["POST"], auth="agency",
               status=202)
    def resend_invitation(ctx: RequestContext) -> Any:
        return ctx.container.staff.resend_invitation(ctx.agency_id, ctx.params["user_id"],
                                                     ctx.actor)

    @api.route("/agency/users/{user_id}", methods=["PATCH"], auth="agency")
    def patch_user(ctx: RequestContext) -> Any:
        # The body is parsed once the person is found: 404 wins over 400/422.
        from chalicelib.accounts.model import UserPatch

        return ctx.container.staff.patch(ctx.agency_id, ctx.params["user_id"],
                                         ctx.body(UserPatch), ctx.actor)

    # -- QA ---------------------------------------------------------------------------------

    @api.route("/qa/me", auth="qa")
    def qa_me(ctx: RequestContext) -> Any:
        principal = ctx.principal
        assert principal is not None
        if not principal.is_person:  # the QA token of v1
            return {"user_id": None, "name": principal.actor.name, "email": None,
                    "token_id": principal.token_id}
        return {"user_id": principal.user_id, "name": principal.actor.name,
                "email": principal.email}
