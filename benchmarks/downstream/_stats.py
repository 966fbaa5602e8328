"""Scores with seeded bootstrap 95% intervals, and the comparison of two of them.

Items are resampled with replacement ``samples`` times by a ``numpy`` generator seeded
from the benchmark seed and the score's name, so a rerun gives the same interval. Step
scores of ``turnloom eval`` resample whole dialogues (the steps of one dialogue are not
independent) and pool the steps of the drawn dialogues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Score", "better", "bootstrap", "cluster_bootstrap"]


@dataclass(frozen=True)
class Score:
    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        if self.value is None or self.low is None or self.high is None:
            return "n/a"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}] (n={self.n})"


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def bootstrap(values: Sequence[float | bool], *, seed: int, name: str, samples: int = 1000) -> Score:
    """Mean of ``values`` with a percentile bootstrap 95% interval."""
    x = np.asarray([float(v) for v in values], dtype=float)
    if x.size == 0:
        return Score(None, None, None, 0)
    idx = _rng(seed, name).integers(0, x.size, size=(samples, x.size))
    means = x[idx].mean(axis=1)
    return Score(float(x.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)), int(x.size))


def cluster_bootstrap(groups: Sequence[Sequence[float | bool]], *, seed: int, name: str,
                      samples: int = 1000) -> Score:
    """Pooled mean over groups (e.g. the steps of each dialogue), resampling whole groups."""
    groups = [g for g in groups if len(g)]
    if not groups:
        return Score(None, None, None, 0)
    sums = np.asarray([sum(float(v) for v in g) for g in groups])
    counts = np.asarray([len(g) for g in groups], dtype=float)
    idx = _rng(seed, name).integers(0, len(groups), size=(samples, len(groups)))
    means = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return Score(float(sums.sum() / counts.sum()), float(np.percentile(means, 2.5)),
                 float(np.percentile(means, 97.5)), int(counts.sum()))


def better(a: Score, b: Score) -> bool:
    """``a`` beats ``b`` with non-overlapping intervals."""
    return a.low is not None and b.high is not None and a.low > b.high
