import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexing.config import Settings
from indexing.document import Block
from indexing.legacy import LEGACY_WARNINGS, load_legacy_tables
from indexing.text import is_syllable
from indexing.vietnamese import is_vietnamese, normalize_blocks, normalize_text

LEGACY = load_legacy_tables(Settings().lexicons_dir)
convert_legacy, detect_legacy_encoding = LEGACY.convert, LEGACY.detect


def legacy_tables():
    return LEGACY.tables

# Written for these tests; every one of the 67 lower-case accented letters occurs at least once.
PARAGRAPH = """\
Đề tài được thực hiện ở trường tiểu học vùng cao, nơi học sinh còn rụt rè, ít nói và ngại giao tiếp.
Giáo viên đã tổ chức những buổi sinh hoạt ngoại khóa, kể chuyện cổ tích, hát dân ca và vẽ tranh về quê hương.
Em Hằng lớp năm lễ phép chào cô, bạn Vỹ tỷ mỉ ghi chép, còn bé Thuỷ khỏe mạnh thì hăng hái nhảy dây.
Những lẵng hoa nhỏ, mấy chiếc bánh ngọt ngẫu hứng và cả đĩa xôi gấc đỏ được các em chuẩn bị cho ngày hội.
Thầy hiệu trưởng mỉm cười, nhẹ nhàng động viên: sự kiên trì sẽ đem lại kết quả bền vững, chớ vội nản lòng.
Bữa trưa có canh rau ngót, cá kho, thịt luộc và ly sữa ấm; ai cũng no bụng, mặt mũi rạng rỡ.
Cuối kỳ, ai cũng chú ý: tỷ lệ học sinh mạnh dạn phát biểu tăng rõ rệt, phụ huynh phấn khởi, nhà trường ghi nhận.
Những ẩn số nhỏ trong lớp được giải đáp dần; bãi cỏ sau trường thành nơi chơi ô ăn quan, đuổi bắt lặng lẽ.
Ông bà kể rằng ngày xưa ngõ nhỏ lầy lội, giờ đã trải bê tông, hàng xóm vẫn giữ nếp ở hiền gặp lành, mặc thử áo mới.
Ý kiến của các em trẻ là chẳng ai muốn bỏ dở, mỗi người đều tìm được chỗ đứng; từ nguồn sách cũ, \
cây bút và bàn ghế kỵ nước vẫn đủ dùng."""

TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
ACCENTED = {
    unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in TONES
} - set("aeiouy") | {"đ"}


def test_paragraph_covers_every_accented_letter():
    assert len(ACCENTED) == 67
    both_cases = PARAGRAPH + "\n" + PARAGRAPH.upper()
    assert ACCENTED | {c.upper() for c in ACCENTED} <= set(both_cases)


# --- clean-up -------------------------------------------------------------------------------------

PIECES = list("aoeuyiđhkqt ") + [
    "\u0300", "\u0301", "\u0309", "\u0323", "\u0302", "\u00a0", "\u200b", "\u00ad", "\t", "\n", "\r\n",
    "•", "–", "\uf0b7", "oà", "uỷ", "Hoẻ", "THUỶ",
]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(PIECES)).map("".join)))
def test_normalised_text_is_nfc_and_normalising_again_changes_nothing(text):
    result = normalize_text(text)
    assert unicodedata.is_normalized("NFC", result)
    assert normalize_text(result) == result


def test_nfd_input_is_composed():
    original = "Nghie\u0302n cu\u031b\u0301u"  # decomposed as Mac / some PDFs deliver it
    assert normalize_text(original) == "Nghiên cứu"


def test_whitespace_invisible_chars_and_bullets():
    original = "  •  Nội\u00a0dung\u2003thứ \u200bnhất\t\t \n\u2013 gạch đầu\u00addòng \r\n\uf0b7Mục ba\n-5 độ C\n●\n"
    assert normalize_text(original) == "- Nội dung thứ nhất\n- gạch đầudòng\n- Mục ba\n-5 độ C\n-\n"


def test_curly_quotes_and_eth_are_handled():
    assert normalize_text("“Sáng kiến” của ðoàn Ðội") == "“Sáng kiến” của đoàn Đội"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("hoà bình", "hòa bình"),
        ("Hoà, THUỶ; khoẻ.", "Hòa, THỦY; khỏe."),
        ("uỷ ban, Nguỵ, loè loẹt, xoà", "ủy ban, Ngụy, lòe loẹt, xòa"),
        ("quý quí quà quẻ", "quý quí quà quẻ"),
        ("hoạch toán khoét thuyền ngoài khuya", "hoạch toán khoét thuyền ngoài khuya"),
        ("hòa thủy khỏe", "hòa thủy khỏe"),
        ("Hoa Kỳ, oà khóc", "Hoa Kỳ, òa khóc"),
    ],
)
def test_tone_mark_placement(raw, expected):
    assert normalize_text(raw) == expected  # one character for one: only tone marks move


