"""The tool graph built on Ray tasks is the graph built in one process, byte for byte."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

ray = pytest.importorskip("ray", reason="the Ray mapper needs Ray (pip install 'turnloom[ray]')")

from turnloom.cli import app  # noqa: E402
from turnloom.executors_ray import ray_map  # noqa: E402
from turnloom.graphs._search import similar_pairs  # noqa: E402
from turnloom.tools_env.links import find_links  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_scale_paths import _owners, _pool  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        mp.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        mp.delenv("RAY_ADDRESS", raising=False)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield
        finally:
            ray.shutdown()


def test_graph_build_on_ray_writes_the_local_files(tmp_path: Path) -> None:
    local = runner.invoke(app, ["graph", "build", "builtin", "-o", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    on_ray = runner.invoke(app, ["graph", "build", "builtin", "-o", str(tmp_path / "ray"), "--executor", "ray"])
    assert on_ray.exit_code == 0, on_ray.output
    for name in ("graph.json", "stats.json"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_links_and_lsh_bands_on_ray_match_local() -> None:
    tools = _pool(240, seed=9)
    links = find_links(tools, max_fanout=3)
    assert links and find_links(tools, max_fanout=3, mapper=ray_map, span=50) == links
    _, _, _, emb = _owners(tools)
    plain = similar_pairs(emb, 0.7, top_k=4, exact_limit=50)
    on_ray = similar_pairs(emb, 0.7, top_k=4, exact_limit=50, mapper=ray_map)
    assert len(plain[0]) and all(np.array_equal(x, y) for x, y in zip(plain, on_ray, strict=True))


def test_unknown_executor_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", "build", "builtin", "-o", str(tmp_path / "g"), "--executor", "spark"])
    assert result.exit_code == 2
    assert "expected local or ray" in result.output and "Traceback" not in result.output
