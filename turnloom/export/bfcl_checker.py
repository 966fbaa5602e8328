"""A virtual environment holding BFCL's own AST checker (``bfcl-eval``), to check exports
and evaluate models with the real consumer's code.

bfcl-eval pins numpy, networkx and many SDKs that clash with this project's, so it lives in
its own venv: ``bfcl-eval`` itself without dependencies, plus only what importing its AST
checker needs. :func:`bfcl_checker_python` builds it once (minutes; a lock makes concurrent
callers wait) and returns its Python; a stamp file records what was installed, so a changed
pin rebuilds it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["BFCL_EVAL", "BFCL_IMPORT_DEPS", "BfclCheckerError", "bfcl_checker_python"]

BFCL_EVAL = "bfcl-eval==2026.3.23"
# What `from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker` imports: the checker
# module pulls in bfcl_eval's model registry, which imports each provider SDK at module level.
# bfcl-eval's other pins (numpy 1.26, networkx 3.3, sentence-transformers, faiss...) are left out.
_IMPORT_DEPS = """anthropic>=0.75.0 openai>=1.86.0 cohere==5.18.0 mistralai==1.7.0 google-genai>=1.52.0 boto3
    qwen-agent writer-sdk>=2.1.0 datamodel-code-generator==0.25.7 overrides tenacity>=8.5.0 filelock==3.20.0 requests
    tree_sitter==0.21.3 tree-sitter-java==0.21.0 tree-sitter-javascript==0.21.4 soundfile"""
BFCL_IMPORT_DEPS = tuple(_IMPORT_DEPS.split())


class BfclCheckerError(RuntimeError):
    """Installing bfcl-eval or its checker's imports failed; ``output`` is pip's."""

    def __init__(self, root: Path, output: str) -> None:
        super().__init__(f"installing {BFCL_EVAL} into {root} failed: {output[-600:]}")
        self.output = output


def _pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args],
                          capture_output=True, text=True, check=False)


def bfcl_checker_python(root: Path | None = None) -> Path:
    """The Python of the venv at ``root`` (default: ``$TURNLOOM_BFCL_VENV`` or
    ``~/.cache/turnloom-tests/bfcl-venv``) with bfcl-eval's checker; built once, reused."""
    root = root or Path(os.environ.get("TURNLOOM_BFCL_VENV", Path.home() / ".cache" / "turnloom-tests" / "bfcl-venv"))
    ready = root / ".turnloom-ready"
    stamp = "\n".join((BFCL_EVAL, *sorted(BFCL_IMPORT_DEPS)))
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ready.is_file() and ready.read_text() == stamp):
            if not (root / "bin" / "python").exists():
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            for args in (("--no-deps", BFCL_EVAL), BFCL_IMPORT_DEPS):
                proc = _pip(root, *args)
                if proc.returncode != 0:
                    raise BfclCheckerError(root, proc.stdout + proc.stderr)
            ready.write_text(stamp)
    return root / "bin" / "python"
