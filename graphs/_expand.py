"""From similar strings to tool pairs: ToolFlow's edge rule, vectorized and bounded.

Each unique string has owners (tool index, owned as a parameter or only as a return
field). A similar string pair ``(a, b)`` joins every owner ``t`` of ``a`` with every
owner ``j`` of ``b`` unless both own their string as a return field (ToolFlow counts
parameter-parameter and return-parameter pairs only). The tool-pair weight is the
maximum over its string pairs.

With ``top_k`` an edge is kept when it ranks among the ``top_k`` strongest edges of
either endpoint, ties broken by a stable pair hash (a deterministic stand-in for a
random choice). A string shared by thousands of tools would otherwise make a
clique of millions of edges; with ``top_k`` each owner takes only its ``top_k``
partners by pair hash from such a block, which gives the same result as expanding
the block and ranking afterwards, at a cost linear in the block's side.
"""

from __future__ import annotations

import numpy as np

from turnloom.graphs._search import descending_key, packed_order, pair_hash, top_k_mask

__all__ = ["expand_tool_pairs"]

_CHUNK = 1_000_000
_COMPACT = 4_000_000
_NO = np.iinfo(np.uint64).max

Edges = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Accumulator:
    def __init__(self, n_tools: int, top_k: int | None) -> None:
        self.n = n_tools
        self.top_k = top_k
        self.parts: list[Edges] = []
        self.size = 0

    def add(self, t: np.ndarray, j: np.ndarray, w: np.ndarray, sa: np.ndarray, sb: np.ndarray) -> None:
        keep = t != j
        if not keep.any():
            return
        t, j, w, sa, sb = t[keep], j[keep], w[keep], sa[keep], sb[keep]
        swap = t > j
        u = np.where(swap, j, t)
        v = np.where(swap, t, j)
        a = np.where(swap, sb, sa)
        b = np.where(swap, sa, sb)
        self.parts.append((u, v, w.astype(np.float32), a, b))
        self.size += len(u)
        if self.size > _COMPACT:
            self.compact()

    def compact(self) -> Edges:
        if not self.parts:
            e = np.zeros(0, dtype=np.int64)
            return e, e, np.zeros(0, dtype=np.float32), e, e
        u, v, w, a, b = (np.concatenate(col) for col in zip(*self.parts, strict=True))
        key = u * self.n + v
        if self.n < 1 << 16:  # the pair index fits 32 bits: pack it with the weight
            packed = (key.astype(np.uint64) << np.uint64(32)) | descending_key(w)
            order = packed_order(packed, a, b)
        else:
            order = np.lexsort((b, a, -w, key))
        key, u, v, w, a, b = key[order], u[order], v[order], w[order], a[order], b[order]
        first = np.r_[True, key[1:] != key[:-1]]
        u, v, w, a, b = u[first], v[first], w[first], a[first], b[first]
        if self.top_k is not None and len(u):
            keep = top_k_mask(u, v, w, pair_hash(u, v), self.top_k)
            u, v, w, a, b = u[keep], v[keep], w[keep], a[keep], b[keep]
        self.parts = [(u, v, w, a, b)]
        self.size = len(u)
        return u, v, w, a, b


def _expand_small(
    ptr: np.ndarray,
    tool: np.ndarray,
    param: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    sim: np.ndarray,
    acc: _Accumulator,
) -> None:
    cnt = np.diff(ptr)
    size = cnt[a] * cnt[b]
    start = 0
    while start < len(a):
        total = np.cumsum(size[start:])
        stop = start + max(1, int(np.searchsorted(total, _CHUNK, side="right")))
        cb, sz = cnt[b[start:stop]], size[start:stop]
        pair = np.repeat(np.arange(start, stop), sz)
        offset = np.repeat(np.cumsum(sz) - sz, sz)
        pos = np.arange(int(sz.sum())) - offset
        cb_rep = np.repeat(cb, sz)
        ia = ptr[a[pair]] + pos // cb_rep
        ib = ptr[b[pair]] + pos % cb_rep
        valid = param[ia] | param[ib]
        acc.add(tool[ia][valid], tool[ib][valid], sim[pair][valid], a[pair][valid], b[pair][valid])
        start = stop


