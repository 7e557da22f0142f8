"""Time in one place: naive UTC datetimes everywhere in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def after_day(day: date) -> datetime:
    """Midnight after `day`: the exclusive end of a range that includes `day`. The last day
    the calendar has ends at the latest moment there is."""
    if day == date.max:
        return datetime.max
    return datetime.combine(day + timedelta(days=1), datetime.min.time())
