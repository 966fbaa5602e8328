"""All pairs of rows whose cosine similarity exceeds a threshold, without an all-pairs matrix.

Rows are L2-normalized. Up to ``exact_limit`` rows the search is exact: chunked
matrix products, one block of rows against all rows at a time, so memory stays at
``chunk x n`` floats. Above it, candidate pairs come from random-hyperplane LSH
(``bands`` tables of ``bits`` signs each, from a fixed seed, so the result is
deterministic) and are verified exactly inside each bucket; the band count is
chosen for about 95% recall at the threshold (a pair is found when it shares a
bucket in any band), capped by ``max_bands``.
"""

from __future__ import annotations

import math

import numpy as np
from threadpoolctl import threadpool_limits

from turnloom.mapping import Mapper, local_map

__all__ = ["descending_key", "packed_order", "similar_pairs", "top_k_mask"]

_CHUNK_BYTES = 96 * 1024 * 1024
_LSH_SEED = 20241024


def descending_key(score: np.ndarray) -> np.ndarray:
    """uint64 keys whose ascending order is ``score``'s descending order (float32 bit trick)."""
    bits = np.ascontiguousarray(score, dtype=np.float32).view(np.uint32)
    ascending = np.where(bits & np.uint32(0x80000000), ~bits, bits | np.uint32(0x80000000))
    return (~ascending).astype(np.uint64)


def packed_order(key: np.ndarray, *ties: np.ndarray) -> np.ndarray:
    """The order that sorts by ``key`` (uint64), then by each of ``ties`` in turn.

    Equal to ``np.lexsort((*reversed(ties), key))`` (full ties keep their input order)
    at a fraction of its cost: one sort on ``key``, then only the runs of equal keys are
    ordered by the tie-breakers.
    """
    order = np.argsort(key)
    if not ties:
        return order
    sorted_key = key[order]
    same = sorted_key[1:] == sorted_key[:-1]
    if same.any():
        in_run = np.zeros(len(order), dtype=bool)
        in_run[:-1] |= same
        in_run[1:] |= same
        pos = np.flatnonzero(in_run)
        sub = np.sort(order[pos])  # input order among full ties, as a stable sort keeps it
        order[pos] = sub[np.lexsort((*(t[sub] for t in reversed(ties)), key[sub]))]
    return order


