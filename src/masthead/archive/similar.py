"""Text similarity between articles, for suggested reading: BM25 (the `bm25s` library) over
title, dek, tags and body; each article's query is its title, dek and tags with its body's
most frequent words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Words of an article's body that go into its query (see Similarity.query): the whole body makes
# slow queries (each word sums a row of the index) and no better suggestions (benchmarks/).
QUERY_BODY_WORDS = 40
# Words in more texts than this (a tenth of them, and at least 50) are left out of queries:
# they say little about any one text (BM25 gives them almost no weight) and each costs a pass
# over most of the index. Under 50 texts no word is left out.
COMMON_SHARE, COMMON_MIN = 0.1, 50
HEAD_WEIGHT = 2  # The title, dek and tags count this many times, in the index and the query.
# Stop word lists bm25s ships, by language subtag.
STOPWORDS = {"en", "de", "nl", "fr", "es", "pt", "it", "ru", "sv", "no", "zh"}
# Words of two letters or more, and numbers with their dots kept whole ("1.26", "3.0.4"): a
# version or a year named in a body is often what ties an article to an earlier one.
TOKEN_PATTERN = r"(?u)\b\w+(?:\.\w+)*\b"


@dataclass(frozen=True)
class Text:
    """What similarity reads of an article."""

    head: str  # Title, dek and tags.
    body: str


class Similarity:
    """A BM25 index of the texts; `best` ranks some of them for one of them."""

    def __init__(self, texts: Sequence[Text], language: str = "en") -> None:
        import bm25s

        lang = (language or "en").split("-")[0].lower()
        stopwords = lang if lang in STOPWORDS else None
        tokens = bm25s.tokenize(
            [t.head for t in texts] + [t.body for t in texts],
            stopwords=stopwords,
            token_pattern=TOKEN_PATTERN,
            show_progress=False,
        )
        count = len(texts)
        ids = list(tokens.ids)
        self.heads = [list(i) for i in ids[:count]]
        self.bodies = [list(i) for i in ids[count:]]
        corpus = [
            head * HEAD_WEIGHT + body for head, body in zip(self.heads, self.bodies, strict=True)
        ]
        self.index = bm25s.BM25()
        self.index.index(
            bm25s.tokenization.Tokenized(ids=corpus, vocab=tokens.vocab), show_progress=False
        )
        found = np.diff(self.index.scores["indptr"].astype(np.float64))  # Texts with each word.
        self.idf = np.log(1 + (count - found + 0.5) / (found + 0.5))
        self.useful = found <= max(COMMON_MIN, COMMON_SHARE * count)

    def query(self, doc: int) -> list[int]:
        """Token ids of an article's query: its head's words, and the body words that say most
        about it (count times BM25's inverse document frequency, as "more like this" queries
        pick them): common words add little to a score and much to the time."""
        counts = Counter(t for t in self.bodies[doc] if self.useful[t])
        tokens = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights *= self.idf[tokens]
        body = tokens[np.lexsort((tokens, -weights))[:QUERY_BODY_WORDS]]
        head = sorted(t for t in set(self.heads[doc]) if self.useful[t])
        return head * HEAD_WEIGHT + [int(t) for t in body]

    def scores(self, docs: Sequence[int]) -> np.ndarray:
        """BM25 scores of every text for each of these texts' queries, one row each: the sums
        bm25s's `get_scores_from_ids` makes, for many queries at once."""
        data = self.index.scores["data"]
        indices = self.index.scores["indices"]
        indptr = self.index.scores["indptr"].astype(np.int64)
        total = int(self.index.scores["num_docs"])
        queries = [self.query(doc) for doc in docs]
        tokens = np.fromiter((t for q in queries for t in q), dtype=np.int64)
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), [len(q) for q in queries])
        starts = indptr[tokens]
        lengths = indptr[tokens + 1] - starts
        # Every posting of every query token, gathered at once.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        postings = np.arange(int(lengths.sum()), dtype=np.int64) + offsets
        cells = indices[postings].astype(np.int64) + np.repeat(rows, lengths) * total
        flat = np.bincount(cells, data[postings], minlength=len(docs) * total)
        return flat.reshape(len(docs), total)

    def best(self, doc: int, allowed: np.ndarray, count: int) -> list[int]:
        """The `count` texts most like text `doc` among those `allowed` (a 0/1 mask), best
        first; ties go to the later text (the more recent article)."""
        return self.best_many([doc], [allowed], [count])[0]

    def best_many(
        self, docs: Sequence[int], allowed: Sequence[np.ndarray], counts: Sequence[int]
    ) -> list[list[int]]:
        """`best` for several texts at once (one issue's articles)."""
        if not docs:
            return []
        table = self.scores(docs)
        found: list[list[int]] = []
        for row, mask, count in zip(table, allowed, counts, strict=True):
            scores = row * mask
            if count <= 0 or not mask.any():
                found.append([])
                continue
            # The best few by a partial sort, then in order (ties: the later text first).
            keep = min(len(scores), count + 16)
            top = np.argpartition(-scores, keep - 1)[:keep]
            order = top[np.lexsort((-top, -scores[top]))]
            found.append([int(i) for i in order[:count] if scores[i] > 0 and mask[i]])
        return found
