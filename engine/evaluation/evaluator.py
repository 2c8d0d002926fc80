"""The engine: load and compile the rules once, then evaluate many requests.

>>> engine = Engine.load()                      # the shipped rules/ and criteria/
>>> decision = engine.evaluate(request, as_of=date(2026, 11, 24))
>>> decision.outcome, decision.priority_score

:meth:`Engine.decide` is the path of one request through the stages (``stages``): the
four conditions, the exception, the outcome table, the score, the unknown fields whose
answer could change the outcome (``could_change``), and the reasons (``reasons``).  The
reuse of each stage's answer across requests (``reuse``) is a layer around those stages,
switched off with ``cache_size=0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest
from ..policy.documents import Document
from ..policy.loader import PLACEHOLDER, load_policy
from ..policy.model import Policy, Rule
from ..policy.schema import FieldCatalog, validator_for
from ..policy.shipped import shipped_dir
from .compiler import CompiledPolicy, Stage, compile_policy
from .could_change import Trials
from .decision import Decision
from .fastcheck import compile_checker
from .reasons import Reasons
from .request import check_request
from .reuse import DEFAULT_CACHE_SIZE, ReusedReasons, ReusedStages, ReusedTrials
from .score import Scorer
from .stages import Checked, Stages, outcome_overlay

__all__ = ["DEFAULT_CACHE_SIZE", "Checked", "Engine"]


class Engine:
    """A compiled policy.  Thread-safe: share one engine between threads."""

    def __init__(self, policy: Policy, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.policy = policy
        self.compiled: CompiledPolicy = compile_policy(policy)
        self.validator = validator_for(policy.request_schema)
        self.fast_check = compile_checker(policy.request_schema)
        self.catalog = FieldCatalog(policy.request_schema, policy.criterion_names)
        self.cache_size = cache_size
        quotes = {r: tuple(PLACEHOLDER.findall(r.reason)) for r in policy.all_rules()}
        order = {path: i for i, path in enumerate(self.catalog.request_paths)}
        self.stages: Stages
        self.reasons: Reasons
        self.trials: Trials
        if cache_size > 0:
            self.stages = ReusedStages(self.compiled, quotes, order, cache_size)
            self.reasons = ReusedReasons(policy, self.catalog, quotes, self.stages.ordered, cache_size)
            self.trials = ReusedTrials(policy, self.catalog, self.compiled, self.stages, cache_size)
        else:
            self.stages = Stages(self.compiled, quotes, order)
            self.reasons = Reasons(policy, self.catalog, quotes, self.stages.ordered)
            self.trials = Trials(policy, self.catalog, self.compiled, self.stages)
        self._score = Scorer(policy.priority)
        self._waivable = tuple(c.name for c in policy.criteria if c.waivable)

    @classmethod
    def load(
        cls, rules_dir: Path | str | None = None, criteria_dir: Path | str | None = None, *, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> Engine:
        """Load, check and compile ``rules_dir`` and ``criteria_dir`` (default: the shipped ones)."""
        policy = load_policy(rules_dir or shipped_dir("rules"), criteria_dir or shipped_dir("criteria"))
        return cls(policy, cache_size=cache_size)

    def close(self) -> None:
        self.compiled.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- validation ------------------------------------------------------------

    def check(self, request: Any, doc: Document | None = None) -> Checked:
        """Validate ``request``; raise :class:`InvalidRequest` listing every problem."""
        if self.fast_check is not None:
            record = self.fast_check(request)
            if record is not None:  # valid: no document needed, positions are for errors
                return Checked(record, record["id"], doc)
        doc = doc or Document(request, "<request>")
        record, errors = check_request(request, self.validator, self.policy.criteria, doc)
        if errors or record is None:
            raise InvalidRequest(errors)
        return Checked(record, record["id"], doc)

    # -- evaluation --------------------------------------------------------------

    def evaluate(self, request: Mapping[str, Any], as_of: date | None = None, *, doc: Document | None = None) -> Decision:
        """The decision for one request.  ``as_of`` defaults to today, and the decision says which."""
        return self.decide(self.check(request, doc), as_of)

    def evaluate_many(self, requests: Iterable[Mapping[str, Any]], as_of: date | None = None) -> list[Decision]:
        when = as_of or date.today()
        source = "given" if as_of else "today"
        return [self.decide(self.check(r), when, source) for r in requests]

    def decide(self, checked: Checked, as_of: date | None = None, as_of_source: str | None = None) -> Decision:
        """The decision for a request that :meth:`check` accepted: the stages of policy-v1 section 6, in order."""
        source = as_of_source or ("given" if as_of else "today")
        when = as_of or date.today()
        record, stages, compiled = checked.record, self.stages, self.compiled
        keys = compiled.front_keys(record, when)  # each condition's projection of the request, then the exception's
        # 1. the four conditions: met, partial, not met or unknown
        conditions = {
            name: stages.condition(name, stage, key, record, when, checked)
            for (name, stage), key in zip(compiled.conditions, keys, strict=False)
        }
        # 2. the exception: absent, valid or invalid, and the conditions it covers
        exception = stages.exception(compiled.exception, keys[-1], checked)
        # 3. the outcome table, reading the statuses and the exception beside the request
        statuses = {name: part.status for name, part in conditions.items()}
        overlay = outcome_overlay(statuses, exception)
        outcome_key = compiled.outcome.key(record, when, overlay)
        outcome = stages.outcome(compiled.outcome, outcome_key, record, overlay, when, checked)
        # 4. the priority score, and what a valid exception leaves uncovered
        score, breakdown = self._score(statuses, outcome.decisive.outcome or "", record)
        uncovered = tuple(n for n in self._waivable if statuses[n] != "met" and n not in exception.covered)
        # 5. the unknown fields whose answer could change the outcome
        could = self.trials.find(record, when, keys, outcome_key, conditions, exception, outcome.decisive.outcome or "", checked)
        # 6. the decision, in words
        return self.reasons.assemble(
            checked.request_id, conditions, exception, outcome, uncovered, record, when, source, score, breakdown, could
        )

    def outcome_of(self, request: Mapping[str, Any], as_of: date) -> str | None:
        """The outcome :meth:`evaluate` gives ``request`` (checked the same way), through the same stages.

        Only the recommendation: no score, no could_change, no reasons, for a caller that
        confirms many variations of one request (``engage explain``).
        """
        checked = self.check(request)
        record, stages, compiled = checked.record, self.stages, self.compiled
        keys = compiled.front_keys(record, as_of)
        statuses = {
            name: stages.condition(name, stage, key, record, as_of, checked).status
            for (name, stage), key in zip(compiled.conditions, keys, strict=False)
        }
        exception = stages.exception(compiled.exception, keys[-1], checked)
        overlay = outcome_overlay(statuses, exception)
        outcome_key = compiled.outcome.key(record, as_of, overlay)
        return stages.outcome(compiled.outcome, outcome_key, record, overlay, as_of, checked).decisive.outcome

    def fire(self, stage: Stage, record: Mapping[str, Any], as_of: date) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for ``record``, reusing an earlier identical match."""
        return self.stages.fire(stage, stage.key(record, as_of))

    def fire_key(self, stage: Stage, key: tuple[Any, ...]) -> tuple[Rule, ...]:
        """The rules of ``stage`` that fire for the projection ``key``."""
        return self.stages.fire(stage, key)

    def cache_entries(self) -> int:
        return self.stages.entries() if isinstance(self.stages, ReusedStages) else 0

    def pieces_entries(self) -> int:
        """How many decisions' reasons and citations the cache holds: one per combination of parts and quoted values."""
        return self.reasons.pieces_entries() if isinstance(self.reasons, ReusedReasons) else 0

    def ordered(self, fields: Iterable[str]) -> tuple[str, ...]:
        """Field paths in the order of the request form."""
        return self.stages.ordered(fields)
