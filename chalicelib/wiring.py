"""The one place that reads the environment and builds clients and services, lazily,
on first use (never at import time), so tests and the local stack can swap any part."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.clock import AdjustableClock, Clock, SystemClock
from chalicelib.config import LOCAL_HASH_KEY, Settings
from chalicelib.wiring_accounts import AccountsWiring
from chalicelib.wiring_webhooks import WebhooksWiring

if TYPE_CHECKING:  # for the reader and mypy only: the services load on first use (cold start)
    from botocore.client import BaseClient

    from chalicelib.agencies.profile import AgencyProfiles
    from chalicelib.agencies.repository import AgencyRepository
    from chalicelib.agencies.service import AgencyService
    from chalicelib.links.service import LinkService
    from chalicelib.mail.feedback import FeedbackHandler, Suppressions
    from chalicelib.mail.outbox import Outbox
    from chalicelib.mail.ses import Mailer
    from chalicelib.metrics import Metrics
    from chalicelib.personal_data import Registry
    from chalicelib.privacy.access_requests import AccessRequests
    from chalicelib.privacy.addresses import AddressBook
    from chalicelib.privacy.export import AccessExport
    from chalicelib.privacy.gdpr import Gdpr
    from chalicelib.privacy.ledger import ErasureLedger
    from chalicelib.privacy.processing_record import ProcessingRecordReport
    from chalicelib.reviews.service import ReviewService
    from chalicelib.reviews.signals import AgencyIpLog
    from chalicelib.storage.dynamo import Table
    from chalicelib.tours.deletion import TourDeletion
    from chalicelib.tours.media import MediaService
    from chalicelib.tours.service import TourService
    from chalicelib.tours.viewing import ViewingStats


class Container(AccountsWiring, WebhooksWiring):
    def __init__(self, settings: Settings, clock: Clock | None = None,
                 mailer: Mailer | None = None) -> None:
        self.settings = settings
        # The local stack's clock can be moved through /dev/clock; deployed stages run on
        # real time only.
        self.clock: Clock = clock or (
            AdjustableClock() if settings.dev_routes_enabled else SystemClock())
        self._mailer = mailer

    def _client(self, service: str) -> BaseClient:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service,
            region_name=self.settings.region,
            endpoint_url=self.settings.aws_endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": 3},
                          connect_timeout=3, read_timeout=10),
        )

    def at(self, clock: Clock) -> Container:
        """The same stage on another clock (ops: run a job for a given date), sharing the
        AWS clients and the metrics recorder, so nothing is configured twice."""
        other = Container(self.settings, clock=clock, mailer=self._mailer)
        for shared in ("dynamodb", "ses", "metrics", "sqs", "kms"):
            other.__dict__[shared] = getattr(self, shared)
        return other

    @cached_property
    def metrics(self) -> Metrics:
        from chalicelib.metrics import Metrics

        return Metrics(self.settings.stage)

    @cached_property
    def dynamodb(self) -> BaseClient:
        return self._client("dynamodb")

    @cached_property
    def ses(self) -> BaseClient:
        return self._client("sesv2")

    @cached_property
    def s3(self) -> BaseClient:
        import boto3
        from botocore.config import Config

        # SigV4 and path-style URLs: the local stand-in is an IP address, and presigned
        # URLs must be signed the way the bucket's region expects.
        return boto3.session.Session().client(
            "s3", region_name=self.settings.region,
            endpoint_url=self.settings.s3_endpoint_url or self.settings.aws_endpoint_url,
            config=Config(signature_version="s3v4", retries={"mode": "standard",
                                                             "max_attempts": 3},
                          s3={"addressing_style": "path" if self.settings.s3_endpoint_url
                              else "virtual"},
                          connect_timeout=3, read_timeout=20))

    @cached_property
    def media(self) -> MediaService:
        from chalicelib.storage.media_bucket import MediaBucket
        from chalicelib.tours.media import MediaService
        from chalicelib.tours.service import TourService
        from chalicelib.tours.views import parse_viewer_token

        def unlocked(tour_id: str, registration: dict[str, object] | None, secret: str) -> bool:
            return (registration is not None and registration.get("status") == "unlocked"
                    and TourService._token_matches(tour_id, registration, secret))

        return MediaService(self.table("tours"), MediaBucket(self.s3, self.settings.media_bucket),
                            self.clock, parse_token=parse_viewer_token, unlocked=unlocked)

    @cached_property
    def tour_deletion(self) -> TourDeletion:
        from chalicelib.tours.deletion import TourDeletion
        from chalicelib.tours.repository import TourRepository

        return TourDeletion(TourRepository(self.table("tours")), self.core_table, self.media,
                            self.links)

    @cached_property
    def viewing(self) -> ViewingStats:
        from chalicelib.tours.service import TourService
        from chalicelib.tours.viewing import ViewingStats
        from chalicelib.tours.views import parse_viewer_token

        return ViewingStats(self.table("tours"), self.clock, parse_token=parse_viewer_token,
                            token_matches=TourService._token_matches)

    def table(self, name: str) -> Table:
        from chalicelib.storage.dynamo import Table

        return Table(self.dynamodb, self.settings.table(name))

    @cached_property
    def core_table(self) -> Table:
        return self.table("core")

    @cached_property
    def agency_repo(self) -> AgencyRepository:
        from chalicelib.agencies.repository import AgencyRepository

        return AgencyRepository(self.core_table)

    @cached_property
    def agencies(self) -> AgencyService:
        from chalicelib.agencies.service import AgencyService

        return AgencyService(self.agency_repo, self.clock)

    @cached_property
    def agency_profiles(self) -> AgencyProfiles:
        """The agencies' controller details (``chalicelib/agencies/profile.py``)."""
        from chalicelib.agencies.profile import AgencyProfiles

        # The tours carry a copy of the profile's privacy URL (the gate reads one item).
        return AgencyProfiles(
            self.core_table, self.clock,
            on_privacy_url_changed=lambda agency_id, url: self.tours.agency_privacy_url_changed(
                agency_id, url))

    @cached_property
    def mailer(self) -> Mailer:
        if self._mailer is not None:
            return self._mailer
        from chalicelib.mail.ses import SesMailer

        return SesMailer(self.ses, self.settings.mail_sender, self.settings.ses_configuration_set)

    @cached_property
    def outbox(self) -> Outbox:
        from chalicelib.mail.outbox import DynamoOutboxStore, Outbox

        return Outbox(DynamoOutboxStore(self.core_table), self.mailer, self.clock,
                      max_attempts=self.settings.mail_max_attempts,
                      claim_seconds=self.settings.mail_claim_seconds,
                      suppressions=self.suppressions, metrics=self.metrics)

    @cached_property
    def suppressions(self) -> Suppressions:
        from chalicelib.mail.feedback import Suppressions

        return Suppressions(self.core_table, self.clock, self.settings.hash_key)

    @cached_property
    def feedback(self) -> FeedbackHandler:
        from chalicelib.mail.feedback import FeedbackHandler

        return FeedbackHandler(self.suppressions, self.outbox)

    @cached_property
    def links(self) -> LinkService:
        from chalicelib.links.service import LinkService

        return LinkService(self.core_table, self.clock, self.settings.public_base_url)

    @cached_property
    def addresses(self) -> AddressBook:
        from chalicelib.privacy.addresses import AddressBook

        return AddressBook(self.table("addresses"), self.clock, events=self.events)

    @cached_property
    def tours(self) -> TourService:
        from chalicelib.tours.repository import TourRepository
        from chalicelib.tours.service import TourService

        return TourService(TourRepository(self.table("tours")), self.core_table, self.addresses,
                           self.links, self.outbox, self.clock, self.settings,
                           metrics=self.metrics,
                           agency_privacy_url=self.agency_profiles.privacy_url,
                           events=self.events)

    @cached_property
    def gdpr(self) -> Gdpr:
        from chalicelib.privacy.gdpr import Gdpr

        gdpr = Gdpr(self.addresses, tours_table=self.table("tours"), core=self.core_table,
                    agency_repo=self.agency_repo, links=self.links, outbox=self.outbox,
                    clock=self.clock, settings=self.settings, metrics=self.metrics,
                    ledger=self.erasure_ledger,
                    person_data=lambda: [h for h in self.person_data.agency()
                                         if h.name != "addresses"],
                    tables={"reviews": self.table("reviews")})
        gdpr.erasure.holders.append(self.webhooks.erase_person)
        return gdpr

    @cached_property
    def access_export(self) -> AccessExport:
        """The person's export (Art. 15/20): the address book and every agency holder of
        the personal-data registry, once it is wired (``person_data``)."""
        from chalicelib.privacy.export import AccessExport

        return AccessExport(self.addresses, erasure=self.gdpr.erasure,
                            agency_repo=self.agency_repo, settings=self.gdpr.settings,
                            clock=self.clock, region=self.settings.region,
                            registry=lambda: getattr(self, "person_data", None))

    @cached_property
    def processing_record(self) -> ProcessingRecordReport:
        """The Art. 30 record, from the registry's holders once wired (``person_data``)."""
        from chalicelib.privacy.processing_record import ProcessingRecordReport

        return ProcessingRecordReport(
            agency_repo=self.agency_repo, settings=self.gdpr.settings, clock=self.clock,
            region=self.settings.region, ledger_days=self.settings.erasure_ledger_days,
            registry=lambda: getattr(self, "person_data", None))

    @cached_property
    def access_requests(self) -> AccessRequests:
        """The Art. 12(3) log of access requests with their one-month deadline."""
        from chalicelib.privacy.access_requests import AccessRequests

        return AccessRequests(self.table("addresses"), self.addresses, self.clock)

    @cached_property
    def erasure_ledger(self) -> ErasureLedger:
        """The erasure ledger in its own table (no PITR: chalicelib/privacy/ledger.py)."""
        from chalicelib.privacy.ledger import ErasureLedger

        return ErasureLedger(self.table("ledger"), self.clock, self.settings.erasure_ledger_days)

    @cached_property
    def person_data(self) -> Registry:
        """Every holder of personal data (``chalicelib.personal_data``), in the order their
        refs need: the address book first (it names registrations, links and mails),
        the platform-controlled reviews last. Add yours here."""
        from chalicelib.accounts.holder import NEUTRAL as ACCOUNTS
        from chalicelib.accounts.holder import StaffHolder
        from chalicelib.agencies.data import NEUTRAL as AGENCIES
        from chalicelib.links.holder import LinkHolder
        from chalicelib.mail.holder import MailHolder
        from chalicelib.ops import NEUTRAL as OPS
        from chalicelib.personal_data import Registry
        from chalicelib.privacy.holder import NEUTRAL as PRIVACY
        from chalicelib.privacy.holder import AddressHolder
        from chalicelib.reviews.holder import NEUTRAL as REVIEWS
        from chalicelib.reviews.holder import ReviewHolder
        from chalicelib.reviews.invitation_holder import InvitationHolder
        from chalicelib.tours.holder import NEUTRAL as TOURS
        from chalicelib.tours.holder import RegistrationHolder
        from chalicelib.webhooks.holder import NEUTRAL as WEBHOOKS
        from chalicelib.webhooks.holder import WebhookHolder

        return Registry([
            AddressHolder(self.addresses, lambda: self.gdpr.addresses,
                          lambda: self.gdpr.erasure),
            RegistrationHolder(self.table("tours"), self.settings.hash_key),
            LinkHolder(),
            MailHolder(),
            # Reads the address id the address book names (refs["address"]).
            InvitationHolder(self.table("reviews"), self.clock, self.settings.hash_key),
            ReviewHolder(self.reviews),
            StaffHolder(self.users),
            WebhookHolder(self.webhooks, self.addresses, lambda: self.reviews),
        ], neutral=[*AGENCIES, *OPS, *PRIVACY, *REVIEWS, *TOURS, *ACCOUNTS, *WEBHOOKS])

    @cached_property
    def agency_ips(self) -> AgencyIpLog:
        from chalicelib.reviews.signals import AgencyIpLog

        return AgencyIpLog(self.core_table, self.clock, self.settings.hash_key,
                           self.settings.agency_ip_window_days)

    @cached_property
    def reviews(self) -> ReviewService:
        from chalicelib.reviews.repository import ReviewRepository
        from chalicelib.reviews.service import ReviewService

        service = ReviewService(ReviewRepository(self.table("reviews"), events=self.events),
                                self.core_table, self.agency_repo, self.links, self.outbox,
                                self.agency_ips, self.clock, self.settings,
                                # Invitations reach the address book through a protocol
                                # (reviews never import privacy).
                                customers=self.addresses, metrics=self.metrics)
        service.erasure.holders.append(self.webhooks.erase_person)
        return service

    def ready(self) -> Container:
        """Builds the services that register link purposes and mail-failure handlers."""
        _ = self.tours
        _ = self.gdpr
        _ = self.reviews
        return self


def resolve_secrets(settings: Settings, ssm: BaseClient | None = None) -> Settings:
    """Reads the hash key from its SSM SecureString when the stage names one. A failure
    here fails the cold start loudly: hashing with a wrong key would split rate limits
    and review signals silently."""
    if not settings.needs_hash_key:
        return settings
    if ssm is None:
        import boto3

        ssm = boto3.session.Session().client("ssm", region_name=settings.region,
                                             endpoint_url=settings.aws_endpoint_url)
    value = ssm.get_parameter(Name=settings.hash_key_parameter,
                              WithDecryption=True)["Parameter"]["Value"]
    if not value or value == LOCAL_HASH_KEY:
        raise ValueError("the hash key parameter is empty or holds the local key")
    return settings.model_copy(update={"hash_key": value})


_container: Container | None = None
_lock = threading.Lock()


def get_container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = Container(resolve_secrets(Settings.from_env())).ready()
    return _container


def current() -> Container | None:
    """The container if one was built, without building it (the metrics flush)."""
    return _container


def install(container: Container | None) -> None:
    """Tests and the local stack put their own container in place (or ``None`` to reset)."""
    global _container
    with _lock:
        _container = container.ready() if container is not None else None
