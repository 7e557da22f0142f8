"""Drafts."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Request, SectionTypeNamed


class DraftItemCreate(Request):
    section_type: SectionTypeNamed = Field(
        description="a type's name, or any of its headings (解决方案, Solution, ...)"
    )
    ref: str = Field(
        min_length=1, max_length=40, description="a suggestion's ref (a section or a Q&A)"
    )
    text: str | None = Field(None, max_length=50_000, description="your edit of its text")


class DraftCreate(Request):
    title: str = Field(min_length=1, max_length=300)
    customer: str | None = Field(None, max_length=200)
    items: list[DraftItemCreate] = Field(min_length=1, max_length=100)
    proposal_ref: str | None = Field(
        None, min_length=1, max_length=200, description="reuse is recorded in (default: title)"
    )
    bid_ref: str | None = Field(None, min_length=1, max_length=200)
    user: str | None = Field(None, max_length=200, description="who drafts (default: caller)")
