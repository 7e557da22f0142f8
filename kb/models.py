"""SQLModel tables: the store is the source of truth; search indexes are derived from it.

Columns such as `kind`, `status`, `role` and `outcome` hold the values of kb.vocabulary's enums.

Times are naive UTC (`kb.clock.utcnow`).
"""

from __future__ import annotations

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.clock import utcnow

MAX_ROW_ID = 2**31 - 1  # the largest id or version number: INTEGER columns on PostgreSQL


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    display_name: str | None = None
    role: str = "contributor"  # a kb.vocabulary.Role
    team: str | None = Field(default=None, index=True)
    disabled: bool = False
    token_hash: str | None = Field(default=None, index=True, unique=True)
    password_hash: str | None = None  # argon2, for signing in to the web pages
    language: str | None = None  # interface language the person chose (zh or en)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(index=True, unique=True)
    kind: str = Field(index=True)
    title: str
    language: str = "en"
    owner: str | None = Field(default=None, index=True)
    status: str = Field(default="active", index=True)
    confidentiality: str = "internal"
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    current_version: int = 0
    source_path: str | None = None
    # The content hash of what ingest last read from the source file: a file unchanged since
    # then writes nothing, even after edits over the API or a delete.
    source_hash: str | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    updated_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    content_date: NaiveDatetime | None = None
    reviewed_at: NaiveDatetime | None = None
    # The version of a Q&A answer its owner or a manager approved (kb.answers); None: not yet.
    approved_version: int | None = None
    viewed_at: NaiveDatetime | None = None


class DocumentVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    number: int
    content_hash: str
    title: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Who was declared the owner, and the status written, in this version (the document's own
    # owner can differ: a hand-over changes it without a new version).
    owner: str | None = None
    status: str | None = None
    author: str | None = None
    change_note: str | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Chunk(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    ordinal: int
    heading_path: str = ""
    text: str = Field(sa_column=Column(Text, nullable=False))
    context: str = ""  # title and headings, embedded in front of the text
    content_hash: str = Field(index=True)
    # A proposal chunk's section type (kb.sections); None for other kinds.
    section_type: str | None = Field(default=None, index=True)

    @property
    def embedding_text(self) -> str:
        return embedding_text(self.context, self.text)


def embedding_text(context: str, text: str) -> str:
    """What is embedded for a chunk: its context line(s), then its text."""
    return f"{context}\n{text}" if context else text


def keyword_text(title: str, chunk: Chunk) -> str:
    """What is keyword-indexed for a chunk: every chunk carries its document's title and its
    headings (a title match counts in each section, as a field boost would; it costs nothing
    here, unlike in the embedded text)."""
    return "\n".join(part for part in (title, chunk.heading_path, chunk.text) if part)


class Embedding(SQLModel, table=True):
    """A chunk's vector under one model, keyed by the hash of the text that was embedded."""

    content_hash: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    dim: int
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Event(SQLModel, table=True):
    """Append-only log: who created, updated, reviewed, deleted, handed over or reused what."""

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    actor: str | None = Field(default=None, index=True)
    action: str = Field(index=True)
    document_id: int | None = Field(default=None, index=True)
    version: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Grant(SQLModel, table=True):
    """Access to a confidential document for a person (`name`) or a team (`team:NAME`)."""

    __table_args__ = (UniqueConstraint("document_id", "principal"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    principal: str


class Reuse(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    chunk_id: int | None = Field(default=None, index=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version: int
    proposal_ref: str
    bid_ref: str | None = Field(default=None, index=True)
    user: str | None = None
    recorded_by: str | None = None


class Bid(SQLModel, table=True):
    ref: str = Field(primary_key=True)
    outcome: str
    recorded_at: NaiveDatetime = Field(default_factory=utcnow)
    recorded_by: str | None = None


class DocumentVerifier(SQLModel, table=True):
    """A person named to verify one document (instead of the defaults for its kind and team)."""

    __table_args__ = (UniqueConstraint("document_id", "person"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    person: str


class VerifierDefault(SQLModel, table=True):
    """Who verifies documents of a kind whose owner is in a team (`team` "" = any team)."""

    __table_args__ = (UniqueConstraint("kind", "team"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    team: str = ""
    verifiers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ReviewRequest(SQLModel, table=True):
    """A manager's request that a document's verifiers review it; open until one decides."""

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version: int
    verifiers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    requested_by: str | None = None
    requested_at: NaiveDatetime = Field(default_factory=utcnow)
    note: str | None = None
    status: str = Field(default="open", index=True)  # open, approved, needs_changes
    decided_by: str | None = None
    decided_at: NaiveDatetime | None = None
    decision_note: str | None = None


class Notification(SQLModel, table=True):
    """A message for a person, written in the same transaction as the change it reports (the
    outbox); `key` makes writing it twice a no-op."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    recipient: str = Field(index=True)
    topic: str  # one of kb.vocabulary.Topic
    subject: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    document_id: int | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class Delivery(SQLModel, table=True):
    """A notification sent over one channel, at least once: retried with back-off until sent or
    out of attempts. `key` is the idempotency key the receiver sees."""

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    key: str = Field(index=True, unique=True)
    channel: str  # email, wecom, dingtalk, feishu, webhook
    target: str  # an address or a URL
    status: str = Field(default="pending", index=True)  # pending, sent, failed
    attempts: int = 0
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    claimed_until: NaiveDatetime | None = None
    last_error: str | None = None
    sent_at: NaiveDatetime | None = None


class NotificationPreference(SQLModel, table=True):
    """How a person wants to be told: an email address and/or group-robot webhooks."""

    person: str = Field(primary_key=True)
    email: str | None = None
    webhooks: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    mute_digest: bool = False


class TeamPolicy(SQLModel, table=True):
    """Per team: whether a change by someone other than the owner to an approved Q&A waits
    for the owner's approval (a pending edit) instead of replacing the current version."""

    team: str = Field(primary_key=True)
    owner_approves_qa_edits: bool = False


class PendingEdit(SQLModel, table=True):
    """A change waiting for the document owner's approval: the request's fields and text."""

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    base_version: int
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    change_note: str | None = None
    author: str
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", index=True)  # pending, accepted, rejected
    decided_by: str | None = None
    decided_at: NaiveDatetime | None = None
