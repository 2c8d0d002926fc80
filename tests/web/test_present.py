"""What would change a decision, in the words of the decision page."""

from __future__ import annotations

from datetime import date

from engine.authoring.explain import what_would_change
from engine.batches.inputs import read_requests
from engine.web.i18n import Translator
from engine.web.present import changes_view

from ..helpers.support import ROOT, shipped_engine


def test_the_decision_page_states_a_dates_whole_range() -> None:
    engine = shipped_engine()
    (item,) = read_requests([str(ROOT / "examples" / "06-exception-expired.yaml")])
    assert item.doc is not None
    record = engine.check(item.doc.data, item.doc).record
    alternatives, _, _ = what_would_change(engine, record, date(2026, 11, 24))
    views = {v.outcome: v for v in changes_view(Translator(), engine.policy, alternatives)}
    (way,) = views["engage"].ways
    assert way.endswith(" becomes 2026-11-24 or later")  # not the two days around the bound
