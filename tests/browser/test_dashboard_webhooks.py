"""The dashboard's "Schnittstellen" page in Chromium against the real local stack: add a
webhook (the secret shown once), send a test event that a receiver on 127.0.0.1 gets
signed (verified with ``standardwebhooks``), see it in the delivery log, delete."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.browser.test_dashboard import _settled, _sign_in
from tests.functional.webhooks.support import Receiver, start_receiver
from tests.live_stack import Running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_add_a_webhook_send_a_test_event_and_delete_it(
        page: Any, live: Running, receiver: Receiver, assert_accessible: Callable[..., None],
        shot: Callable[[Any, str], Any]) -> None:
    _sign_in(page, live)
    page.get_by_role("link", name="Schnittstellen").click()
    _settled(page)
    page.get_by_label("Adresse (URL, https://…)").fill(receiver.url)
    page.get_by_label("Neue Registrierung zu einem Rundgang").check()
    page.get_by_label("Adresse gelöscht").check()
    page.get_by_role("button", name="Webhook hinzufügen").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("whsec_")
    card = page.locator("article[data-webhook-id]").filter(has_text=receiver.url)
    assert_accessible(page)
    shot(page, "dashboard-webhooks")
    card.get_by_role("button", name="Testereignis senden").click()
    started = time.monotonic()
    while not receiver.received:
        assert time.monotonic() - started < 5, "no ping within 5 s"
        time.sleep(0.05)
    body = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert body["type"] == "ping"
    page.goto(live.stack.base + "/dashboard/#/webhooks")
    page.reload()
    _settled(page)
    row = page.locator("tr[data-delivery-id]").first
    row.locator('td[data-status="delivered"]').wait_for()
    assert "Testereignis" in row.inner_text()
    # A reload never shows the secret again.
    assert page.locator("code.secret").count() == 0
    card = page.locator("article[data-webhook-id]").filter(has_text=receiver.url)
    card.get_by_role("button", name="Löschen").click()
    page.get_by_role("dialog").get_by_role("button", name="Löschen").click()
    page.get_by_text("Noch keine Webhooks eingerichtet.").wait_for()
