"""Dataset quality measures (ToolFlow's): diversity and coherence.

* diversity: distinct-1/2/3 (unique n-grams / all n-grams) and word-frequency entropy
  (bits) over user turns;
* coherence between consecutive turns (premise = previous user request + assistant
  response, hypothesis = the next user request): lexical by default (cosine of word
  count vectors), sentence embeddings with the optional ``[embeddings]`` extra.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from turnloom.schema import Dialogue

__all__ = ["coherence_pairs", "distinct_n", "lexical_coherence", "sample_texts", "tokens", "word_entropy"]

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Unique n-grams / total n-grams over all texts (0 when there are none)."""
    total = 0
    seen: set[tuple[str, ...]] = set()
    for text in texts:
        toks = tokens(text)
        grams = [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def sample_texts(texts: Sequence[str], size: int, *, seed: int = 0) -> list[str]:
    """A seeded sample of ``size`` texts, in their original order (all of them when there are fewer,
    or when ``size`` is 0), so that diversity is measured over the same number of turns per run."""
    if size <= 0 or len(texts) <= size:
        return list(texts)
    picked = sorted(random.Random(seed).sample(range(len(texts)), size))
    return [texts[i] for i in picked]


def word_entropy(texts: Iterable[str]) -> float:
    """Shannon entropy (bits) of the word-frequency distribution."""
    counts = Counter(t for text in texts for t in tokens(text))
    total = sum(counts.values())
    if not total:
        return 0.0
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def coherence_pairs(d: Dialogue) -> list[tuple[str, str]]:
    """(previous request + response, next request) for consecutive user turns."""
    pairs = []
    prev_user: str | None = None
    response = ""
    for m in d.messages:
        if m.role == "user":
            if prev_user is not None:
                pairs.append((f"{prev_user} {response}".strip(), m.content or ""))
            prev_user, response = m.content or "", ""
        elif m.role == "assistant" and m.content:
            response = m.content
    return pairs


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def lexical_coherence(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean cosine similarity of word-count vectors over the pairs."""
    if not pairs:
        return 0.0
    return sum(_cosine(Counter(tokens(a)), Counter(tokens(b))) for a, b in pairs) / len(pairs)


def embedding_coherence(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Mean embedding cosine (ToolFlow's SS) with the optional sentence-embedding extra;
    None when it is not installed."""
    if not pairs:
        return 0.0
    try:
        from turnloom.graphs.similarity import EmbeddingBackend

        backend = EmbeddingBackend()
        a = backend.embed([p[0] for p in pairs])
        b = backend.embed([p[1] for p in pairs])
    except (ImportError, RuntimeError, OSError):
        return None
    return float((a * b).sum(axis=1).mean())
