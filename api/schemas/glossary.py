"""The team glossary as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kb.vocabulary import EntryType


class GlossaryEntryPublic(BaseModel):
    name: str = Field(description="the canonical name")
    type: EntryType
    zh: list[str]
    en: list[str]
    variants: list[str] = Field(description="abbreviations and other spellings")
    note: str
    document: str = Field(description="source id of the glossary document to edit")


class GlossaryPublic(BaseModel):
    total: int
    entries: list[GlossaryEntryPublic]
