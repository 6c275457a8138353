"""Suggested reading's ranking: BM25 from bm25s, many queries summed at once exactly as bm25s
sums one."""

from __future__ import annotations

import numpy as np

from masthead.archive.similar import Similarity, Text

TEXTS = [
    Text("Harbour lights", "The harbour lights come on at dusk over the quay and the boats."),
    Text("Fog signals", "A fog horn sounds every minute when the fog rolls over the point."),
    Text("Lamp keepers", "The keepers trim the lamp and wind the clock in the lantern room."),
    Text("Night boats", "Boats leave the harbour at night; the quay lights guide them home."),
    Text("Lantern rooms", "In the lantern room the lamp turns; keepers climb the tower stair."),
]


def test_batched_scores_are_bm25s_scores() -> None:
    similarity = Similarity(TEXTS)
    table = similarity.scores([3, 4])
    for row, doc in zip(table, (3, 4), strict=True):
        expected = similarity.index.get_scores_from_ids(similarity.query(doc))
        assert np.allclose(row, expected)


def test_best_ranks_the_similar_text_first_among_the_allowed() -> None:
    similarity = Similarity(TEXTS)
    allowed = np.array([1, 1, 1, 0, 0], dtype=np.float32)
    assert similarity.best(3, allowed, 2)[0] == 0  # Night boats → Harbour lights.
    assert similarity.best(4, allowed, 1) == [2]  # Lantern rooms → Lamp keepers.
    assert similarity.best(4, np.zeros(5, dtype=np.float32), 3) == []
