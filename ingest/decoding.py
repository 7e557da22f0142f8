"""Turn file bytes into text: UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one
when its zero bytes give it away), GB18030/GBK.

`decode_text` is what readers call; `normalise_text` is the canonical form used for hashing
and storage.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from kb.errors import DocumentFormatError

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")  # not tab/newlines/ESC
_CONTROL_SHARE = 0.1
_SAMPLE_CHARS = 4096
_BLANK_RUNS = re.compile(r"\n{3,}")
_UTF16_STRAY_ZEROS = 8  # zero high bytes per zero low byte (U+4E00, U+5000, ...), at least


def decode_text(data: bytes, origin: str) -> str:
    """Decode `data` as text, strip a BOM and normalise newlines to `\\n`.

    Raises DocumentFormatError for binary content or bytes that no supported encoding reads.
    """
    if data.startswith(_UTF16_BOMS):
        text = _decode(data, "utf-16", "UTF-16", origin)
    elif (utf16 := _utf16_without_bom(data)) is not None:
        text = utf16
    elif b"\x00" in data:
        raise DocumentFormatError(f"{origin}: binary content, not text")
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode(data, "utf-8-sig", "UTF-8", origin)
    else:
        text = _decode_unmarked(data, origin)
    if _looks_binary(text):
        raise DocumentFormatError(f"{origin}: binary content, not text")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def normalise_text(text: str) -> str:
    """NFC-normalise, trim trailing spaces, collapse runs of blank lines to one, trim the ends."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")


def _decode(data: bytes, encoding: str, name: str, origin: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DocumentFormatError(
            f"{origin}: cannot decode the text as {name} although it starts with a {name} "
            f"byte-order mark (bad byte at offset {exc.start}); re-save the file as UTF-8"
        ) from exc


def _utf16_without_bom(data: bytes) -> str | None:
    """The text, when `data` reads as UTF-16 without a byte-order mark: an even length and
    zero bytes in one byte of each pair (the high byte of Latin letters, digits, punctuation
    and line ends) and hardly ever in the other; else None. (decode_text then still refuses
    a result that looks binary.)"""
    sample = data[: _SAMPLE_CHARS * 2]
    pairs = len(sample) // 2
    if len(data) % 2 or pairs == 0 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    for encoding, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high and low * _UTF16_STRAY_ZEROS <= high:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _decode_unmarked(data: bytes, origin: str) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentFormatError(
        f"{origin}: cannot decode the text (tried utf-8, gb18030 and a UTF-16/UTF-8 byte-order "
        "mark); re-save the file as UTF-8"
    )


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return False
    controls = len(_CONTROL_CHARS.findall(sample))
    return "\x00" in sample or controls / len(sample) > _CONTROL_SHARE
