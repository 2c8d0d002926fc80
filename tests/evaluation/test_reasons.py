"""A reason's quoted values, as a reader sees them: yes/no, unknown, vocabulary words, the date."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

from engine.evaluation.evaluator import Engine
from engine.policy.documents import load_file

from ..helpers.support import ROOT, copy_policy, edit


def test_a_reason_quoting_values_shows_each_kind_of_value_in_words(tmp_path: Path) -> None:
    rules, criteria = copy_policy(tmp_path / "policy")
    quoted = "({requester.government_endorsed}/{request.funding_only}; {partnership.nhri_involved}; "
    quoted += "{request.kind}; {country}; {as_of})"
    edit(
        rules / "mandate_integrity.yaml", "is not a request for funding only.\n", f"is not a request for funding only {quoted}.\n"
    )
    engine = Engine.load(rules, criteria, cache_size=0)
    request = copy.deepcopy(load_file(ROOT / "tests" / "golden" / "requests" / "complete.yaml")[0].data)
    request["request"]["kind"] = "needs_assessment"
    decision = engine.evaluate(request, date(2026, 11, 24))
    (reason,) = decision.condition("mandate_integrity").reasons
    assert reason.message.endswith("funding only (yes/no; (unknown); needs assessment; SLE; 2026-11-24).")