def test_tone_rule_agrees_with_underthesea_lexicon():
    # underthesea's normaliser is a token lookup table; every entry our rule touches must come out
    # the same, and every oa/oe/uy entry it fixes must be fixed by us too.
    from underthesea.pipeline.text_normalize.text_normalizer import token_map

    touched = {k: v for k, v in token_map.items() if normalize_text(k) != k}
    assert len(touched) > 300
    assert all(normalize_text(k) == v for k, v in touched.items())
    glide_entries = [k for k in token_map if k[-2:].lower() in {"oà", "oá", "oẻ", "uỷ", "uý", "oạ", "uỵ"}]
    assert glide_entries and all(k in touched for k in glide_entries)


# --- legacy encodings -----------------------------------------------------------------------------


def encode_tcvn3(text: str) -> str:
    table = {v: k for k, v in legacy_tables()["tcvn3"].items()}
    # Upper-case toned letters only exist in the .VnTimeH fonts, which reuse the lower-case codes.
    return "".join(table.get(c) or table.get(c.lower(), c) for c in text)


def encode_vni(text: str) -> str:
    table = {v: k for k, v in legacy_tables()["vni"].items()}
    return "".join(table.get(c, c) for c in text)


def encode_bkhcm2(text: str) -> str:
    table = {v: k for k, v in legacy_tables()["bkhcm2"].items()}
    return "".join(table.get(c, c) for c in text)


def tcvn3_visible(text: str) -> str:
    """What a TCVN3 round trip can give back: upper-case toned letters become lower-case."""
    table = legacy_tables()["tcvn3"]
    values = set(table.values())
    return "".join(c if c in values or c.lower() not in values else c.lower() for c in text)


def test_tables_cover_vietnamese():
    tcvn3, vni = legacy_tables()["tcvn3"], legacy_tables()["vni"]
    assert set(tcvn3.values()) == ACCENTED | set("ĂÂÊÔƠƯĐ")
    assert all(len(k) == 1 and 0xA1 <= ord(k) <= 0xFE for k in tcvn3)
    assert set(vni.values()) == ACCENTED | {c.upper() for c in ACCENTED}
    assert all(k.encode("cp1252") and len(k) <= 2 for k in vni)


def test_known_samples_from_other_converters():
    assert convert_legacy("TiÕng ViÖt rÊt hay. Nghiªn cøu", "tcvn3") == "Tiếng Việt rất hay. Nghiên cứu"
    assert convert_legacy("Tieáng Vieät raát hay. Nghieân cöùu ñöôïc", "vni") == "Tiếng Việt rất hay. Nghiên cứu được"
    assert convert_legacy("THÖÏC HIEÄN SAÙNG KIEÁN", "vni") == "THỰC HIỆN SÁNG KIẾN"


def test_round_trip_vni():
    text = PARAGRAPH + "\n" + PARAGRAPH.upper()
    encoded = encode_vni(text)
    assert encoded.encode("cp1252")  # really what a cp1252 view of VNI bytes looks like
    assert detect_legacy_encoding(encoded) == "vni"
    assert convert_legacy(encoded, "vni") == text


def test_round_trip_bkhcm2():
    text = PARAGRAPH + "\n" + PARAGRAPH.upper()
    encoded = encode_bkhcm2(text)
    assert encoded.encode("cp1252")
    assert set(legacy_tables()["bkhcm2"].values()) == ACCENTED | {c.upper() for c in ACCENTED} | set("ĂÂÊÔƠƯĐăâêôơưđ")
    assert detect_legacy_encoding(encoded) == "bkhcm2"
    assert convert_legacy(encoded, "bkhcm2") == text


def test_issue_example_of_legacy_text_comes_out_as_unicode():
    # "Nghiên cứu" typed with a BK HCM2 font and read back as Windows-1252.
    blocks, warnings = normalize_blocks([Block("Nghiïn cûáu khoa hoåc vaâ ûáng duång trong nhaâ trûúâng")], LEGACY)
    assert blocks[0].text.startswith("Nghiên cứu khoa học")
    assert warnings == [LEGACY_WARNINGS["bkhcm2"]]


def test_round_trip_tcvn3():
    text = PARAGRAPH + "\n" + PARAGRAPH.upper()
    encoded = encode_tcvn3(text)
    assert encoded.encode("latin-1")
    assert detect_legacy_encoding(encoded) == "tcvn3"
    assert convert_legacy(encoded, "tcvn3") == tcvn3_visible(text)
    capitals = "ĐÂU ƯA ĂN ÊM ÔNG ƠI"  # the seven capitals TCVN3 does have
    assert convert_legacy(encode_tcvn3(capitals), "tcvn3") == capitals


