"""The engine's floors (docs/design.md §1): a wing imports only wings below it, and no module
imports itself back through others. Imports are read with :mod:`ast` (function-local ones
included), so nothing here imports torch."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "texturenet_plugin"
CLI = ROOT / "cli" / "texnet_cli"

# floor of each wing; "ground" is the package's own top-level modules
FLOORS = {"ground": 0, "nets": 1, "io": 1, "runtime": 2, "synthesis": 3, "zoo": 3, "train": 4}


def module_name(path: Path, top: Path, package: str) -> str:
    parts = list(path.relative_to(top).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def modules(top: Path, package: str) -> dict[str, Path]:
    return {module_name(p, top, package): p for p in sorted(top.rglob("*.py"))}


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of ``known`` that the module ``name`` (file ``path``) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` names a module; `from mod import name` names the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(top: Path, package: str) -> dict[str, set[str]]:
    mods = modules(top, package)
    return {name: imports(path, name, set(mods)) for name, path in mods.items()}


def wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "ground"


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Every import from a wing to one on its own floor or above (a wing's own modules may
    import each other)."""
    bad = []
    for source, targets in edges.items():
        for target in targets:
            a, b = wing(source), wing(target)
            if a != b and FLOORS[b] >= FLOORS[a]:
                bad.append(f"{source} (floor {FLOORS[a]}) imports {target} (floor {FLOORS[b]})")
    return sorted(bad)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_wing_has_a_floor():
    wings = {p.name for p in ENGINE.iterdir() if (p / "__init__.py").is_file()}
    assert wings == set(FLOORS) - {"ground"}


def test_no_wing_imports_one_above_it():
    assert upward_imports(graph(ENGINE, "texturenet_plugin")) == []


def test_no_import_circles():
    assert cycles(graph(ENGINE, "texturenet_plugin")) == []
    assert cycles(graph(CLI, "texnet_cli")) == []


def test_the_engine_does_not_import_its_fronts():
    for name, path in modules(ENGINE, "texturenet_plugin").items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                assert not any(n.split(".")[0] in ("texnet_cli", "texnet_gimp", "texnet_krita")
                               for n in names), name


@pytest.mark.parametrize("edges, expected", [
    ({"texturenet_plugin.nets.noise": {"texturenet_plugin.zoo.local"}}, 1),  # up
    ({"texturenet_plugin.zoo.local": {"texturenet_plugin.synthesis.tile"}}, 1),  # same floor
    ({"texturenet_plugin.errors": {"texturenet_plugin.io.atomic"}}, 1),  # ground upwards
    ({"texturenet_plugin.train.loop": {"texturenet_plugin.nets.losses"}}, 0),  # down
    ({"texturenet_plugin.zoo.cache": {"texturenet_plugin.zoo.local"}}, 0),  # same wing
])
def test_the_floor_rule_can_fail(edges, expected):
    assert len(upward_imports(edges)) == expected


def test_the_cycle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_relative_imports_resolve(tmp_path):
    pkg = tmp_path / "texturenet_plugin"
    (pkg / "zoo").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "env.py").write_text("")
    (pkg / "zoo" / "__init__.py").write_text("")
    (pkg / "zoo" / "local.py").write_text("from .. import env\nfrom . import cache\n")
    (pkg / "zoo" / "cache.py").write_text("def f():\n    from ..zoo.local import x\n")
    edges = graph(pkg, "texturenet_plugin")
    assert edges["texturenet_plugin.zoo.local"] == {"texturenet_plugin.env",
                                                    "texturenet_plugin.zoo.cache"}
    assert cycles(edges) == [["texturenet_plugin.zoo.cache", "texturenet_plugin.zoo.local"]]


def test_the_wheel_lists_every_package():
    """pyproject lists packages by name: a wing missing there would be missing from the wheel."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, re.S | re.M).group(1)  # (no tomllib in 3.10)
    listed = set(re.findall(r'"([\w.]+)"', re.sub(r"#.*", "", block)))
    on_disk = {module_name(p, ENGINE, "texturenet_plugin") for p in ENGINE.rglob("__init__.py")}
    on_disk |= {module_name(p, CLI, "texnet_cli") for p in CLI.rglob("__init__.py")}
    assert on_disk <= listed
