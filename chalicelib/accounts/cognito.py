"""The user pool (Amazon Cognito; locally moto's cognito-idp) behind one small adapter:
Cognito does the password work (hashing, policy, temporary passwords, sessions); the
product keeps who a person is (chalicelib/accounts/users.py). Cognito's errors become the
contract's: wrong credentials 401 ``invalid_credentials``, a taken address 409
``email_in_use``, a weak password 422, Cognito throttling 503."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import AppError, Conflict, Unauthorized, Unavailable, ValidationFailed

# The pool's password policy (infra/cognito.json) as people are told it.
POLICY_TEXT = ("Mindestens 12 Zeichen mit Groß- und Kleinbuchstaben, einer Ziffer und "
               "einem Sonderzeichen.")


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "E-Mail-Adresse oder Passwort ist falsch."


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {"id_token": self.id_token, "access_token": self.access_token,
                "refresh_token": self.refresh_token, "expires_in": self.expires_in}


@dataclass(frozen=True)
class Challenge:
    name: str
    session: str


def temporary_password() -> str:
    """A random password that satisfies the pool's policy (infra/cognito.json)."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(14))
    return (core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.ascii_lowercase)
            + secrets.choice(string.digits) + secrets.choice("!#%+-=?@"))


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)  # botocore's ClientError carries one
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _translate(exc: Exception, *, field: str = "password") -> AppError:
    code = _code(exc)
    if code in ("NotAuthorizedException", "UserNotFoundException",
                "UserNotConfirmedException", "PasswordResetRequiredException"):
        return InvalidCredentials()
    if code == "UsernameExistsException":
        return Conflict("Für diese E-Mail-Adresse gibt es bereits ein Konto.",
                        code="email_in_use")
    if code in ("InvalidPasswordException", "PasswordHistoryPolicyViolationException"):
        return ValidationFailed({field: POLICY_TEXT})
    if code == "ResourceNotFoundException" and field == "new_password":
        code = "ExpiredCodeException"  # moto's answer to an unknown challenge session
    if code == "CodeMismatchException" or code == "ExpiredCodeException":
        return ValidationFailed({"session": "Die Sitzung ist abgelaufen. Bitte neu anmelden."})
    if code in ("TooManyRequestsException", "LimitExceededException",
                "TooManyFailedAttemptsException"):
        return Unavailable(retry_after=5)
    if code == "InvalidParameterException":
        return ValidationFailed({field: "Ungültige Angabe."})
    raise exc


class UserPool:
    def __init__(self, client: Any, user_pool_id: str, client_id: str) -> None:
        self.client = client
        self.user_pool_id = user_pool_id
        self.client_id = client_id

    def _call(self, operation: str, *, field: str = "password", **params: Any) -> Any:
        from botocore.exceptions import ClientError, ParamValidationError

        try:
            return getattr(self.client, operation)(**params)
        except ClientError as exc:
            raise _translate(exc, field=field) from exc
        except ParamValidationError as exc:  # a value Cognito's API shape cannot take
            bad = "session" if "Session" in str(exc) else field
            raise ValidationFailed({bad: "Ungültige Angabe."}) from exc

    @staticmethod
    def _answer(response: dict[str, Any], refresh_token: str | None = None
                ) -> Tokens | Challenge:
        if response.get("ChallengeName"):
            return Challenge(response["ChallengeName"], response.get("Session", ""))
        result = response["AuthenticationResult"]
        return Tokens(result["IdToken"], result["AccessToken"],
                      result.get("RefreshToken") or refresh_token or "",
                      int(result.get("ExpiresIn", 3600)))

    def sign_in(self, email: str, password: str) -> Tokens | Challenge:
        return self._answer(self._call(
            "initiate_auth", ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password}))

    def new_password(self, email: str, session: str, new_password: str) -> Tokens | Challenge:
        return self._answer(self._call(
            "respond_to_auth_challenge", field="new_password", ClientId=self.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password}))

    def refresh(self, refresh_token: str) -> Tokens:
        answer = self._answer(self._call(
            "initiate_auth", ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token}), refresh_token)
        if not isinstance(answer, Tokens):
            raise InvalidCredentials()
        return answer

    def create_user(self, email: str, name: str, password: str) -> str:
        """Creates the person without Cognito's own mail (the product sends a German one)
        and answers the user's ``sub``, the product's user id."""
        response = self._call(
            "admin_create_user", field="email", UserPoolId=self.user_pool_id, Username=email,
            MessageAction="SUPPRESS", TemporaryPassword=password,
            UserAttributes=[{"Name": "email", "Value": email},
                            {"Name": "email_verified", "Value": "true"},
                            {"Name": "name", "Value": name}])
        attributes = {a["Name"]: a["Value"] for a in response["User"].get("Attributes", [])}
        return str(attributes.get("sub") or response["User"]["Username"])

    def set_password(self, user_id: str, password: str, *, permanent: bool) -> None:
        self._call("admin_set_user_password", field="new_password",
                   UserPoolId=self.user_pool_id, Username=user_id, Password=password,
                   Permanent=permanent)

    def set_enabled(self, user_id: str, enabled: bool) -> None:
        operation = "admin_enable_user" if enabled else "admin_disable_user"
        self._call(operation, UserPoolId=self.user_pool_id, Username=user_id)

    def sign_out_everywhere(self, user_id: str) -> None:
        self._call("admin_user_global_sign_out", UserPoolId=self.user_pool_id,
                   Username=user_id)

    def delete_user(self, user_id: str) -> None:
        self._call("admin_delete_user", UserPoolId=self.user_pool_id, Username=user_id)
