"""The decisions in force a page at a time (``log_entries``, keyset pagination) and the kept table behind them.

The reference everywhere is the chain read as a whole (``logview._entries_from_chain``, what
every page used before the table existed): the kept table must say the same after appends,
supersedes, human decisions and withdrawals, and the pages of every filter, walked forward or
back, concatenate to the whole list in the queue's order.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import sqlalchemy as sa

from engine.bench.logbuild import build_log, request_id
from engine.evaluation.evaluator import Engine
from engine.log.kept import kept, rebuild
from engine.log.listing import AWAITING, DECIDED, Cursor, Filters, Page, counts_by_outcome, queue_page, seq_page, totals
from engine.log.logview import Entry, _entries_from_chain
from engine.log.review import correct, decide
from engine.log.store import LogStore, decision_draft

from ..helpers.logsupport import database


def _chain(store: LogStore) -> list[Entry]:
    with store.reading() as conn:
        return _entries_from_chain(store, conn, None, None, None, None, None)


def _summary(found: list[Entry]) -> dict[int, tuple[Any, ...]]:
    return {
        e.seq: (e.request_id, e.outcome, e.as_of, e.priority_score, None if e.human is None else e.human.record.seq)
        for e in found
    }


def _table(store: LogStore) -> dict[int, tuple[Any, ...]]:
    with store.reading() as conn:
        rows = conn.execute(
            sa.select(kept.c.seq, kept.c.request_id, kept.c.outcome, kept.c.as_of, kept.c.priority, kept.c.human_seq)
        )
        return {int(r[0]): (r[1], r[2], r[3], float(r[4]), None if r[5] is None else int(r[5])) for r in rows}


def _check_kept(store: LogStore) -> None:
    expected = _chain(store)
    assert _table(store) == _summary(expected)
    with store.reading() as conn:
        assert totals(conn) == (len(expected), sum(1 for e in expected if e.human is None))


def _matches(e: Entry, f: Filters) -> bool:
    return (
        (f.outcome is None or e.outcome == f.outcome)
        and (f.country is None or e.country == f.country)
        and (f.region is None or e.region == f.region)
        and (f.date_from is None or e.as_of >= f.date_from.isoformat())
        and (f.date_to is None or e.as_of <= f.date_to.isoformat())
        and (f.human is None or (e.human is None) == (f.human == AWAITING))
    )


def _queue_order(found: list[Entry], f: Filters) -> list[int]:
    return [e.seq for e in sorted((e for e in found if _matches(e, f)), key=lambda e: (-e.priority_score, e.as_of, e.seq))]


def _walk_forward(store: LogStore, f: Filters, size: int) -> list[int]:
    seen: list[int] = []
    with store.reading() as conn:
        page: Page = queue_page(conn, f, size=size)
        assert page.previous is None
        while True:
            assert len(page.entries) <= size
            seen += [e.seq for e in page.entries]
            if page.next is None:
                return seen
            page = queue_page(conn, f, after=page.next, size=size)
            assert page.previous is not None


def _walk_back(store: LogStore, f: Filters, size: int, last: Cursor) -> list[int]:
    """From the end (the lines before a cursor just past the last), back to the first page."""
    seen: list[int] = []
    with store.reading() as conn:
        page = queue_page(conn, f, before=last, size=size)
        while True:
            seen = [e.seq for e in page.entries] + seen
            if page.previous is None:
                return seen
            page = queue_page(conn, f, before=page.previous, size=size)


def _small_log(url: str) -> LogStore:
    """300 decisions with human decisions and corrections, then a withdrawal, an --update and human corrections."""
    build_log(url, 300, pool=60, human_every=7, correct_every=11, chunk=90)
    store = LogStore.open(url)
    decide(store, request_id(3), "decline", "Board member", "not now", "tests")
    correct(store, request_id(5), by="Board", reason="sent twice", recorded_by="tests")  # the decision withdrawn
    human = decide(store, request_id(9), "engage", "Board member", "tests: engage", "tests")
    correct(store, f"#{human.seq}", by="Board", reason="decided by mistake", recorded_by="tests")  # the human decision withdrawn
    other = decide(store, request_id(10), "engage", "Board member", "tests: engage", "tests")
    correct(store, f"#{other.seq}", by="Board", reason="changed", recorded_by="tests", outcome="decline", justification="x")
    return store


def _updated(store: LogStore, engine: Engine, i: int) -> None:
    """``engage evaluate --record --update`` of decision ``i`` with another evaluation date: a correction in force."""
    with store.reading() as conn:
        record = next(r for r in store.for_request(request_id(i), conn) if r.request is not None)
    request = record.request_data()
    decision = engine.evaluate(request, as_of=date(2026, 12, 1))
    store.record([decision_draft(request, decision, "tests", "update")], update=True)


def test_the_kept_table_says_what_the_chain_says_after_appends_supersedes_and_human_decisions(db: str) -> None:
    store = _small_log(db)
    engine = Engine.load()
    try:
        _check_kept(store)
        _updated(store, engine, 12)  # superseded by --update: the correction is in force, its human decision gone
        _check_kept(store)
        decide(store, request_id(12), "engage", "Board member", "tests: engage", "tests")
        _check_kept(store)
        correct(store, request_id(12), by="Board", reason="withdrawn", recorded_by="tests")
        _check_kept(store)
        assert request_id(12) not in {e.request_id for e in _chain(store)}
        with store.reading() as conn:
            before = _table(store)
            rebuild(conn)
            assert _table(store) == before  # made again from the chain, the same
            conn.rollback()
    finally:
        engine.close()
        store.close()


FILTERS = [
    Filters(),
    Filters(human=AWAITING),
    Filters(human=DECIDED),
    Filters(region="africa"),
    Filters(country="UKR", human=DECIDED),
    Filters(date_from=date(2026, 11, 25)),
    Filters(date_to=date(2026, 11, 24), region="asia_pacific"),
]


def test_every_page_of_every_filter_concatenated_is_the_whole_ordered_list(db: str) -> None:
    store = _small_log(db)
    try:
        engine = Engine.load()
        _updated(store, engine, 20)  # one decision on another date, for the date filters
        engine.close()
        found = _chain(store)
        outcomes = sorted({e.outcome for e in found})
        assert len(outcomes) >= 4
        checked = 0
        for base, outcome in itertools.product(FILTERS, [None, *outcomes]):
            f = Filters(**{**base.__dict__, "outcome": outcome})
            expected = _queue_order(found, f)
            for size in (1, 7, 500):
                if size == 1 and len(expected) > 60:
                    continue
                assert _walk_forward(store, f, size) == expected, (f, size)
            if expected:
                past = Cursor(-1.0, "9999-12-31", 0)  # after every line: the pages before it are all of them
                assert _walk_back(store, f, 7, past) == expected, f
                checked += 1
            with store.reading() as conn:
                counts = counts_by_outcome(conn, f)
            assert sum(counts.values()) == len(expected)
        assert checked > 20
        # The log-order pages (the JSON API's): every page concatenated is the log order.
        with store.reading() as conn:
            seqs: list[int] = []
            after = 0
            while True:
                page, more = seq_page(conn, Filters(human=AWAITING), after, 13)
                seqs += [e.seq for e in page]
                if not more:
                    break
                after = page[-1].seq
        assert seqs == [e.seq for e in found if e.human is None]
    finally:
        store.close()


def test_a_cursor_is_read_back_exactly_and_nonsense_is_the_first_page() -> None:
    cursor = Cursor(33.333333333333336, "2026-11-24", 1234567)
    assert Cursor.parse(cursor.text()) == cursor
    for text in ("", "x", "1_2_3", "1.5_2026-13-01_4", "1.5_2026-11-24_x", None):
        assert Cursor.parse(text) is None


def test_pages_of_a_log_of_100000_records_are_those_of_the_whole_ordered_list(tmp_path: Any) -> None:
    """Built fast (the benchmark's builder), paged by cursor: the same lines as an ORDER BY ... OFFSET of the table."""
    with database("sqlite", tmp_path) as url:
        built = build_log(url, 100_000, human_every=10, correct_every=47)
        assert built.head == 100_000 + built.humans + built.corrections
        with LogStore.open(url) as store, store.reading() as conn:
            assert totals(conn) == (100_000, 100_000 - built.humans)
            counts = counts_by_outcome(conn, Filters())
            assert sum(counts.values()) == 100_000
            biggest = max(counts, key=lambda o: counts[o])
            order = (kept.c.priority.desc(), kept.c.as_of, kept.c.seq)
            for f in (Filters(outcome=biggest), Filters(outcome=biggest, human=DECIDED, region="africa")):
                total = int(conn.execute(sa.select(sa.func.count()).select_from(kept).where(*f.conditions())).scalar_one())
                depth = total * 9 // 10
                at = conn.execute(
                    sa.select(kept.c.priority, kept.c.as_of, kept.c.seq)
                    .where(*f.conditions())
                    .order_by(*order)
                    .offset(depth)
                    .limit(1)
                ).one()
                expected = [
                    int(s)
                    for s in conn.scalars(
                        sa.select(kept.c.seq).where(*f.conditions()).order_by(*order).offset(depth + 1).limit(50)
                    )
                ]
                deep = queue_page(conn, f, after=Cursor(float(at[0]), str(at[1]), int(at[2])))
                assert [e.seq for e in deep.entries] == expected and expected
                assert all(_matches(e, f) for e in deep.entries)
                back = queue_page(conn, f, before=deep.previous) if deep.previous else None
                assert back is not None and back.entries[-1].seq == int(at[2])
            decided = Filters(outcome=biggest, human=DECIDED, country="KEN")
            walked = _walk_forward(store, decided, 200)
            assert walked == [int(s) for s in conn.scalars(sa.select(kept.c.seq).where(*decided.conditions()).order_by(*order))]
            assert len(walked) > 50
