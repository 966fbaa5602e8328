"""A SQLite-backed autogen ``CacheStore`` for model responses.

autogen-ext's :class:`~autogen_ext.models.cache.ChatCompletionCache` computes the
key (a SHA-256 of the messages, tools, JSON-output setting and extra create
arguments) and stores the ``CreateResult``; this store keeps it in one SQLite file
so that reruns are free and reproducible. The ``namespace`` folds in what the
autogen key leaves out (model, endpoint, sampling settings) so that several models
can share one file. Values are stored as JSON text (never pickles) and read back as
plain JSON data, which ``ChatCompletionCache`` validates into ``CreateResult``.

The store is safe to share between coroutines and threads of one process (one
connection behind a lock; every operation is a single short statement) and between
processes (WAL journal, busy timeout). Nothing secret is written: API keys are
never part of a request body, and the namespace is built without them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

from autogen_core import CacheStore
from pydantic import BaseModel

__all__ = ["SqliteCacheStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    return value


class SqliteCacheStore(CacheStore[T]):
    """Key -> JSON value in a SQLite table, optionally scoped by a namespace."""

    def __init__(self, path: str | Path, *, namespace: str = "") -> None:
        self.path = Path(path)
        self.namespace = namespace
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(self.path), check_same_thread=False, timeout=30.0, isolation_level=None
        )
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute(_SCHEMA)

    def _key(self, key: str) -> str:
        if not self.namespace:
            return key
        return hashlib.sha256(f"{self.namespace}\x1f{key}".encode()).hexdigest()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"cache store {self.path} is closed")
        return self._conn

    def get(self, key: str, default: T | None = None) -> T | None:
        with self._lock:
            row = self._connection().execute("SELECT value FROM responses WHERE key = ?", (self._key(key),)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])  # type: ignore[no-any-return]
        except json.JSONDecodeError:
            return default

    def set(self, key: str, value: T) -> None:
        text = json.dumps(_to_jsonable(value), ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._connection().execute(
                "INSERT OR REPLACE INTO responses (key, namespace, value, created) VALUES (?, ?, ?, ?)",
                (self._key(key), self.namespace, text, time.time()),
            )

    def count(self) -> int:
        """Number of stored responses (all namespaces).

        Deliberately not ``__len__``: an empty store must stay truthy, since
        ``ChatCompletionCache`` falls back to an in-memory store when given a falsy one.
        """
        with self._lock:
            row = self._connection().execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SqliteCacheStore[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