def top_k_mask(nodes_a: np.ndarray, nodes_b: np.ndarray, score: np.ndarray, tie: np.ndarray, k: int) -> np.ndarray:
    """Mask of the pairs that rank among the ``k`` best of either endpoint.

    Ranking is by ``score`` descending, then ``tie`` ascending (a deterministic pair hash).
    """
    m = len(score)
    if m == 0:
        return np.zeros(0, dtype=bool)
    node = np.concatenate([nodes_a, nodes_b]).astype(np.uint64)
    ties = np.concatenate([tie, tie]).astype(np.uint64)
    # node | score | the tie's top bits, in one uint64; equal keys are then rare
    spare = 32 - int(node.max()).bit_length()
    key = (node << np.uint64(32)) | np.tile(descending_key(score), 2)
    if spare > 0:
        key = (key << np.uint64(spare)) | (ties >> np.uint64(64 - spare))
    order = packed_order(key, ties)
    node_sorted = node[order]
    starts = np.flatnonzero(np.r_[True, node_sorted[1:] != node_sorted[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - group_start
    keep = np.zeros(m, dtype=bool)
    chosen = order[rank < k]
    keep[chosen % m] = True
    return keep


def pair_hash(a: np.ndarray, b: np.ndarray, salt: int = 0) -> np.ndarray:
    """A stable 64-bit hash of unordered pairs (splitmix64 finalizer)."""
    lo = np.minimum(a, b).astype(np.uint64)
    hi = np.maximum(a, b).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (lo << np.uint64(32)) ^ hi ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _row_top(block: np.ndarray, threshold: float, k: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``(row, col)`` of the entries above ``threshold``, at most ``k`` best per row."""
    if k is not None and block.shape[1] > k:
        idx = np.argpartition(-block, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(block, idx, axis=1)
        r, j = np.nonzero(vals > threshold)
        return r, idx[r, j]
    rows, cols = np.nonzero(block > threshold)
    return rows, cols


def _exact_chunk(
    start: int, emb: np.ndarray, threshold: float, k: int | None, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pair keys and similarities of rows ``start:start+chunk`` against the rows they are compared with."""
    n = len(emb)
    cols = 0 if k is not None else start  # with top-k each row needs all its columns
    with threadpool_limits(limits=1, user_api="blas"):  # see _band_pairs
        block = emb[start : start + chunk] @ emb[cols:].T
    rows = np.arange(len(block))
    block[rows, rows + start - cols] = -np.inf  # no self pairs
    r, c = _row_top(block, threshold, k)
    a, b = r + start, c + cols
    return np.minimum(a, b) * n + np.maximum(a, b), block[r, c]


def _exact(
    emb: np.ndarray, threshold: float, k: int | None, mapper: Mapper
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(emb)
    chunk = max(1, min(n, _CHUNK_BYTES // max(1, 4 * n)))
    parts = mapper(_exact_chunk, range(0, n, chunk), shared=(emb, threshold, k, chunk))
    return _merge([p[0] for p in parts], [p[1] for p in parts], n)


def _merge(keys: list[np.ndarray], sims: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    key, first = np.unique(np.concatenate(keys).astype(np.int64), return_index=True)
    sim = np.concatenate(sims)[first].astype(np.float32)
    return key // n, key % n, sim


def _lsh_plan(n: int, dim: int, threshold: float, max_bands: int) -> tuple[int, np.ndarray]:
    """Bits per band and the random hyperplanes of every band (fixed seed)."""
    bits = int(min(16, max(4, round(math.log2(max(2, n / 256))))))
    p = 1.0 - math.acos(min(1.0, max(-1.0, threshold))) / math.pi
    hit = p**bits
    bands = max_bands if hit >= 1.0 else min(max_bands, max(1, math.ceil(math.log(0.05) / math.log1p(-hit))))
    rng = np.random.default_rng(_LSH_SEED)
    return bits, rng.standard_normal((dim, bands * bits)).astype(np.float32)


def _lsh_band(
    band: int, emb: np.ndarray, planes: np.ndarray, bits: int, threshold: float, k: int | None, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """The similar pairs that share a bucket in one band, deduplicated (and capped with ``k``)."""
    # one BLAS thread, here or on a remote worker: a multi-threaded product may round
    # differently, and the graph must not depend on the core count or on who ran a block
    with threadpool_limits(limits=1, user_api="blas"):
        return _band_pairs(band, emb, planes, bits, threshold, k, window)


def _band_pairs(
    band: int, emb: np.ndarray, planes: np.ndarray, bits: int, threshold: float, k: int | None, window: int
) -> tuple[np.ndarray, np.ndarray]:
    n = len(emb)
    weights = (1 << np.arange(bits, dtype=np.int64)).astype(np.int64)
    signs = (emb @ planes[:, band * bits : (band + 1) * bits]) > 0
    codes = signs.astype(np.int64) @ weights
    # shuffle inside buckets by a per-band hash so that windows differ from band to band
    shuffle = pair_hash(np.arange(n), np.full(n, n + band), salt=band)
    order = np.lexsort((shuffle, codes))
    sorted_codes = codes[order]
    bounds = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1], True])
    keys: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if hi - lo < 2:
            continue
        members = order[lo:hi]
        sub = emb[members]
        size = len(members)
        # a large bucket is compared in windows: each block of `window` rows against itself
        # and the next block, so the cost grows linearly with the bucket
        step = size if size <= 2 * window else window
        for s in range(0, size, step):
            c0, c1 = s, min(size, s + 2 * step) if step < size else size
            block = sub[s : s + step] @ sub[c0:c1].T
            rows = np.arange(len(block))
            block[rows, rows + s - c0] = -np.inf
            r, c = _row_top(block, threshold, k)
            a, b = members[r + s], members[c + c0]
            keys.append(np.minimum(a, b) * n + np.maximum(a, b))
            sims.append(block[r, c])
    (key,), (sim,) = _compact(keys, sims, n, k)
    return key, sim


def _lsh(
    emb: np.ndarray, threshold: float, k: int | None, max_bands: int, window: int, mapper: Mapper
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, dim = emb.shape
    bits, planes = _lsh_plan(n, dim, threshold, max_bands)
    bands = planes.shape[1] // bits
    parts = mapper(_lsh_band, range(bands), shared=(emb, planes, bits, threshold, k, window))
    keys: list[np.ndarray] = []
    sims: list[np.ndarray] = []
    for key, sim in parts:  # in band order, as one pass over the bands would meet them
        keys, sims = _compact([*keys, key], [*sims, sim], n, k)
    return _merge(keys, sims, n)


def _compact(
    keys: list[np.ndarray], sims: list[np.ndarray], n: int, k: int | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Deduplicate the pairs found so far and, when they grow large, keep each row's best."""
    a, b, sim = _merge(keys, sims, n)
    if k is not None and len(sim) > 2 * n * k:
        keep = top_k_mask(a, b, sim, pair_hash(a, b), k)
        a, b, sim = a[keep], b[keep], sim[keep]
    return [a * n + b], [sim]


def similar_pairs(
    emb: np.ndarray,
    threshold: float,
    *,
    top_k: int | None = None,
    exact_limit: int = 20_000,
    max_bands: int | None = None,
    window: int = 256,
    mapper: Mapper | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, sim)`` with ``a < b`` for every row pair whose dot product exceeds ``threshold``.

    With ``top_k``, a pair is kept only when it ranks among the ``top_k`` most similar
    of ``a`` or of ``b``. Pairs come back sorted by ``(a, b)``. Above ``exact_limit``
    rows the search is approximate (LSH, at most ``max_bands`` tables: 24 by default,
    6 with ``top_k``, where dense clusters of near-duplicates fill each row's list
    from any table; buckets larger than ``2 * window`` are compared window by window).
    ``mapper`` spreads the row blocks (exact) or the bands (LSH) over workers
    (:mod:`turnloom.mapping`); the result does not depend on it.
    """
    emb = np.ascontiguousarray(emb, dtype=np.float32)
    if len(emb) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    if len(emb) <= exact_limit:
        a, b, sim = _exact(emb, threshold, top_k, mapper or local_map)
    else:
        bands = max_bands if max_bands is not None else (6 if top_k is not None else 24)
        a, b, sim = _lsh(emb, threshold, top_k, bands, window, mapper or local_map)
    if top_k is not None and len(sim):
        keep = top_k_mask(a, b, sim, pair_hash(a, b), top_k)
        a, b, sim = a[keep], b[keep], sim[keep]
    return a, b, sim
