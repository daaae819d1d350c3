"""Browser tests: Playwright driving Debian's Chromium against the real local stack.

Fixtures (documented in ``tests/browser/README.md``): ``live``, ``playwright``, ``browser``,
``webgl_browser``, ``page``, the players' (``players.py``),
``shot``, ``mail_link``, ``assert_accessible``, ``assert_focus_visible``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.chromium import launched_chromium, watched_page, webgl_chromium
from tests.browser.players import (  # noqa: F401 (fixtures of the player tests)
    player_pictures,
    player_site,
    player_tab,
    player_tour,
)
from tests.live_stack import ROOT, Running, local_stack


@pytest.fixture(scope="session")
def live() -> Iterator[Running]:
    """The real local stack (``python -m devstack``) on a free port, one per test session."""
    with local_stack() as run:
        yield run


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The one Playwright of this test process (a second one cannot start: chromium.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    yield from launched_chromium(playwright)


@pytest.fixture(scope="module")
def webgl_browser(playwright: Any) -> Iterator[Any]:
    """A WebGL-capable Chromium for the real 360° players, one per test module."""
    yield from webgl_chromium(playwright)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context and page (German locale); console errors, uncaught exceptions and
    5xx answers fail the test."""
    with watched_page(browser, locale="de-DE", timezone_id="Europe/Berlin",
                      viewport={"width": 1280, "height": 900}) as tab:
        yield tab


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page PNG: into ``$FREIGABE_SCREENSHOTS`` (``make
    screenshots`` → docs/screenshots) or else build/screenshots, so tests never dirty git."""
    target = Path(os.environ.get("FREIGABE_SCREENSHOTS") or ROOT / "build" / "screenshots")
    if not target.is_absolute():
        target = ROOT / target
    target.mkdir(parents=True, exist_ok=True)

    def save(tab: Any, name: str) -> Path:
        path = target / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return save


@pytest.fixture
def mail_link(live: Running) -> Callable[[str, str], str]:
    """``mail_link("unlock", "eva@example.org")`` → the newest such link from /dev/outbox."""
    return live.stack.mail_link


# Every visible form control, and how a screen reader would name it.
_UNNAMED_CONTROLS_JS = """
(root) => {
  const scope = root || document;
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el ? (el.textContent || '').trim() : '');
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (by.some((id) => text(document.getElementById(id)))) return true;
    if (Array.from(el.labels || []).some((label) => text(label))) return true;
    return false;
  };
  return Array.from(scope.querySelectorAll('input, select, textarea'))
    .filter((el) => el.type !== 'hidden' && visible(el) && !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}
"""


@pytest.fixture
def assert_accessible() -> Callable[..., None]:
    """``assert_accessible(page, selector=None)``: every visible input/select/textarea (in
    the selector's element, or the page) has an accessible name: a label, aria-label or
    aria-labelledby with text."""

    def check(tab: Any, selector: str | None = None) -> None:
        root = tab.query_selector(selector) if selector else None
        if selector:
            assert root is not None, f"{selector} not on the page"
        unnamed = tab.evaluate(_UNNAMED_CONTROLS_JS, root)
        assert not unnamed, f"controls without an accessible name: {unnamed}"

    return check


# The focused element's focus indicator compared with an unfocused copy of it (same classes,
# same place in the tree, so the same rules apply except :focus/:focus-visible).
_FOCUS_STYLE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const pick = (s) => ({outline: s.outlineStyle === 'none' ? 'none'
      : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, shadow: s.boxShadow,
      border: s.borderColor, background: s.backgroundColor});
  const focused = pick(getComputedStyle(el));
  const copy = el.cloneNode(false);
  copy.removeAttribute('id');
  copy.removeAttribute('autofocus');
  copy.setAttribute('aria-hidden', 'true');
  el.parentNode.insertBefore(copy, el.nextSibling);
  const plain = pick(getComputedStyle(copy));
  copy.remove();
  return {tag: el.outerHTML.slice(0, 120), focusVisible: el.matches(':focus-visible'),
          focused, plain};
}
"""


def focus_indicator_visible(style: dict[str, Any]) -> bool:
    focused, plain = style["focused"], style["plain"]
    outline = focused["outline"] != "none" and not focused["outline"].split()[1].startswith("0")
    return style["focusVisible"] and (
        (outline and focused["outline"] != plain["outline"])
        or (focused["shadow"] != "none" and focused["shadow"] != plain["shadow"]))


@pytest.fixture
def assert_focus_visible() -> Callable[..., list[str]]:
    """``assert_focus_visible(page, tabs=N)`` presses Tab N times; each element that gets
    focus must show a visible indicator (outline or box-shadow that its unfocused twin lacks).
    Returns the focused elements' HTML, so the caller can also check the focus order."""

    def check(tab: Any, tabs: int = 5) -> list[str]:
        seen = []
        for _ in range(tabs):
            tab.keyboard.press("Tab")
            style = tab.evaluate(_FOCUS_STYLE_JS)
            assert style is not None, "Tab moved focus nowhere"
            assert focus_indicator_visible(style), f"focus not visible on {style}"
            seen.append(style["tag"])
        return seen

    return check
