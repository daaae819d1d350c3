"""Request bodies of the accounts routes and the password rules (the pool's policy in
infra/cognito.json, checked here first so a code is not spent on a password Cognito
would refuse)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.accounts.cognito import POLICY_TEXT
from chalicelib.validation import EmailStr, SingleLine

Role = Literal["owner", "agent", "assistant"]
_SYMBOL = re.compile(r"[^A-Za-z0-9\s]")


def strong_password(value: str) -> str:
    if (len(value) < 12 or not re.search(r"[a-z]", value) or not re.search(r"[A-Z]", value)
            or not re.search(r"[0-9]", value) or not _SYMBOL.search(value)
            or value != value.strip()):
        raise ValueError(POLICY_TEXT)
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SignIn(_Body):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class NewPassword(_Body):
    session: str = Field(min_length=1, max_length=8192)
    new_password: str = Field(max_length=256)

    _strong = field_validator("new_password")(lambda cls, v: strong_password(v))


class Refresh(_Body):
    refresh_token: str = Field(min_length=1, max_length=8192)


class Forgot(_Body):
    email: EmailStr


class Reset(_Body):
    email: EmailStr
    code: str = Field(min_length=1, max_length=20)
    new_password: str = Field(max_length=256)

    _strong = field_validator("new_password")(lambda cls, v: strong_password(v))


class NewUser(_Body):
    email: EmailStr
    name: SingleLine = Field(min_length=1, max_length=120)
    role: Role


class UserPatch(_Body):
    role: Role | None = None
    disabled: bool | None = None


class NewQaMember(_Body):
    email: EmailStr
    name: SingleLine = Field(min_length=1, max_length=120)
