"""The base of every request shape, and the limits shared by them (the closed vocabularies,
Kind, Role, Mode, ..., are kb.vocabulary's enums, which pydantic takes directly)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_TEXT_CHARS = 2_000_000
MAX_QUERY_CHARS = 2000
MAX_DRAFT_CHARS = 20_000


class Request(BaseModel):
    # Enum fields hold their plain values once validated, as the store does.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
