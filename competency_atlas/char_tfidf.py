"""Character n-gram TF-IDF for the title look-up: scikit-learn's `TfidfVectorizer(analyzer="char_wb",
ngram_range=(2, 4), sublinear_tf=True)`, the same numbers (tests/test_lookup.py checks them against
scikit-learn), in forty lines over scipy.sparse.

Why not scikit-learn itself: importing it (it pulls in scipy.stats) took about half of a cold
`atlas-match search occupation`, and the look-up needs nothing of it but this arithmetic.

char_wb: each word padded with one space on either side, its n-grams for n = 2..4 (a word shorter
than n gives itself once); tf sublinear (1 + ln count); idf smoothed, ln((1 + docs) / (1 + df)) + 1;
rows L2-normalised. N-grams never seen in the fitted texts are ignored.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = (2, 4)) -> list[str]:
    low, high = ngram_range
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:  # the whole padded word, counted once for the smallest n that reaches it
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


class CharTfidf:
    def __init__(self, ngram_range: tuple[int, int] = (2, 4)) -> None:
        self.ngram_range = ngram_range
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)

    def _counts(self, texts: Iterable[str], grow: bool) -> sparse.csr_matrix:
        # scipy.sparse on first use, not at import: an API worker imports the look-up with its
        # routes and most never search (11 MB of private memory per worker; docs/bench-api.md)
        from scipy import sparse

        indptr, indices, values = [0], [], []
        for text in texts:
            counts = Counter(char_wb_ngrams(text, self.ngram_range))
            row = sorted((self.vocabulary.setdefault(g, len(self.vocabulary)) if grow else self.vocabulary.get(g), c)
                         for g, c in counts.items() if grow or g in self.vocabulary)
            indices.extend(i for i, _ in row)
            values.extend(c for _, c in row)
            indptr.append(len(indices))
        return sparse.csr_matrix((np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int64),
                                  np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(self.vocabulary)))

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1), dtype=np.float32)).ravel()
        norms[norms == 0] = 1.0
        counts.data /= np.repeat(norms, np.diff(counts.indptr))
        return counts

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        self.vocabulary = {}
        counts = self._counts(texts, grow=True)
        df = np.bincount(counts.indices, minlength=len(self.vocabulary))
        self.idf = (np.log((1 + len(texts)) / (1 + df)) + 1.0).astype(np.float32)
        return self._weigh(counts)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self._weigh(self._counts(texts, grow=False))
