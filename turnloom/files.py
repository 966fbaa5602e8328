"""Writing files so that nothing half-written is ever left: a temporary file in the
same folder, flushed to disk, then moved over the target. The file gets the mode any
other new file would get (``0o666`` less the umask), or keeps the mode of the file it
replaces. Imports nothing of ours, so every layer can use it."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_json", "atomic_write_many", "atomic_write_text", "current_umask"]

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def _stage(target: Path, text: str) -> str:
    """Write ``text`` to a new temporary file next to ``target`` (fsynced, with the target's mode)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    atomic_write_many({Path(path): text})


def atomic_write_many(files: Mapping[Path, str]) -> list[Path]:
    """Write several files: each is fully written to a temporary file first, and only when
    all of them are written are they moved into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, text in files.items():
            staged.append((_stage(Path(target), text), Path(target)))
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    return [target for _, target in staged]


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Pretty, key-sorted JSON, written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
