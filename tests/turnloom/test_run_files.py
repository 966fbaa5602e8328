"""Run files are never lost or corrupted: resume repairs or refuses clearly, exports never
overwrite their input, written files get the user's umask, Ctrl-C prints one line."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.files import atomic_write_json, atomic_write_many, atomic_write_text

EXE = str(Path(sys.executable).with_name("turnloom"))
FILES = ("accepted.jsonl", "rejected.jsonl")
runner = CliRunner()

def _sigint_default() -> None:
    """Give the child Ctrl-C's default disposition: a test run started in the background
    (as a CI job may be) inherits SIGINT ignored, and Python then never sees the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)



def _run(out: Path, n: int, *extra: str) -> tuple[int, str]:
    res = runner.invoke(app, ["run", "travel", "-n", str(n), "--seed", "5", "-o", str(out), "--quiet", *extra])
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def full6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full") / "run"
    assert _run(out, 6)[0] == 0
    return out


def test_resume_after_truncation_repairs_instead_of_padding(tmp_path: Path, full6: Path) -> None:
    out = tmp_path / "rr"
    assert _run(out, 4)[0] == 0
    acc = out / "accepted.jsonl"
    data = acc.read_bytes() or (out / "rejected.jsonl").read_bytes()
    target = acc if acc.read_bytes() else out / "rejected.jsonl"
    target.write_bytes(b"".join(data.splitlines(keepends=True)[:2]) + b'{"id": "par')
    code, output = _run(out, 6, "--resume")
    assert code == 0, output
    for name in FILES:
        got = (out / name).read_bytes()
        assert b"\0" not in got
        assert got == (full6 / name).read_bytes(), name
    assert "resume:" in output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == json.loads((full6 / "manifest.json").read_text())["counts"]


def test_resume_after_a_changed_byte_reruns_from_before_it(tmp_path: Path, full6: Path) -> None:
    out = tmp_path / "rr"
    assert _run(out, 6)[0] == 0
    name = "accepted.jsonl" if (out / "accepted.jsonl").stat().st_size else "rejected.jsonl"
    data = bytearray((out / name).read_bytes())
    at = data.index(b'"content":"') + 12
    data[at] = ord("X") if data[at] != ord("X") else ord("Y")  # still valid JSON: only a hash can tell
    (out / name).write_bytes(bytes(data))
    code, output = _run(out, 6, "--resume")
    assert code == 0, output
    for f in FILES:
        assert (out / f).read_bytes() == (full6 / f).read_bytes()


def test_resume_with_fewer_dialogues_refuses(tmp_path: Path) -> None:
    out = tmp_path / "rr"
    assert _run(out, 4)[0] == 0
    before = _snapshot(out)
    code, output = _run(out, 2, "--resume")
    assert code == 2
    assert "already holds 4 dialogues" in output and "-n 4" in output and "%" not in output
    assert _snapshot(out) == before


def test_extend_a_finished_run(tmp_path: Path, full6: Path) -> None:
    out = tmp_path / "rr"
    assert _run(out, 4)[0] == 0
    code, output = _run(out, 6, "--resume")
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text())
    assert 0.0 <= manifest["acceptance_rate"] <= 1.0
    assert manifest["timings"]["resumed_from"] == 4
    for name in FILES:
        assert (out / name).read_bytes() == (full6 / name).read_bytes()


