"""Preference training on MCTS pairs (iTool): DPO (TRL's DPOTrainer) or SimPO (TRL's CPOTrainer
with ``loss_type="simpo"``, ``cpo_alpha=0``), LoRA through PEFT.

The pairs file is ``pairs.jsonl`` from ``turnloom mcts`` (TRL conversational preference
rows ``{"prompt", "chosen", "rejected", "tools"}``; the ``meta`` field is ignored).
iTool's own settings are SimPO with β=2.5, γ=0.5, learning rate 1e-6 and LoRA r=8:
those are the defaults of ``--loss simpo``.

Commands::

    pip install torch==2.13.0 && pip install -e '.[train]'
    turnloom eval out/accepted.jsonl --model openai:policy@http://127.0.0.1:8000/v1 -o out/eval
    turnloom mine out/accepted.jsonl --eval out/eval -o out/deficient.jsonl
    turnloom mcts out/deficient.jsonl --model openai:policy@http://127.0.0.1:8000/v1 -o out/pairs.jsonl
    # SimPO as in iTool, on a local model folder (e.g. the warm-up SFT output):
    python scripts/train_dpo.py --pairs out/pairs.jsonl --model out/sft --out out/simpo --loss simpo
    # DPO (β=0.1), tiny randomly initialised model built locally (smoke test):
    python scripts/train_dpo.py --pairs out/pairs.jsonl --model tiny --out out/dpo-tiny --loss dpo --max-steps 3
    # as the trainer of one full iteration:
    turnloom itool out/accepted.jsonl --model openai:policy@http://127.0.0.1:8000/v1 -o out/iter1 \\
        --train-cmd "python scripts/train_dpo.py --model out/sft --out out/iter1/model --pairs {pairs}"

The output folder holds the model (LoRA merged unless ``--no-merge``), the tokenizer and
``train_metrics.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=Path, required=True, help="pairs.jsonl from `turnloom mcts`")
    p.add_argument("--model", required=True, help="a local model folder, or tiny / tiny-qwen2 / tiny-llama")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--loss", choices=("dpo", "simpo"), default="simpo")
    p.add_argument("--beta", type=float, default=None, help="default: 2.5 for simpo (iTool), 0.1 for dpo")
    p.add_argument("--gamma", type=float, default=0.5, help="SimPO target reward margin γ")
    p.add_argument("--lr", type=float, default=1e-6)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--max-length", type=int, default=2048)
    p.add_argument("--lora-r", type=int, default=8, help="LoRA rank (0: full fine-tuning)")
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--no-merge", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def _cpo() -> tuple[Any, Any]:
    try:
        from trl.experimental.cpo import CPOConfig, CPOTrainer
    except ImportError:  # TRL before the experimental split
        from trl import CPOConfig, CPOTrainer
    return CPOConfig, CPOTrainer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import torch
        from datasets import Dataset
        from peft import LoraConfig
        from trl import DPOConfig, DPOTrainer
    except ImportError as exc:
        print(f"error: training needs the [train] extra (torch, transformers, trl, peft, datasets): {exc}",
              file=sys.stderr)
        return 2
    from turnloom.itool.training import (
        load_model_and_tokenizer,
        make_config,
        read_rows,
        render_preference,
        seed_everything,
    )

    seed_everything(args.seed)
    try:
        rows = read_rows(args.pairs)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model, tokenizer = load_model_and_tokenizer(args.model, rows, seed=args.seed)
    dataset = Dataset.from_list(render_preference(rows, tokenizer))
    cuda = torch.cuda.is_available()
    beta = args.beta if args.beta is not None else (2.5 if args.loss == "simpo" else 0.1)
    common = {
        "output_dir": str(args.out), "num_train_epochs": args.epochs, "max_steps": args.max_steps,
        "learning_rate": args.lr, "per_device_train_batch_size": args.batch_size,
        "gradient_accumulation_steps": args.grad_accum, "max_length": args.max_length, "logging_steps": 1,
        "save_strategy": "no", "report_to": [], "seed": args.seed, "use_cpu": not cuda,
        "bf16": cuda and torch.cuda.is_bf16_supported(), "gradient_checkpointing": False, "beta": beta,
        "remove_unused_columns": False,
    }
    peft_config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, target_modules="all-linear",
                             task_type="CAUSAL_LM") if args.lora_r > 0 else None
    if args.loss == "simpo":
        cpo_config, cpo_trainer = _cpo()
        config = make_config(cpo_config, loss_type="simpo", cpo_alpha=0.0, simpo_gamma=args.gamma, **common)
        trainer = cpo_trainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                              peft_config=peft_config)
    else:
        config = make_config(DPOConfig, loss_type="sigmoid", **common)
        trainer = DPOTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer,
                             peft_config=peft_config)
    result = trainer.train()
    args.out.mkdir(parents=True, exist_ok=True)
    out_model = trainer.model
    if peft_config is not None and not args.no_merge and hasattr(out_model, "merge_and_unload"):
        out_model = out_model.merge_and_unload()
    out_model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    metrics: dict[str, Any] = {"loss": args.loss, "beta": beta, "gamma": args.gamma if args.loss == "simpo" else None,
                               "train_loss": result.training_loss, "steps": result.global_step, "pairs": len(rows),
                               "log_history": trainer.state.log_history}
    (args.out / "train_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(f"{args.loss}: trained {result.global_step} steps, loss {result.training_loss:.4f} → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
