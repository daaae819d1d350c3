"""Agency staff accounts as a holder of personal data (``chalicelib.personal_data``): a
person's name, e-mail, role and account dates, held for the agency (its controller) to
run its dashboard. The export names the account when the subject's e-mail has one in the
agency. An address-book erasure does not end an account: the same e-mail as a prospect and
as an employee are two relations, and an account ends when the owner disables it or an
operator removes it (the pool's sign-in data goes with it); so ``find`` hands no keys to
the erasure's clean-up plan.

Reset codes (keyed hashes, one hour) and the sign-in counters (keyed hashes of IPs and
accounts, TTL) identify nobody on their own and are declared neutral."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts.staff import public_user
from chalicelib.accounts.users import UserRepository
from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject

NEUTRAL = (
    ItemKind("core", "AGENCY#", "OWNERS", "count of an agency's enabled owners"),
    ItemKind("core", "THROTTLE#", "THROTTLE",
             "sign-in and reset attempts per keyed hash of an IP or account (TTL)"),
    ItemKind("core", "RESET#", "RESET", "keyed hash of a password-reset code (1 hour)"),
)


class StaffHolder:
    name = "staff_accounts"
    controller = Controller.AGENCY
    kinds: tuple[ItemKind, ...] = (
        ItemKind("core", "USER#", "USER", "a person's account: name, e-mail, role, agency"),
        ItemKind("core", "AGENCY#", "USER#", "the agency's list of its people"),
        ItemKind("core", "ACCOUNT#", "ACCOUNT", "e-mail → account (sign-in, uniqueness)"),
    )
    record = ProcessingRecord(
        purpose="Anmeldung und Rechte der Mitarbeitenden im Dashboard, Nachweis, wer welche "
                "Änderung vorgenommen hat",
        data_categories=("Name", "E-Mail-Adresse", "Rolle", "Anmelde- und Änderungszeitpunkte"),
        recipients=("Amazon Web Services (Cognito, Hosting)",),
        retention="solange das Konto besteht; deaktivierte Konten bleiben als Nachweis der "
                  "Änderungen, die sie vorgenommen haben",
        legal_basis="Art. 6 Abs. 1 lit. b und f DSGVO (Beschäftigungsverhältnis, "
                    "Nachvollziehbarkeit)",
    )

    def __init__(self, users: UserRepository) -> None:
        self.users = users

    def find(self, subject: Subject) -> Found:
        user = self.users.by_email(subject.email)
        if user is None or user.get("agency_id") != subject.agency_id:
            return Found()
        return Found(handle=user)

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        return {"staff_account": public_user(found.handle)} if found.handle else {}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        return {}  # see the module docstring: an address erasure ends no account
