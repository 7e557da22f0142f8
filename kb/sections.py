"""Proposal section types: the one table that maps the headings real proposals use, in Chinese
and English, to a type (background, requirements, solution, ...).

Every chunk of a proposal stores the type of its heading path (`Chunk.section_type`), so the
`section` of a suggestion request and the `section_type` search filter are cheap filters. To
teach kb a new heading, add it to the variants of its type in SECTION_TYPES (a new type: a member
of kb.vocabulary.SectionType and a row here), then run `kb reindex`: it recomputes the types of
every stored proposal chunk.

A heading gets the type of its best variant: a variant equal to the whole heading (after
numbering and punctuation are stripped) first, else the longest variant it contains, so
迁移方案 is `migration` although it contains 方案, and 技术方案 is `solution`. A chunk takes the
type of its innermost typed heading (解决方案 > 报价概要 is `pricing`; 解决方案 > 数据质量闭环机制
is `solution`); the document's title is not a section heading and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import update
from sqlmodel import Session, col, select

from kb.errors import InvalidInput
from kb.models import Chunk, Document
from kb.vocabulary import Kind, SectionType, values


@dataclass(frozen=True)
class SectionHeadings:
    """The headings that name one section type."""

    name: SectionType  # what the API and the database say
    zh: str  # the heading a Chinese draft gets
    en: str  # the heading an English draft gets
    variants: tuple[str, ...]  # headings that name it, in either language (lower case)


# In the standard order of a proposal: drafts put their sections in this order.
SECTION_TYPES: tuple[SectionHeadings, ...] = (
    SectionHeadings(
        SectionType.background,
        "项目背景",
        "Background",
        (
            "项目背景",
            "背景",
            "项目概述",
            "概述",
            "项目简介",
            "建设背景",
            "背景介绍",
            "background",
            "overview",
            "project overview",
            "context",
            "introduction",
            "executive summary",
        ),
    ),
    SectionHeadings(
        SectionType.requirements,
        "需求分析",
        "Requirements",
        (
            "需求分析",
            "需求理解",
            "需求",
            "需求概述",
            "建设需求",
            "建设目标",
            "业务需求",
            "requirements",
            "requirement",
            "needs",
            "understanding of requirements",
            "scope",
            "objectives",
        ),
    ),
    SectionHeadings(
        SectionType.solution,
        "解决方案",
        "Solution",
        (
            "解决方案",
            "技术方案",
            "总体方案",
            "建设方案",
            "方案设计",
            "方案",
            "总体架构",
            "架构设计",
            "系统架构",
            "技术架构",
            "架构",
            "solution",
            "proposed solution",
            "architecture",
            "technical approach",
            "approach",
            "solution design",
            "design",
        ),
    ),
    SectionHeadings(
        SectionType.security,
        "安全设计",
        "Security",
        (
            "安全设计",
            "安全方案",
            "数据安全",
            "安全与合规",
            "合规设计",
            "security",
            "security design",
            "compliance",
        ),
    ),
    SectionHeadings(
        SectionType.migration,
        "迁移方案",
        "Migration",
        ("迁移方案", "迁移", "并行方案", "migration", "migration plan", "cutover"),
    ),
    SectionHeadings(
        SectionType.advantages,
        "项目优势",
        "Why us",
        (
            "项目优势",
            "我方优势",
            "方案优势",
            "核心优势",
            "优势",
            "选择我们的理由",
            "why us",
            "advantages",
            "differentiators",
            "our strengths",
            "benefits",
            "why choose us",
        ),
    ),
    SectionHeadings(
        SectionType.implementation,
        "实施计划",
        "Implementation",
        (
            "实施计划",
            "实施方案",
            "项目实施",
            "实施",
            "交付计划",
            "项目计划",
            "进度安排",
            "项目团队",
            "implementation",
            "implementation plan",
            "delivery plan",
            "delivery",
            "project plan",
            "timeline",
            "team",
        ),
    ),
    SectionHeadings(
        SectionType.support,
        "服务与培训",
        "Support",
        (
            "服务与培训",
            "售后服务",
            "运维保障",
            "运维",
            "技术支持",
            "培训",
            "服务",
            "support",
            "training",
            "operations",
            "maintenance",
            "service",
        ),
    ),
    SectionHeadings(
        SectionType.risks,
        "风险与应对",
        "Risks",
        ("风险与应对", "风险", "risks", "risk", "risk management"),
    ),
    SectionHeadings(
        SectionType.pricing,
        "商务报价",
        "Pricing",
        (
            "报价",
            "商务报价",
            "报价概要",
            "价格",
            "费用",
            "商务",
            "pricing",
            "price",
            "commercials",
            "cost",
            "costs",
            "fees",
        ),
    ),
)
HEADING_SEPARATOR = " > "  # between the headings of a stored heading path
SECTIONED_KINDS = (Kind.proposal,)  # kinds whose chunks get a section type
OTHER = SectionType.other  # a proposal chunk under no heading kb knows
TYPE_NAMES = tuple(t.name for t in SECTION_TYPES)
_BY_NAME: dict[str, SectionHeadings] = {t.name: t for t in SECTION_TYPES}
_NUMBERING = re.compile(
    r"^\s*(?:[（(]?[0-9一二三四五六七八九十]+[)）.、．]\s*|[0-9]+(?:\.[0-9]+)*\s+|第.{1,3}[章节部分]\s*)"
)
_PUNCTUATION = re.compile(r"[\s:：;；,，.。!！?？()（）\[\]【】\"'“”‘’/、\-—_&＆]+")


def section_type(name: str) -> SectionHeadings:
    return _BY_NAME[name]


def type_of_heading(heading: str) -> str | None:
    """The type a heading names, or None: the variant equal to the whole heading, else the
    longest variant it contains (Latin variants as whole words)."""
    text = _normalise(heading)
    if not text:
        return None
    return _exact().get(text) or _longest_within(text)


def type_of_path(headings: Sequence[str], title: str | None = None) -> str:
    """A proposal chunk's type: that of its innermost typed heading, skipping the title."""
    skip = _normalise(title or "")
    for heading in reversed(headings):
        if skip and _normalise(heading) == skip:
            continue
        found = type_of_heading(heading)
        if found:
            return found
    return OTHER


