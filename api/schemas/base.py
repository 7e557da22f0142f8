"""The base of every request shape, and the values shared by all of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["product_note", "competitor_intel", "proposal", "bid_result", "qa"]
Confidentiality = Literal["public", "internal", "confidential"]
Outcome = Literal["won", "lost", "withdrawn", "pending"]
Role = Literal["reader", "contributor", "manager", "service"]
Mode = Literal["hybrid", "semantic", "keyword"]

MAX_TEXT_CHARS = 2_000_000
MAX_QUERY_CHARS = 2000
MAX_DRAFT_CHARS = 20_000


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
