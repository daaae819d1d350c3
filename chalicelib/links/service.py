"""Action links in mails: a secret token whose SHA-256 keys one item bound to one purpose
and one record. GET/HEAD only describe the action; POST performs it once (a conditional
write consumes the link inside the capability's own transaction)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.clock import Clock, epoch_seconds, iso, parse_iso
from chalicelib.errors import Gone, NotFound
from chalicelib.secrets_util import new_secret, sha256_hex
from chalicelib.storage.dynamo import (
    Condition,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.retry import Retry, optimistic

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
# Link items outlive their expiry so an old link still answers 410, not 404.
KEEP_AFTER_EXPIRY = timedelta(days=90)
LINK_LABEL = "link"
# Labels of an action's writes whose failed condition means "the record changed between
# the action's read and its write": the POST reads again instead of answering 410.
RETRY_PREFIX = "retry:"


@dataclass(frozen=True)
class IssuedLink:
    token: str
    token_hash: str
    url: str
    expires_at: datetime


@dataclass
class FormField:
    """A text input on a link's confirmation page (a statement, a correction request)."""

    name: str
    label: str
    multiline: bool = True
    required: bool = True
    max_length: int = 2000
    hint: str | None = None
    min_length: int = 0
    # ``(value, label)`` pairs: shown as a radio group, and only these values are taken.
    choices: tuple[tuple[str, str], ...] = ()


