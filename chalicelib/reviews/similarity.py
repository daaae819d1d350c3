"""Near-duplicate texts: word shingles, their Jaccard similarity, and MinHash bands so
candidates are found by key lookups across the whole platform (locality-sensitive
hashing), never by reading every review.

With 12 bands of 3 rows a pair with Jaccard 0.8 shares at least one band with
probability 1 − (1 − 0.8³)¹² ≈ 0.9998 (identical texts always do); every candidate is then
compared exactly, so only the true similarity decides.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SHINGLE_WORDS = 3
BANDS = 12
ROWS = 3
DUPLICATE_THRESHOLD = 0.8
BORDERLINE_THRESHOLD = 0.6

_MERSENNE = (1 << 61) - 1
_WORD = re.compile(r"[^\W_]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _permutations() -> list[tuple[int, int]]:
    params = []
    for i in range(BANDS * ROWS):
        digest = hashlib.blake2b(f"freigabe-minhash-{i}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (_MERSENNE - 1) + 1
        b = int.from_bytes(digest[8:], "big") % _MERSENNE
        params.append((a, b))
    return params


_PERMUTATIONS = _permutations()


def normalized_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_UMLAUTS)
    return _WORD.findall(text)


def shingles(text: str) -> frozenset[str]:
    """Sets of ``SHINGLE_WORDS`` consecutive words; a shorter text is one shingle."""
    found = normalized_words(text)
    if len(found) <= SHINGLE_WORDS:
        return frozenset({" ".join(found)}) if found else frozenset()
    return frozenset(" ".join(found[i:i + SHINGLE_WORDS])
                     for i in range(len(found) - SHINGLE_WORDS + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


def band_keys(text: str) -> list[str]:
    """One key per band: reviews sharing any key are candidates for a near-duplicate."""
    values = [_hash(s) for s in shingles(text)]
    if not values:
        return []
    signature = [min((a * v + b) % _MERSENNE for v in values) for a, b in _PERMUTATIONS]
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS:(band + 1) * ROWS]
        digest = hashlib.blake2b(",".join(map(str, rows)).encode(), digest_size=10).hexdigest()
        keys.append(f"{band}#{digest}")
    return keys