def chunk_section_type(kind: str, title: str, headings: Sequence[str]) -> str | None:
    """What a chunk stores: its type for a proposal, None for other kinds."""
    return type_of_path(headings, title) if kind in SECTIONED_KINDS else None


def assign_section_types(session: Session, *, only_missing: bool = True) -> int:
    """Compute the stored types of proposal chunks (those without one, or all): a database made
    before section types, or a table a team has extended, catches up. Returns how many changed."""
    query = (
        select(Chunk.id, Chunk.heading_path, Chunk.section_type, Document.title)
        .join(Document, col(Document.id) == Chunk.document_id)
        .where(col(Document.kind).in_(SECTIONED_KINDS))
    )
    if only_missing:
        query = query.where(col(Chunk.section_type).is_(None))
    changed: dict[str, list[int]] = {}
    for chunk_id, path, current, title in session.exec(query):
        wanted = type_of_path(path.split(HEADING_SEPARATOR) if path else [], title)
        if wanted != current:
            changed.setdefault(wanted, []).append(int(chunk_id or 0))
    for name, ids in changed.items():
        session.execute(update(Chunk).where(col(Chunk.id).in_(ids)).values(section_type=name))
    return sum(len(ids) for ids in changed.values())


def named_section_type(value: str) -> SectionType | None:
    """The type named by its name or any of its headings (解决方案, Solution, solution)."""
    text = _normalise(value)
    if text in values(SectionType):
        return SectionType(text)
    found = _exact().get(text)
    return SectionType(found) if found else None


def resolve_section_type(value: str, field: str = "section") -> str:
    """A type named by its name or any of its headings (解决方案, Solution, solution); an
    unknown one is an error that lists the known types."""
    found = named_section_type(value)
    if found is None:
        known = ", ".join(f"{t.name} ({t.zh} / {t.en})" for t in SECTION_TYPES)
        raise InvalidInput(f"unknown {field} '{value}'; known section types: {known}, {OTHER}")
    return found.value


def standard_order(name: str) -> int:
    """Position of a type in a proposal (unknown and `other` last)."""
    return TYPE_NAMES.index(name) if name in _BY_NAME else len(TYPE_NAMES)


def _normalise(heading: str) -> str:
    text = _NUMBERING.sub("", heading.strip().lower())
    return _PUNCTUATION.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _exact() -> dict[str, str]:
    found: dict[str, str] = {}
    for kind in SECTION_TYPES:
        for variant in (kind.name, *kind.variants):
            found.setdefault(_normalise(variant), kind.name)
    return found


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """(pattern, type) for every variant, longest variant first."""
    pairs = [(_normalise(v), kind.name) for kind in SECTION_TYPES for v in kind.variants]
    pairs.sort(key=lambda pair: -len(pair[0]))
    return [
        (re.compile(re.escape(v) if not v.isascii() else rf"\b{re.escape(v)}\b"), name)
        for v, name in pairs
    ]


def _longest_within(text: str) -> str | None:
    for pattern, name in _patterns():
        if pattern.search(text):
            return name
    return None
