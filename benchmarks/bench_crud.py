"""CRUD round trips on real imported specs: does the mock environment behave like the service?

For every entity family of a pool (an entity with a create tool and a read tool, as the
environment's operation semantics see them), one round trip on a fresh world:

1. create with generated arguments; the answer carries an id;
2. read it back: every field the create sent comes back with the same value;
3. update one field (when the family has an update tool); a read shows the new value;
4. list (when it has a list tool needing nothing else): the record is among the results;
5. delete (or a status change); a read then fails (or shows the new status).

A family is consistent when every step it has passes. Specs come from ``benchmarks/corpus``
(gzipped OpenAPI documents, see its SOURCES.md) and any files given on the command line.

    python benchmarks/bench_crud.py                       # the corpus
    python benchmarks/bench_crud.py --show-failures 5     # and why families fail
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turnloom.schema import ToolCall, ToolSpec, derive_seed
from turnloom.tools_env.analysis import ToolProfile
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.importers import import_tools
from turnloom.tools_env.values import ValueFactory, ValueGenerationError

CORPUS = Path(__file__).parent / "corpus"


@dataclass
class Family:
    entity: str
    create: str
    read: str
    update: str | None = None
    listing: str | None = None
    remove: str | None = None
    status: str | None = None
    steps: dict[str, bool] = field(default_factory=dict)
    why: str = ""

    @property
    def consistent(self) -> bool:
        return bool(self.steps) and all(self.steps.values())


def _families(env: ToolEnvironment) -> list[Family]:
    by_entity: dict[str, dict[str, list[str]]] = {}
    for name, prof in sorted(env.profiles.items()):
        if prof.entity:
            by_entity.setdefault(prof.entity, {}).setdefault(prof.kind, []).append(name)
    out = []
    for entity, kinds in sorted(by_entity.items()):
        if "create" in kinds and "read" in kinds:
            out.append(Family(entity, kinds["create"][0], kinds["read"][0], (kinds.get("update") or [None])[0],
                              next((t for t in kinds.get("list", []) if not env.tools[t].required), None),
                              (kinds.get("delete") or [None])[0], (kinds.get("status") or [None])[0]))
    return out


class _Run:
    def __init__(self, env: ToolEnvironment, seed: int) -> None:
        self.env, self.world = env, env.new_world(seed=seed)
        self.values = ValueFactory(seed)

    def call(self, tool: str, args: dict[str, Any]) -> Any:
        self.world, result = self.env.call(self.world, ToolCall(id=f"c{self.world.clock}", name=tool, arguments=args))
        return result

    def args(self, tool: ToolSpec, skip: Iterable[str] = (), known: dict[str, Any] | None = None) -> dict[str, Any]:
        """Generated values for the required parameters; ``known`` values (a parent id the
        create was given) are reused where a parameter has the same name."""
        out = {}
        for name in tool.required:
            if name in skip:
                continue
            if known and name in known:
                out[name] = known[name]
                continue
            self.values.reseed(derive_seed(self.world.seed, tool.name, name))
            out[name] = self.values.value(tool.properties.get(name, {}), name=name, root=tool.parameters)
        return out


def _id_of(prof: ToolProfile, content: Any) -> Any:
    if isinstance(content, dict):
        for key in (prof.id_field, "id", "sid", "uuid"):
            if key and key in content:
                return content[key]
    return None


def _fields(sent: dict[str, Any], got: Any) -> list[str]:
    """The sent scalar fields that come back with another value."""
    if not isinstance(got, dict):
        return ["<not an object>"]
    return [k for k, v in sent.items() if not isinstance(v, (dict, list)) and k in got and got[k] != v]


def round_trip(env: ToolEnvironment, fam: Family, seed: int) -> None:
    run = _Run(env, seed)
    create, read = env.tools[fam.create], env.tools[fam.read]
    rprof = env.profiles[fam.read]
    sent = run.args(create)
    rkey = rprof.id_param or "id"
    if rkey in create.properties and rkey not in sent:  # the create names what the read looks up (username)
        sent.update(run.args(create.model_copy(update={"parameters": {**create.parameters, "required": [rkey]}})))
    made = run.call(fam.create, sent)
    key = rprof.id_param or "id"
    # the value the read takes: sent with the create (a singleton under its parent), the field
    # of the answer named like the read's parameter (username), or the created record's id
    rid = sent.get(key) if key in sent else (made.content.get(key) if made.ok and isinstance(made.content, dict)
                                              and key in made.content else None)
    if rid is None and made.ok:
        rid = _id_of(env.profiles[fam.create], made.content)
    fam.steps["create"] = made.ok and rid is not None
    if not fam.steps["create"]:
        fam.why = f"create: {made.error or 'no id in the answer'}"
        return
    got = run.call(fam.read, {**run.args(read, skip=(key,), known=sent), key: rid})
    bad = _fields(sent, got.content) if got.ok else ["<error>"]
    fam.steps["read"] = got.ok and not bad
    if not fam.steps["read"]:
        fam.why = f"read: {got.error or 'changed ' + ', '.join(bad)}"
        return
    if fam.update:
        upd = env.tools[fam.update]
        uprof = env.profiles[fam.update]
        change = {k: v for k, v in run.args(upd, skip=(uprof.id_param or "",), known=sent).items()}
        optional = [k for k, s in upd.properties.items() if k not in upd.required and isinstance(s, dict)
                    and s.get("type") == "string" and "enum" not in s and "format" not in s and "pattern" not in s]
        if optional:
            change[optional[0]] = "changed by the round trip"
        run.call(fam.update, {**change, uprof.id_param or "id": rid})
        after = run.call(fam.read, {**run.args(read, skip=(key,), known=sent), key: rid})
        stale = [k for k in optional[:1] if k in (after.content or {}) and after.content[k] != change[k]]
        fam.steps["update"] = after.ok and not stale
        if not fam.steps["update"]:
            fam.why = f"update: {after.error or 'not persisted: ' + ', '.join(stale)}"
            return
    if fam.listing:
        listed = run.call(fam.listing, {})
        fam.steps["list"] = listed.ok and str(rid) in str(listed.content)
        if not fam.steps["list"]:
            fam.why = f"list: {listed.error or 'the record is not listed'}"
            return
    if fam.remove:
        dprof = env.profiles[fam.remove]
        run.call(fam.remove, {**run.args(env.tools[fam.remove], skip=(dprof.id_param or "",), known=sent),
                              dprof.id_param or "id": rid})
        gone = run.call(fam.read, {**run.args(read, skip=(key,), known=sent), key: rid})
        fam.steps["delete"] = not gone.ok
        if not fam.steps["delete"]:
            fam.why = "delete: the record can still be read"


@dataclass
class SpecResult:
    name: str
    tools: int
    families: list[Family]


def bench_spec(path: Path, kind: str, seed: int) -> SpecResult:
    tools = import_tools(kind, path)
    env = ToolEnvironment(tools)
    fams = _families(env)
    for fam in fams:
        try:
            round_trip(env, fam, seed)
        except ValueGenerationError as exc:
            fam.steps["create"] = False
            fam.why = f"arguments: {exc}"
    return SpecResult(path.name.removesuffix(".gz"), len(tools), fams)


def _corpus(folder: Path) -> list[Path]:
    out = []
    tmp = Path(tempfile.mkdtemp(prefix="crud-"))
    for gz in sorted(CORPUS.glob("*.gz")):
        target = tmp / gz.name.removesuffix(".gz")
        target.write_bytes(gzip.decompress(gz.read_bytes()))
        out.append(target)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="*", type=Path, help="more OpenAPI files (default: the corpus only)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show-failures", type=int, default=3, help="failing families listed per spec")
    args = ap.parse_args(argv)
    results = [bench_spec(p, "openapi", args.seed) for p in [*_corpus(CORPUS), *args.specs]]
    print(f"{'spec':<32}{'tools':>7}{'families':>10}{'consistent':>12}")
    total = ok = 0
    for r in results:
        good = sum(f.consistent for f in r.families)
        total, ok = total + len(r.families), ok + good
        print(f"{r.name:<32}{r.tools:>7}{len(r.families):>10}{good:>12}")
        for f in [f for f in r.families if not f.consistent][: args.show_failures]:
            print(f"    {f.entity}: {f.why[:110]}")
    print(f"{'total':<32}{'':>7}{total:>10}{ok:>12}  ({100 * ok / max(total, 1):.1f}% consistent)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
