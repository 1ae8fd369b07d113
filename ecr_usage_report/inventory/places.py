"""Where a thing was read: its region, or, when a report reads several accounts, "<account> <region>"
(the account alone for what belongs to no region). Every region-keyed part of the inventory is keyed
by place, so a one-account report's places are its regions."""
from __future__ import annotations

ACCOUNT_DIGITS = 12


def place(account: str, region: str) -> str:
    """The place of a region of an account ("" account: the run's only one)."""
    return " ".join(part for part in (account, region) if part)


def account_of(where: str) -> str:
    """The account of a place ("" in a one-account report)."""
    head = where.partition(" ")[0]
    return head if len(head) == ACCOUNT_DIGITS and head.isdigit() else ""


def region_of(where: str) -> str:
    """The region of a place ("" for an account's own place)."""
    account = account_of(where)
    return where[len(account):].strip() if account else where
