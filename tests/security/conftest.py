"""The security tests drive the same generated worlds as the fault tests."""

from tests.faults.conftest import world

__all__ = ["world"]
