"""Small helpers shared by several test modules."""
from __future__ import annotations

import hashlib
import re
import time

import numpy as np


class HashEmbedder:
    """Bag of hashed words projected to 64 dimensions: deterministic, model-free, similar texts get
    similar vectors. Enough to exercise store, lock and index in child processes."""

    model_id = "hash-embedder-test"
    dim = 64

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                vectors[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)

    encode_queries = encode_passages


def poll(client, url, headers, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = client.get(url, headers=headers).json()
        if body["status"] not in ("queued", "running"):
            return body
        time.sleep(0.5)
    raise AssertionError(f"{url} did not finish in {timeout} s")


def auth(token):
    return {"Authorization": f"Bearer {token}"}
