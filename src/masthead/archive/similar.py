"""Text similarity between articles, for suggested reading: BM25 (the `bm25s` library) over
title, dek, tags and body; each article's query is its title, dek and tags with its body's
most frequent words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Words of an article's body that go into its query, most frequent first: the whole body makes
# slow queries (each word sums a row of the index) and no better suggestions (benchmarks/).
QUERY_BODY_WORDS = 100
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

    def query(self, doc: int) -> list[int]:
        body = [token for token, _ in Counter(self.bodies[doc]).most_common(QUERY_BODY_WORDS)]
        return sorted(set(self.heads[doc])) * HEAD_WEIGHT + body

    def best(self, doc: int, allowed: np.ndarray, count: int) -> list[int]:
        """The `count` texts most like text `doc` among those `allowed` (a 0/1 mask), best
        first; ties go to the later text (the more recent article)."""
        if count <= 0 or not allowed.any():
            return []
        query = self.query(doc)
        if not query:
            return []
        scores = self.index.get_scores_from_ids(query, weight_mask=allowed.astype(np.float32))
        order = np.lexsort((-np.arange(len(scores)), -scores))
        return [int(i) for i in order[:count] if scores[i] > 0 and allowed[i]]
