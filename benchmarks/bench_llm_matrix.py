"""LLM mode on real local servers: the configuration matrix (6 role configurations x 2 models).

Configurations (the roles not named run the offline agents):

* ``planner``, ``user``, ``assistant`` - that role alone on the LLM;
* ``asst+verif`` - the assistant and the verifier's model judges on the LLM;
* ``tool``       - the tool simulator alone on the LLM (every travel tool answered by the model);
* ``all``        - planner, user, assistant, tool simulator and verifier on the LLM.

Models: SmolLM2-135M and Gemma-3-270M, each served by ``scripts/local-llm.sh`` (llama-cpp-python,
full context, the GGUF's chat template) behind a counting proxy this script starts, which sees
every request: in flight at once, duplicates, tokens, context-length errors. Each configuration runs
``turnloom run travel -n N --seed 7 --concurrency 1 --model-concurrency 1`` with a fresh cache, then
once more on that cache (the cached rerun). ``--kill-test`` runs 6 dialogues with the assistant on
SmolLM2, stops the server 15 s in the middle, restarts it and resumes the run.

    python benchmarks/bench_llm_matrix.py --n 3 --out /tmp/llm-matrix     # servers on 8765 / 8766
    python benchmarks/bench_llm_matrix.py --kill-test --out /tmp/llm-kill

Results go to OUT/matrix.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
TURNLOOM = str(VENV / "turnloom")
PYTHON = str(VENV / "python")

CONFIGS: dict[str, tuple[str, ...]] = {
    "planner": ("planner",),
    "user": ("user",),
    "assistant": ("assistant",),
    "asst+verif": ("assistant", "verifier"),
    "tool": ("tool",),
    "all": ("planner", "user", "assistant", "tool", "verifier"),
}
MODELS = {"smollm2": 8765, "gemma": 8766}


def _proxy_class() -> Any:
    spec = importlib.util.spec_from_file_location("counting_proxy", ROOT / "tests" / "agents" / "counting_proxy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["counting_proxy"] = module
    spec.loader.exec_module(module)
    return module.CountingProxy


def _up(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5)
        return True
    except OSError:
        return False


def _server(model: str, port: int, action: str) -> None:
    env = {**os.environ, "PYTHON": PYTHON, "PORT": str(port)}
    subprocess.run(["bash", str(ROOT / "scripts" / "local-llm.sh"), "--model", model, action], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _scenario(folder: Path, roles: tuple[str, ...], url: str, timeout: float) -> Path:
    """travel with these roles on the model at ``url`` (a long timeout: a one-slot server on a busy
    CPU queues requests, and a timed-out request would keep the server busy while its retry waits)."""
    path = folder / "travel-bench.yaml"
    world = "world:\n  llm_tools: ['*']\n" if "tool" in roles else ""
    models = "".join(f"  {role}: {{spec: 'openai:local@{url}', timeout: {timeout}}}\n" for role in roles)
    path.write_text(f"name: travel-bench\nextends: travel\n{world}models:\n{models}")
    return path


def _run(scenario: Path, out: Path, n: int, cache: Path, extra: list[str]) -> tuple[int, float, str]:
    args = [TURNLOOM, "run", str(scenario), "-n", str(n), "--seed", "7", "-o", str(out), "--quiet",
            "--concurrency", "1", "--model-concurrency", "1", "--cache", str(cache), "--max-failures", "1", *extra]
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True)
    return proc.returncode, time.monotonic() - start, (proc.stderr or proc.stdout).strip().splitlines()[-1:][0] if (
        proc.stderr or proc.stdout).strip() else ""


def _summary(out: Path) -> dict[str, Any]:
    manifest = json.loads((out / "manifest.json").read_text())
    usage = manifest.get("usage", {})
    tokens = sum(u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in usage.values())
    per_role = {role: u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for role, u in usage.items()}
    reasons = Counter(manifest.get("rejection_reasons", {}))
    return {"counts": manifest["counts"], "tokens": tokens, "tokens_by_role": per_role,
            "requests": sum(u.get("requests", 0) for u in usage.values()),
            "sent": sum(u.get("sent", 0) for u in usage.values()),
            "failure_reasons": manifest.get("failure_reasons", {}),
            "top_rejections": reasons.most_common(3)}


def matrix(args: argparse.Namespace) -> list[dict[str, Any]]:
    proxy_cls = _proxy_class()
    rows: list[dict[str, Any]] = []
    for model in args.models:
        port = MODELS[model]
        if not _up(port):
            _server(model, port, "start")
        for name in args.configs:
            roles = CONFIGS[name]
            folder = args.out / model / name
            folder.mkdir(parents=True, exist_ok=True)
            cache = folder / "cache.sqlite"
            cache.unlink(missing_ok=True)
            proxy = proxy_cls(f"http://127.0.0.1:{port}").start()
            scenario = _scenario(folder, roles, proxy.url, args.timeout)
            try:
                rc, seconds, last = _run(scenario, folder / "run", args.n, cache, ["--overwrite"])
                first = {"chat": len(proxy.chat), "max_in_flight": proxy.max_in_flight,
                         "duplicates": proxy.duplicates, "tokens": proxy.prompt_tokens + proxy.completion_tokens,
                         "context_errors": proxy.context_errors}
                rc2, seconds2, _ = _run(scenario, folder / "rerun", args.n, cache, ["--overwrite"])
                rerun_chat = len(proxy.chat) - first["chat"]
            finally:
                proxy.stop()
            row: dict[str, Any] = {"model": model, "config": name, "rc": rc, "seconds": round(seconds, 1),
                                   "rerun_seconds": round(seconds2, 1), "rerun_rc": rc2,
                                   "rerun_chat_requests": rerun_chat, "proxy": first, "last_line": last}
            if (folder / "run" / "manifest.json").exists():
                row.update(_summary(folder / "run"))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            (args.out / "matrix.json").write_text(json.dumps(rows, indent=1))
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| model | config | crashes | ctx errors | requests (proxy) | dup | max in flight "
            "| tokens manifest / proxy | acc / rej / fail | top rejections | tokens / accepted | rerun speed-up |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        c = r.get("counts", {})
        p = r["proxy"]
        diff = (abs(r.get("tokens", 0) - p["tokens"]) / p["tokens"] * 100) if p["tokens"] else 0.0
        acc = c.get("accepted", 0)
        per = f"{r.get('tokens', 0) / acc:,.0f}" if acc else "-"
        rej = ", ".join(f"{k} x{v}" for k, v in r.get("top_rejections", [])) or "-"
        crashes = int(r["rc"] != 0) + c.get("failed", 0)
        speed = f"{r['seconds'] / r['rerun_seconds']:.1f}x ({r['rerun_chat_requests']} sent)" if r[
            "rerun_seconds"] else "-"
        lines.append(f"| {r['model']} | {r['config']} | {crashes} | {p['context_errors']} | {r.get('requests', 0)} "
                     f"({p['chat']}) | {p['duplicates']} | {p['max_in_flight']} | {r.get('tokens', 0):,} / "
                     f"{p['tokens']:,} ({diff:.2f}%) | {acc} / {c.get('rejected', 0)} / {c.get('failed', 0)} | {rej} "
                     f"| {per} | {speed} |")
    return "\n".join(lines)


def kill_test(args: argparse.Namespace) -> dict[str, Any]:
    """6 dialogues, the server stopped 15 s mid-run and restarted, then --resume: nothing lost."""
    port = args.kill_port
    if not _up(port):
        _server("smollm2", port, "start")
    folder = args.out / "kill"
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "cache.sqlite"
    cache.unlink(missing_ok=True)
    url = f"http://127.0.0.1:{port}/v1"
    scenario = _scenario(folder, ("assistant",), url, args.timeout)
    events: list[str] = []

    def outage() -> None:
        time.sleep(args.kill_after)
        _server("smollm2", port, "stop")
        events.append(f"stopped at {args.kill_after}s")
        time.sleep(15)
        _server("smollm2", port, "start")
        events.append("restarted")

    killer = threading.Thread(target=outage)
    killer.start()
    rc, seconds, last = _run(scenario, folder / "run", 6, cache, ["--overwrite"])
    killer.join()
    before = json.loads((folder / "run" / "manifest.json").read_text())["counts"]
    rc2, seconds2, last2 = _run(scenario, folder / "run", 6, cache, ["--resume"])
    after = json.loads((folder / "run" / "manifest.json").read_text())["counts"]
    failed_lines = (folder / "run" / "failed.jsonl").read_text().strip()
    result = {"first_run": {"rc": rc, "seconds": round(seconds, 1), "counts": before, "last_line": last},
              "events": events, "resume": {"rc": rc2, "seconds": round(seconds2, 1), "counts": after,
                                           "last_line": last2},
              "lost": 6 - after.get("accepted", 0) - after.get("rejected", 0) - after.get("failed", 0),
              "failed_file_empty": failed_lines == ""}
    (args.out / "kill.json").write_text(json.dumps(result, indent=1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/turnloom-llm-matrix"))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--kill-test", action="store_true")
    parser.add_argument("--kill-after", type=float, default=20.0)
    parser.add_argument("--kill-port", type=int, default=8765, help="SmolLM2 server port the kill test stops")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per model request")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.kill_test:
        print(json.dumps(kill_test(args), indent=1))
        return
    print(table(matrix(args)))


if __name__ == "__main__":
    main()
