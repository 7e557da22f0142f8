"""A draft (kb.drafts) as a Word document (python-docx) or as Markdown."""

from __future__ import annotations

import io

from docx import Document as WordDocument

from kb.drafts import Draft, DraftSource

LABELS = {
    "zh": {
        "customer": "客户",
        "sources": "来源",
        "version": "版本",
        "owner": "负责人",
        "verified": "最近核实",
    },
    "en": {
        "customer": "Customer",
        "sources": "Sources",
        "version": "version",
        "owner": "owner",
        "verified": "last verified",
    },
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def draft_markdown(draft: Draft) -> str:
    labels = LABELS[draft.language if draft.language in LABELS else "en"]
    lines = [f"# {draft.title}", ""]
    if draft.customer:
        lines += [f"{labels['customer']}: {draft.customer}", ""]
    for section in draft.sections:
        lines += [f"## {section.heading}", ""]
        for text, number in section.parts:
            lines += [text, "", f"[{number}]", ""]
    lines += [f"## {labels['sources']}", ""]
    lines += [f"{source.number}. {source_line(source, labels)}" for source in draft.sources]
    return "\n".join(lines) + "\n"


def draft_docx(draft: Draft) -> bytes:
    """The draft as .docx: the title, a Heading 1 per section type, the texts as paragraphs
    (Markdown kept as written), and a numbered source list."""
    labels = LABELS[draft.language if draft.language in LABELS else "en"]
    word = WordDocument()
    word.core_properties.title = draft.title
    word.add_heading(draft.title, level=0)
    if draft.customer:
        word.add_paragraph(f"{labels['customer']}: {draft.customer}")
    for section in draft.sections:
        word.add_heading(section.heading, level=1)
        for text, number in section.parts:
            for paragraph in (p.strip() for p in text.split("\n\n")):
                heading = paragraph.split(" ", 1)
                if heading[0] and set(heading[0]) == {"#"} and len(heading) == 2:
                    word.add_heading(heading[1], level=min(max(len(heading[0]) - 1, 2), 4))
                elif paragraph:
                    word.add_paragraph(paragraph)
            word.add_paragraph(f"[{number}]")
    word.add_heading(labels["sources"], level=1)
    for source in draft.sources:
        word.add_paragraph(f"[{source.number}] {source_line(source, labels)}")
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def source_line(source: DraftSource, labels: dict[str, str]) -> str:
    return (
        f"{source.title} ({source.source_id}, {labels['version']} {source.version}, "
        f"{labels['owner']} {source.owner or '-'}, {labels['verified']} "
        f"{source.last_verified.date().isoformat()})"
    )
