"""Recipient domains must accept mail (deployed stages): a registration or review for
``x@no-such-domain.example`` would bounce, and bounces drive up the SES bounce rate that
pauses the whole platform's sending (issue 19). email-validator's deliverability check
(MX, else A/AAAA; null MX refused) with a short DNS timeout; a timeout or unreachable
name servers count as deliverable (the DNS must not take the product down), only a
definite "does not exist / accepts no mail" refuses. Verdicts are cached per Lambda
container for an hour (domains repeat; the resolver's own cache holds the answers).
Off on the local stack (no network there)."""

from __future__ import annotations

import threading
import time
from typing import Any

from email_validator import EmailNotValidError, caching_resolver, validate_email

CACHE_SECONDS = 3600.0
CACHE_SIZE = 10_000


class DomainCheck:
    def __init__(self, timeout_seconds: float, resolver: Any | None = None) -> None:
        self.timeout = timeout_seconds
        self._resolver = resolver
        self._verdicts: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def _dns(self) -> Any:
        if self._resolver is None:
            self._resolver = caching_resolver(timeout=self.timeout)
        return self._resolver

    def accepts_mail(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].strip().rstrip(".").lower()
        now = time.monotonic()
        with self._lock:
            cached = self._verdicts.get(domain)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            validate_email(email, check_deliverability=True, dns_resolver=self._dns())
            verdict = True
        except EmailNotValidError:
            verdict = False
        with self._lock:
            if len(self._verdicts) >= CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[domain] = (now, verdict)
        return verdict


MESSAGE = ("Diese E-Mail-Domain nimmt keine E-Mails an. Bitte prüfen Sie die Adresse.")


_shared: DomainCheck | None = None
_shared_lock = threading.Lock()


def shared(timeout_seconds: float) -> DomainCheck:
    """One check (and its caches) per Lambda container."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DomainCheck(timeout_seconds)
        return _shared


def require_mail_domain(settings: Any, email: str) -> None:
    """422 ``fields.email`` when a deployed stage finds the domain accepts no mail."""
    if not settings.checks_mail_domains:
        return
    if not shared(settings.mail_domain_timeout_seconds).accepts_mail(email):
        from chalicelib.errors import ValidationFailed

        raise ValidationFailed({"email": MESSAGE})
