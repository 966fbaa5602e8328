"""Warm-up SFT in curriculum order (iTool): TRL's SFTTrainer, LoRA through PEFT, no shuffling.

The training file is ``sft.jsonl`` from ``turnloom curriculum`` (TRL conversational rows
``{"messages", "tools"}``, easy → hard); examples are fed in file order.

Commands::

    pip install torch==2.13.0 && pip install -e '.[train]'
    turnloom run travel -n 200 --seed 7 -o out/
    turnloom curriculum out/accepted.jsonl -o out/curriculum
    # a local model folder (e.g. a Qwen2.5-0.5B-Instruct checkout), LoRA r=8:
    python scripts/train_sft.py --data out/curriculum/sft.jsonl --model /models/qwen2.5-0.5b-instruct \\
        --out out/sft --epochs 1 --lr 2e-5
    # loss on the assistant turns only (the prompt, tools, user and tool messages masked out):
    python scripts/train_sft.py --data out/curriculum/sft.jsonl --model /models/m --out out/sft --loss-on assistant
    # ... and the first token of each assistant turn (call or reply: the decision) counted 10 times:
    python scripts/train_sft.py --data out/curriculum/sft.jsonl --model /models/m --out out/sft --loss-on assistant \
        --decision-weight 10
    # a randomly initialised tiny model built locally (smoke test, seconds on a CPU):
    python scripts/train_sft.py --data out/curriculum/sft.jsonl --model tiny --out out/sft-tiny --max-steps 3

The output folder holds the model (LoRA merged into the base unless ``--no-merge``),
the tokenizer with its chat template, and ``train_metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="sft.jsonl from `turnloom curriculum` (curriculum order)")
    p.add_argument("--model", required=True, help="a local model folder, or tiny / tiny-qwen2 / tiny-llama")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1, help="stop after this many optimizer steps (-1: epochs)")
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--max-length", type=int, default=2048)
    p.add_argument("--lora-r", type=int, default=8, help="LoRA rank (0: full fine-tuning)")
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--no-merge", action="store_true", help="save the LoRA adapter instead of a merged model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loss-on", choices=("all", "assistant"), default="all",
                   help="train on every token, or only on the assistant turns (the prompt, tool schemas, user "
                        "and tool messages masked out of the loss)")
    p.add_argument("--decision-weight", type=float, default=1.0,
                   help="with --loss-on assistant: how many times the first token of each assistant turn (a "
                        "<tool_call> or the reply's first word: whether to call) counts in the loss (1: plain mean)")
    return p.parse_args(argv)


def render_assistant_only(rows: list[dict[str, Any]], tokenizer: Any, max_length: int) -> list[dict[str, Any]]:
    """Rows -> ``{"input_ids", "assistant_masks"}`` (1 on the tokens of assistant turns, their end marker
    included), cut to ``max_length``; rows left with no assistant token are dropped. Each assistant turn is
    found by rendering the conversation up to it (with the generation prompt) and through it."""
    out = []
    for k, row in enumerate(rows):
        messages, tools = row["messages"], row.get("tools") or None
        if isinstance(tools, str):
            tools = json.loads(tools) or None
        text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
        spans = []
        for i, message in enumerate(messages):
            if message["role"] != "assistant":
                continue
            start = tokenizer.apply_chat_template(messages[:i], tools=tools, tokenize=False, add_generation_prompt=True)
            end = tokenizer.apply_chat_template(messages[: i + 1], tools=tools, tokenize=False)
            if not (end.startswith(start) and text.startswith(end)):
                raise ValueError(f"row {k + 1}: the chat template does not render the conversation prefix by "
                                 f"prefix, so assistant turns cannot be located; use --loss-on all")
            spans.append((len(start), len(end)))
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=True,
                        max_length=max_length)
        mask = [int(any(a <= lo < b for a, b in spans)) for lo, _hi in enc["offset_mapping"]]
        if any(mask):
            out.append({"input_ids": list(enc["input_ids"]), "assistant_masks": mask})
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.decision_weight != 1.0 and args.loss_on != "assistant":
        print("error: --decision-weight needs --loss-on assistant (the turns' first tokens are found from the "
              "assistant spans)", file=sys.stderr)
        return 2
    try:
        import torch
        from datasets import Dataset
        from peft import LoraConfig
        from trl import SFTConfig, SFTTrainer
    except ImportError as exc:
        print(f"error: training needs the [train] extra (torch, transformers, trl, peft, datasets): {exc}",
              file=sys.stderr)
        return 2
    from turnloom.itool.training import (
        load_model_and_tokenizer,
        make_config,
        read_rows,
        render_sft,
        seed_everything,
        sequential_trainer,
        weighted_trainer,
    )

    seed_everything(args.seed)
    if not torch.cuda.is_available():
        torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        rows = read_rows(args.data)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model, tokenizer = load_model_and_tokenizer(args.model, rows, seed=args.seed)
    try:
        texts = render_sft(rows, tokenizer) if args.loss_on == "all" else \
            render_assistant_only(rows, tokenizer, args.max_length)
    except ValueError as exc:
        print(f"error: {args.data}: {exc}", file=sys.stderr)
        return 2
    if not texts:
        print(f"error: {args.data}: no row has an assistant turn within --max-length {args.max_length}",
              file=sys.stderr)
        return 2
    if args.loss_on == "assistant":
        lengths = sorted(len(t["input_ids"]) for t in texts)
        print(f"rows: {len(texts)} of {len(rows)} have assistant tokens within {args.max_length} tokens; "
              f"tokens per row: median {lengths[len(lengths) // 2]}, max {lengths[-1]}, "
              f"assistant tokens {sum(sum(t['assistant_masks']) for t in texts)}", flush=True)
    dataset = Dataset.from_list(texts)
    cuda = torch.cuda.is_available()
    config = make_config(
        SFTConfig, output_dir=str(args.out), num_train_epochs=args.epochs, max_steps=args.max_steps,
        learning_rate=args.lr,
        per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=args.grad_accum,
        max_length=args.max_length, logging_steps=1, save_strategy="no", report_to=[], seed=args.seed,
        use_cpu=not cuda, bf16=cuda and torch.cuda.is_bf16_supported(), shuffle_dataset=False,
        dataset_text_field="text", gradient_checkpointing=False,
    )
    peft_config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, target_modules="all-linear",
                             task_type="CAUSAL_LM") if args.lora_r > 0 else None
    trainer_cls = sequential_trainer(SFTTrainer)
    if args.decision_weight != 1.0:
        trainer_cls = weighted_trainer(trainer_cls, args.decision_weight)
    trainer = trainer_cls(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                          peft_config=peft_config)
    result = trainer.train()
    save(trainer, tokenizer, args.out, merge=peft_config is not None and not args.no_merge)
    metrics: dict[str, Any] = {"train_loss": result.training_loss, "steps": result.global_step,
                               "examples": len(rows), "trained_rows": len(texts), "loss_on": args.loss_on,
                               "decision_weight": args.decision_weight,
                               "log_history": trainer.state.log_history}
    (args.out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"trained {result.global_step} steps, loss {result.training_loss:.4f} → {args.out}")
    return 0


def save(trainer: Any, tokenizer: Any, out: Path, *, merge: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = trainer.model
    if merge and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


if __name__ == "__main__":
    sys.exit(main())
