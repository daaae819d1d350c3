"""Verifies the user pool's JWTs (contract v2, "Accounts"): the RS256 signature against the
pool's JWKS, ``iss`` (this pool), ``token_use`` (id or access), the app client
(``aud`` of an id token, ``client_id`` of an access token) and ``exp`` against real time
(``time.time()``, never the application clock: ``/dev/clock`` cannot revive a token).

The JOSE work is joserfc's (a maintained library of the field); it and its crypto backend
are imported on the first JWT only, so API-key requests and the cold start never load them.
The JWKS is fetched once per Lambda container and again only for an unknown ``kid``
(Cognito rotating its keys), at most once a minute.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from chalicelib.errors import Unauthorized

if TYPE_CHECKING:  # joserfc loads on the first JWT only (cold start)
    from joserfc.jwk import KeySetSerialization

JwksSource: TypeAlias = "Callable[[], KeySetSerialization]"
REFETCH_SECONDS = 60
# Clock skew allowed on iat only (a token "from the future" is refused beyond it); exp has
# none: a token is dead when it says so.
IAT_SKEW_SECONDS = 300


def cognito_issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_document(raw: bytes) -> KeySetSerialization:
    """A JWKS as JSON, checked for its one required member ("keys": a list of keys);
    ``ValueError`` for anything else, which the verifier answers with no access."""
    document = json.loads(raw)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    return {"keys": document["keys"]}


def url_jwks(url: str, timeout: float = 3.0) -> JwksSource:
    """The pool's public keys over HTTPS (deployed stages)."""
    def fetch() -> KeySetSerialization:
        if not url.startswith("https://"):
            raise ValueError("JWKS URL must be https")
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return jwks_document(response.read(256 * 1024))
    return fetch


class TokenVerifier:
    def __init__(self, issuer: str, client_id: str, jwks: JwksSource,
                 now: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._jwks = jwks
        self._now = now
        self._keys: Any = None
        self._kids: set[str] = set()
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _key_set(self, kid: str) -> Any:
        with self._lock:
            stale = kid not in self._kids and self._now() - self._fetched_at > REFETCH_SECONDS
            if self._keys is None or stale:
                from joserfc.jwk import KeySet

                try:
                    document = self._jwks()
                    keys = KeySet.import_key_set(document)
                except Exception as exc:  # unreachable or garbled JWKS: no access
                    if self._keys is None:
                        raise Unauthorized() from exc
                else:
                    self._keys = keys
                    self._kids = {listed for k in document["keys"]
                                  if isinstance(listed := k.get("kid"), str)}
                    self._fetched_at = self._now()
            if kid not in self._kids:
                raise Unauthorized()
            return self._keys

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or ``Unauthorized``."""
        from joserfc import jws, jwt
        from joserfc.errors import JoseError

        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
            kid = header.get("kid")
            if header.get("alg") != "RS256" or not isinstance(kid, str):
                raise Unauthorized()
            claims = jwt.decode(token, self._key_set(kid), algorithms=["RS256"]).claims
        except (JoseError, ValueError, TypeError, UnicodeError) as exc:
            raise Unauthorized() from exc
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        now = self._now()
        use = claims.get("token_use")
        client = claims.get("aud") if use == "id" else claims.get("client_id")
        exp, iat = claims.get("exp"), claims.get("iat")
        if (claims.get("iss") != self.issuer or use not in ("id", "access")
                or client != self.client_id or not isinstance(claims.get("sub"), str)
                or not isinstance(exp, int | float) or exp <= now
                or not isinstance(iat, int | float) or iat > now + IAT_SKEW_SECONDS):
            raise Unauthorized()
