"""Fault injection: kill ``turnloom run`` with SIGKILL at a random point, damage its
files, then ``--resume``, and count what was lost, duplicated or corrupted.

Each trial (seeded, so a trial number always injects the same faults):

1. starts ``turnloom run SCENARIO -n N --seed S`` and kills it (``kill -9``) once the
   progress record counts a random number of dialogues, after a random extra delay;
2. injects one fault: none, a torn line appended, a file cut at a random byte or after
   its first lines, bytes overwritten in the middle, NUL padding, a file deleted, the
   progress record deleted or replaced by garbage;
3. runs the same command with ``--resume``;
4. compares ``accepted.jsonl`` and ``rejected.jsonl`` with an uninterrupted run of the
   same seed: lines lost, duplicated and corrupted (not in the reference). A refusal
   counts as clear when it exits 2 with one ``error:`` line, no traceback, and leaves
   both files as they were.

    python benchmarks/bench_faults.py              # 20 trials, travel, n=60
    python benchmarks/bench_faults.py --trials 5 -n 40
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

EXE = str(Path(sys.executable).with_name("turnloom"))
FILES = ("accepted.jsonl", "rejected.jsonl")
FAULTS = ("none", "torn_line", "cut_bytes", "cut_lines", "overwrite_bytes", "nul_padding", "delete_file",
          "delete_progress", "garbage_progress")


@dataclass
class Trial:
    trial: int
    fault: str
    killed_at: int
    #: "identical", "refused" (clearly, files untouched) or what went wrong
    outcome: str
    lost: int = 0
    duplicated: int = 0
    corrupted: int = 0
    detail: str = ""


@dataclass
class Totals:
    trials: list[Trial] = field(default_factory=list)

    def count(self, key: str) -> int:
        return sum(int(getattr(t, key)) for t in self.trials)

    def outcomes(self) -> Counter[str]:
        return Counter(t.outcome for t in self.trials)


def run_cmd(out: Path, scenario: str, n: int, seed: int, *extra: str) -> list[str]:
    return [EXE, "run", scenario, "-n", str(n), "--seed", str(seed), "-o", str(out), "--quiet",
            "--concurrency", "4", *extra]


def reference(out: Path, scenario: str, n: int, seed: int) -> None:
    """The uninterrupted run the trials are compared with."""
    subprocess.run(run_cmd(out, scenario, n, seed), check=True, capture_output=True, timeout=600)


def _progress(out: Path) -> int:
    try:
        return int(json.loads((out / ".progress.json").read_text())["next_index"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _kill_midway(out: Path, scenario: str, n: int, seed: int, rng: random.Random) -> int:
    target = rng.randint(1, max(1, n // 2))
    proc = subprocess.Popen(run_cmd(out, scenario, n, seed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _progress(out) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.15))
    if proc.poll() is not None:
        raise RuntimeError(f"the run finished before it was killed (target {target}); raise -n")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return _progress(out)


def inject(out: Path, fault: str, rng: random.Random) -> None:
    """Damage the run in ``out`` the way ``fault`` says."""
    path = out / rng.choice(FILES)
    data = path.read_bytes() if path.exists() else b""
    if fault == "torn_line":
        path.write_bytes(data + b'{"id": "torn", "messages": [')
    elif fault == "cut_bytes":
        path.write_bytes(data[:rng.randint(0, len(data))])
    elif fault == "cut_lines":
        lines = data.splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:rng.randint(0, len(lines))]))
    elif fault == "overwrite_bytes" and data:
        at = rng.randrange(len(data))
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        path.write_bytes(data[:at] + junk + data[at + len(junk):])
    elif fault == "nul_padding":
        path.write_bytes(data + b"\0" * rng.randint(1, 4096))
    elif fault == "delete_file":
        path.unlink(missing_ok=True)
    elif fault == "delete_progress":
        (out / ".progress.json").unlink(missing_ok=True)
    elif fault == "garbage_progress":
        (out / ".progress.json").write_text("{bad", encoding="utf-8")


def compare(out: Path, full: Path) -> tuple[int, int, int]:
    """(lost, duplicated, corrupted) lines of ``out``'s JSONL files against ``full``'s."""
    lost = duplicated = corrupted = 0
    for name in FILES:
        want = Counter((full / name).read_bytes().splitlines(keepends=True))
        have = Counter((out / name).read_bytes().splitlines(keepends=True)) if (out / name).exists() else Counter()
        lost += sum((want - have).values())
        duplicated += sum(max(0, have[line] - want[line]) for line in have if line in want)
        corrupted += sum(count for line, count in have.items() if line not in want)
    return lost, duplicated, corrupted


def trial(number: int, work: Path, full: Path, *, scenario: str, n: int, seed: int, fault: str | None = None) -> Trial:
    """One seeded trial in ``work`` (emptied first), compared with the reference run in ``full``."""
    rng = random.Random(f"faults-{number}")
    fault = fault or FAULTS[number % len(FAULTS)]
    out = work / f"trial-{number}"
    killed_at = _kill_midway(out, scenario, n, seed, rng)
    inject(out, fault, rng)
    before = {name: (out / name).read_bytes() if (out / name).exists() else None for name in FILES}
    res = subprocess.run(run_cmd(out, scenario, n, seed, "--resume"), capture_output=True, text=True, timeout=600)
    if res.returncode == 0:
        lost, dup, bad = compare(out, full)
        identical = all((out / name).read_bytes() == (full / name).read_bytes() for name in FILES)
        outcome = "identical" if identical else "different"
        return Trial(number, fault, killed_at, outcome, lost, dup, bad)
    after = {name: (out / name).read_bytes() if (out / name).exists() else None for name in FILES}
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    clear = (res.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:")
             and "Traceback" not in res.stderr and after == before)
    return Trial(number, fault, killed_at, "refused" if clear else "unclear refusal", detail=res.stderr.strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("-n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--scenario", default="travel")
    args = ap.parse_args(argv)
    totals = Totals()
    with tempfile.TemporaryDirectory(prefix="turnloom-faults-") as tmp:
        work = Path(tmp)
        full = work / "full"
        reference(full, args.scenario, args.n, args.seed)
        for number in range(args.trials):
            t = trial(number, work, full, scenario=args.scenario, n=args.n, seed=args.seed)
            totals.trials.append(t)
            sys.stdout.write(f"trial {t.trial:2d}  {t.fault:17s} killed at {t.killed_at:3d}  {t.outcome:10s} "
                             f"lost {t.lost} duplicated {t.duplicated} corrupted {t.corrupted}"
                             f"{'  ' + t.detail if t.detail else ''}\n")
    outcomes = totals.outcomes()
    sys.stdout.write(f"\n{len(totals.trials)} trials ({args.scenario}, n={args.n}, seed={args.seed}): "
                     f"{outcomes['identical']} byte-identical after --resume, {outcomes['refused']} clear refusals "
                     f"(files untouched), {len(totals.trials) - outcomes['identical'] - outcomes['refused']} other; "
                     f"lines lost {totals.count('lost')}, duplicated {totals.count('duplicated')}, "
                     f"corrupted {totals.count('corrupted')}\n")
    bad = totals.count("lost") + totals.count("duplicated") + totals.count("corrupted")
    return 0 if bad == 0 and outcomes["identical"] + outcomes["refused"] == len(totals.trials) else 1


if __name__ == "__main__":
    raise SystemExit(main())
