"""The base of every request shape, and the limits shared by them (the closed vocabularies,
Kind, Role, Mode, ..., are kb.vocabulary's enums, which pydantic takes directly)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from kb.sections import named_section_type
from kb.vocabulary import SectionType

MAX_TEXT_CHARS = 2_000_000
MAX_QUERY_CHARS = 2000
MAX_DRAFT_CHARS = 20_000


class Request(BaseModel):
    # Enum fields hold their plain values once validated, as the store does.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)
    # Fields whose NUL characters are dropped (document text); anywhere else one is refused.
    nul_dropped: ClassVar[frozenset[str]] = frozenset({"text"})

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if name not in cls.nul_dropped and holds_nul(value):
                    raise ValueError(f"field '{name}' holds a NUL character (\\u0000)")
        return data


def holds_nul(value: Any) -> bool:
    """Whether a string, or any string inside lists and objects, holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


def _heading_as_type(value: Any) -> Any:
    """A section type given by any of its headings (解决方案, Solution) is that type; anything
    else is left for the enum to accept or refuse (a 422 naming the field and the types)."""
    found = named_section_type(value) if isinstance(value, str) else None
    return found or value


# A proposal section's type, by its name or by any of its headings in either language.
SectionTypeNamed = Annotated[SectionType, BeforeValidator(_heading_as_type)]
