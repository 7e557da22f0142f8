import codecs

import pytest

from ingest.decoding import decode_text, normalise_text
from kb.errors import DocumentFormatError

CHINESE = "国密算法支持 SM4。\n第二行"


def test_utf8_is_decoded():
    assert decode_text(CHINESE.encode("utf-8"), "a.txt") == CHINESE


def test_utf8_bom_is_stripped():
    assert decode_text(codecs.BOM_UTF8 + CHINESE.encode("utf-8"), "a.txt") == CHINESE


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded_and_bom_stripped(encoding):
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    assert decode_text(bom + CHINESE.encode(encoding), "a.txt") == CHINESE


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_chinese_windows_encodings_are_decoded(encoding):
    assert decode_text(CHINESE.encode(encoding), "a.txt") == CHINESE


def test_windows_and_old_mac_newlines_become_unix_newlines():
    assert decode_text(b"one\r\ntwo\rthree\n", "a.txt") == "one\ntwo\nthree\n"


def test_nul_bytes_mean_binary_content():
    with pytest.raises(DocumentFormatError, match=r"^blob\.txt: binary content, not text$"):
        decode_text(b"PK\x03\x04\x00\x00text", "blob.txt")


def test_many_control_characters_mean_binary_content():
    data = bytes(range(1, 9)) * 20 + b"some text"
    with pytest.raises(DocumentFormatError, match="binary content"):
        decode_text(data, "blob.txt")


def test_undecodable_bytes_name_the_file_and_the_encodings_tried():
    with pytest.raises(DocumentFormatError) as caught:
        decode_text("正常文本".encode() + b"\x81\x20\xff", "notes/x.txt")
    message = caught.value.message
    assert message.startswith("notes/x.txt: ")
    assert "utf-8" in message and "gb18030" in message


def test_empty_bytes_decode_to_empty_text():
    assert decode_text(b"", "a.txt") == ""


def test_normalise_text_applies_nfc():
    assert normalise_text("Cafe\u0301") == "Caf\u00e9"


def test_normalise_text_trims_trailing_spaces_and_collapses_blank_runs():
    text = "title  \n\n\n\n\nbody\t\nlast line   \n\n"
    assert normalise_text(text) == "title\n\nbody\nlast line"


def test_normalise_text_keeps_single_blank_lines_and_indentation():
    text = "para one\n\n    indented code\n- item"
    assert normalise_text(text) == text


def test_normalise_text_is_idempotent():
    text = "a \r\n\r\n\r\n\r\nb\u0301  "
    assert normalise_text(normalise_text(text)) == normalise_text(text)


def test_broken_utf16_after_a_bom_is_a_format_error():
    with pytest.raises(DocumentFormatError, match=r"^a\.txt: cannot decode the text as UTF-16"):
        decode_text(codecs.BOM_UTF16_LE + b"\x00\xd8", "a.txt")
