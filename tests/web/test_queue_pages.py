"""The queue's pages in the web application: each group's next and previous links walk its whole list.

The log is built with the benchmark's builder (300 decisions, some decided by people); the
lines the pages show, followed link by link, are the group's decisions in the queue's order
as the chain gives them, and the counts are the chain's.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from engine.bench.logbuild import build_log
from engine.log.listing import PAGE_SIZE

from ..helpers.websupport import site

LINE = re.compile(r'<a href="/decisions/(\d+)">')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
PREVIOUS = re.compile(r'<a href="([^"]+)" rel="prev">')


def _seqs(text: str) -> list[int]:
    return [int(s) for s in LINE.findall(text)]


def test_the_next_and_previous_links_walk_a_group_and_the_start_page_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    built = build_log(url, 300, pool=40, human_every=4)
    with site(url) as web:
        from engine.log.logview import entries

        with web.store.reading() as conn:
            found = entries(web.store, conn)
        board = web.client("board")
        start = board.get("/").text
        assert f"{300 - built.humans} await a human decision" in start and "300 recorded requests" in start
        biggest = max({e.outcome for e in found}, key=lambda o: sum(1 for e in found if e.outcome == o))
        expected = [
            e.seq
            for e in sorted(
                (e for e in found if e.outcome == biggest and e.human is None), key=lambda e: (-e.priority_score, e.as_of, e.seq)
            )
        ]
        assert len(expected) > 2 * PAGE_SIZE
        page = board.get(f"/queue?outcome={biggest}&human=awaiting")
        assert page.status_code == 200 and not PREVIOUS.search(page.text)
        seen, pages = _seqs(page.text), [page.text]
        while (link := NEXT.search(page.text)) is not None:
            page = board.get(html.unescape(link.group(1)))
            assert "human=awaiting" in html.unescape(link.group(1))  # the filters travel with the cursor
            seen += _seqs(page.text)
            pages.append(page.text)
        assert seen == expected
        # Back from the last page, link by link, to the first: the same pages.
        back = [pages[-1]]
        while (link := PREVIOUS.search(page.text)) is not None:
            page = board.get(html.unescape(link.group(1)))
            back.insert(0, page.text)
        assert [_seqs(p) for p in back] == [_seqs(p) for p in pages]
        # Without an outcome filter: every group's first page, in the policy's order of outcomes.
        whole = board.get("/queue").text
        assert "300 requests." in whole
        order = [o for o in web.app.state.web.engine.policy.vocab.outcomes if any(e.outcome == o for e in found)]
        firsts: list[int] = []
        for outcome in order:
            group = sorted((e for e in found if e.outcome == outcome), key=lambda e: (-e.priority_score, e.as_of, e.seq))
            firsts += [e.seq for e in group[:PAGE_SIZE]]
        assert _seqs(whole) == firsts
