"""Property-based fuzzing of the domain layer: whatever a user uploads, the only acceptable outcomes are
a document that satisfies the pipeline's invariants or a SangkienError with a Vietnamese message."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.render_documents import make_docx, make_pdf
from indexing.chunking import make_passages
from indexing.config import Settings
from indexing.document import Block, Document
from indexing.errors import InputError, SangkienError
from indexing.extract import extract
from indexing.legacy import load_legacy_tables
from indexing.parse import join_blocks, parse_document
from indexing.sections import detect_sections
from indexing.templates import load_templates
from indexing.vietnamese import normalize_blocks

VIETNAMESE_MARKS = "ăâđêôơưĩũạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"

ITEMS = [
    ("heading", 1, "PHẦN I. ĐẶT VẤN ĐỀ"),
    ("para", "Sáng kiến giúp học sinh lớp 7 chủ động hơn trong giờ thực hành. Kết quả tăng 20% so với năm trước."),
    ("bold", "1. Lý do chọn đề tài"),
    ("list", "Phiếu nhiệm vụ ghi rõ mục tiêu và sản phẩm cần nộp."),
    ("heading", 1, "PHẦN II. NỘI DUNG SÁNG KIẾN"),
    ("para", "Giải pháp gồm ba bước: chuẩn bị, luân phiên vai trò và tự đánh giá theo tiêu chí."),
]
TXT_SEED = (
    "PHẦN I. ĐẶT VẤN ĐỀ\n1. Lý do chọn đề tài\nHọc sinh còn lúng túng khi làm việc nhóm,\n"
    "chưa biết phân công.\n- Phiếu nhiệm vụ\n+ Bảng theo dõi\nPHẦN II. GIẢI PHÁP\nBước 1: chuẩn bị phiếu.\n"
).encode()
MD_SEED = (
    "---\ntitle: Bản đồ tư duy\nyear: 2024\n---\n# BÁO CÁO SÁNG KIẾN\n\n## 1. Tình trạng giải pháp đã biết\n\n"
    "Học sinh ghi nhớ **kém**.\n\n- Dễ áp dụng\n\n| Lớp | Điểm |\n|---|---|\n| 8A | 7,5 |\n"
).encode()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    """Small real files of every accepted type: mutations of them reach deep into each parser."""
    folder = tmp_path_factory.mktemp("seeds")
    return {
        ".docx": make_docx(folder / "s.docx", [*ITEMS, ("table", [["Lớp", "Điểm"], ["8A", "7,5"]])]).read_bytes(),
        ".pdf": make_pdf(folder / "s.pdf", ITEMS).read_bytes(),
        ".txt": TXT_SEED,
        ".md": MD_SEED,
    }


@pytest.fixture(scope="module")
def limits(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


def check_document(doc: Document) -> None:
    """The invariants every later stage (passages, reports, highlighting) relies on."""
    text = doc.text
    assert len(doc.blocks) == len(doc.block_offsets)
    for block, offset in zip(doc.blocks, doc.block_offsets):
        assert block.text and text[offset : offset + len(block.text)] == block.text
    previous_start = -1
    for i, s in enumerate(doc.sections):
        assert 0 <= s.start <= s.body_start <= s.end <= len(text)
        assert s.start >= previous_start  # in reading order
        previous_start = s.start
        if s.parent is None:
            assert s.level == 1
        else:
            parent = doc.sections[s.parent]
            assert s.parent < i and s.level == parent.level + 1
            assert parent.body_start <= s.start and s.end <= parent.end  # nested inside the parent's body
    for passage in make_passages(doc):
        assert 0 <= passage.start < passage.end <= len(text)
        assert passage.text == text[passage.start : passage.end] and passage.text.strip()
        if passage.section_index is not None:
            section = doc.sections[passage.section_index]
            assert section.body_start <= passage.start and passage.end <= section.end


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Each edit (position, kind, payload): overwrite, delete a run, insert, or truncate."""
    buffer = bytearray(data)
    for position, kind, payload in edits:
        at = position % max(len(buffer), 1)
        if kind == 0:
            buffer[at : at + len(payload)] = payload
        elif kind == 1:
            del buffer[at : at + 1 + len(payload) * 8]
        elif kind == 2:
            buffer[at:at] = payload
        else:
            del buffer[at:]
    return bytes(buffer)


def parse_or_refuse(path: Path, limits: Settings) -> None:
    try:
        doc = parse_document(path, limits)
    except SangkienError as exc:
        assert exc.message.strip() and not exc.message.isascii()  # a Vietnamese sentence, not a code
        return
    check_document(doc)


