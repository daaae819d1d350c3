"""Routes of the contract's "Accounts" section for signing in (public JSON, no bearer
except sign-out). Cognito does the password work; chalicelib/accounts the rest."""

from __future__ import annotations

from typing import Any

from chalicelib.web.http import Api, RequestContext


def register(api: Api) -> None:
    @api.route("/auth/sign-in", methods=["POST"])
    def sign_in(ctx: RequestContext) -> Any:
        return ctx.container.sessions.sign_in(ctx.json(), ctx.client_ip)

    @api.route("/auth/challenge", methods=["POST"])
    def challenge(ctx: RequestContext) -> Any:
        return ctx.container.sessions.challenge(ctx.json(), ctx.client_ip)

    @api.route("/auth/refresh", methods=["POST"])
    def refresh(ctx: RequestContext) -> Any:
        return ctx.container.sessions.refresh(ctx.json(), ctx.client_ip)

    @api.route("/auth/sign-out", methods=["POST"], auth="person")
    def sign_out(ctx: RequestContext) -> Any:
        assert ctx.principal is not None
        return ctx.container.sessions.sign_out(ctx.principal)

    @api.route("/auth/forgot-password", methods=["POST"], status=202)
    def forgot_password(ctx: RequestContext) -> Any:
        return ctx.container.password_reset.forgot(ctx.json(), ctx.client_ip)

    @api.route("/auth/reset-password", methods=["POST"])
    def reset_password(ctx: RequestContext) -> Any:
        return ctx.container.password_reset.reset(ctx.json(), ctx.client_ip)
