"""Constants of engine modules that import torch, read from their source text without running it.

Option choices and the preset table of `texnet train texture --help` come from
``texturenet_plugin.zoo.descriptor_weights`` and ``texturenet_plugin.train.config``, which
import torch (1-5 s).
Their values are plain literals, so this module parses the module's source with :mod:`ast` and
evaluates only literals: help stays instant and each value keeps its one home in the engine.
Anything that is not a literal falls back to importing the module (correct, only slower);
``tests/cli/test_cli_fast.py`` checks that every value read here equals the imported one.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def _tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        raise ImportError(module)
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def _top_level(module: str, name: str) -> ast.expr:
    for node in _tree(module).body:
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if isinstance(node.target, ast.Name) and node.target.id == name:
                return node.value
    raise LookupError(f"{module}.{name}")


def literal(module: str, name: str):
    """``module.name`` when its source assigns a literal; otherwise imported."""
    try:
        return ast.literal_eval(_top_level(module, name))
    except (ImportError, LookupError, ValueError, SyntaxError, OSError):
        return getattr(importlib.import_module(module), name)


def dict_keys(module: str, name: str) -> tuple[str, ...]:
    """The keys of the dict ``module.name`` (its values may be anything)."""
    try:
        node = _top_level(module, name)
        if not isinstance(node, ast.Dict):
            raise ValueError(name)
        return tuple(ast.literal_eval(key) for key in node.keys)
    except (ImportError, LookupError, ValueError, SyntaxError, OSError):
        return tuple(getattr(importlib.import_module(module), name))


def _literal_fields(class_node: ast.ClassDef) -> dict:
    fields = {}
    for node in class_node.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            try:
                fields[node.target.id] = ast.literal_eval(node.value)
            except ValueError:
                pass  # not a literal (e.g. a tuple of layer names from another module)
    return fields


def config_presets(module: str, name: str, wanted: tuple[str, ...]) -> dict[str, dict]:
    """``{preset: {field: value}}`` for a ``dict[str, Config]`` of dataclass calls such as
    ``training.PRESETS``: the class's literal defaults, then each call's keywords."""
    try:
        node = _top_level(module, name)
        classes = {c.name: c for c in _tree(module).body if isinstance(c, ast.ClassDef)}
        presets = {}
        for key, call in zip(node.keys, node.values):
            if not isinstance(call, ast.Call) or call.args:
                raise ValueError(name)
            values = dict(_literal_fields(classes[call.func.id]))
            values.update({kw.arg: ast.literal_eval(kw.value) for kw in call.keywords})
            presets[ast.literal_eval(key)] = {f: values[f] for f in wanted}
        return presets
    except (ImportError, LookupError, ValueError, SyntaxError, OSError, AttributeError):
        imported = getattr(importlib.import_module(module), name)
        return {key: {f: getattr(config, f) for f in wanted} for key, config in imported.items()}
