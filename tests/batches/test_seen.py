"""Long batches: the ids used so far kept on disk give the same results as in memory; a large CSV is read as a stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.batches import csvtext
from engine.batches.batch import CHUNK, evaluate_items
from engine.batches.columns import request_columns
from engine.batches.inputs import read_requests
from engine.batches.seen import QUERY_IDS, SeenIds
from engine.batches.tables import read_table
from engine.errors import Location

from ..helpers.support import shipped_engine

HEADER = (
    "id,received,country,region,requester.government_endorsed,mandate.restricts_monitoring,mandate.contrary_to_standards,"
    "request.funding_only,request.kind,strategy.status,strategy.request_in_strategy,presence.type,"
    "presence.adequately_staffed,presence.long_term_programming,partnership.government_counterpart,"
    "partnership.civil_society_involved,priority.least_developed_country"
)
ROW = "{id},2026-11-02,SLE,africa,yes,no,no,no,programme,adopted,yes,country_office,yes,yes,yes,yes,no"


def shown(results: object) -> list[tuple[str | None, str | None, list[str]]]:
    return [(r.request_id, r.outcome, [str(e) for e in r.errors]) for r in results]  # type: ignore[attr-defined]


def test_repeated_ids_are_found_across_chunks_as_they_are_in_memory(tmp_path: Path) -> None:
    ids = [f"S-{n:04d}" for n in range(3 * CHUNK)]
    ids[7] = ids[3]  # within a chunk
    ids[CHUNK + 5] = ids[2]  # in the next chunk
    ids[-1] = ids[CHUNK + 1]  # chunks later
    ids[-2] = "S-9999"
    ids[-3] = "S-9999"  # twice in the last chunk
    path = tmp_path / "ids.csv"
    path.write_text("\n".join([HEADER, *(ROW.format(id=i) for i in ids)]) + "\n")
    engine = shipped_engine()
    columns = request_columns(engine.policy.request_schema)
    in_memory = shown(evaluate_items(engine, read_requests([str(path)], None, columns)))
    seen = SeenIds(tmp_path / "seen.sqlite3")
    try:
        on_disk = shown(evaluate_items(engine, read_requests([str(path)], None, columns), None, seen))
        assert seen.count == len(set(ids))
    finally:
        seen.close()
    assert on_disk == in_memory
    repeated = [errors[0] for _, _, errors in on_disk if errors]
    assert len(repeated) == 4 and all("duplicate-id" in e for e in repeated)
    assert "the id 'S-0002' was already used by" in repeated[1] and "ids.csv:row 4" in repeated[1]


def test_more_ids_than_one_statement_may_bind_are_looked_up_in_pieces(tmp_path: Path) -> None:
    seen = SeenIds(tmp_path / "seen.sqlite3")
    try:
        many = {f"X{n}": Location("f.csv", n, None, row=True) for n in range(3 * QUERY_IDS + 7)}
        seen.add(many)
        found = seen.first_uses([*many, "never"])
    finally:
        seen.close()
    assert found == many


def test_a_large_utf8_csv_is_read_as_a_stream_with_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [ROW.format(id=f"L-{n}") for n in range(300)]
    rows[10] = rows[10].replace("africa", '"Sierra\nLeone, north"')  # a quoted cell over two lines
    path = tmp_path / "large.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join([HEADER, *rows]) + "\r\n").encode())  # CSV UTF-8 as Excel saves it
    whole = [(d.data, d.row) for d in read_table(path, "large.csv")]  # type: ignore[union-attr]
    monkeypatch.setattr(csvtext, "STREAM_FROM", 1)
    read = csvtext.read_csv_text(path, "large.csv", 1 << 20)
    assert read.path == path and read.text == "" and read.encoding == "UTF-8 with BOM"
    streamed = [(d.data, d.row) for d in read_table(path, "large.csv")]  # type: ignore[union-attr]
    assert streamed == whole and len(streamed) == 300
    assert streamed[10][0]["region"] == "Sierra\nLeone, north"


def test_a_large_file_that_is_not_utf8_is_still_read_whole_and_refused_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(("\n".join([HEADER, ROW.format(id="Ü-1")]) + "\n").encode("cp1252"))
    monkeypatch.setattr(csvtext, "STREAM_FROM", 1)
    read = csvtext.read_csv_text(path, "latin.csv", 1 << 20)
    assert read.path is None and read.encoding == "Windows-1252" and "Ü-1" in read.text
