import json
import os

import numpy as np
import pytest

from indexing import vector_index
from indexing.document import Document, Passage
from indexing.errors import IndexMismatchError, NotFoundError
from indexing.store import ArchiveStore, DocMeta
from indexing.vector_index import (
    VectorIndex,
    brute_force_search,
    choose_index_type,
    index_consistent,
    index_holds_store_ids,
    rebuild_from_store,
)

DIM = 32
MANIFEST = {"model_id": "test-model", "model_checksum": "abc", "versions": {"normalizer": "1", "segmenter": "1"}}


def random_vectors(n, seed=0, dim=DIM):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_search_equals_brute_force():
    matrix, queries = random_vectors(500, seed=1), random_vectors(20, seed=2)
    ids = np.arange(1000, 1500)
    index = VectorIndex(DIM, "Flat", MANIFEST)
    index.add(ids, matrix)

    scores, found = index.search(queries, 10)
    ref_scores, ref_rows = brute_force_search(matrix, queries, 10)

    np.testing.assert_array_equal(found, ids[ref_rows])
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    assert scores[0, 0] <= 1.0 + 1e-5 and np.all(np.diff(scores, axis=1) <= 1e-6)


def test_search_normalises_and_pads_when_k_exceeds_count():
    index = VectorIndex(DIM)
    vectors = random_vectors(3)
    index.add([7, 8, 9], vectors * 5.0)  # unnormalised input must still give cosine scores
    scores, ids = index.search(vectors[:1], 5)
    assert ids[0, 0] == 7 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert list(ids[0, 3:]) == [-1, -1] and np.all(np.isneginf(scores[0, 3:]))
    ref_scores, ref_ids = brute_force_search(vectors, vectors[:1], 5)
    assert list(ref_ids[0, 3:]) == [-1, -1] and np.all(np.isneginf(ref_scores[0, 3:]))

    empty_scores, empty_ids = VectorIndex(DIM).search(vectors, 2)
    assert empty_ids.shape == (3, 2) and np.all(empty_ids == -1)


def test_add_replaces_existing_ids_and_remove():
    index = VectorIndex(DIM)
    a, b = random_vectors(2, seed=3)
    index.add([1, 2], np.stack([a, b]))
    index.add([1], b[None])  # re-adding id 1 replaces it instead of duplicating
    assert index.ntotal == 2
    _, ids = index.search(b[None], 2)
    assert set(ids[0]) == {1, 2}

    assert index.remove([1, 99]) == 1
    assert index.ntotal == 1 and list(index.ids()) == [2]


def test_wrong_dimension_is_refused():
    index = VectorIndex(DIM)
    with pytest.raises(IndexMismatchError):
        index.add([1], random_vectors(1, dim=DIM + 1))
    with pytest.raises(IndexMismatchError):
        index.search(random_vectors(1, dim=DIM + 1), 3)


def test_save_load_round_trip(tmp_path):
    index = VectorIndex(DIM, "Flat", MANIFEST)
    vectors = random_vectors(50, seed=4)
    index.add(np.arange(50) * 3, vectors)
    index.remove([0, 3])
    index.save(tmp_path)

    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["model_id"] == "test-model" and manifest["dimension"] == DIM
    assert manifest["count"] == 48 and manifest["index_type"] == "Flat"
    assert manifest["versions"] == {"normalizer": "1", "segmenter": "1"} and manifest["faiss_version"]

    loaded = VectorIndex.load(tmp_path, {"model_id": "test-model", "dimension": DIM})
    assert loaded.ntotal == 48 and loaded.manifest["model_checksum"] == "abc"
    queries = random_vectors(5, seed=5)
    for (s1, i1), (s2, i2) in [(index.search(queries, 7), loaded.search(queries, 7))]:
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_allclose(s1, s2)
    assert not {0, 3} & set(loaded.ids().tolist())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("expected", [{"model_id": "other-model", "dimension": DIM}, {"model_id": "test-model", "dimension": 64}])
def test_load_refuses_incompatible_manifest(tmp_path, expected):
    index = VectorIndex(DIM, "Flat", MANIFEST)
    index.add([1], random_vectors(1))
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError) as err:
        VectorIndex.load(tmp_path, expected)
    assert "không thể trộn" in err.value.message


def test_load_detects_index_file_not_matching_manifest(tmp_path):
    index = VectorIndex(DIM, "Flat", MANIFEST)
    index.add([1], random_vectors(1))
    index.save(tmp_path)
    other = VectorIndex(DIM, "Flat", MANIFEST)
    other.add([1, 2], random_vectors(2))
    (tmp_path / "passages.faiss").write_bytes(vector_index.faiss.serialize_index(other.index).tobytes())
    with pytest.raises(IndexMismatchError):
        VectorIndex.load(tmp_path, {"model_id": "test-model"})
    with pytest.raises(NotFoundError):
        VectorIndex.load(tmp_path / "missing", {})


