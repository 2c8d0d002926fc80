"""Stored rulesets back as files and engines: the exact rules that made a recorded decision.

A ruleset's files are written to a temporary directory (``rules/`` and ``criteria/``),
checked against the hashes recorded for them, and loaded like any other rule files.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import Connection

from ..errors import EngageError
from ..evaluation.evaluator import Engine
from ..policy.loader import policy_hash
from ..policy.model import Policy, PolicyFile
from .store import LogStore, StoredFile


@dataclass(frozen=True)
class Loaded:
    """A stored ruleset, loaded; or why it could not be, and which files do not match their hash."""

    ruleset_hash: str
    engine: Engine | None
    problems: tuple[str, ...]  # stored files that do not match their hashes, a missing ruleset, ...
    error: str | None = None  # why the ruleset could not be loaded at all

    @property
    def policy(self) -> Policy | None:
        return self.engine.policy if self.engine else None


def _safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and ".." not in parts and "\\" not in path


def file_problems(ruleset_hash: str, files: list[StoredFile]) -> list[str]:
    """Every way the stored files disagree with the hashes recorded for them."""
    problems = []
    for f in files:
        name = f"{f.kind}/{f.path}"
        if not _safe(f.path) or f.kind not in ("rules", "criteria"):
            problems.append(f"stored file {name!r} has a path outside its directory")
        elif f.content is None:
            problems.append(f"stored file {name} is missing (its content sha256:{f.sha256} is not stored)")
        elif hashlib.sha256(f.content).hexdigest() != f.sha256:
            problems.append(f"stored file {name} does not match its hash sha256:{f.sha256}: it was changed after it was stored")
    recorded = policy_hash(PolicyFile(f.kind, f.path, f.sha256) for f in files)
    if files and recorded != ruleset_hash:
        problems.append(f"the files listed for ruleset {ruleset_hash} hash to {recorded}: the list was changed")
    return problems


def load_stored(store: LogStore, ruleset_hash: str, conn: Connection | None = None, *, cache_size: int = 10_000) -> Loaded:
    """The engine of a stored ruleset, loaded from its stored files."""
    files = store.ruleset_files(ruleset_hash, conn)
    if not files:
        return Loaded(ruleset_hash, None, (), f"the ruleset {ruleset_hash} is not stored")
    problems = tuple(file_problems(ruleset_hash, files))
    with tempfile.TemporaryDirectory(prefix="engage-ruleset-") as tmp:
        base = Path(tmp)
        write_files(files, base)
        try:
            engine = Engine.load(base / "rules", base / "criteria", cache_size=cache_size)
        except EngageError as exc:
            lines = [str(e) for e in getattr(exc, "errors", [exc])]
            prefixes = {str(base) + os.sep, os.path.relpath(base) + os.sep}
            text = "; ".join(_strip(line, prefixes) for line in lines[:3])
            more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
            return Loaded(ruleset_hash, None, problems, f"the stored ruleset does not load: {text}{more}")
    return Loaded(ruleset_hash, engine, problems)


def write_files(files: list[StoredFile], base: Path) -> tuple[Path, Path]:
    """The stored files written under ``base`` as ``rules/`` and ``criteria/`` (those with a safe path and content)."""
    for kind in ("rules", "criteria"):
        (base / kind).mkdir(parents=True, exist_ok=True)
    for f in files:
        if f.content is not None and _safe(f.path) and f.kind in ("rules", "criteria"):
            target = base / f.kind / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.content)
    return base / "rules", base / "criteria"


def _strip(line: str, prefixes: set[str]) -> str:
    for prefix in prefixes:
        line = line.replace(prefix, "")
    return line


class RulesetCache:
    """Stored rulesets loaded once each, for one command."""

    def __init__(self, store: LogStore) -> None:
        self.store = store
        self._loaded: dict[str, Loaded] = {}

    def get(self, ruleset_hash: str, conn: Connection | None = None) -> Loaded:
        if ruleset_hash not in self._loaded:
            self._loaded[ruleset_hash] = load_stored(self.store, ruleset_hash, conn)
        return self._loaded[ruleset_hash]

    def close(self) -> None:
        for loaded in self._loaded.values():
            if loaded.engine is not None:
                loaded.engine.close()
        self._loaded.clear()
