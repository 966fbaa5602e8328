"""Endpoint slots shared by processes: the request limit of an endpoint across a run's worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator

__all__ = ["SLOTS_DIR_ENV", "FileSlots"]

#: environment variable naming a folder of slot files shared by worker processes (set by the process executor)
SLOTS_DIR_ENV = "TURNLOOM_SLOTS_DIR"


class FileSlots:
    """A semaphore of ``limit`` slots shared by every process that uses the same folder.

    Slot ``i`` of an endpoint is an exclusive ``flock`` on ``<folder>/<endpoint hash>-<i>.lock``;
    the kernel releases it when its holder ends, even killed, so a crashed worker frees its slots.
    """

    def __init__(self, folder: str, endpoint: str, limit: int, *, poll: float = 0.02) -> None:
        key = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        self.paths = [os.path.join(folder, f"{key}-{i}.lock") for i in range(max(1, limit))]
        self.poll = poll

    def _try(self) -> int | None:
        for path in self.paths:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        fd = self._try()
        while fd is None:
            await asyncio.sleep(self.poll)
            fd = self._try()
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
