"""The public face in Chromium (issue 17): the agency's profile page renders without
JavaScript with its reviews and a JSON-LD block a parser reads, the badge renders as an
image with its accessible title, and the dashboard hands over the seal's code whose
image loads."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.browser.test_dashboard import _go, _sign_in
from tests.live_stack import Running, Stack


def _published(stack: Stack) -> str:
    tag = uuid.uuid4().hex[:10]
    email = f"profil-{tag}@example.org"
    text = (f"Die Beratung beim Verkauf war gründlich, jede Frage wurde beantwortet ({tag}). "
            "Gern wieder </script><b>fett</b>")
    submitted = stack.call("POST", "/agencies/demo/reviews", json_body={
        "rating": 5, "title": f"Sehr zufrieden {tag[:4]}", "text": text,
        "reviewer_name": "Paula P.", "email": email})
    assert submitted.status == 202, submitted.body
    confirmed = stack.call("POST", stack.mail_link("review-confirm", email))
    assert confirmed.status == 200, confirmed.body
    return tag


def test_the_profile_page_renders_without_script_with_its_reviews(
        live: Running, browser: Any, shot: Any) -> None:
    tag = _published(live.stack)
    context = browser.new_context(java_script_enabled=False, locale="de-DE",
                                  viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        answer = tab.goto(live.stack.base + "/agencies/demo/profile")
        assert answer is not None and answer.status == 200
        review = tab.locator("article", has_text=tag)
        assert review.count() == 1
        # The text shows as text: the markup in it is neither a tag nor a script's end.
        assert "</script><b>fett</b>" in review.inner_text()
        assert tab.locator("article b").count() == 0
        assert review.get_by_role("link", name="Bewertung melden").count() == 1
        [block] = tab.locator('script[type="application/ld+json"]').all()
        data = json.loads(block.text_content() or "")
        found = json.dumps(data, ensure_ascii=False)
        assert tag in found and "AggregateRating" in found
        shot(tab, "review-profile")
    finally:
        context.close()


def test_the_badge_has_its_accessible_title_and_its_own_policy(live: Running, page: Any) -> None:
    """Rendered as an image: the dashboard's seal preview below (its screenshot)."""
    _published(live.stack)
    answer = page.goto(live.stack.base + "/agencies/demo/badge.svg")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-security-policy"] == "default-src 'none'"
    title = page.locator("svg title").text_content() or ""
    assert title.startswith("Bewertungen von ")
    assert "von 5 Sternen aus" in (page.locator("svg desc").text_content() or "")


def test_the_dashboard_hands_over_the_seal_code_and_its_image_loads(
        live: Running, page: Any, shot: Any) -> None:
    _published(live.stack)
    _sign_in(page, live)
    _go(page, live, "#/reviews")
    page.get_by_text("Bewertungssiegel für Ihre Website").click()
    code = page.locator("#seal-snippet").input_value()
    assert f'{live.stack.base}/agencies/demo/badge.svg' in code
    assert f'href="{live.stack.base}/agencies/demo/profile"' in code
    preview = page.locator("#seal-preview")
    preview.wait_for()
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth)") == 220
    shot(page, "dashboard-review-seal")
