"""The progress record of a run (``.progress.json``) and the check that lets ``--resume``
trust the JSONL files it finds.

The record holds the run's parameters and a list of checkpoints. A checkpoint is taken
each time the runner has flushed its files to disk: how many dialogues are written
(``next_index``), the counts so far, and for ``accepted.jsonl``, ``rejected.jsonl`` and
``failed.jsonl`` their size and the SHA-256 of their bytes up to that size, and the index
of the first dialogue that failed because a model was unavailable (``first_failed``).

On resume, :func:`restore` hashes the files as they are now and picks the latest
checkpoint that both files still match. Both files are cut back to that checkpoint
(never lengthened) and the run continues from its ``next_index``: a torn last line, a
line written after the last checkpoint, a truncated file or a changed byte anywhere
is dropped and simulated again, identically, since each dialogue's seed depends only
on the run seed and its index. A record that cannot be read or does not belong to this
run raises :class:`ProgressError` before any file is touched.

A failed dialogue is retried by resuming: the files are cut back further, to the latest
checkpoint before the first failed dialogue, so the run simulates it again and keeps its
files in index order (byte-identical to a run that never failed). The dialogues after it
are simulated again too; with the model cache their requests cost nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from turnloom.files import atomic_write_json

__all__ = ["MAX_CHECKPOINTS", "Checkpoint", "Progress", "ProgressError", "Restored", "add_checkpoint",
           "read_progress", "restore", "write_progress"]

#: checkpoints kept in the record; when there are more, every other older one is dropped
MAX_CHECKPOINTS = 64
#: SHA-256 of no bytes (a file not written yet)
EMPTY_SHA256 = hashlib.sha256().hexdigest()
VERSION = 2
_CHUNK = 1 << 20


class ProgressError(RuntimeError):
    """The progress record is missing, unreadable, or does not fit the run or its files."""


class Checkpoint(BaseModel):
    """The state of the output files after the first ``next_index`` dialogues."""

    model_config = ConfigDict(extra="forbid")

    next_index: int = Field(ge=0)
    accepted: int = Field(ge=0)
    rejected: int = Field(ge=0)
    accepted_bytes: int = Field(ge=0)
    rejected_bytes: int = Field(ge=0)
    accepted_sha256: str
    rejected_sha256: str
    reasons: dict[str, int] = Field(default_factory=dict)
    usage: dict[str, dict[str, int]] = Field(default_factory=dict)
    failed: int = Field(default=0, ge=0)
    failed_bytes: int = Field(default=0, ge=0)
    failed_sha256: str = EMPTY_SHA256
    failure_reasons: dict[str, int] = Field(default_factory=dict)
    #: the first dialogue (index) written to failed.jsonl, if any
    first_failed: int | None = Field(default=None, ge=0)


class Progress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    params: dict[str, Any]
    n: int
    #: the latest checkpoint's values, for a reader's convenience
    next_index: int
    accepted: int
    rejected: int
    failed: int = 0
    checkpoints: list[Checkpoint] = Field(min_length=1)


def read_progress(path: Path) -> Progress:
    """The record at ``path``; :class:`ProgressError` with one clear line if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgressError(f"{path}: no progress record") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgressError(f"{path}: cannot read the progress record: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProgressError(f"{path}: the progress record is not valid JSON ({exc.msg} at line {exc.lineno} "
                            f"column {exc.colno})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ProgressError(f"{path}: expected a progress record with \"version\": {VERSION}")
    try:
        prog = Progress.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(record)"
        raise ProgressError(f"{path}: {where}: {err['msg']}") from None
    indices = [c.next_index for c in prog.checkpoints]
    if indices != sorted(indices):
        raise ProgressError(f"{path}: checkpoints: expected increasing next_index values")
    return prog


def write_progress(path: Path, params: dict[str, Any], n: int, checkpoints: list[Checkpoint]) -> None:
    last = checkpoints[-1]
    atomic_write_json(path, {
        "version": VERSION, "params": params, "n": n, "next_index": last.next_index,
        "accepted": last.accepted, "rejected": last.rejected, "failed": last.failed,
        "checkpoints": [c.model_dump() for c in checkpoints],
    })


def add_checkpoint(checkpoints: list[Checkpoint], cp: Checkpoint) -> list[Checkpoint]:
    """``checkpoints`` with ``cp`` last (replacing one at the same index), thinned to :data:`MAX_CHECKPOINTS`."""
    out = [c for c in checkpoints if c.next_index < cp.next_index] + [cp]
    if len(out) > MAX_CHECKPOINTS:
        out = out[:-1:2] + [cp]
    return out


def _prefix_digests(path: Path, offsets: set[int]) -> dict[int, hashlib._Hash]:
    """SHA-256 states of the file's first ``offset`` bytes, for each offset it is long enough for."""
    out: dict[int, hashlib._Hash] = {}
    h = hashlib.sha256()
    pos = 0
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return {0: h} if 0 in offsets else {}
    with fh:
        for off in sorted(offsets):
            while pos < off:
                chunk = fh.read(min(_CHUNK, off - pos))
                if not chunk:
                    return out
                h.update(chunk)
                pos += len(chunk)
            out[off] = h.copy()
    return out


@dataclass
class Restored:
    """Where a resumed run continues: the checkpoint both files matched, the checkpoints
    up to it, and the hash states of the files' kept bytes."""

    checkpoint: Checkpoint
    checkpoints: list[Checkpoint]
    accepted_hash: hashlib._Hash
    rejected_hash: hashlib._Hash
    failed_hash: hashlib._Hash
    #: set when the files did not match the latest checkpoint: what was found and dropped
    repaired: str = ""
    #: failed dialogues given up to be simulated again (0 when none had failed)
    retried: int = 0


def _matches(digest: hashlib._Hash | None, sha256: str) -> bool:
    return digest is not None and digest.hexdigest() == sha256


def restore(prog: Progress, accepted: Path, rejected: Path, failed: Path | None = None) -> Restored:
    """Cut the files back to the latest checkpoint they all match, and then to the latest
    one before the first failed dialogue, if any (see the module doc)."""
    cps = prog.checkpoints
    failed = failed if failed is not None else accepted.with_name("failed.jsonl")
    acc = _prefix_digests(accepted, {c.accepted_bytes for c in cps})
    rej = _prefix_digests(rejected, {c.rejected_bytes for c in cps})
    fai = _prefix_digests(failed, {c.failed_bytes for c in cps})
    for pos in range(len(cps) - 1, -1, -1):
        cp = cps[pos]
        ha, hr, hf = acc.get(cp.accepted_bytes), rej.get(cp.rejected_bytes), fai.get(cp.failed_bytes)
        if _matches(ha, cp.accepted_sha256) and _matches(hr, cp.rejected_sha256) and _matches(hf, cp.failed_sha256):
            break
    else:
        raise ProgressError(f"{accepted.parent}: {accepted.name}, {rejected.name} and {failed.name} match no "
                            "point of the progress record; pass --overwrite to start the run again")
    matched = cp
    if cp.first_failed is not None:  # rewind to before the first failed dialogue, to simulate it again
        pos = max(i for i in range(pos + 1) if cps[i].next_index <= cp.first_failed and cps[i].failed == 0)
        cp = cps[pos]
        ha, hr, hf = acc[cp.accepted_bytes], rej[cp.rejected_bytes], fai[cp.failed_bytes]
    assert ha is not None and hr is not None and hf is not None
    repaired = ""
    extra = []
    for path, size in ((accepted, cp.accepted_bytes), (rejected, cp.rejected_bytes), (failed, cp.failed_bytes)):
        have = path.stat().st_size if path.exists() else 0
        if have > size:
            extra.append(f"{path.name}: {have - size} byte(s) dropped")
        with open(path, "ab") as fh:
            if have > size:
                fh.truncate(size)
    latest = cps[-1]
    if matched is not cp:
        repaired = (f"{matched.failed} dialogue(s) failed because a model was unavailable; simulating again "
                    f"from dialogue {cp.next_index}")
    elif cp is not latest:
        repaired = (f"{accepted.name} / {rejected.name} no longer match the progress record after dialogue "
                    f"{cp.next_index}; continuing from there")
    elif extra:
        repaired = "; ".join(extra) + " (written after the last checkpoint)"
    return Restored(checkpoint=cp, checkpoints=cps[:pos + 1], accepted_hash=ha, rejected_hash=hr, failed_hash=hf,
                    repaired=repaired, retried=matched.failed)
