"""A run killed with SIGKILL midway resumes with nothing lost or duplicated: the result
is byte-identical to an uninterrupted run with the same seed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("turnloom"))
N = 60


def _cmd(out: Path, *extra: str) -> list[str]:
    return [EXE, "run", "travel", "-n", str(N), "--seed", "3", "-o", str(out), "--quiet", "--concurrency", "4",
            *extra]


def _progress(out: Path) -> int:
    try:
        return int(json.loads((out / ".progress.json").read_text())["next_index"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_and_resume_is_byte_identical(tmp_path: Path) -> None:
    full = tmp_path / "full"
    subprocess.run(_cmd(full), check=True, capture_output=True, timeout=600)

    cut = tmp_path / "cut"
    proc = subprocess.Popen(_cmd(cut), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _progress(cut) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; raise N"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _progress(cut)
    assert 0 < done < N
    # simulate a crash between a line write and the progress record: a torn extra line
    with open(cut / "accepted.jsonl", "ab") as fh:
        fh.write(b'{"id": "torn')

    without = subprocess.run(_cmd(cut), capture_output=True, text=True, timeout=60)
    assert without.returncode == 2 and "--resume" in without.stderr

    subprocess.run(_cmd(cut, "--resume"), check=True, capture_output=True, timeout=600)
    for name in ("accepted.jsonl", "rejected.jsonl"):
        assert (cut / name).read_bytes() == (full / name).read_bytes(), name
    manifest = json.loads((cut / "manifest.json").read_text())
    assert manifest["timings"]["resumed_from"] == done
    assert manifest["counts"] == json.loads((full / "manifest.json").read_text())["counts"]
