"""A corpus of hostile files, made on the fly: bombs, deep nesting, aliases, huge paragraph
counts, impossible dates, NULs. Each must be refused with a clear error of its own, quickly
and in bounded memory; the store must not change."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

# file name -> (content, words the error must contain)
Corpus = dict[str, tuple[bytes, str]]

_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w='
    b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
_TAIL = b"</w:body></w:document>"
_MB = 1 << 20


def hostile_corpus() -> Corpus:
    return {
        "alias_bomb.md": (_front_matter(_alias_bomb()), "aliases (*a) are not allowed"),
        "alias_self.md": (_front_matter("x: &x [*x]"), "aliases (*x) are not allowed"),
        "yaml_deep.md": (_front_matter("a: " + "[" * 5000 + "]" * 5000), "levels deep"),
        "bad_date.md": (_front_matter("updated: 2026-13-45"), "must be a date YYYY-MM-DD"),
        "nul_field.md": (_front_matter('source: "a\\0b"'), "NUL character"),
        "nul_bytes.md": (b"# NUL\n\na\x00b\n", "binary content"),
        "many_paragraphs.md": (b"# Many\n\n" + b"para\n\n" * 200_000, "lines, over the limit"),
        "deep.html": (_html("<div>" * 20_000 + "x" + "</div>" * 20_000), "levels deep"),
        "deep_list.html": (_html("<ul><li>x" * 5000 + "</li></ul>" * 5000), "levels deep"),
        "many_tags.html": (_html("<p>a</p>" * 60_000), "tags, over the limit"),
        "deep.jsonl": (_jsonl('"extra": ' + "[" * 100_000 + "]" * 100_000), "nested too deeply"),
        "deep_field.jsonl": (_jsonl('"extra": ' + "[" * 900 + "]" * 900), "levels deep"),
        "nul_field.jsonl": (_jsonl('"source": "a\\u0000b"'), "NUL character"),
        "xml_bomb.docx": (_docx(_one_paragraph_of(100 * _MB)), "part word/document.xml unpacks"),
        "zip_bomb.docx": (_docx(_one_paragraph_of(1), media=300 * _MB), "a zip bomb"),
        "many_paragraphs.docx": (_docx(_paragraphs(100_000)), "paragraphs and table rows"),
    }


def write_corpus(folder: Path) -> Corpus:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = hostile_corpus()
    for name, (content, _) in corpus.items():
        (folder / name).write_bytes(content)
    return corpus


def _front_matter(yaml: str) -> bytes:
    return f"---\n{yaml}\n---\n# Hostile\n\nSome text.\n".encode()


def _alias_bomb() -> str:
    """Nine levels of nine aliases: 381 bytes that expand to 9^9 strings."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines)


def _html(body: str) -> bytes:
    return f"<html><head><title>Hostile</title></head><body>{body}</body></html>".encode()


def _jsonl(extra: str) -> bytes:
    return ('{"id": "hostile", "title": "Hostile", "text": "Some text.", ' + extra + "}\n").encode()


XmlChunks = Callable[[], Iterator[bytes]]


def _one_paragraph_of(size: int) -> XmlChunks:
    def chunks() -> Iterator[bytes]:
        yield _HEAD + b"<w:p><w:r><w:t>"
        for _ in range(size // _MB):
            yield b"a" * _MB
        yield b"a" * (size % _MB) + b"</w:t></w:r></w:p>" + _TAIL

    return chunks


def _paragraphs(count: int) -> XmlChunks:
    def chunks() -> Iterator[bytes]:
        yield _HEAD
        yield b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * count
        yield _TAIL

    return chunks


def _docx(document_xml: XmlChunks, media: int = 0) -> bytes:
    """A Word file (from python-docx's template) with the given main part, and `media` bytes
    of zeros as an embedded file."""
    template = io.BytesIO()
    docx.Document().save(template)
    base = zipfile.ZipFile(template)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in base.infolist():
            if info.filename == "word/document.xml":
                with package.open(info.filename, "w", force_zip64=True) as part:
                    for chunk in document_xml():
                        part.write(chunk)
            else:
                package.writestr(info, base.read(info.filename))
        if media:
            with package.open("word/media/blob.bin", "w", force_zip64=True) as part:
                for _ in range(media // _MB):
                    part.write(b"\x00" * _MB)
    return out.getvalue()


def store_fingerprint(engine: Engine) -> dict[str, str]:
    """Per table: its row count and a digest of every row, to show nothing changed."""
    prints: dict[str, str] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            prints[table.name] = f"{len(rows)} rows {digest[:16]}"
    return prints


PEAK_SCRIPT = """
import json, sys, time
from pathlib import Path


def status(field):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024


def measure(run):
    with open("/proc/self/clear_refs", "w") as control:
        control.write("5")  # the peak (VmHWM) starts again from what is in use now
    before, start = status("VmRSS"), time.monotonic()
    result = run()
    return result, time.monotonic() - start, status("VmHWM") - before
"""  # for a subprocess: time and peak memory growth (VmHWM, reset by clear_refs) of a run
MAX_SECONDS = 10.0  # per hostile file: a generous guard (each is refused in well under 1 s)
MAX_PEAK_GROWTH = 500 * _MB