@pytest.mark.parametrize("line", PARAGRAPH.splitlines())
def test_detects_single_lines(line):
    assert detect_legacy_encoding(encode_tcvn3(line)) == "tcvn3"
    assert detect_legacy_encoding(encode_vni(line)) == "vni"
    assert detect_legacy_encoding(encode_bkhcm2(line)) == "bkhcm2"


@pytest.mark.parametrize(
    "text",
    [
        PARAGRAPH,
        unicodedata.normalize("NFD", PARAGRAPH),
        "The initiative was applied in three schools; results improved by 12% (see Table 2).",
        "L'élève a été très content: où qu'il aille, déjà à côté du théâtre, il lit « Les Misérables ».",
        "Die Schüler übten fünf Wochen; Ergebnisse für Mädchen und Jungen waren ähnlich.",
        "El niño español comió piñas y jamón en la mañana; ¿qué más?",
        "Sang kien nay giup hoc sinh ren luyen ky nang song.",
        "© 2024 Công ty ABC® — Điện thoại: 0912 345 678 · Email: abc@example.vn",
        "",
    ],
)
def test_no_false_legacy_detection(text):
    assert detect_legacy_encoding(text) is None


def test_normalize_blocks_converts_and_warns():
    blocks = [
        Block(encode_tcvn3("I. Tên sáng kiến"), kind="heading", heading_level=1, bold=True, page=1),
        Block("   \u200b  ", page=1),
        Block(encode_tcvn3("Nâng cao kỹ năng đọc hiểu cho học sinh lớp bốn, hoà nhập cộng đồng."), page=2),
    ]
    result, warnings = normalize_blocks(blocks, LEGACY)
    assert warnings == [LEGACY_WARNINGS["tcvn3"]]
    assert [b.text for b in result] == [
        "I. Tên sáng kiến",
        "Nâng cao kỹ năng đọc hiểu cho học sinh lớp bốn, hòa nhập cộng đồng.",
    ]
    assert (result[0].kind, result[0].heading_level, result[0].bold, result[0].page) == ("heading", 1, True, 1)
    assert result[1].page == 2 and result[1] is not blocks[2]


def test_normalize_blocks_leaves_unicode_alone():
    blocks = [Block("•\tMục tiêu: “nâng cao” chất lượng", kind="list_item")]
    result, warnings = normalize_blocks(blocks, LEGACY)
    assert warnings == [] and result[0].text == "- Mục tiêu: “nâng cao” chất lượng"
    assert result[0].kind == "list_item" and blocks[0].text.startswith("•")


# --- Vietnamese or not ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, ok",
    [("nghiêng", True), ("khuỷu", True), ("được", True), ("quốc", True), ("gì", True), ("xoong", True),
     ("hoà", True), ("ban", True), ("string", False), ("été", False), ("caafe", False), ("thés", False),
     ("ăí", False), ("bàá", False)],
)
def test_is_syllable(word, ok):
    assert is_syllable(word) is ok


def test_vietnamese_decision():
    english = "This initiative helps pupils practise their reading skills every morning before class."
    french = "Cette initiative aide les élèves à développer leurs compétences de lecture chaque matin."
    plain = "Sang kien nay giup hoc sinh ren luyen ky nang doc hieu moi buoi sang truoc gio hoc."
    assert is_vietnamese(PARAGRAPH)
    assert is_vietnamese(unicodedata.normalize("NFD", PARAGRAPH))
    assert not is_vietnamese(english)
    assert not is_vietnamese(french)
    # Spelled like Vietnamese but without diacritics: deliberately not accepted.
    assert sum(map(is_syllable, plain.rstrip(".").split())) / len(plain.split()) > 0.6 and not is_vietnamese(plain)
    assert not is_vietnamese("") and not is_vietnamese("12 345 — !!")
    # A Vietnamese document quoting English terms is still Vietnamese.
    mixed = "Giáo viên dùng phần mềm PowerPoint và Google Classroom để giao bài tập về nhà cho học sinh."
    assert is_vietnamese(mixed)


def test_bkhcm2_text_file_is_read_as_unicode(tmp_path):
    from indexing.parse import parse_document

    text = "SÁNG KIẾN KINH NGHIỆM\nPHẦN I. ĐẶT VẤN ĐỀ\n1. Lí do chọn đề tài\nNghiên cứu khoa học và ứng dụng trong nhà trường.\n"
    path = tmp_path / "cu.txt"
    path.write_bytes(encode_bkhcm2(text).encode("cp1252"))
    doc = parse_document(path, Settings())
    assert doc.text == text.strip()
    assert [s.heading for s in doc.sections] == ["PHẦN I. ĐẶT VẤN ĐỀ", "1. Lí do chọn đề tài"]
    assert LEGACY_WARNINGS["bkhcm2"] in doc.warnings
