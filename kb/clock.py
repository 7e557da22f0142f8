"""Time in one place: naive UTC datetimes everywhere in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema


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


def shifted(moment: datetime, days: float) -> datetime:
    """`moment` plus `days` (negative: minus), held at the calendar's first or last moment
    instead of overflowing: a document dated 9999-12-31 is due at the end of time, not an
    error for everyone who audits."""
    try:
        return moment + timedelta(days=days)
    except OverflowError:
        return datetime.max if days > 0 else datetime.min


def as_utc(moment: datetime) -> datetime:
    """A stored (naive UTC) time marked as UTC, for the edges: `...T10:00:00Z` in JSON."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# An answer's time ends with its zone (`Z` for UTC): the pattern says so in OpenAPI.
ZONED_TIME = {"type": "string", "format": "date-time", "pattern": "(Z|[+-][0-9]{2}:[0-9]{2})$"}

# A time in an answer: the store's naive UTC, sent with its timezone (OpenAPI `date-time`).
UtcDatetime = Annotated[
    datetime, AfterValidator(as_utc), WithJsonSchema(ZONED_TIME, mode="serialization")
]
