"""The parts of ``engine/`` import only the parts below them (see ``engine/__init__.py``).

Read from the import statements themselves (every one, also inside functions and
``TYPE_CHECKING`` blocks), so that a lazy import cannot hide a layer violation.  A failure
names the offending ``file:line``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .helpers.support import ROOT

PARTS = ("i18n", "policy", "evaluation", "batches", "log", "report", "authoring", "releases", "bench", "web", "commands")
BELOW_FRONT_ENDS = ("policy", "evaluation", "batches", "log", "report", "authoring", "releases")
# What each part may import besides itself and the top-level ``engine.errors`` / ``engine.__version__``.
# ``i18n`` is the lowest part: every other may import it, and it imports none.
ALLOWED: dict[str, frozenset[str]] = {
    "i18n": frozenset(),
    "policy": frozenset({"i18n"}),
    "evaluation": frozenset({"i18n", "policy"}),
    "batches": frozenset({"i18n", "policy", "evaluation"}),
    "log": frozenset({"i18n", "policy", "evaluation"}),
    "report": frozenset({"i18n", "policy", "evaluation", "log"}),
    "authoring": frozenset({"i18n", "policy", "evaluation", "batches"}),
    "releases": frozenset({"i18n", "policy", "evaluation", "batches", "log", "authoring"}),
    "web": frozenset({"i18n", *BELOW_FRONT_ENDS}),
    "bench": frozenset({"i18n", *BELOW_FRONT_ENDS, "web"}),
    "commands": frozenset({"i18n", *BELOW_FRONT_ENDS, "web", "bench"}),
}
TOP_MODULES = frozenset({"__init__", "errors", "cli"})
ANYONE_MAY_IMPORT = frozenset({"engine", "engine.errors", "engine.__version__"})
DURABLE = ("durable", "durable_rules_engine")


def module_name(path: Path, package_root: Path) -> tuple[str, bool]:
    rel = path.relative_to(package_root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imported(path: Path, package_root: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with its line."""
    name, is_package = module_name(path, package_root)
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None:  # from . import a, b: each name may be a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def part_of(module: str) -> str | None:
    """The part a module of ``engine`` belongs to, or None for the top-level modules."""
    pieces = module.split(".")
    if pieces[0] != "engine" or len(pieces) < 2:
        return None
    return pieces[1] if pieces[1] in PARTS else None


def violations(package_root: Path) -> list[str]:
    """``file:line: message`` for every import that points up, sideways or at durable-rules outside the matcher."""
    problems: list[str] = []
    durable_importers: set[str] = set()
    for path in sorted(package_root.rglob("*.py")):
        rel = path.relative_to(package_root.parent).as_posix()
        name, _ = module_name(path, package_root)
        own = part_of(name)
        for line, target in imported(path, package_root):
            if target.split(".")[0] in DURABLE:
                durable_importers.add(rel)
                continue
            if not target.startswith("engine"):
                continue
            if target in ANYONE_MAY_IMPORT or target.startswith("engine.errors"):
                continue
            theirs = part_of(target)
            if own is None:  # engine/__init__.py, errors.py, cli.py
                top = name.split(".")[-1] if name != "engine" else "__init__"
                allowed = {
                    "__init__": target == "engine.evaluation.evaluator",  # the public API, loaded lazily
                    "cli": theirs in ("commands", "evaluation", "i18n"),
                }.get(top, False)
                if not allowed:
                    problems.append(f"{rel}:{line}: the top-level module {top} imports {target}")
                continue
            if theirs is None and own == "commands" and target == "engine.cli":
                continue  # the verbs share the command line's streams and parser
            if theirs is None:
                problems.append(f"{rel}:{line}: {own} imports {target}, which only the command line may use")
            elif theirs != own and theirs not in ALLOWED[own]:
                may = ", ".join(sorted(ALLOWED[own])) or "no other part"
                problems.append(f"{rel}:{line}: {own} imports {target} ({theirs}); {own} may import {may}")
    matcher = "engine/evaluation/matcher.py"
    if (package_root / "evaluation" / "matcher.py").exists() and durable_importers != {matcher}:
        others = ", ".join(sorted(durable_importers - {matcher})) or "no module"
        problems.append(f"durable-rules must be imported by {matcher} alone; imported by: {others}")
    return problems


def test_every_import_points_down() -> None:
    problems = violations(ROOT / "engine")
    assert not problems, "\n".join(problems)


def test_engine_itself_holds_at_most_eight_modules() -> None:
    modules = sorted(p.name for p in (ROOT / "engine").glob("*.py"))
    assert len(modules) <= 8, modules
    assert {p.stem for p in (ROOT / "engine").glob("*.py")} <= TOP_MODULES


def test_every_part_says_what_it_may_import() -> None:
    for part in PARTS:
        doc = ast.get_docstring(ast.parse((ROOT / "engine" / part / "__init__.py").read_text("utf-8")))
        assert doc and "May import" in doc, part


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "engine"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    for part in PARTS:
        (root / part).mkdir(exist_ok=True)
        (root / part / "__init__.py").touch()
    (root / "evaluation" / "matcher.py").write_text("import durable_rules_engine\n", "utf-8")
    return root


def test_an_upward_import_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "policy/model.py": "from ..errors import EngageError\n\n\ndef f():\n    from ..evaluation.logic import trace\n",
            "evaluation/score.py": "from ..policy.model import Rule\nfrom engine.log import store\n",
            "log/store.py": "from ..web.db import tables\n",
            "batches/batch.py": "from ..commands.common import policy_args\n",
            "i18n/formats.py": "from engine.policy import model\n",
            "policy/fields.py": "from ..i18n.languages import LANGUAGES\n",  # every part may use the lowest
        },
    )
    assert violations(root) == [
        "engine/batches/batch.py:1: batches imports engine.commands.common (commands); "
        "batches may import evaluation, i18n, policy",
        "engine/evaluation/score.py:2: evaluation imports engine.log (log); evaluation may import i18n, policy",
        "engine/i18n/formats.py:1: i18n imports engine.policy (policy); i18n may import no other part",
        "engine/log/store.py:1: log imports engine.web.db (web); log may import evaluation, i18n, policy",
        "engine/policy/model.py:5: policy imports engine.evaluation.logic (evaluation); policy may import i18n",
    ]


def test_durable_rules_outside_the_matcher_is_named(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"evaluation/compiler.py": "def f():\n    from durable.lang import ruleset\n"})
    assert violations(root) == [
        "durable-rules must be imported by engine/evaluation/matcher.py alone; imported by: engine/evaluation/compiler.py"
    ]


def test_the_python_api_is_engine_engine_loaded_on_first_use() -> None:
    # In a fresh interpreter: `import engine` (which every command does) must not load the
    # evaluation part; `from engine import Engine` must give the engine itself.
    code = (
        "import sys, engine\n"
        "assert 'engine.evaluation.evaluator' not in sys.modules\n"
        "from engine import Engine\n"
        "from engine.evaluation.evaluator import Engine as Real\n"
        "assert Engine is Real\n"
        "print(Engine.load().evaluate.__qualname__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Engine.evaluate\n"
