"""Checks on a .docx package before python-docx unpacks and parses it: a zip bomb (a small file
whose XML unpacks to gigabytes) or a document of millions of paragraphs is refused by reading
the zip directory and streaming the main part, in bounded memory."""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import IO

from lxml import etree

from ingest.limits import MAX_DOCX_PARAGRAPHS, MAX_DOCX_UNPACKED_BYTES, MAX_DOCX_XML_BYTES
from kb.errors import DocumentFormatError

MAX_PARTS = 10_000  # members of the zip package
_MAIN_PART = "word/document.xml"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_COUNTED = (f"{_W}p", f"{_W}tr")  # paragraphs and table rows


def check_package(data: bytes, origin: str) -> None:
    """Raise DocumentFormatError when the package unpacks too large or holds too many
    paragraphs. Sizes come from the zip directory, which bounds what unpacking yields (zipfile
    stops at the declared size and fails the checksum of a member that lies about it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentFormatError(
            f"{origin}: not a valid .docx file (corrupt or not a Word document)"
        ) from exc
    with archive:
        _check_sizes(archive.infolist(), origin)
        main = _main_part(archive)
        if main is not None:
            with archive.open(main) as stream:
                _check_paragraphs(stream, origin)


def _check_sizes(members: list[zipfile.ZipInfo], origin: str) -> None:
    if len(members) > MAX_PARTS:
        raise DocumentFormatError(
            f"{origin}: {len(members):,} parts in the package, over the limit of {MAX_PARTS:,}"
        )
    total = sum(member.file_size for member in members)
    if total > MAX_DOCX_UNPACKED_BYTES:
        raise DocumentFormatError(
            f"{origin}: unpacks to {total:,} bytes, over the limit of "
            f"{MAX_DOCX_UNPACKED_BYTES:,} (a zip bomb, or very large embedded files)"
        )
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and member.file_size > MAX_DOCX_XML_BYTES:
            raise DocumentFormatError(
                f"{origin}: part {member.filename} unpacks to {member.file_size:,} bytes, over "
                f"the limit of {MAX_DOCX_XML_BYTES:,}; split the document"
            )


def _main_part(archive: zipfile.ZipFile) -> str | None:
    """The main document part as the package's relationships name it (word/document.xml in
    files Word writes), or None when the package has none (python-docx then refuses it)."""
    names = set(archive.namelist())
    if "_rels/.rels" in names:
        with archive.open("_rels/.rels") as stream:
            for _, element in etree.iterparse(stream, tag=_RELATIONSHIP, resolve_entities=False):
                if element.get("Type") == _OFFICE_DOCUMENT:
                    target = posixpath.normpath(str(element.get("Target") or "").lstrip("/"))
                    return target if target in names else None
    return _MAIN_PART if _MAIN_PART in names else None


def _check_paragraphs(stream: IO[bytes], origin: str) -> None:
    """Count paragraphs and table rows while streaming the XML, keeping no tree."""
    count = 0
    try:
        for _, element in etree.iterparse(
            stream, events=("end",), tag=_COUNTED, resolve_entities=False, huge_tree=False
        ):
            count += 1
            if count > MAX_DOCX_PARAGRAPHS:
                raise DocumentFormatError(
                    f"{origin}: more than {MAX_DOCX_PARAGRAPHS:,} paragraphs and table rows, "
                    "over the limit for one document; split it into smaller files"
                )
            if element.tag == _COUNTED[0]:  # a row's paragraphs are gone with the row
                element.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        raise DocumentFormatError(
            f"{origin}: not a valid .docx file (its document XML is malformed: {exc.msg})"
        ) from exc
