"""The Python the docs show is woasr's real API: every block compiles, what it imports exists,
the keywords it passes are parameters, and the signatures docs/api.md prints are the real ones.
No model is loaded: this reads the docs and the code (the README's example is run for real in
test_library.py)."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

from conftest import REPO

DOCS = ("README.md", "docs/api.md", "docs/live.md", "docs/server.md", "docs/recipes.md")
# A block may lean on values the prose gives it (`options`, `path`, `blocks`) but never on a
# class or function it does not import: a reader copying it would get a NameError.


def python_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for name in DOCS:
        text = (REPO / name).read_text(encoding="utf-8")
        for match in re.finditer(r"```python\n(.*?)```", text, re.S):
            blocks.append((name, text[: match.start()].count("\n") + 2, match.group(1)))
    return blocks


def signature_lines(code: str) -> list[str] | None:
    """A block of signatures (`name(params) -> Type`), as docs/api.md prints them; None for code."""
    lines = [re.sub(r"\s+#.*", "", line) for line in code.splitlines()]
    calls = re.split(r"\n(?=\S)", "\n".join(line for line in lines if line.strip()))
    if not any(re.search(r"\)\s*->", c) for c in calls):
        return None
    return calls


def resolve(dotted: str) -> Callable[..., Any]:
    """`run_batch`, `Transcriber`, `transcriber.transcribe`: what a signature line names."""
    import woasr_cli

    head, _, attribute = dotted.partition(".")
    target = getattr(woasr_cli, head[0].upper() + head[1:] if attribute else head)
    return getattr(target, attribute) if attribute else target


def made_by(factory: Any) -> Any:
    """The class of what calling ``factory`` gives: itself for a class, else its return type."""
    if inspect.isclass(factory):
        return factory
    returned = inspect.signature(factory).return_annotation
    if isinstance(returned, str):  # postponed annotations: the name in the function's module
        returned = getattr(factory, "__globals__", {}).get(returned)
    return returned if inspect.isclass(returned) else None


def parameters(function: Callable[..., Any]) -> list[tuple[str, str]]:
    params = inspect.signature(function).parameters.values()
    return [(p.name, p.kind.name) for p in params if p.name != "self"]


@pytest.mark.parametrize(
    "doc,line,code", [pytest.param(*b, id=f"{b[0]}:{b[1]}") for b in python_blocks()]
)
def test_python_block(doc: str, line: int, code: str) -> None:
    where = f"{doc}:{line}"
    signatures = signature_lines(code)
    if signatures is not None:
        for call in signatures:
            name, params = re.fullmatch(r"([\w.]+)\((.*)\)(?:\s*->.*)?", call, re.S).groups()  # type: ignore[union-attr]
            shown = ast.parse(f"def f({params}): pass").body[0].args  # type: ignore[attr-defined]
            documented = [(a.arg, "POSITIONAL_OR_KEYWORD") for a in shown.args]
            documented += [(a.arg, "KEYWORD_ONLY") for a in shown.kwonlyargs]
            documented += [(shown.kwarg.arg, "VAR_KEYWORD")] if shown.kwarg else []
            real = parameters(resolve(name))
            assert documented == real, f"{where}: {name}{inspect.signature(resolve(name))}"
        return
    tree = ast.parse(code, where)  # a block of code: it compiles
    imported: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("woasr"):
            module = importlib.import_module(node.module)
            public = getattr(module, "__all__", None) if node.module == "woasr_cli" else None
            for alias in node.names:
                assert public is None or alias.name in public, f"{where}: {alias.name}"
                imported[alias.asname or alias.name] = getattr(module, alias.name)
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    bound |= {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}  # fmt: skip
    free = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - bound - set(dir(builtins))
    assert not {n for n in free if n[0].isupper()}, f"{where}: used, never imported: {free}"
    instances: dict[str, Any] = {}  # x = Imported(...) and `with Imported(...) as x`
    for node in ast.walk(tree):
        value, target = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            value, target = node.value, node.targets[0]
        elif isinstance(node, ast.withitem):
            value, target = node.context_expr, node.optional_vars
        made = None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            made = made_by(imported[value.func.id]) if value.func.id in imported else None
        if made is not None and isinstance(target, ast.Name):
            instances[target.id] = made
    checked = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = None
        if isinstance(node.func, ast.Name) and node.func.id in imported:
            function = imported[node.func.id]
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id in instances):  # fmt: skip
            owner = instances[node.func.value.id]
            assert hasattr(owner, node.func.attr), f"{where}: {owner.__name__}.{node.func.attr}"
            function = getattr(owner, node.func.attr)
        if function is None or not callable(function):
            continue
        accepted = inspect.signature(function).parameters
        if any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            continue
        for keyword in node.keywords:
            assert keyword.arg is None or keyword.arg in accepted, f"{where}: {keyword.arg}="
        checked += 1
    assert checked or not imported, f"{where}: imports woasr but no call of it was checked"
