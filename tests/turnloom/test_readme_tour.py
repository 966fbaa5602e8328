"""The README's quickstart and tour, run as a user runs them: the console script, in a fresh folder,
top to bottom (with fewer dialogues; ``step`` and ``view`` are interactive and left out)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TURNLOOM = Path(sys.executable).parent / "turnloom"
INTERACTIVE = {"step", "view"}


def _bash_blocks(text: str) -> list[tuple[int, list[str]]]:
    """``(offset, lines)`` of every ```bash block."""
    return [(m.start(), m.group(1).splitlines()) for m in re.finditer(r"```bash\n(.*?)```", text, re.S)]


def _commands() -> tuple[list[str], list[list[str]]]:
    """(the quickstart's turnloom command, the tour's turnloom commands), as argument lists."""
    text = README.read_text()
    blocks = _bash_blocks(text)
    quick = [part.strip() for part in blocks[0][1][0].split("&&")]
    tour_at = text.index("## A tour")
    tour = next(lines for at, lines in blocks if at > tour_at)
    return shlex.split([q for q in quick if q.startswith("turnloom ")][0]), \
        [shlex.split(line, comments=True) for line in tour if line.strip()]


def _smaller(args: list[str]) -> list[str]:
    """The same command with ``-n N`` cut to N // 25 (the tour's 200 after the quickstart's 50: 8 after 2)."""
    out = list(args)
    for i, arg in enumerate(out[:-1]):
        if arg == "-n":
            out[i + 1] = str(max(1, int(out[i + 1]) // 25))
    return out


@pytest.mark.skipif(not TURNLOOM.exists(), reason="the turnloom console script is not installed next to python")
def test_the_tour_runs_top_to_bottom_after_the_quickstart(tmp_path: Path) -> None:
    quickstart, tour = _commands()
    assert quickstart[:2] == ["turnloom", "run"] and tour[0][:2] == ["turnloom", "run"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["COLUMNS"] = "100"
    ran = []
    for args in [quickstart, *tour]:
        assert args[0] == "turnloom", args
        if args[1] in INTERACTIVE:
            continue
        args = _smaller(args)
        proc = subprocess.run([str(TURNLOOM), *args[1:]], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, f"{shlex.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        ran.append(args[1])
    assert ran[:2] == ["run", "run"] and {"show", "verify", "report", "export"} <= set(ran)
    out = tmp_path / "out"
    lines = sum(len((out / f).read_text().splitlines()) for f in ("accepted.jsonl", "rejected.jsonl"))
    assert lines == 8, "the tour's run continues the quickstart's to its own -n"
    assert (out / "report.html").is_file() and (tmp_path / "sft.jsonl").stat().st_size > 0
