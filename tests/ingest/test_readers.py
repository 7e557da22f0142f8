import datetime
import io
import json
from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest.parsed import ReadResult
from ingest.readers import SUFFIXES, read_document
from kb.errors import DocumentFormatError

DATA = Path(__file__).parents[1] / "data"


def read_fixture(name: str) -> ReadResult:
    path = DATA / name
    return read_document(path.read_bytes(), name, path.suffix)


def format_error(data: bytes, origin: str, suffix: str) -> str:
    with pytest.raises(DocumentFormatError) as caught:
        read_document(data, origin, suffix)
    return caught.value.message


def make_docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(
    pages: list[list[str]], title: str | None = None, password: str | None = None
) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=password)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        for number, line in enumerate(lines):
            pdf.drawString(72, 770 - 16 * number, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# dispatch


def test_suffixes_cover_every_supported_format():
    expected = {".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf", ".csv", ".jsonl"}
    assert expected == SUFFIXES


def test_unknown_suffix_is_a_format_error_naming_the_file():
    message = format_error(b"x", "slides/deck.pptx", ".pptx")
    assert message.startswith("slides/deck.pptx: unsupported file type '.pptx'")


def test_suffix_match_ignores_case():
    result = read_document(b"# Hi\n\nBody.", "NOTE.MD", ".MD")
    assert result.documents[0].title == "Hi"


def test_binary_content_in_a_text_suffix_is_rejected():
    with pytest.raises(DocumentFormatError, match=r"^binary_blob\.txt: binary content, not text"):
        read_fixture("binary_blob.txt")


# markdown


def test_markdown_with_utf8_bom_reads_front_matter_and_keeps_dates():
    (document,) = read_fixture("utf8_bom_front_matter.md").documents
    assert document.title == "X-200 产品说明"
    assert document.fields["updated"] == datetime.date(2025, 3, 1)
    assert document.fields["products"] == ["X-200"]
    assert document.text == "# 概述\n\nX-200 是一款数据网关。It supports SM4 encryption."
    assert document.origin == "utf8_bom_front_matter.md"


def test_markdown_title_falls_back_to_first_h1_outside_code_fences():
    text = "```\n# not a heading\n```\n\n## Sub\n\n# Real Title #\n\nBody."
    (document,) = read_document(text.encode(), "a.md", ".md").documents
    assert document.title == "Real Title"
    assert document.fields == {}


def test_markdown_without_heading_or_title_field_has_no_title():
    (document,) = read_document(b"Just a paragraph.", "a.md", ".md").documents
    assert document.title is None


def test_invalid_front_matter_error_names_file_problem_and_line():
    message = format_error((DATA / "invalid_front_matter.md").read_bytes(), "notes/a.md", ".md")
    assert (
        message == "notes/a.md: invalid front matter: mapping values are not allowed here (line 3)"
    )


def test_front_matter_that_is_not_a_mapping_is_rejected():
    message = format_error(
        (DATA / "front_matter_not_a_mapping.md").read_bytes(), "notes/b.md", ".md"
    )
    assert message.startswith("notes/b.md: invalid front matter: ")
    assert "list" in message


def test_unclosed_front_matter_is_rejected():
    message = format_error(b"---\ntitle: x\n\nBody", "c.md", ".md")
    assert message.startswith("c.md: invalid front matter: no closing")


def test_markdown_with_front_matter_only_is_an_empty_document():
    with pytest.raises(DocumentFormatError, match=r"^front_matter_only\.md: empty document$"):
        read_fixture("front_matter_only.md")


# text


def test_gb18030_text_file_is_decoded_without_title():
    (document,) = read_fixture("gb18030_plain.txt").documents
    assert document.text == "X-200 数据网关支持国密算法。\n部署在客户机房，兼容麒麟操作系统。"
    assert document.title is None
    assert document.fields == {}


def test_whitespace_only_text_file_is_an_empty_document():
    assert format_error(b" \n\n\t\n", "empty.txt", ".txt") == "empty.txt: empty document"


# html


def test_html_becomes_markdown_with_headings_tables_and_lists():
    (document,) = read_fixture("product_page.html").documents
    assert document.title == "X-200 产品页"
    assert document.fields == {"kind": "product_note", "owner": "zhang.wei"}
    assert document.text.split("\n\n") == [
        "# X-200 数据网关",
        "X-200 支持国密算法。\nSecond line.",
        "## 规格",
        "| 项目 | 参数 |\n|---|---|\n| 吞吐 | 10 Gbps |\n| 接口 | 4 x 10GE \\| 2 x 40GE |",
        "- 支持双活\n- 支持国产化\n  - 麒麟",
        "Loose text in a div.",
    ]


def test_html_drops_scripts_styles_and_navigation():
    (document,) = read_fixture("product_page.html").documents
    for dropped in ("tracking", "color: red", "首页"):
        assert dropped not in document.text


def test_html_title_falls_back_to_first_h1():
    html = "<html><body><h1>Intro <i>page</i></h1><p>Text.</p></body></html>"
    (document,) = read_document(html.encode(), "a.html", ".html").documents
    assert document.title == "Intro page"


def test_html_without_text_is_an_empty_document():
    message = format_error(b"<html><script>x()</script></html>", "a.htm", ".htm")
    assert message == "a.htm: empty document"


# docx


def test_docx_headings_tables_and_paragraphs_stay_in_document_order():
    def build(document):
        document.core_properties.title = "X-200 方案"
        document.core_properties.author = "Zhang Wei"
        document.add_heading("项目背景", level=1)
        document.add_paragraph("客户需要国产化替代。")
        table = document.add_table(rows=2, cols=2)
        for row, cells in zip(table.rows, [("项目", "参数"), ("吞吐", "10 Gbps")], strict=True):
            row.cells[0].text, row.cells[1].text = cells
        document.add_heading("方案", level=2)
        document.add_paragraph("部署两台 X-200。")

    (document,) = read_document(make_docx(build), "proposal.docx", ".docx").documents
    assert document.title == "X-200 方案"
    assert document.fields == {"author": "Zhang Wei"}
    assert document.text.split("\n\n") == [
        "# 项目背景",
        "客户需要国产化替代。",
        "| 项目 | 参数 |\n|---|---|\n| 吞吐 | 10 Gbps |",
        "## 方案",
        "部署两台 X-200。",
    ]


def test_docx_without_core_title_uses_title_style_and_omits_empty_author():
    def build(document):
        document.core_properties.author = ""
        document.add_heading("Deck Title", level=0)
        document.add_paragraph("Body.")

    (document,) = read_document(make_docx(build), "deck.docx", ".docx").documents
    assert document.title == "Deck Title"
    assert "author" not in document.fields
    assert document.text == "# Deck Title\n\nBody."


def test_corrupt_docx_is_a_format_error():
    message = format_error((DATA / "corrupt.docx").read_bytes(), "deck.docx", ".docx")
    assert message == "deck.docx: not a valid .docx file (corrupt or not a Word document)"


def test_random_bytes_named_docx_are_a_format_error():
    message = format_error(bytes(range(256)) * 4, "random.docx", ".docx")
    assert message.startswith("random.docx: not a valid .docx file")


def test_empty_docx_is_an_empty_document():
    message = format_error(make_docx(lambda document: None), "blank.docx", ".docx")
    assert message == "blank.docx: empty document"


# pdf


def test_pdf_pages_are_joined_by_blank_lines_and_title_comes_from_metadata():
    data = make_pdf([["Page one text."], ["Page two text."]], title="Price Sheet")
    (document,) = read_document(data, "x.pdf", ".pdf").documents
    assert document.title == "Price Sheet"
    assert document.text == "Page one text.\n\nPage two text."


def test_pdf_without_text_is_reported_as_probably_scanned():
    message = format_error(make_pdf([[]]), "x.pdf", ".pdf")
    assert message == "x.pdf: no extractable text (scanned PDF?)"


def test_corrupt_pdf_is_a_format_error():
    message = format_error((DATA / "corrupt.pdf").read_bytes(), "bad.pdf", ".pdf")
    assert message.startswith("bad.pdf: not a valid PDF file")


def test_password_protected_pdf_is_a_format_error():
    message = format_error(make_pdf([["Secret."]], password="s3cret"), "locked.pdf", ".pdf")
    assert message.startswith("locked.pdf: the PDF is encrypted")


# csv


def test_gb18030_qa_csv_gives_one_qa_document_per_row_with_split_lists():
    result = read_fixture("gb18030_qa.csv")
    assert result.errors == []
    first, second = result.documents
    assert first.origin == "gb18030_qa.csv:2"
    assert first.text == "支持 SM2/SM3/SM4 全套国密算法。"
    assert first.fields == {
        "id": "QA-001",
        "kind": "qa",
        "question": "是否支持国密算法？",
        "products": ["X-200", "DataHub"],
        "tags": ["安全", "合规"],
    }
    assert second.origin == "gb18030_qa.csv:3"


def test_csv_rows_missing_values_are_record_errors_and_other_rows_still_read():
    result = read_fixture("qa_rows_missing_values.csv")
    assert [(error.origin, error.message) for error in result.errors] == [
        ("qa_rows_missing_values.csv:3", "missing value for `question`"),
        ("qa_rows_missing_values.csv:4", "missing value for `answer`"),
    ]
    first, multiline = result.documents
    assert first.fields["tags"] == ["高可用", "容灾"]
    assert multiline.origin == "qa_rows_missing_values.csv:5"
    assert multiline.fields == {"kind": "qa", "question": "多行\n问题"}


def test_bid_csv_gives_bid_results_with_searchable_summary():
    result = read_fixture("bid_results.csv")
    lost, won = result.documents
    assert lost.fields["id"] == "BID-2025-031"
    assert lost.fields["kind"] == "bid_result"
    assert lost.fields["competitors"] == ["华为", "浪潮"]
    assert lost.fields["reasons"] == ["价格高于对手", "交付周期长"]
    for expected in ("BID-2025-031", "某城商行", "lost", "华为", "浪潮", "1200000", "交付周期长"):
        assert expected in lost.text
    assert "amount" not in won.fields and "competitors" not in won.fields
    assert [(error.origin, error.message) for error in result.errors] == [
        ("bid_results.csv:4", "missing value for `customer`")
    ]


def test_csv_with_unknown_header_names_the_header_and_accepted_shapes():
    with pytest.raises(DocumentFormatError) as caught:
        read_fixture("unknown_header.csv")
    message = caught.value.message
    assert message.startswith("unknown_header.csv: unrecognised CSV header (name, email)")
    assert "question,answer" in message and "customer,bid,outcome" in message


def test_csv_duplicate_ids_are_reported_on_the_later_row():
    data = b"id,question,answer\nq1,A?,a\nq1,B?,b\n"
    result = read_document(data, "qa.csv", ".csv")
    assert len(result.documents) == 1
    assert result.errors[0].origin == "qa.csv:3"
    assert "duplicate id 'q1'" in result.errors[0].message


def test_csv_with_header_only_is_an_empty_document():
    assert format_error(b"question,answer\n", "qa.csv", ".csv").startswith("qa.csv: no rows")


# jsonl


def test_jsonl_bad_lines_are_reported_with_line_numbers_and_others_still_parse():
    result = read_fixture("jsonl_with_bad_lines.jsonl")
    origins = [document.origin for document in result.documents]
    assert origins == ["jsonl_with_bad_lines.jsonl:1", "jsonl_with_bad_lines.jsonl:7"]
    errors = {error.origin: error.message for error in result.errors}
    assert errors["jsonl_with_bad_lines.jsonl:3"].startswith("invalid JSON")
    assert errors["jsonl_with_bad_lines.jsonl:4"] == "expected a JSON object, got an array"
    assert errors["jsonl_with_bad_lines.jsonl:5"] == "`title` must be a non-empty string"
    assert errors["jsonl_with_bad_lines.jsonl:6"] == "duplicate id 'n-1' (first on line 1)"


def test_jsonl_keys_other_than_text_become_fields():
    (first, _) = read_fixture("jsonl_with_bad_lines.jsonl").documents
    assert first.title == "First"
    assert first.text == "第一条记录。"
    assert first.fields == {"id": "n-1", "title": "First", "kind": "product_note", "owner": "li.na"}


def test_jsonl_missing_required_key_is_a_record_error():
    lines = [{"id": "a", "title": "A", "text": "ok"}, {"id": "b", "title": "B"}]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    result = read_document(data, "r.jsonl", ".jsonl")
    assert [(error.origin, error.message) for error in result.errors] == [
        ("r.jsonl:2", "missing `text`")
    ]


def test_jsonl_where_no_line_parses_is_a_format_error():
    with pytest.raises(DocumentFormatError, match=r"^jsonl_all_lines_bad\.jsonl: no valid lines"):
        read_fixture("jsonl_all_lines_bad.jsonl")


def test_front_matter_anchors_without_aliases_still_read_and_an_odd_date_stays_text():
    data = b"---\nproducts: &p [X-200]\nnoted: 2026-13-45\nupdated: 2026-11-02\n---\n# T\n\nx\n"
    fields = read_document(data, "a.md", ".md").documents[0].fields
    assert fields == {
        "products": ["X-200"],
        "noted": "2026-13-45",
        "updated": datetime.date(2026, 11, 2),
    }


def test_html_nested_just_under_the_limit_is_read_without_recursion_errors():
    page = "<html><body>" + "<div><section>" * 127 + "deep" + "</section></div>" * 127
    assert read_document(page.encode(), "a.html", ".html").documents[0].text == "deep"
    lists = "<ul><li>x" * 120 + "</li></ul>" * 120
    lines = read_document(lists.encode(), "b.html", ".html").documents[0].text.split("\n")
    assert len(lines) == 120 and lines[-1] == "  " * 119 + "- x"


def test_docx_of_many_paragraphs_keeps_heading_and_list_styles():
    def build(document):
        document.add_heading("Guide", level=1)
        for number in range(3000):
            document.add_paragraph(f"step {number}", style="List Bullet")
        document.add_heading("End", level=2)

    text = read_document(make_docx(build), "many.docx", ".docx").documents[0].text
    blocks = text.split("\n\n")
    assert blocks[0] == "# Guide" and blocks[1] == "- step 0" and blocks[-1] == "## End"
    assert len(blocks) == 3002


def test_docx_main_part_is_found_through_the_package_relationships():
    """A package whose main part is not word/document.xml is still bounded: the paragraph
    count follows the relationship that names the main part."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(make_docx(lambda d: d.add_paragraph("hi"))))
    body = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 40_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = source.read(info.filename)
            name = info.filename
            if name == "word/document.xml":
                name = "word/main.xml"
                data = data.replace(b"<w:body>", b"<w:body>" + body)
            elif name in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/main.xml")
            package.writestr(name, data)
    message = format_error(out.getvalue(), "renamed.docx", ".docx")
    assert "more than 30,000 paragraphs and table rows" in message
