from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from chalicelib.clock import Clock
    from chalicelib.config import Settings
    from chalicelib.metrics import Metrics
    from chalicelib.storage.dynamo import Table
    from chalicelib.webhooks.events import DeliveryQueue, Events
    from chalicelib.webhooks.repository import WebhookRepository
    from chalicelib.webhooks.sender import Sender
    from chalicelib.webhooks.service import WebhookService
    from chalicelib.webhooks.signing import SecretBox
    from chalicelib.webhooks.transport import Transport


class WebhooksWiring:
    """The webhook part of the container (event outbox, queue, secrets, sender): a mixin of
    ``chalicelib.wiring.Container``; every part is built lazily on first use."""

    if TYPE_CHECKING:  # provided by Container
        settings: Settings
        clock: Clock

        @property
        def core_table(self) -> Table: ...

        @property
        def metrics(self) -> Metrics: ...

        def _client(self, service: str) -> BaseClient: ...

    @cached_property
    def sqs(self) -> BaseClient:
        return self._client("sqs")

    @cached_property
    def kms(self) -> BaseClient:
        return self._client("kms")

    @cached_property
    def webhook_repo(self) -> WebhookRepository:
        from chalicelib.webhooks.repository import WebhookRepository

        return WebhookRepository(self.core_table)

    @cached_property
    def webhook_queue(self) -> DeliveryQueue:
        from chalicelib.webhooks.events import DeliveryQueue

        return DeliveryQueue(self.sqs, self.settings.webhook_queue_url,
                             self.settings.webhook_queue_name)

    @cached_property
    def events(self) -> Events:
        from chalicelib.webhooks.events import Events

        return Events(self.webhook_repo, self.clock, self.webhook_queue)

    @cached_property
    def webhook_secrets(self) -> SecretBox:
        from chalicelib.webhooks.signing import SecretBox

        return SecretBox(self.kms, self.settings.webhook_kms_key_id)

    @cached_property
    def webhook_transport(self) -> Transport:
        from chalicelib.webhooks.transport import Transport

        # Loopback only on the local stack (contract); deployed stages refuse it.
        return Transport(allow_loopback=self.settings.dev_routes_enabled)

    @cached_property
    def webhook_sender(self) -> Sender:
        from chalicelib.webhooks.sender import Sender

        return Sender(self.webhook_repo, self.webhook_secrets, self.webhook_transport,
                      self.webhook_queue, self.clock, metrics=self.metrics)

    @cached_property
    def webhooks(self) -> WebhookService:
        from chalicelib.webhooks.service import WebhookService

        return WebhookService(self.webhook_repo, self.events, self.webhook_secrets, self.clock,
                              local_urls=self.settings.dev_routes_enabled)