EDITS = st.lists(
    st.tuples(st.integers(0, 1 << 20), st.integers(0, 3), st.binary(min_size=1, max_size=24)),
    min_size=1, max_size=6,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".docx", ".pdf", ".txt", ".md"]), edits=EDITS)
# A damaged deflate stream inside a readable zip once escaped as zlib.error.
@example(suffix=".docx", edits=[(1200, 0, b"\xff\xff\xff\xff\xff\xff\xff\xff")])
def test_mutated_files_parse_or_are_refused(seeds, limits, tmp_path, suffix, edits):
    path = tmp_path / f"upload{suffix}"
    path.write_bytes(mutate(seeds[suffix], edits))
    parse_or_refuse(path, limits)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from([".pdf", ".docx", ".txt", ".md", ".doc"]),
    # Magic numbers and a BOM send random bytes past format detection into each parser.
    head=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe"]),
    data=st.binary(max_size=4096),
)
def test_random_bytes_parse_or_are_refused(limits, tmp_path, suffix, head, data):
    path = tmp_path / f"upload{suffix}"
    path.write_bytes(head + data)
    parse_or_refuse(path, limits)


def test_corrupt_deflate_stream_inside_docx_is_an_input_error(seeds, limits, tmp_path):
    """Regression: zipfile reads the central directory fine, then zlib fails on the entry's data."""
    data = bytearray(seeds[".docx"])
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as original:
        info = original.getinfo("word/document.xml")
    # The compressed data follows the 30-byte local header, the name and the extra field.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 10 : start + 40] = b"\xff" * 30
    path = tmp_path / "broken.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="bị hỏng"):
        extract(path, settings=limits)


# --- text level: normalisation, sections, passages -------------------------------------------------

HEADING_PREFIXES = ["", "", "", "PHẦN I. ", "II. ", "1. ", "1.2. ", "a) ", "Bước 2: ", "CHƯƠNG 3 ", "- ", "• ",
                    "Tên sáng kiến: ", "Lý do chọn đề tài", "Giải pháp ", "Hiệu quả ", "Mục lục", "# "]
ALPHABET = st.sampled_from(
    list("aăâbcdđeêghiklmnoôơpqrstuưvxy AĂÂĐÊÔƠƯ0123456789.,;:!?()-–\"“”…%/\t\n\r")
    + list(VIETNAMESE_MARKS)
    + ["\u0300", "\u0301", "\u0309", "\u0303", "\u0323", "\u00ad", "\u200b", "\ufeff", "\u2028", "\x0c",
       "\x00", "ð", "Ð", "\uf0b7", "\ufffd", "😀", "한", "\u0338"]
)
WORDS = st.sampled_from([
    "sáng kiến", "giải pháp", "học sinh", "hiệu quả", "kết quả", "đạt", "tăng", "20%", "năm học 2023-2024",
    "thực trạng", "KẾT LUẬN", "kiến nghị", "hoà", "khoẻ", "thuỷ", "Thuỷ.", "PHẦN", "Mục", "I.", "ii)",
])
LINE = st.builds(
    lambda prefix, parts: prefix + " ".join(parts),
    st.sampled_from(HEADING_PREFIXES),
    st.lists(st.one_of(WORDS, st.text(ALPHABET, min_size=1, max_size=12)), max_size=25),
)
BLOCKS = st.lists(
    st.builds(
        Block,
        text=LINE,
        kind=st.sampled_from(["heading", "paragraph", "list_item", "table_row"]),
        heading_level=st.one_of(st.none(), st.integers(0, 9)),
        bold=st.booleans(),
    ),
    max_size=30,
)


def build_document(blocks: list[Block]) -> Document:
    normalised, warnings = normalize_blocks(blocks, load_legacy_tables(Settings().lexicons_dir))
    text, offsets = join_blocks(normalised)
    detected = detect_sections(normalised, text, offsets, load_templates(Settings().templates_dir))
    return Document(text=text, blocks=normalised, block_offsets=offsets, format="txt",
                    template=detected.template, sections=detected.sections, warnings=warnings)


@settings(max_examples=150, deadline=None)
@given(blocks=BLOCKS)
@example(blocks=[Block("PHẦN I.\u2028ĐẶT VẤN ĐỀ", kind="heading"), Block("\u00ad\u200b"), Block("a\u0301\u0323 b")])
# A block holding only a line break used to survive normalisation as a blank "\n" line.
@example(blocks=[Block("\r", kind="heading"), Block("Kết quả\x0cđạt được")])
def test_random_vietnamese_blocks_keep_invariants(blocks):
    try:
        doc = build_document(blocks)
    except SangkienError:
        return
    for block in doc.blocks:
        assert block.text == block.text.strip() and "\n" not in block.text
    check_document(doc)
