"""Logs of the long-running processes (`kb serve`, `kb worker`): one line per request and per
follower, worker or snapshot event, as JSON objects (KB_LOG_FORMAT=json, for a log collector)
or plain text.

A line carries the logger's message and the event's fields (`extra=`); within a request, also
its request id. Nothing that names a secret is ever passed as a field: requests log the user's
name, never a token, and statements never carry their parameters (the engine hides them).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("kb_request_id", default=None)

# The attributes every LogRecord has; the others were passed as `extra=` fields.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields of an event: what was passed as `extra=`, plus the current request's id."""
    fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
    current = request_id.get()
    if current is not None and "request_id" not in fields:
        fields["request_id"] = current
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the event's fields and, for an
    error, its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **event_fields(record),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value ...`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = event_fields(record)
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # fields before any traceback
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send every logger's records (kb's and uvicorn's) to stderr in `log_format`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
