"""The bulk part of ranking suggestions: one similarity matrix (rapidfuzz `cdist`, numpy), and
each row's shortlist. Imported only by `suggest_matches`, so nothing else loads numpy."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process


def similarities(queries: list[str], choices: list[str], floor: int, workers: int) -> np.ndarray:
    """`fuzz.ratio` of every query against every choice, rounded; under `floor` becomes 0.

    The cut-off applies to the unrounded score, so it sits half a point lower: a pair whose
    score rounds up to `floor` (59.6 -> 60) is kept, as the pairwise score keeps it.
    """
    return process.cdist(
        queries, choices, scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=max(0.0, floor - 0.5),
        workers=workers,
    )


def shortlists(similarities: np.ndarray, shortlist_size: int) -> list[list[int]]:
    """Per row, the columns of the `shortlist_size` most similar non-zero cells, best first."""
    rows, columns, values = _nonzero_cells(similarities)
    # Stable sort: row by row, most similar first, equal ones left to right.
    order = np.lexsort((-values.astype(np.int16), rows))
    rows, columns = rows[order], columns[order]
    bounds = np.searchsorted(rows, np.arange(similarities.shape[0] + 1)).tolist()
    listed = columns.tolist()
    return [
        listed[start : min(end, start + shortlist_size)]
        for start, end in zip(bounds, bounds[1:], strict=False)
    ]


def _nonzero_cells(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of a uint8 matrix's non-zero cells, row by row, left to right."""
    flat = matrix.reshape(-1)
    whole = flat.size - flat.size % 8
    # Mostly zeros: test eight cells at a time as one 64-bit word, then look inside the hits.
    blocks = np.flatnonzero(flat[:whole].view(np.uint64))
    positions = np.concatenate(
        [(blocks[:, None] * 8 + np.arange(8)).reshape(-1), np.arange(whole, flat.size)]
    )
    positions = positions[flat[positions] != 0]
    rows, columns = np.divmod(positions, matrix.shape[1])
    return rows, columns, flat[positions]