def _best_partners(
    rows: np.ndarray, rows_param: np.ndarray, cols: np.ndarray, cols_param: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each row tool, its ``k`` valid column partners with the smallest pair hash."""
    out_r, out_c = [], []
    step = max(1, _CHUNK // max(1, len(cols)))
    for s in range(0, len(rows), step):
        r, rp = rows[s : s + step], rows_param[s : s + step]
        h = pair_hash(r[:, None], cols[None, :])
        bad = ~(rp[:, None] | cols_param[None, :]) | (r[:, None] == cols[None, :])
        h[bad] = _NO
        kk = min(k, len(cols))
        if kk < len(cols):
            idx = np.argpartition(h, kk - 1, axis=1)[:, :kk]
        else:
            idx = np.tile(np.arange(len(cols)), (len(r), 1))
        picked = np.take_along_axis(h, idx, axis=1) != _NO
        out_r.append(np.repeat(r, kk).reshape(len(r), kk)[picked])
        out_c.append(cols[idx][picked])
    return np.concatenate(out_r), np.concatenate(out_c)


def _expand_big(
    ptr: np.ndarray,
    tool: np.ndarray,
    param: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    sim: np.ndarray,
    acc: _Accumulator,
    k: int,
) -> None:
    """Large blocks, strongest first, skipping owners whose ``k`` best edges are already found.

    An owner that already has ``k`` distinct edges of a strictly higher weight cannot
    rank a new edge of this weight among its ``k`` best, so it takes no partners from
    the block (its edges may still be kept from the partner's side, which is expanded
    on its own). Counting is exact: pair keys already seen are not counted twice, and
    a weight's counts take effect only when the next, lower weight begins.
    """
    n = acc.n
    better = np.zeros(n, dtype=np.int64)  # distinct edges at weights above the current one
    pending = np.zeros(n, dtype=np.int64)
    seen: set[int] = set()
    order = np.argsort(-sim, kind="stable")
    current = None
    for i in order.tolist():
        sa, sb, weight = int(a[i]), int(b[i]), float(sim[i])
        if weight != current:
            better += pending
            pending[:] = 0
            current = weight
        ta, pa = tool[ptr[sa] : ptr[sa + 1]], param[ptr[sa] : ptr[sa + 1]]
        tb, pb = tool[ptr[sb] : ptr[sb + 1]], param[ptr[sb] : ptr[sb + 1]]
        views = [(ta, pa, tb, pb)] if sa == sb else [(ta, pa, tb, pb), (tb, pb, ta, pa)]
        for n_view, (rows, rp, cols, cp) in enumerate(views):
            open_rows = better[rows] < k
            if not open_rows.any():
                continue
            r, c = _best_partners(rows[open_rows], rp[open_rows], cols, cp, k)
            if not len(r):
                continue
            # a pair can come twice in one block (as t -> j and j -> t); count it once
            keys, first_at = np.unique(np.minimum(r, c) * n + np.maximum(r, c), return_index=True)
            fresh = np.fromiter((key not in seen for key in keys.tolist()), dtype=bool, count=len(keys))
            if fresh.any():
                seen.update(keys[fresh].tolist())
                np.add.at(pending, r[first_at[fresh]], 1)
                np.add.at(pending, c[first_at[fresh]], 1)
            first, second = (sa, sb) if n_view == 0 else (sb, sa)
            acc.add(r, c, np.full(len(r), weight, dtype=np.float32), np.full(len(r), first), np.full(len(r), second))


def expand_tool_pairs(
    ptr: np.ndarray,
    tool: np.ndarray,
    param: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    sim: np.ndarray,
    *,
    n_tools: int,
    top_k: int | None = None,
) -> Edges:
    """Tool edges ``(u, v, weight, string_a, string_b)`` with ``u < v``, sorted by ``(u, v)``.

    ``ptr``/``tool``/``param`` list each unique string's owners (CSR layout); ``a, b,
    sim`` are the similar string pairs (``a < b``). Identical strings count as a
    pair of similarity 1.0 with themselves.
    """
    cnt = np.diff(ptr)
    shared = np.flatnonzero(cnt >= 2)
    a = np.concatenate([shared, a]).astype(np.int64)
    b = np.concatenate([shared, b]).astype(np.int64)
    sim = np.concatenate([np.ones(len(shared), dtype=np.float32), sim.astype(np.float32)])
    acc = _Accumulator(n_tools, top_k)
    size = cnt[a] * cnt[b]
    big = size > 8 * top_k if top_k is not None else np.zeros(len(a), dtype=bool)
    _expand_small(ptr, tool, param, a[~big], b[~big], sim[~big], acc)
    if top_k is not None and big.any():
        _expand_big(ptr, tool, param, a[big], b[big], sim[big], acc, top_k)
    u, v, w, sa_out, sb_out = acc.compact()
    order = np.lexsort((v, u))
    return u[order], v[order], w[order], sa_out[order], sb_out[order]
