"""Korea time, as every time in the report is shown."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")
TIME_FORMAT = "%Y-%m-%d %H:%M"
NO_DATE = "-"


def format_kst(moment: datetime | None) -> str:
    """Korea time as `YYYY-MM-DD HH:MM`; a naive datetime is taken as UTC; None gives '-'."""
    if moment is None:
        return NO_DATE
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(KST).strftime(TIME_FORMAT)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC, or None."""
    return moment.astimezone(timezone.utc).isoformat() if moment else None
