"""Standard Webhooks signatures through the ``standardwebhooks`` package, and the
signing secrets at rest: KMS-encrypted under the stack's key, bound to their webhook by
the encryption context, decrypted only by the sender (and kept in its memory)."""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from typing import Any

from chalicelib.clock import SystemClock


def headers(event_id: str, body: str, secrets: list[str]) -> dict[str, str]:
    """The three headers of one attempt: ``webhook-timestamp`` is this attempt's real time
    (never the application clock), every current secret signs (two after a rotation)."""
    from standardwebhooks.webhooks import Webhook

    moment: datetime = SystemClock().now()
    signatures = [Webhook(secret).sign(event_id, moment, body) for secret in secrets]
    return {"webhook-id": event_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": " ".join(signatures)}


class SecretBox:
    """KMS Encrypt/Decrypt with the webhook named in the encryption context: a ciphertext
    copied to another webhook's record does not decrypt."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self.kms = kms
        self.key_id = key_id
        self._plain: dict[str, str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _context(agency_id: str, webhook_id: str) -> dict[str, str]:
        return {"agency_id": agency_id, "webhook_id": webhook_id}

    def seal(self, agency_id: str, webhook_id: str, secret: str) -> str:
        blob = self.kms.encrypt(KeyId=self.key_id, Plaintext=secret.encode("ascii"),
                                EncryptionContext=self._context(agency_id, webhook_id))
        return base64.b64encode(blob["CiphertextBlob"]).decode("ascii")

    def open(self, agency_id: str, webhook_id: str, sealed: str) -> str:
        with self._lock:
            known = self._plain.get(sealed)
        if known is not None:
            return known
        blob = self.kms.decrypt(CiphertextBlob=base64.b64decode(sealed),
                                EncryptionContext=self._context(agency_id, webhook_id))
        plain = str(blob["Plaintext"].decode("ascii"))
        with self._lock:
            if len(self._plain) > 1000:
                self._plain.clear()
            self._plain[sealed] = plain
        return plain
