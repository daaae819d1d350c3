"""One scenario per state-changing request of the API: how to bring a fresh world to the
point where the request makes sense, and the request itself. The fault tests run every
scenario; ``test_every_write_route_has_a_scenario`` fails when a route or link purpose is
added without one, so new write paths are covered by the fault tests automatically.

The scenarios live by part of the product (scenarios_tours, _reviews, _privacy, _accounts);
this module is the one list the tests run."""

from __future__ import annotations

from tests.faults import scenarios_accounts, scenarios_privacy, scenarios_reviews, scenarios_tours
from tests.faults.scenarios_base import LINK, Scenario, World

SCENARIOS: list[Scenario] = [*scenarios_tours.SCENARIOS, *scenarios_reviews.SCENARIOS,
                             *scenarios_privacy.SCENARIOS, *scenarios_accounts.SCENARIOS]

__all__ = ["LINK", "SCENARIOS", "Scenario", "World"]
