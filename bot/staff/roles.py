"""What an account may do at the console: its role, kept in the account hash and read with the
session on every call. `staff` is the default, and accounts made before roles existed are staff;
a `supervisor` also sees every open chat read-only, joins and ends any, and reads the statistics.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do at the console."""

    STAFF = "staff"
    SUPERVISOR = "supervisor"


def role_of(stored: str | None) -> Role:
    """The role an account hash holds; none (an account older than roles) or unknown is staff,
    the role that may do least."""
    return Role.SUPERVISOR if stored == Role.SUPERVISOR else Role.STAFF