@pytest.mark.parametrize("damage", ["delete", "garbage", "wrong_shape"])
def test_resume_with_a_damaged_progress_record_refuses_clearly(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "rr"
    assert _run(out, 3)[0] == 0
    prog = out / ".progress.json"
    if damage == "delete":
        prog.unlink()
    elif damage == "garbage":
        prog.write_text("{bad")
    else:
        prog.write_text(json.dumps({"version": 2, "params": {}, "n": 3}))
    before = _snapshot(out)
    code, output = _run(out, 5, "--resume")
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    assert ".progress.json" in output and "--overwrite" in output
    assert "pass --resume" not in output and "Traceback" not in output
    assert _snapshot(out) == before


def test_resume_of_an_empty_folder_starts_the_run(tmp_path: Path, full6: Path) -> None:
    code, output = _run(tmp_path / "new", 6, "--resume")
    assert code == 0, output
    assert (tmp_path / "new" / "accepted.jsonl").read_bytes() == (full6 / "accepted.jsonl").read_bytes()


def test_out_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("keep")
    code, output = _run(target, 2)
    assert code == 2
    assert "x.json" in output and "not a directory" in output and "Traceback" not in output
    assert target.read_text() == "keep"


# ---------------------------------------------------------------- export


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_export_refuses_to_overwrite_its_input(tmp_path: Path, dialogue_file: Path, spelling: str) -> None:
    before = dialogue_file.read_bytes()
    if spelling == "same":
        out = dialogue_file
    elif spelling == "dotted":
        out = dialogue_file.parent / "sub" / ".." / dialogue_file.name
        (dialogue_file.parent / "sub").mkdir()
    elif spelling == "symlink":
        out = tmp_path / "link.jsonl"
        out.symlink_to(dialogue_file)
    else:
        out = tmp_path / "hard.jsonl"
        os.link(dialogue_file, out)
    for fmt in ("openai", "bfcl"):
        res = runner.invoke(app, ["export", str(dialogue_file), "-f", fmt, "-o", str(out)])
        assert res.exit_code == 2, res.output
        assert "is the input file itself" in res.output and "Traceback" not in res.output
        assert dialogue_file.read_bytes() == before


# ---------------------------------------------------------------- permissions


def test_atomic_writes_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        atomic_write_json(tmp_path / "b.json", {"a": 1})
        atomic_write_many({tmp_path / "c" / "d.jsonl": "{}\n"})
        os.umask(0o027)
        atomic_write_text(tmp_path / "e.txt", "x")
        (tmp_path / "keep.txt").write_text("x")
        os.chmod(tmp_path / "keep.txt", 0o640)
        atomic_write_text(tmp_path / "keep.txt", "y")
    finally:
        os.umask(old)
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()}
    assert mode == {"a.txt": 0o644, "b.json": 0o644, "d.jsonl": 0o644, "e.txt": 0o640, "keep.txt": 0o640}


def test_run_and_export_files_follow_the_umask(tmp_path: Path, dialogue_file: Path) -> None:
    old = os.umask(0o022)
    try:
        assert _run(tmp_path / "run", 2)[0] == 0
        assert runner.invoke(app, ["export", str(dialogue_file), "-f", "openai", "-o", str(tmp_path / "o.jsonl")]
                             ).exit_code == 0
        assert runner.invoke(app, ["export", str(dialogue_file), "-f", "bfcl", "-o", str(tmp_path / "bfcl")]
                             ).exit_code == 0
    finally:
        os.umask(old)
    files = [*(tmp_path / "run").iterdir(), tmp_path / "o.jsonl", *(tmp_path / "bfcl").rglob("*.json*")]
    assert len(files) > 5
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


# ---------------------------------------------------------------- Ctrl-C


def _next_index(out: Path) -> int:
    try:
        return int(json.loads((out / ".progress.json").read_text())["next_index"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs process groups")
def test_ctrl_c_in_a_process_run_prints_one_line_and_resumes(tmp_path: Path) -> None:
    def cmd(out: Path, *extra: str) -> list[str]:
        return [EXE, "run", "travel", "-n", "80", "--seed", "5", "-o", str(out), "--quiet", "--executor", "process",
                "--workers", "2", *extra]

    out = tmp_path / "cut"
    # a terminal's Ctrl-C signals the whole foreground process group: the run and its workers
    proc = subprocess.Popen(cmd(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_sigint_default)
    deadline = time.monotonic() + 300
    while _next_index(out) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before Ctrl-C; raise -n"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "--resume" in lines[0], stderr
    kept = _next_index(out)
    assert 0 < kept < 80

    subprocess.run(cmd(out, "--resume"), check=True, capture_output=True, timeout=600)
    full = tmp_path / "full"
    subprocess.run(cmd(full), check=True, capture_output=True, timeout=600)
    for name in FILES:
        assert (out / name).read_bytes() == (full / name).read_bytes(), name
    assert json.loads((out / "manifest.json").read_text())["timings"]["resumed_from"] == kept
