"""The consent assistant ("Einverständnis-Assistent"): a mail that shows the person their
stored data and carries three action links, each to a confirmation page with one button:
"Speicherung zustimmen", "Löschung beantragen", and a correction form forwarded to the
agency. Double opt-in: only the POST of a confirmation page counts; it sets the status,
writes an activity and an append-only consent record (the exact page text and its
SHA-256, the link's id, the POST's IP and user agent), and mails the agency.

Consent and deletion links of one mail stay usable after the other was used: a person who
consented can withdraw as easily (Art. 7(3) GDPR), and the latest decision counts. A new
consent mail supersedes the previous mail's links.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.agencies.profile import controller_of, require_complete
from chalicelib.agencies.repository import AgencyRepository
from chalicelib.auth.actor import link_actor
from chalicelib.body import Body
from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.links.service import (
    RETRY_PREFIX,
    FormField,
    LinkService,
    Outcome,
    Page,
    StaleLink,
    Submission,
)
from chalicelib.mail.message import Mailbox
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import CONSENT_GIVEN, CONSENT_WITHDRAWN, Recorder
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.privacy import mails, notice, rules
from chalicelib.privacy.addresses import AddressBook
from chalicelib.privacy.items import AddressItem
from chalicelib.privacy.model import AddressIds
from chalicelib.privacy.records import stage_record
from chalicelib.secrets_util import new_id, new_secret, sha256_hex
from chalicelib.storage.dynamo import Item, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic

PURPOSE_CONSENT = "consent"
PURPOSE_DELETION = "deletion-request"
PURPOSE_CORRECTION = "correction"
PURPOSES = (PURPOSE_CONSENT, PURPOSE_DELETION, PURPOSE_CORRECTION)
CONSENT_LINK_DAYS = 30
SNAPSHOT_FIELDS = ("salutation", "first_name", "last_name", "company", "email", "phone",
                   "street", "zip", "city", "source", "data_source", "store_until",
                   "store_until_reason")


class ConsentService:
    def __init__(self, book: AddressBook, agency_repo: AgencyRepository, links: LinkService,
                 outbox: Outbox, clock: Clock, base_url: str, *,
                 metrics: Recorder = NULL_METRICS, settings: Any = None,
                 region: str = "eu-central-1") -> None:
        self.book = book
        # The agency's GDPR settings (retention_days for the storage period, Art. 13(2)(a)).
        self.settings = settings
        self.region = region
        self.metrics = metrics
        self.table = book.table
        self.agency_repo = agency_repo
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.dashboard_url = base_url.rstrip("/") + "/dashboard/"
        for purpose in PURPOSES:
            links.register(purpose, _ConsentAction(self, purpose))

    def agency(self, agency_id: str) -> dict[str, str]:
        return mails.agency_details(self.agency_repo.get_agency(agency_id), agency_id)

    def lawful_agency(self, agency_id: str) -> dict[str, str]:
        """The agency as the consent mail shows it, or 409 ``controller_details_missing``
        while the Art. 13 information cannot be complete (one read, the agency item)."""
        item = self.agency_repo.get_agency(agency_id)
        require_complete(controller_of(item))
        return mails.agency_details(item, agency_id)

    # -- the assistant -------------------------------------------------------------------

    def request(self, agency_id: str, body: Body[AddressIds]) -> dict[str, Any]:
        # The agency's state first: 409 wins over a body that would fail validation.
        agency = self.lawful_agency(agency_id)
        data = body.get()
        today = berlin_date(self.clock.now())
        found = self.book.get_many(agency_id, data.address_ids)
        retention_days = (self.settings.get(agency_id).retention_days if self.settings
                          else 180)
        agency = {**agency, "retention_days": str(retention_days)}
        sent: list[str] = []
        skipped: list[dict[str, str]] = []
        for address_id in data.address_ids:
            item = found.get(address_id)
            reason = "not_found" if item is None else rules.consent_request_skip(item, today)
            if reason is None:
                staged, reason = self._send(agency_id, item, agency, today)  # type: ignore[arg-type]
                if staged:
                    self.outbox.deliver(staged)
            if reason:
                skipped.append({"address_id": address_id, "reason": reason})
            else:
                sent.append(address_id)
        return {"sent": sent, "skipped": skipped}

    def _send(self, agency_id: str, item: AddressItem, agency: dict[str, str], today: Any
              ) -> tuple[list[OutboxMail], str | None]:
        address_id = item["address_id"]
        # One consent mail per address and day, whatever retries happen.
        mail_id = f"gdpr-consent-{agency_id}-{address_id}-{today.isoformat()}"
        retire = {f"supersede:{p}": h for p, h in (item.get("consent_links") or {}).items()}

        def attempt(_number: int) -> tuple[list[OutboxMail], str | None]:
            nonlocal item, retire
            now = self.clock.now()
            snapshot = {name: item.get(name) for name in SNAPSHOT_FIELDS}
            info = notice.sections(agency, snapshot, int(agency.get("retention_days") or 180),
                                   self.region)
            tx = Transaction(self.table.client)
            for label, token_hash in retire.items():
                self.links.supersede(tx, token_hash, label=label)
            tokens = {purpose: new_secret() for purpose in PURPOSES}
            hashes = {purpose: sha256_hex(token) for purpose, token in tokens.items()}
            after = self.book.stage_change(tx, item, {
                "last_consent_request_on": today.isoformat(), "last_consent_request_at": iso(now),
                "consent_links": hashes,
            }, adds={"consent_link_hashes": set(hashes.values()), "mail_ids": {mail_id}})
            context = {"agency_id": agency_id, "address_id": address_id,
                       "request_id": new_id(), "agency": agency, "address": snapshot,
                       "address_state": _state(after),
                       "notice": [[heading, paragraphs] for heading, paragraphs in info]}
            valid_for = timedelta(days=CONSENT_LINK_DAYS)
            issued = {purpose: self.links.issue(tx, purpose=purpose, record_id=address_id,
                                                agency_id=agency_id, valid_for=valid_for,
                                                context=context, token=tokens[purpose])
                      for purpose in PURPOSES}
            self.book.stage_activity(tx, agency_id, address_id, {
                "type": "gdpr", "source": "consent_assistant",
                "note": "Einverständnis-Assistent: E-Mail mit den gespeicherten Daten und der "
                        "Bitte um Zustimmung zur Speicherung gesendet."})
            message = mails.consent_request_mail(
                snapshot, agency, consent_url=issued[PURPOSE_CONSENT].url,
                deletion_url=issued[PURPOSE_DELETION].url,
                correction_url=issued[PURPOSE_CORRECTION].url,
                valid_until=issued[PURPOSE_CONSENT].expires_at, notice=info)
            staged = self.outbox.stage(tx, [OutboxMail(mail_id, "gdpr_consent_request", message,
                                                       ref_kind="address", ref_id=address_id)])
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if f"mail:{mail_id}" in exc.failed:
                    return [], "recently_contacted"
                if exc.failed and exc.failed <= retire.keys():
                    # Old links already removed (TTL): nothing left to retire.
                    for label in exc.failed:
                        retire.pop(label)
                    raise Retry() from exc
                fresh = self.book.get(agency_id, address_id)
                if fresh is None:
                    return [], "not_found"
                reason = rules.consent_request_skip(fresh, berlin_date(self.clock.now()))
                if reason:
                    return [], reason
                item = fresh
                retire = {f"supersede:{p}": h
                          for p, h in (item.get("consent_links") or {}).items()}
                raise Retry() from exc
            return staged, None

        return optimistic(attempt, attempts=4)

    # -- what a link POST does -----------------------------------------------------------

    def decide(self, link: Item, tx: Transaction, submission: Submission, purpose: str,
               page: Page) -> Outcome:
        ctx = link["context"]
        agency_id, address_id = ctx["agency_id"], ctx["address_id"]
        # The address as the consent mail left it: usually still current, and the write
        # below is conditional on its version, so only a changed address costs a read.
        item = ctx.get("address_state") if submission.attempt == 0 else None
        item = item or self.book.get(agency_id, address_id)
        if item is None:
            raise StaleLink()  # the address was deleted meanwhile
        now = self.clock.now()
        agency = ctx["agency"]
        record_id = None
        sets: dict[str, Any] = {}
        if purpose == PURPOSE_CONSENT:
            action, sets["gdpr_status"] = "consent", "consented"
            note = "Speicherung zugestimmt (über den Einwilligungslink, Double-Opt-in)."
        elif purpose == PURPOSE_DELETION:
            action, sets["gdpr_status"] = "deletion_request", "deletion_requested"
            note = "Löschung beantragt / Speicherung widerrufen (über den Einwilligungslink)."
        else:
            action = "correction_request"
            note = "Korrekturwunsch der Person: " + submission.form.get("correction", "")
        notice_id = f"gdpr-notice-{new_id()}"
        self.book.stage_change(tx, item, sets, adds={"mail_ids": {notice_id}},
                               label=f"{RETRY_PREFIX}address")
        # The person, by the link of the consent mail.
        by = link_actor(purpose).as_dict()
        self.book.stage_activity(tx, agency_id, address_id, {
            "type": "gdpr", "source": "consent_link", "note": note, "by": by}, at=now)
        if purpose != PURPOSE_CORRECTION:
            text = mails.statement_text(page.heading, page.paragraphs, page.details, page.button,
                                        page.notice)
            record_id = stage_record(
                self.table, tx, agency_id, address_id, action=action, at=now, text=text,
                channel="link", link_id=link["token_hash"], ip=submission.ip,
                user_agent=submission.user_agent, by=by)
        staged: list[OutboxMail] = []
        if agency.get("contact_email"):
            snapshot = ctx["address"]
            who = mails.person_name(snapshot) or snapshot.get("email") or "Eine Person"
            reply_to = (Mailbox(snapshot["email"], mails.person_name(snapshot) or None)
                        if snapshot.get("email") else None)
            message = mails.agency_notice_mail(
                agency, action=action, rows=mails.data_rows(snapshot), who=who, at=now,
                dashboard_url=self.dashboard_url,
                message=submission.form.get("correction"), reply_to=reply_to)
            staged = self.outbox.stage(tx, [OutboxMail(notice_id, f"gdpr_notice_{action}",
                                                       message, ref_kind="address",
                                                       ref_id=address_id)])
        # The deletion request through the consent mail withdraws the consent (Art. 7(3)).
        counted = {PURPOSE_CONSENT: CONSENT_GIVEN, PURPOSE_DELETION: CONSENT_WITHDRAWN}

        def after_commit() -> None:
            if purpose in counted:
                self.metrics.count(counted[purpose])
            self.outbox.deliver(staged)

        return Outcome(page=_result_page(purpose, agency, now, record_id),
                       after_commit=after_commit)


def _state(address: Item) -> Item:
    """What ``AddressBook.stage_change`` needs of an address (its sets only grow by ADD,
    except the search words, which it compares: kept as a list)."""
    state = {name: value for name, value in address.items() if not isinstance(value, set)}
    if address.get("search_words"):
        state["search_words"] = sorted(address["search_words"])
    return state


def _result_page(purpose: str, agency: dict[str, str], at: datetime,
                 record_id: str | None) -> Page:
    contact = mails.page_contact(agency)
    if purpose == PURPOSE_CONSENT:
        return Page(heading="Vielen Dank für Ihre Zustimmung",
                    paragraphs=[f"{agency['name']} darf Ihre Daten weiter speichern. Ihre "
                                "Zustimmung ist mit Datum und Uhrzeit festgehalten.",
                                "Sie können sie jederzeit widerrufen, z. B. über den Link "
                                "„Löschung beantragen“ aus der E-Mail.",
                                f"Nachweis-ID: {record_id}"], contact=contact)
    if purpose == PURPOSE_DELETION:
        return Page(heading="Ihr Löschantrag ist eingegangen",
                    paragraphs=[f"{agency['name']} wurde benachrichtigt und löscht Ihre Daten, "
                                "soweit keine gesetzliche Aufbewahrungspflicht besteht.",
                                f"Nachweis-ID: {record_id}"], contact=contact)
    return Page(heading="Vielen Dank für Ihre Nachricht",
                paragraphs=[f"Ihr Korrekturwunsch wurde an {agency['name']} weitergeleitet."],
                contact=contact)


class _ConsentAction:
    def __init__(self, service: ConsentService, purpose: str) -> None:
        self.service = service
        self.purpose = purpose

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        agency = ctx["agency"]
        rows = mails.data_rows(ctx["address"])
        contact = mails.page_contact(agency)
        # The Art. 13/14 information as the mail showed it (links of older mails have none).
        info = [(heading, list(paragraphs)) for heading, paragraphs in ctx.get("notice") or []]
        if self.purpose == PURPOSE_CONSENT:
            return Page(heading="Speicherung Ihrer Daten", paragraphs=mails.consent_paragraphs(
                agency), details=rows, button=mails.BUTTON_CONSENT, contact=contact,
                notice=info)
        if self.purpose == PURPOSE_DELETION:
            return Page(heading="Löschung Ihrer Daten", paragraphs=mails.deletion_paragraphs(
                agency), details=rows, button=mails.BUTTON_DELETION, danger=True,
                contact=contact, notice=info)
        return Page(heading="Ihre Daten korrigieren",
                    paragraphs=mails.correction_paragraphs(agency), details=rows,
                    button=mails.BUTTON_CORRECTION, contact=contact, notice=info,
                    fields=[FormField("correction", "Was soll korrigiert werden?",
                                      hint="Zum Beispiel eine neue Telefonnummer oder Anschrift.")])

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        return self.service.decide(link, tx, submission, self.purpose, self.describe(link))
