"""The role policy: who may use which route, in one table (contract v2, "Accounts").

A rule names a method (or ``*``) and a route family: a path prefix of Chalice route
templates (``/agency/webhooks`` covers every ``/agency/webhooks*`` route) or one exact
template. The first matching rule decides. So a route added later falls into its family
without being listed: a new ``GET`` is open to every role, a new write under ``/agency``
is for owners and agents, anything under ``/agency/webhooks`` is the owner's.

``chalicelib/web/http.py`` asks ``check`` right after authentication and before the
handler runs, so a forbidden caller gets 403 ``role_forbidden`` whatever the ids (no
record is read). The README's matrix is ``matrix_markdown()``; tests/functional/accounts/
test_role_matrix.py calls every agency route with every role and an API key.

No Chalice import: the table is plain data, usable from docs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import Forbidden

# Who a principal acts as. API keys are machines: ``api_key`` is its own column.
OWNER, AGENT, ASSISTANT, API_KEY, QA = "owner", "agent", "assistant", "api_key", "qa"
AGENCY_ROLES = (OWNER, AGENT, ASSISTANT)
STAFF_AND_KEYS = frozenset({OWNER, AGENT, ASSISTANT, API_KEY})
EDITORS = frozenset({OWNER, AGENT, API_KEY})
OWNERS = frozenset({OWNER})
OWNERS_AND_KEYS = frozenset({OWNER, API_KEY})


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]  # empty: every method
    path: str
    exact: bool
    allowed: frozenset[str]
    label: str

    def matches(self, method: str, route: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        if self.exact:
            return route == self.path
        return route == self.path or route.startswith(self.path + "/")


def _rule(methods: str, path: str, allowed: frozenset[str], label: str, *,
          exact: bool = False) -> Rule:
    return Rule(frozenset() if methods == "*" else frozenset(methods.split("|")), path,
                exact, allowed, label)


READS = "GET|HEAD"
WRITES = "POST|PUT|PATCH|DELETE"

RULES: tuple[Rule, ...] = (
    _rule(READS, "/agency/users", STAFF_AND_KEYS - {API_KEY},
          "`GET /agency/users` (for assignment)", exact=True),
    # A leaked integration key cannot mint people or keys: no API key here.
    _rule("*", "/agency/users", OWNERS, "`/agency/users*`"),
    _rule("*", "/agency/api-keys", OWNERS, "`/agency/api-keys*`"),
    _rule("*", "/agency/webhooks", OWNERS_AND_KEYS, "`/agency/webhooks*`"),
    _rule("PUT|PATCH", "/agency/profile", OWNERS_AND_KEYS, "`PUT /agency/profile`",
          exact=True),
    _rule("PUT|PATCH", "/agency/gdpr/settings", OWNERS_AND_KEYS,
          "`PUT /agency/gdpr/settings`", exact=True),
    _rule(READS, "/agency", STAFF_AND_KEYS, "every other `GET` under `/agency`"),
    _rule("POST", "/agency/addresses/{address_id}/activities", STAFF_AND_KEYS,
          "`POST /agency/addresses/{address_id}/activities`", exact=True),
    _rule("POST", "/agency/gdpr/consent-requests", STAFF_AND_KEYS,
          "`POST /agency/gdpr/consent-requests`", exact=True),
    _rule(WRITES, "/agency", EDITORS,
          "every other change under `/agency` (tours, approve/deny, media, reviews, "
          "invitations, addresses, bulk delete, properties, …)"),
    # Anything else under /agency (an unknown method): nobody.
    _rule("*", "/agency", frozenset(), "anything else under `/agency`"),
    _rule("*", "/qa", frozenset({QA}), "`/qa/*` (QA members and the QA token)"),
)


def rule_for(method: str, route: str) -> Rule | None:
    method = method.upper()
    return next((rule for rule in RULES if rule.matches(method, route)), None)


def allowed(method: str, route: str, role: str) -> bool:
    """Whether ``role`` may call ``method route`` (a Chalice route template). Routes
    outside the table (public, /auth) are not role-checked here."""
    rule = rule_for(method, route)
    return rule is None or role in rule.allowed


def check(method: str, route: str, role: str) -> None:
    if not allowed(method, route, role):
        raise Forbidden()


def matrix_markdown() -> str:
    """The README's role matrix, generated from ``RULES``."""
    columns = [(OWNER, "owner"), (AGENT, "agent"), (ASSISTANT, "assistant"),
               (API_KEY, "API key")]
    lines = ["| route family | " + " | ".join(title for _, title in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for rule in RULES:
        if rule.path == "/qa" or not rule.allowed:
            continue
        marks = " | ".join("✓" if role in rule.allowed else "—" for role, _ in columns)
        lines.append(f"| {rule.label} | {marks} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(matrix_markdown(), end="")