@dataclass
class Page:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    button: str = ""
    danger: bool = False
    note: str | None = None
    contact: dict[str, Any] | None = None
    fields: list[FormField] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Headed paragraphs under the details (the GDPR pages' Art. 13 information).
    notice: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Submission:
    """What the browser posted, and the request facts an action may keep as evidence."""

    form: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None
    # 0 on the first try. An action may act on the state its link recorded at issue (no
    # read): its version-conditioned write fails if that state is stale, and the retry
    # (attempt > 0) reads the record.
    attempt: int = 0


class FormInvalid(Exception):
    """The posted form misses or overdoes a field; ``page`` shows it again with errors."""

    def __init__(self, page: Page) -> None:
        super().__init__("form invalid")
        self.page = page


@dataclass
class Outcome:
    page: Page
    redirect: str | None = None
    after_commit: Callable[[], None] | None = None


class LinkAction(Protocol):
    """One purpose's behaviour. ``perform`` adds its writes to ``tx`` (which already
    consumes the link) and returns the outcome to show once ``tx`` commits."""

    def describe(self, link: Item) -> Page: ...
    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome: ...


class LinkGone(Gone):
    """A known link that is used, superseded, expired or of another purpose; carries the
    item so its purpose may offer a way on (the tours' "Neuen Zugangslink senden")."""

    def __init__(self, link: Item) -> None:
        super().__init__()
        self.link = link


class StaleLink(Exception):
    """Raised by an action whose record is no longer in the state the link was made for."""


def gone_page() -> Page:
    return Page(
        heading="Dieser Link ist nicht mehr gültig",
        paragraphs=[
            "Der Link wurde bereits verwendet, ist abgelaufen oder wurde durch eine "
            "andere Entscheidung ersetzt.",
            "Sie müssen nichts weiter tun. Bei Fragen wenden Sie sich bitte an den Absender "
            "der E-Mail.",
        ],
    )


def not_found_page() -> Page:
    return Page(
        heading="Link nicht gefunden",
        paragraphs=["Dieser Link ist uns nicht bekannt. Bitte prüfen Sie, ob er vollständig "
                    "aus der E-Mail übernommen wurde."],
    )


class LinkService:
    def __init__(self, core: Table, clock: Clock, base_url: str) -> None:
        self.core = core
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self._actions: dict[str, LinkAction] = {}

    def register(self, purpose: str, action: LinkAction) -> None:
        self._actions[purpose] = action

    @staticmethod
    def key(token_hash: str) -> tuple[str, str]:
        return f"LINK#{token_hash}", "LINK"

    def url(self, purpose: str, token: str) -> str:
        return f"{self.base_url}/links/{purpose}/{token}"

    def issue(self, tx: Transaction, *, purpose: str, record_id: str, agency_id: str | None,
              valid_for: timedelta, context: Mapping[str, Any],
              sibling_hash: str | None = None, token: str | None = None) -> IssuedLink:
        token = token or new_secret()
        token_hash = sha256_hex(token)
        now = self.clock.now()
        expires_at = now + valid_for
        pk, sk = self.key(token_hash)
        tx.put(self.core, {
            "pk": pk, "sk": sk, "purpose": purpose, "record_id": record_id,
            "agency_id": agency_id, "status": "active", "created_at": iso(now),
            "expires_at": iso(expires_at),
            "expires_ttl": epoch_seconds(expires_at + KEEP_AFTER_EXPIRY),
            "context": context, "sibling_hash": sibling_hash,
        }, condition=Condition("attribute_not_exists({pk})"), label=f"issue:{purpose}")
        return IssuedLink(token, token_hash, self.url(purpose, token), expires_at)

    def supersede(self, tx: Transaction, token_hash: str | None, label: str = "") -> None:
        """Retires a link that is made pointless by a decision taken elsewhere."""
        if not token_hash:
            return
        now = iso(self.clock.now())
        tx.update(self.core, *self.key(token_hash),
                  Update(sets={"status": "superseded", "superseded_at": now}),
                  condition=Condition("attribute_exists({pk})"), label=label)

    def retire(self, tx: Transaction, token_hash: str | None, *, scrub: bool = False,
               label: str = "") -> None:
        """Makes a link answer 410 from now on; ``scrub`` also drops the personal data its
        context holds (an erased record). Unconditional, unlike ``supersede``: a link
        already removed by TTL cannot fail the caller's transaction."""
        if not token_hash:
            return
        now = self.clock.now()
        tx.update(self.core, *self.key(token_hash),
                  Update(sets={"status": "superseded", "superseded_at": iso(now),
                               "expires_ttl": epoch_seconds(now + KEEP_AFTER_EXPIRY)},
                         removes=["context"] if scrub else []),
                  label=label or f"retire:{token_hash[:12]}")

    def consume(self, tx: Transaction, link: Item) -> None:
        now = iso(self.clock.now())
        tx.update(
            self.core, *self.key(link["token_hash"]),
            Update(sets={"status": "used", "used_at": now}),
            condition=Condition("{status} = {:active} AND {expires_at} > {:now}",
                                active="active", now=now),
            label=LINK_LABEL,
        )

    def load(self, purpose: str, token: str) -> Item:
        """One GetItem. Unknown token → NotFound; other purpose, used, superseded or
        expired → Gone."""
        if purpose not in self._actions or not TOKEN_SHAPE.fullmatch(token or ""):
            raise NotFound()
        token_hash = sha256_hex(token)
        link = self.core.get(*self.key(token_hash))
        if link is None:
            raise NotFound()
        link["token_hash"] = token_hash
        if link.get("purpose") != purpose or link.get("status") != "active":
            raise LinkGone(link)
        if parse_iso(link["expires_at"]) <= self.clock.now():
            raise LinkGone(link)
        return link

    def gone_offer(self, purpose: str, gone: LinkGone) -> Page | None:
        """What the 410 page of a link of ``purpose`` may offer instead of a dead end (an
        action's optional ``gone_offer``), or None."""
        if gone.link.get("purpose") != purpose:
            return None
        offer = getattr(self._actions.get(purpose), "gone_offer", None)
        return offer(gone.link) if offer is not None else None

    def follow_up(self, purpose: str, token: str) -> Page:
        """Performs the offer of a used link's 410 page (an action's ``follow_up``); an
        active link, another purpose or no offer → Gone."""
        try:
            self.load(purpose, token)
        except LinkGone as gone:
            handler = getattr(self._actions.get(purpose), "follow_up", None)
            if handler is None or gone.link.get("purpose") != purpose:
                raise
            result: Page = handler(gone.link)
            return result
        raise Gone()

    def describe(self, purpose: str, token: str) -> Page:
        link = self.load(purpose, token)
        return self._actions[purpose].describe(link)

    def perform(self, purpose: str, token: str, submission: Submission | None = None) -> Outcome:
        submission = submission or Submission()

        def attempt(number: int) -> Outcome:
            link = self.load(purpose, token)
            action = self._actions[purpose]
            page = action.describe(link)
            tried = replace(submission, attempt=number)
            if page.fields:
                tried = replace(tried, form=_checked_form(page, tried.form))
            tx = Transaction(self.core.client)
            self.consume(tx, link)
            try:
                outcome = action.perform(link, tx, tried)
                tx.execute()
            except StaleLink as exc:
                raise Gone() from exc
            except TransactionCancelled as exc:
                if exc.failed and not all(f.startswith(RETRY_PREFIX) for f in exc.failed):
                    # The link was used meanwhile, or its record was decided another way.
                    raise Gone() from exc
                # A concurrent transaction touched the same items: read again.
                raise Retry() from exc
            if outcome.after_commit is not None:
                outcome.after_commit()
            return outcome

        return optimistic(attempt)


def _checked_form(page: Page, form: dict[str, str]) -> dict[str, str]:
    from chalicelib.validation import multi_line, single_line

    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in page.fields:
        raw = form.get(spec.name, "")
        try:
            value = multi_line(raw) if spec.multiline else single_line(raw)
        except ValueError as exc:
            errors[spec.name] = str(exc)[:1].upper() + str(exc)[1:] + "."
            continue
        if spec.choices and value and value not in {v for v, _ in spec.choices}:
            errors[spec.name] = "Bitte wählen Sie eine der Angaben."
        elif spec.required and not value:
            errors[spec.name] = ("Bitte wählen Sie eine der Angaben." if spec.choices
                                 else "Bitte füllen Sie dieses Feld aus.")
        elif len(value) > spec.max_length:
            errors[spec.name] = f"Bitte höchstens {spec.max_length} Zeichen."
        elif value and len(value) < spec.min_length:
            errors[spec.name] = f"Bitte mindestens {spec.min_length} Zeichen."
        values[spec.name] = value
    if errors:
        page.values = {k: form.get(k, "")[:10000] for k in (f.name for f in page.fields)}
        page.errors = errors
        raise FormInvalid(page)
    return values
