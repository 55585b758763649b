"""The import graph runs one way: a module imports its own package and the layers below it, never above.

Every import counts, at the top of a module or inside a function, and so does a module named in a
string for a lazy import (cli's `_lazy("bot.telegram.runner", …)`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# Lowest first, numbered from 1 as in the README's design notes. A unit is a package under bot/ or a module directly in it ("bot" is bot/__init__.py).
# A unit may import units of lower layers; units that share a layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot", "errors"),  # the version; the error types every layer raises
    ("config", "install_key"),  # frozen settings; the per-install key file
    ("text", "storage"),  # normalisation, sentences, terms and key sets; the SQLite question log
    ("index",),  # the file format, the arrays on disk, BM25, the loaded knowledge base
    ("knowledge", "retrieval"),  # files -> articles -> passages -> analysis -> a build; candidates -> rerank -> snippet
    ("faq", "quality", "replies"),  # curated answers; questions.yaml and the gate; plain, HTML and JSON answers
    ("service",),  # the knowledge base being served, curated answers first, reloads
    ("evaluation", "console", "telegram"),  # qabot eval/bench/fit-confidence; qabot chat; the bot
    ("cli",),  # the command line, which starts every command lazily
    ("__main__",),
)

LAYER_OF = {unit: number for number, layer in enumerate(LAYERS, start=1) for unit in layer}
_MODULE_NAME = re.compile(r"bot(\.\w+)+")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "bot"


def is_module(name: str) -> bool:
    path = BOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every bot module the source imports, wherever the import sits."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from bot import cli` imports the module bot.cli, `from bot import __version__` only bot.
            found += [(node.lineno, f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
                      for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(node.value) \
                and is_module(node.value):
            found.append((node.lineno, node.value))
    return [(line, name) for line, name in found if name == "bot" or name.startswith("bot.")]


def upward_imports(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every import of a unit that is not below the module's own, worded for a failure message."""
    unit = unit_of(module)
    problems = []
    for line, target in imported_modules(module, source, is_package):
        other = unit_of(target)
        if other == unit:
            continue
        if other not in LAYER_OF:
            problems.append(f"{module}:{line} imports {target}, whose unit {other!r} has no layer in LAYERS")
        elif LAYER_OF[other] >= LAYER_OF[unit]:
            where = "the same layer" if LAYER_OF[other] == LAYER_OF[unit] else "a higher layer"
            problems.append(f"{module}:{line} imports {target}: {unit!r} (layer {LAYER_OF[unit]}) "
                            f"may not import {other!r} ({where}, {LAYER_OF[other]})")
    return problems


def bot_modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def test_every_unit_of_bot_has_a_layer():
    units = {unit_of(module_name(path)) for path in bot_modules()}
    assert units - set(LAYER_OF) == set(), "add these to LAYERS in tests/test_layers.py (and the README)"
    assert set(LAYER_OF) - units == set(), "LAYERS names units that no longer exist"


def test_no_module_imports_a_layer_above_its_own():
    problems = [problem for path in bot_modules()
                for problem in upward_imports(module_name(path), path.read_text(encoding="utf-8"),
                                              path.name == "__init__.py")]
    assert problems == [], "upward imports:\n" + "\n".join(problems)


def test_the_check_finds_an_upward_import_wherever_it_is():
    source = '''
import bot.text.terms
from bot.errors import QabotError
from .normalize import normalize


def later():
    from bot.telegram import handlers
    from ..index import store
    return importlib.import_module("bot.replies.render")
'''
    assert upward_imports("bot.text.sample", source) == [
        "bot.text.sample:8 imports bot.telegram.handlers: 'text' (layer 3) may not import 'telegram' (a higher layer, 8)",
        "bot.text.sample:9 imports bot.index.store: 'text' (layer 3) may not import 'index' (a higher layer, 4)",
        "bot.text.sample:10 imports bot.replies.render: 'text' (layer 3) may not import 'replies' (a higher layer, 6)",
    ]
    assert upward_imports("bot.knowledge.sample", "import bot.retrieval.answer") == [
        "bot.knowledge.sample:1 imports bot.retrieval.answer: 'knowledge' (layer 5) may not import 'retrieval' "
        "(the same layer, 5)"]


def test_the_readme_lists_the_same_layers():
    notes = (BOT.parent / "README.md").read_text(encoding="utf-8").split("## Design notes", 1)[1].split("\n- ", 1)[0]
    items = re.findall(r"^\d+\. (.*?)(?=^\d+\. |^\S|\Z)", notes, re.M | re.S)
    seen: set[str] = set()
    listed = []
    for item in items:
        # A layer's units are the bot/ paths it names first; a later mention of a lower one is a cross-reference.
        units = [unit_of(module_name(BOT.parent / path)) for path in re.findall(r"`(bot/[\w/.]*?)/?`", item)]
        listed.append({unit for unit in units if unit not in seen})
        seen.update(units)
    assert listed == [set(layer) for layer in LAYERS]
