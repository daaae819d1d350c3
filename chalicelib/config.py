"""Settings: one pydantic model, read from the environment when first needed."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

ENV_PREFIX = "FREIGABE_"
LOCAL_HASH_KEY = "local-development-only"


class Settings(BaseModel):
    """Non-secret configuration. Every field maps to ``FREIGABE_<NAME>`` in the environment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # No default: a deployment that lost its FREIGABE_STAGE must not come up as the local
    # stack (dev routes, the public hash key). `make run`, chalice's local stage and the
    # test suite set it explicitly; every deployed stage sets it in .chalice/config.json.
    stage: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")
    region: str = "eu-central-1"
    # Table names are "<prefix>-<name>"; in AWS the prefix is the stack name (infra/tables.json).
    table_prefix: str = "freigabe-local"
    public_base_url: str = "http://127.0.0.1:8000"
    mail_sender: str = "Freigabe <noreply@freigabe.example>"
    ses_configuration_set: str | None = None
    aws_endpoint_url: str | None = None
    # Key for hashing IPs and emails into rate-limit keys. Production reads it from SSM.
    hash_key: str = LOCAL_HASH_KEY
    # Deployed stages: the NAME of an SSM SecureString holding the hash key. Wiring reads it
    # once per Lambda container, on first use (chalicelib/wiring.py), never at import.
    hash_key_parameter: str | None = None

    # The private media bucket (the template's MediaBucket). Locally the S3 stand-in runs
    # in moto's server mode on 127.0.0.1 and ``s3_endpoint_url`` points at it, so the
    # presigned URLs answer a browser; deployed stages leave it unset (real S3).
    media_bucket: str = "freigabe-local-media"
    s3_endpoint_url: str | None = None

    unlock_link_days: int = Field(default=7, ge=1)
    decision_link_days: int = Field(default=14, ge=1)
    max_body_bytes: int = Field(default=16 * 1024, ge=1024)

    rate_per_email_per_hour: int = Field(default=5, ge=1)
    rate_per_ip_per_hour: int = Field(default=30, ge=1)
    # Mails an anonymous request causes to the address it supplied, per recipient and UTC
    # day across all tours and agencies (chalicelib/mail/recipient_cap.py).
    mail_per_recipient_per_day: int = Field(default=10, ge=1)
    # Recipient domains of anonymous requests must accept mail (MX or A): on in deployed
    # stages, off locally; None = by stage (chalicelib/mail/deliverability.py).
    check_mail_domains: bool | None = None
    mail_domain_timeout_seconds: float = Field(default=2.0, gt=0, le=10)

    mail_max_attempts: int = Field(default=8, ge=1)
    # The in-request send owns a fresh outbox record this long before the retry job may take it.
    mail_claim_seconds: int = Field(default=120, ge=10)

    # Reviews (issue 3): links, deadlines, the QA calendar and re-verification sampling.
    review_confirm_link_days: int = Field(default=7, ge=1)
    review_unconfirmed_purge_days: int = Field(default=30, ge=1)
    review_answer_days: int = Field(default=14, ge=1)
    review_reverify_link_days: int = Field(default=14, ge=1)
    # Contract v2: the yearly share drawn for re-verification (the v1 FREIGABE_REVIEW_
    # REVERIFY_SHARE and _INTERVAL_DAYS are retired, see docs/operations.md).
    review_reverify_share_per_year: float = Field(default=0.05, ge=0, le=1)
    # QA's own address: the Reply-To of every review mail and the contact in their texts.
    review_qa_email: str = "bewertungen@freigabe.example"
    # Removed (blocked) reviews are kept unpublished this long as the record of the
    # decision (ISO 20488), then review-sweep erases their personal data.
    review_removed_keep_days: int = Field(default=365, ge=365)
    review_sla_working_days: int = Field(default=2, ge=1)
    # "Werktage" are Monday–Saturday in German usage; False counts Monday–Friday only.
    review_saturday_is_working_day: bool = True
    # National holidays always; a state code (e.g. "BY") adds that state's own holidays.
    review_holiday_state: str | None = None
    review_rate_per_ip_per_hour: int = Field(default=10, ge=1)
    review_rate_per_email_per_hour: int = Field(default=3, ge=1)
    agency_ip_window_days: int = Field(default=30, ge=1)
    # The erasure ledger keeps an entry as long as a restore can reach back: the PITR window
    # (35 days) plus the retention of any on-demand backups (chalicelib/privacy/ledger.py).
    erasure_ledger_days: int = Field(default=35, ge=1, le=3650)

    # Accounts (contract v2): the stack's Cognito user pool and its app client (the
    # template sets both; the local stack finds the pool it created on moto by name).
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    # Where the pool's public keys are (default: Cognito's well-known URL of the pool).
    cognito_jwks_url: str | None = None
    # Webhooks (issue 16): the KMS key that seals signing secrets and the sender's queue
    # (deployed: set by the template; locally the queue URL is looked up by name).
    webhook_kms_key_id: str = "alias/freigabe-local-webhooks"
    webhook_queue_url: str | None = None

    @property
    def webhook_queue_name(self) -> str:
        return f"{self.table_prefix}-webhooks"

    @model_validator(mode="after")
    def _real_key_outside_local(self) -> Settings:
        # A deployed stage must never hash with the key that is public in this repository.
        if (self.stage != "local" and self.hash_key == LOCAL_HASH_KEY
                and not self.hash_key_parameter):
            raise ValueError("FREIGABE_HASH_KEY or FREIGABE_HASH_KEY_PARAMETER (an SSM "
                             "SecureString name) must be set outside the local stage")
        return self

    @property
    def needs_hash_key(self) -> bool:
        """True until the key named by ``hash_key_parameter`` has been read."""
        return self.hash_key == LOCAL_HASH_KEY and bool(self.hash_key_parameter)

    @property
    def checks_mail_domains(self) -> bool:
        if self.check_mail_domains is not None:
            return self.check_mail_domains
        return self.stage != "local"

    @property
    def dev_routes_enabled(self) -> bool:
        return self.stage == "local"

    def table(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            key[len(ENV_PREFIX):].lower(): value
            for key, value in env.items()
            if key.startswith(ENV_PREFIX) and value != ""
        }
        return cls.model_validate(values)
