"""A real 360° player with the embed: Pannellum 2.5.7 from npm (examples/pannellum, installed
by `make examples`) on a page of its own, WebGL in headless Chromium (player_scenarios.py)."""

from __future__ import annotations

from tests.browser.player_scenarios import PlayerScenarios
from tests.browser.players import Player

PLAYER = Player(name="pannellum", hotspot=".pnlm-hotspot.geschuetzt",
                canvas=".pnlm-render-container canvas", fullscreen=".pnlm-fullscreen-toggle-button",
                error=".pnlm-error-msg:visible")


class TestPannellum(PlayerScenarios):
    player = PLAYER