def test_failed_save_leaves_old_index_intact(tmp_path, monkeypatch):
    old = VectorIndex(DIM, "Flat", MANIFEST)
    old.add([1, 2], random_vectors(2, seed=6))
    old.save(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    new = VectorIndex(DIM, "Flat", MANIFEST)
    new.add(np.arange(10, 30), random_vectors(20, seed=7))

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(vector_index.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        new.save(tmp_path)
    monkeypatch.setattr(vector_index.os, "fsync", os.fsync)

    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp file left behind
    loaded = VectorIndex.load(tmp_path, {"model_id": "test-model", "dimension": DIM})
    assert sorted(loaded.ids().tolist()) == [1, 2]


def make_doc(text):
    return Document(text=text, blocks=[], block_offsets=[], format="txt")


def fill_store(store, n_docs=4, per_doc=6, seed=0):
    doc_ids = []
    for d in range(seed, seed + n_docs):
        text = "\n".join(f"Tài liệu {d} đoạn {i} về đổi mới phương pháp dạy học." for i in range(per_doc))
        doc = make_doc(text)
        lines = text.split("\n")
        passages, pos = [], 0
        for i, line in enumerate(lines):
            passages.append(Passage(line, pos, pos + len(line), None, None, None, ordinal=i))
            pos += len(line) + 1
        doc_ids.append(store.add_document(doc, passages, random_vectors(per_doc, seed=100 + d), DocMeta(title=f"SK {d}")))
    return doc_ids


def test_an_index_caught_up_from_the_store_equals_a_rebuilt_one(tmp_path):
    store = ArchiveStore(tmp_path / "archive.db")
    store.meta_set("model_id", "test-model")
    incremental = VectorIndex(DIM, "Flat", MANIFEST)
    doc_ids = []
    for d in range(4):
        doc_ids += fill_store(store, n_docs=1, seed=100 + d)
        assert not index_consistent(store, incremental)  # stored, not yet caught up
        assert incremental.sync(store) == 6 and index_consistent(store, incremental)
    store.delete_document(doc_ids[1])
    assert not index_consistent(store, incremental)
    assert incremental.sync(store) == 6 and incremental.sync(store) == 0  # a deletion, applied once

    rebuilt = rebuild_from_store(store, MANIFEST)
    assert index_consistent(store, rebuilt) and index_consistent(store, incremental)
    assert index_holds_store_ids(store, rebuilt) and index_holds_store_ids(store, incremental)
    queries = random_vectors(8, seed=9)
    s1, i1 = incremental.search(queries, 5)
    s2, i2 = rebuilt.search(queries, 5)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(s1, s2, atol=1e-6)
    assert not index_consistent(store, VectorIndex(DIM + 1))


def test_sync_reads_only_what_changed_since_the_snapshot(tmp_path, monkeypatch):
    store = ArchiveStore(tmp_path / "archive.db")
    fill_store(store, n_docs=5)
    index = rebuild_from_store(store, MANIFEST)
    index.save(tmp_path / "index")
    fill_store(store, n_docs=1, seed=50)  # another process adds a document after the snapshot
    read = []
    real = store.iter_vectors

    def counting(*args, **kwargs):
        for ids, vectors in real(*args, **kwargs):
            read.append(len(ids))
            yield ids, vectors

    monkeypatch.setattr(store, "iter_vectors", counting)
    loaded = VectorIndex.load(tmp_path / "index", MANIFEST)
    assert loaded.position != store.sync_position()
    assert loaded.sync(store) == 6 and sum(read) == 6  # only the new document's passages
    assert index_consistent(store, loaded) and loaded.ntotal == 36


def test_the_index_type_follows_the_archive_size():
    assert choose_index_type(1_000) == "Flat"
    assert choose_index_type(vector_index.FLAT_LIMIT - 1) == "Flat"
    big = choose_index_type(1_000_000)
    assert big.startswith("IVF") and big.endswith(",SQ8")
    assert VectorIndex(DIM, choose_index_type(4_000_000)).lists > VectorIndex(DIM, big).lists


def test_rebuild_refuses_vectors_of_another_model(tmp_path):
    store = ArchiveStore(tmp_path / "archive.db")
    store.meta_set("model_id", "old-model")
    fill_store(store, n_docs=1)
    with pytest.raises(IndexMismatchError):
        rebuild_from_store(store, MANIFEST)
    with pytest.raises(IndexMismatchError):
        rebuild_from_store(store, {"model_id": "old-model", "dimension": 64})


def test_rebuild_trains_ivf_index_on_a_sample_of_the_store(tmp_path):
    store = ArchiveStore(tmp_path / "archive.db")
    fill_store(store, n_docs=8, per_doc=40)
    index = rebuild_from_store(store, MANIFEST, index_type="IVF4,SQ8", batch=50)
    assert index.ntotal == 320 and index_consistent(store, index)
    vector_index.faiss.extract_index_ivf(index.index).nprobe = 4  # probe every list: exact but for SQ8
    ids = np.array(store.passage_ids())
    matrix = store.passage_vectors(ids)
    _, found = index.search(matrix[:5], 3)
    _, ref = brute_force_search(matrix, matrix[:5], 3)
    np.testing.assert_array_equal(found, ids[ref])
