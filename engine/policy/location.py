"""Which ``rules/`` and ``criteria/`` a command reads: the one place that decides it.

Each of the two directories is taken from the first of these that names it:

1. ``--rules DIR`` / ``--criteria DIR`` (source ``option``);
2. ``ENGAGE_POLICY=DIR``, a directory holding ``rules/`` and ``criteria/`` (source ``environment``);
3. the policy checkout the command runs in (source ``checkout``): the working directory or the
   nearest of its parents that holds a ``rules/`` and a ``criteria/`` directory, each with at least
   one ``.yaml``/``.yml`` file directly in it.  Both folders and a YAML file in each are asked for so
   that a stray ``rules/`` folder of another project does not capture the command; a file that does
   not load still counts, so that a broken checkout reports its errors instead of being passed over;
4. the copy shipped with the package (source ``shipped``, :mod:`engine.policy.shipped`).

An author who edits the files of a checkout therefore sees every verb follow the edit, wherever
the package is installed.  The Python API (``Engine.load()``) does not look at the working
directory: it reads what it is given, else the shipped copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .shipped import shipped_dir

OPTION, ENVIRONMENT, CHECKOUT, SHIPPED = "option", "environment", "checkout", "shipped"
ENV_VAR = "ENGAGE_POLICY"
_RANK = {OPTION: 0, ENVIRONMENT: 1, CHECKOUT: 2, SHIPPED: 3}
_WORDS = {OPTION: "--rules/--criteria", ENVIRONMENT: ENV_VAR, CHECKOUT: "checkout", SHIPPED: "shipped"}
_YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class PolicyLocation:
    """The two directories a command reads, and where each was found."""

    rules: Path
    criteria: Path
    rules_source: str
    criteria_source: str

    @property
    def source(self) -> str:
        """One word for both: the one that took precedence (``option`` when either was given)."""
        return min((self.rules_source, self.criteria_source), key=_RANK.__getitem__)

    @property
    def directory(self) -> Path | None:
        """The directory holding both ``rules/`` and ``criteria/`` (absolute), or None when they are apart."""
        rules, criteria = _absolute(self.rules), _absolute(self.criteria)
        return rules.parent if rules.parent == criteria.parent else None

    def describe(self) -> str:
        """``/x/co (checkout)``, or each directory with its source when they are apart."""
        if self.directory is not None and self.rules_source == self.criteria_source:
            return f"{self.directory} ({_WORDS[self.rules_source]})"
        rules, criteria = _absolute(self.rules), _absolute(self.criteria)
        return f"rules {rules} ({_WORDS[self.rules_source]}), criteria {criteria} ({_WORDS[self.criteria_source]})"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source,
            "directory": None if self.directory is None else str(self.directory),
            "rules": str(_absolute(self.rules)),
            "criteria": str(_absolute(self.criteria)),
        }


def is_checkout(directory: Path) -> bool:
    """Whether ``directory`` holds a policy: ``rules/`` and ``criteria/``, each with a YAML file in it."""
    return all(_has_yaml(directory / name) for name in ("rules", "criteria"))


def _has_yaml(folder: Path) -> bool:
    try:
        return folder.is_dir() and any(p.suffix.lower() in _YAML and p.is_file() for p in folder.iterdir())
    except OSError:  # unreadable: not a policy we could use
        return False


def find_checkout(start: Path) -> Path | None:
    """``start`` or the nearest of its parents that :func:`is_checkout`, else None."""
    for directory in (start, *start.parents):
        if is_checkout(directory):
            return directory
    return None


def locate_policy(
    rules: str | Path | None = None,
    criteria: str | Path | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> PolicyLocation:
    """The directories to read, by the order of this module's docstring.

    A directory given as an option stays as given (relative paths keep error messages short);
    the others are absolute.
    """
    env = os.environ if environ is None else environ
    here: Path | None
    try:
        here = (cwd or Path.cwd()).absolute()
    except FileNotFoundError:  # the working directory was removed: there is no checkout to be in
        here = None
    fallback: tuple[Path, Path, str]
    if rules and criteria:  # nothing to look for
        fallback = (Path(rules), Path(criteria), OPTION)
    elif env.get(ENV_VAR):
        base = Path(env[ENV_VAR]).expanduser()
        base = base if here is None else here / base
        fallback = (base / "rules", base / "criteria", ENVIRONMENT)
    elif here is not None and (found := find_checkout(here)) is not None:
        fallback = (found / "rules", found / "criteria", CHECKOUT)
    else:
        fallback = (shipped_dir("rules"), shipped_dir("criteria"), SHIPPED)
    rules_dir, rules_source = (Path(rules), OPTION) if rules else (_clean(fallback[0]), fallback[2])
    criteria_dir, criteria_source = (Path(criteria), OPTION) if criteria else (_clean(fallback[1]), fallback[2])
    return PolicyLocation(rules_dir, criteria_dir, rules_source, criteria_source)


def _clean(path: Path) -> Path:
    # normpath, not resolve(): a symbolic link the user named stays as named
    return Path(os.path.normpath(path))


def _absolute(path: Path) -> Path:
    return _clean(path.absolute())
