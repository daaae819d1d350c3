from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from chalicelib.accounts.api_keys import ApiKeys
    from chalicelib.accounts.cognito import UserPool
    from chalicelib.accounts.passwords import PasswordReset
    from chalicelib.accounts.people import PersonAuthenticator
    from chalicelib.accounts.sessions import Sessions
    from chalicelib.accounts.staff import Staff
    from chalicelib.accounts.throttle import AuthThrottle
    from chalicelib.accounts.users import UserRepository
    from chalicelib.agencies.repository import AgencyRepository
    from chalicelib.agencies.service import AgencyService
    from chalicelib.auth.tokens import Authenticator
    from chalicelib.clock import Clock
    from chalicelib.config import Settings
    from chalicelib.mail.outbox import Outbox
    from chalicelib.storage.dynamo import Table


class AccountsWiring:
    """The accounts part of the container (Cognito user pool, people, sessions, staff, API keys):
    a mixin of ``chalicelib.wiring.Container``, kept apart so wiring stays one place per use
    case under 400 lines; every part is built lazily on first use."""

    if TYPE_CHECKING:  # provided by Container
        settings: Settings
        clock: Clock

        @property
        def core_table(self) -> Table: ...

        @property
        def agency_repo(self) -> AgencyRepository: ...

        @property
        def agencies(self) -> AgencyService: ...

        @property
        def outbox(self) -> Outbox: ...

        def _client(self, service: str) -> BaseClient: ...

    @cached_property
    def authenticator(self) -> Authenticator:
        from chalicelib.auth.tokens import Authenticator

        return Authenticator(self.agency_repo, self.people)

    # -- accounts (Cognito user pool + the product's user records) -----------------------

    @cached_property
    def cognito(self) -> BaseClient:
        return self._client("cognito-idp")

    @cached_property
    def user_pool(self) -> UserPool | None:
        """The pool, or ``None`` when the stage has none configured (JWTs then fail)."""
        from chalicelib.accounts.cognito import UserPool

        ids = self.settings.cognito_user_pool_id, self.settings.cognito_client_id
        if not all(ids) and self.settings.dev_routes_enabled:
            from chalicelib.devtools import local_user_pool

            ids = local_user_pool(self.cognito, self.settings.table_prefix)
        pool_id, client_id = ids
        return UserPool(self.cognito, pool_id, client_id) if pool_id and client_id else None

    @cached_property
    def people(self) -> PersonAuthenticator | None:
        from chalicelib.accounts.people import PersonAuthenticator
        from chalicelib.auth.jwt_verify import TokenVerifier, cognito_issuer, url_jwks

        pool = self.user_pool
        if pool is None:
            return None
        issuer = cognito_issuer(self.settings.region, pool.user_pool_id)
        if self.settings.cognito_jwks_url:
            jwks = url_jwks(self.settings.cognito_jwks_url)
        elif self.settings.dev_routes_enabled:
            from chalicelib.devtools import moto_jwks

            jwks = moto_jwks
        else:
            jwks = url_jwks(issuer + "/.well-known/jwks.json")
        return PersonAuthenticator(TokenVerifier(issuer, pool.client_id, jwks), self.users)

    @cached_property
    def users(self) -> UserRepository:
        from chalicelib.accounts.users import UserRepository

        return UserRepository(self.core_table)

    @cached_property
    def auth_throttle(self) -> AuthThrottle:
        from chalicelib.accounts.throttle import AuthThrottle

        return AuthThrottle(self.core_table, self.clock, self.settings.hash_key)

    def _require_pool(self) -> UserPool:
        from chalicelib.errors import Unavailable

        if self.user_pool is None:
            raise Unavailable("Die Anmeldung ist in dieser Umgebung nicht eingerichtet.")
        return self.user_pool

    @cached_property
    def sessions(self) -> Sessions:
        from chalicelib.accounts.sessions import Sessions

        return Sessions(self._require_pool(), self.users, self.auth_throttle)

    @cached_property
    def password_reset(self) -> PasswordReset:
        from chalicelib.accounts.passwords import PasswordReset

        return PasswordReset(self.core_table, self.users, self.sessions, self.outbox,
                             self.auth_throttle, self.clock, self.settings.hash_key,
                             self.settings.public_base_url + "/dashboard/")

    @cached_property
    def staff(self) -> Staff:
        from chalicelib.accounts.staff import Staff

        base = self.settings.public_base_url
        return Staff(self.core_table, self.users, self._require_pool(), self.agency_repo,
                     self.sessions, self.outbox, self.clock, base + "/dashboard/",
                     base + "/qa-console/")

    @cached_property
    def api_keys(self) -> ApiKeys:
        from chalicelib.accounts.api_keys import ApiKeys

        return ApiKeys(self.agency_repo, self.agencies)
