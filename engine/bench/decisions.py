"""The benchmark behind ``engage bench``: every figure measured in one run, on the same requests.

Speeds are shown as ratios against baselines measured in the same run on the same machine,
never as absolute promises: a shared 2-core machine makes absolute figures drift, ratios
much less.

* ``engage``: :meth:`Engine.evaluate` (validation, durable-rules stages, full reasons and
  citations) on requests generated with a fixed seed, from a freshly loaded engine (best of
  three, each from a new engine; the hand-written function is also timed best of three).
* ``handwritten``: :func:`handwritten`, policy-v1 written by hand in plain Python: the
  practical limit for Python.  Its outcome, statuses and score are checked against Engage's
  on every request, so the two do the same job.
* ``bare_durable``: the same compiled rulesets in durable-rules through its own ``Host`` API
  (one fact per stage and request, ``delete_state`` after it), without Engage's validation,
  result reuse or reasons.
* ``jobs2_speedup``: ``engage evaluate batch.jsonl --format jsonl`` with ``--jobs 1`` and
  ``--jobs 2`` on a batch of 100,000 requests, the outputs compared byte for byte.
* ``rss_growth_mb``: in a fresh process, RSS after 1,000,000 evaluations minus RSS after the
  first 10,000.
* ``load_s`` and ``cold_start_s``: loading and compiling the shipped rules, and the wall time
  of ``engage evaluate one.yaml``, each in a fresh process (best of three).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..evaluation.evaluator import Engine
from ..evaluation.matcher import bare_host
from ..policy.shipped import shipped_dir

AS_OF = date(2026, 11, 24)
COUNTRIES = ["SLE", "TCD", "FJI", "COL", "MNG", "KEN", "GTM", "KIR", "UKR", "NPL", "TUN", "PER"]
REGIONS = ["africa", "arab", "asia_pacific", "europe_north_america", "latin_america_caribbean", "global"]
THEMES = [
    "nhri",
    "legislative_reform",
    "administration_of_justice",
    "transitional_justice",
    "human_rights_education",
    "elections",
]
WAIVABLE = ["country_engagement_strategy", "in_country_presence", "partnership"]


# --- the requests -------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _maybe(rng: random.Random, value: Any, unknown: float = 0.06) -> Any:
    return None if rng.random() < unknown else value


def generate(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` valid requests, the same for the same seed, spread over every outcome.

    Most are complete, as intake staff send them; some leave a field unknown; one in ten
    asks for an exception, with its own free text.
    """
    return list(iter_requests(n, seed))


def iter_requests(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """The requests of :func:`generate`, one at a time (a million of them do not fit in memory at once)."""
    rng = random.Random(seed)
    for i in range(n):
        kind = _pick(rng, [("programme", 5), ("advisory", 2), ("needs_assessment", 2), ("training", 2)])
        presence = _pick(
            rng,
            [
                ("country_office", 5),
                ("peace_mission_component", 1),
                ("regional_office", 2),
                ("human_rights_adviser", 2),
                ("none", 2),
            ],
        )
        strategy = _pick(rng, [("adopted", 6), ("in_development", 2), ("none", 2)])
        request: dict[str, Any] = {
            "id": f"BENCH-{seed}-{i:07d}",
            "received": (date(2025, 1, 1) + timedelta(days=rng.randrange(690))).isoformat(),
            "country": rng.choice(COUNTRIES),
            "region": rng.choice(REGIONS),
            "requester": {
                "type": _pick(rng, [("government", 6), ("parliament", 1), ("judiciary", 1), ("nhri", 2)]),
                "name": f"Requesting body {rng.randrange(500)}",
                "government_endorsed": _maybe(rng, rng.random() > 0.05),
            },
            "request": {
                "kind": kind,
                "title": f"Request {i} on {rng.choice(THEMES).replace('_', ' ')}",
                "themes": rng.sample(THEMES, rng.randint(1, 3)),
                "duration_months": rng.randint(1, 48),
                "budget_usd": round(rng.uniform(5_000, 2_000_000), 2),
                "funding_only": _maybe(rng, rng.random() < 0.04),
            },
            "mandate": {
                "restricts_monitoring": _maybe(rng, rng.random() < 0.03),
                "contrary_to_standards": _maybe(rng, rng.random() < 0.02),
            },
            "presence": {"type": _maybe(rng, presence, 0.03)},
            "strategy": {"status": _maybe(rng, strategy, 0.03)},
            "partnership": {
                "government_counterpart": _maybe(rng, rng.random() > 0.2),
                "civil_society_involved": _maybe(rng, rng.random() > 0.3),
                "nhri_involved": rng.random() > 0.5,
                "un_partners": rng.sample(["UNDP", "UNICEF", "UN-Women", "UNHCR"], rng.randint(0, 2)),
            },
            "priority": {
                "transition_to_democracy": rng.random() < 0.3,
                "least_developed_country": rng.random() < 0.4,
                "small_island_developing_state": rng.random() < 0.1,
                "development_plan_aligned": _maybe(rng, rng.random() < 0.5),
                "crisis_driven": rng.random() < 0.1,
                "recommendations": [
                    {
                        "mechanism": rng.choice(["upr", "treaty_body", "special_procedure"]),
                        "reference": f"rec {rng.randrange(99)}",
                    }
                    for _ in range(rng.randint(0, 3))
                ],
            },
            "expertise_available": _maybe(rng, rng.random() < 0.5),
        }
        if presence in ("country_office", "peace_mission_component"):
            request["presence"]["adequately_staffed"] = _maybe(rng, rng.random() > 0.15)
            request["presence"]["long_term_programming"] = _maybe(rng, rng.random() > 0.15)
        if strategy == "adopted":
            request["strategy"]["request_in_strategy"] = _maybe(rng, rng.random() > 0.25)
        if rng.random() < 0.1:
            request["exception"] = {
                "waives": rng.sample(WAIVABLE, rng.randint(1, 2)),
                "justification": f"Urgent follow-up to recommendation {rng.randrange(1000)} before the next review.",
                "requested_by": f"Desk officer {rng.randrange(40)}",
                "approved_by": _maybe(rng, f"Director {rng.randrange(5)}", 0.2),
                "expires": (AS_OF + timedelta(days=rng.randint(-60, 300))).isoformat(),
            }
        yield request


# --- policy v1 by hand ------------------------------------------------------------------------


def handwritten(r: Mapping[str, Any], as_of: date) -> tuple[str, tuple[str, str, str, str], int]:
    """Policy v1 (outcome, the four statuses, the score) in plain Python: the speed limit."""
    mandate = r.get("mandate") or {}
    requester = r.get("requester") or {}
    req = r.get("request") or {}
    rm, cs, fo, ge = (
        mandate.get("restricts_monitoring"),
        mandate.get("contrary_to_standards"),
        req.get("funding_only"),
        requester.get("government_endorsed"),
    )
    if rm is True or cs is True or fo is True or ge is False:
        a = "unmet"
    elif rm is None or cs is None or fo is None or ge is None:
        a = "unknown"
    else:
        a = "met"
    strategy = r.get("strategy") or {}
    st, fit = strategy.get("status"), strategy.get("request_in_strategy")
    if st is None:
        b = "unknown"
    elif st == "adopted":
        b = "unknown" if fit is None else "met" if fit else "unmet"
    else:
        b = "partial" if st == "in_development" else "unmet"
    presence = r.get("presence") or {}
    pt = presence.get("type")
    if pt is None:
        c = "unknown"
    elif pt == "none":
        c = "unmet"
    elif pt in ("regional_office", "human_rights_adviser"):
        c = "partial"
    else:
        staffed, longterm = presence.get("adequately_staffed"), presence.get("long_term_programming")
        if staffed is True and longterm is True:
            c = "met"
        elif staffed is False or longterm is False:
            c = "partial"
        else:
            c = "unknown"
    partnership = r.get("partnership") or {}
    gc, cv = partnership.get("government_counterpart"), partnership.get("civil_society_involved")
    if gc is True and cv is True:
        d = "met"
    elif (gc, cv) in ((True, False), (False, True)):
        d = "partial"
    elif gc is False and cv is False:
        d = "unmet"
    else:
        d = "unknown"
    exc = r.get("exception") or {}
    present = any(v is not None for v in exc.values())
    expires = exc.get("expires")
    valid = (
        present
        and exc.get("justification") is not None
        and exc.get("requested_by") is not None
        and exc.get("approved_by") is not None
        and expires is not None
        and date.fromisoformat(expires) >= as_of
    )
    covers = set(exc.get("waives") or ())
    kind = req.get("kind")
    if a == "unmet":
        outcome = "decline"
    elif a == "unknown":
        outcome = "request_information"
    elif kind == "advisory" and r.get("expertise_available") is True:
        outcome = "respond_ad_hoc"
    elif "unknown" in (b, c, d):
        outcome = "request_information"
    elif b == c == d == "met" or (valid and all(s == "met" or n in covers for n, s in zip(WAIVABLE, (b, c, d), strict=True))):
        outcome = "engage"
    elif present:
        outcome = "exception_review"
    elif kind == "needs_assessment" or (c == "partial" and pt in ("regional_office", "human_rights_adviser")):
        outcome = "assess_needs"
    else:
        outcome = "consider_in_strategy"
    if outcome == "decline":
        score = 0
    else:
        points = {"met": 20, "partial": 10}
        priority = r.get("priority") or {}
        score = points.get(b, 0) + points.get(c, 0) + points.get(d, 0)
        score += 10 * (priority.get("transition_to_democracy") is True) + 10 * (priority.get("least_developed_country") is True)
        score += 5 * (priority.get("small_island_developing_state") is True) + 5 * (
            priority.get("development_plan_aligned") is True
        )
        score += min(5 * len(priority.get("recommendations") or ()), 10) - 5 * (priority.get("crisis_driven") is True)
        score = min(max(score, 0), 100)
    return outcome, (a, b, c, d), score


# --- bare durable-rules ------------------------------------------------------------------------


def _collector(fired: list[str], rule: str) -> Callable[[Any], None]:
    def action(_closure: Any) -> None:
        fired.append(rule)

    return action


def bare_durable(engine: Engine, requests: Sequence[Mapping[str, Any]], as_of: date) -> Callable[[], int]:
    """A runner that evaluates ``requests`` through durable-rules' ``Host`` with Engage's compiled rulesets."""
    host = bare_host()
    fired: list[str] = []
    stages = list(engine.compiled.stages())
    names = {}
    for stage in stages:
        name = f"bare.{id(stage)}.{stage.name}"
        names[stage.name] = name
        # Host takes the "run" key out of each rule dict: give it fresh ones.
        definition = {rule: dict(pattern, run=_collector(fired, rule)) for rule, pattern in stage.ruleset.definition.items()}
        host.register_rulesets({name: definition})
    records = [engine.check(r).record for r in requests]  # validation is not part of the bare figure
    criteria = engine.policy.criterion_names

    def run() -> int:
        sid = 0
        for record in records:
            statuses: dict[str, str] = {}
            covered: set[str] = set()
            for stage in stages[:-1]:
                sid += 1
                fact = stage.fact(stage.key(record, as_of))
                fact.update(sid=str(sid), id=str(sid), _t="engage")
                fired.clear()
                host.assert_fact(names[stage.name], fact)
                host.delete_state(names[stage.name], str(sid))
                rules = [stage.rule_names[n] for n in fired if n in stage.rule_names]
                for rule in rules:
                    if rule.status is not None:
                        statuses[rule.criterion or ""] = rule.status
                    if rule.exception is not None:
                        statuses["exception"] = rule.exception
                    if rule.covers is not None:
                        covered.add(rule.covers)
            outcome_stage = stages[-1]
            derived = dict(record)
            derived["status"] = statuses
            derived["covers"] = {n: n in covered for n in criteria}
            sid += 1
            fact = outcome_stage.fact(outcome_stage.key(derived, as_of))
            fact.update(sid=str(sid), id=str(sid), _t="engage")
            fired.clear()
            host.assert_fact(names[outcome_stage.name], fact)
            host.delete_state(names[outcome_stage.name], str(sid))
        return len(records)

    return run


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Figures:
    n: int
    seed: int
    cpu_count: int
    engage_per_s: float
    engage_json_per_s: float
    handwritten_per_s: float
    handwritten_agrees: bool
    bare_durable_per_s: float
    ratio_to_handwritten: float
    ratio_to_bare: float
    jobs2_speedup: float | None
    jobs_batch: int | None
    jobs1_s: float | None
    jobs2_s: float | None
    jobs_identical: bool | None
    rss_growth_mb: float | None
    rss_after_10k_mb: float | None
    rss_after_all_mb: float | None
    memory_n: int | None
    load_s: float
    cold_start_s: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _rate(run: Callable[[], int]) -> float:
    start = time.perf_counter()
    count = run()
    return count / (time.perf_counter() - start)


def _fresh(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def _engage_command() -> list[str]:
    return [sys.executable, "-c", "import sys; from engine.cli import run; sys.argv[0] = 'engage'; run()"]


def measure(
    n: int = 100_000,
    seed: int = 7,
    *,
    jobs_n: int | None = 100_000,
    memory_n: int | None = 1_000_000,
    report: Callable[[str], None] = lambda _: None,
) -> Figures:
    requests = generate(n, seed)

    report(f"engage: evaluating {n:,} generated requests with full reasons, three times")

    def evaluate_all(engine: Engine) -> Callable[[], int]:
        def run() -> int:
            # As a batch does: each decision is made and handed on, not kept (keeping 100,000
            # of them would time the garbage collector walking them, not Engage).
            for request in requests:
                engine.evaluate(request, AS_OF)
            return len(requests)

        return run

    # Best of three, as for the hand-written function, each from a freshly loaded engine: a
    # second pass through a warm one would find every part of every decision ready.
    rounds = []
    for _ in range(3):
        engine = Engine.load()
        rounds.append(_rate(evaluate_all(engine)))
        engine.close()
    engage = max(rounds)
    engine = Engine.load()  # for the checks and the bare durable-rules run below
    engine_json = Engine.load()

    def evaluate_json() -> int:
        for request in requests:
            engine_json.evaluate(request, AS_OF).to_json(indent=None)
        return len(requests)

    engage_json = _rate(evaluate_json)
    engine_json.close()

    report("handwritten: policy v1 in plain Python, checked against Engage")
    agrees = all(
        handwritten(r, AS_OF) == (d.outcome, tuple(c.status for c in d.criteria), d.priority_score)
        for r, d in ((r, engine.evaluate(r, AS_OF)) for r in requests)
    )
    hand = max(_rate(lambda: len([handwritten(r, AS_OF) for r in requests])) for _ in range(3))

    bare_n = min(n, 3_000)
    report(f"bare durable-rules: {bare_n:,} requests through its Host API")
    bare = _rate(bare_durable(engine, requests[:bare_n], AS_OF))
    engine.close()

    jobs_figures: tuple[float | None, float | None, bool | None] = (None, None, None)
    if jobs_n:
        report(f"--jobs: {jobs_n:,} requests with --jobs 1 and --jobs 2")
        jobs_figures = _jobs(jobs_n, seed)

    memory: tuple[float | None, float | None, float | None] = (None, None, None)
    if memory_n:
        report(f"memory: RSS over {memory_n:,} evaluations in a fresh process")
        memory = _memory(memory_n, seed)

    report("load and cold start, each in a fresh process")
    load = min(float(_fresh(_LOAD_PROBE)) for _ in range(3))
    cold = min(_cold_start() for _ in range(3))
    speed1, speed2, identical = jobs_figures
    return Figures(
        n=n,
        seed=seed,
        cpu_count=os.cpu_count() or 1,
        engage_per_s=round(engage),
        engage_json_per_s=round(engage_json),
        handwritten_per_s=round(hand),
        handwritten_agrees=agrees,
        bare_durable_per_s=round(bare),
        ratio_to_handwritten=round(engage / hand, 4),
        ratio_to_bare=round(engage / bare, 2),
        jobs2_speedup=round(speed1 / speed2, 2) if speed1 and speed2 else None,
        jobs_batch=jobs_n or None,
        jobs1_s=round(speed1, 2) if speed1 else None,
        jobs2_s=round(speed2, 2) if speed2 else None,
        jobs_identical=identical,
        rss_growth_mb=memory[0],
        rss_after_10k_mb=memory[1],
        rss_after_all_mb=memory[2],
        memory_n=memory_n or None,
        load_s=round(load, 3),
        cold_start_s=round(cold, 3),
    )


def _cold_start() -> float:
    example = shipped_dir("examples")
    start = time.perf_counter()
    subprocess.run(
        [*_engage_command(), "evaluate", str(example / "01-engage-nhri-programme.yaml")], capture_output=True, check=True
    )
    return time.perf_counter() - start


def _jobs(count: int, seed: int) -> tuple[float, float, bool]:
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as folder:
        batch = Path(folder) / "batch.jsonl"
        with batch.open("w", encoding="utf-8") as handle:
            for request in generate(count, seed + 1):
                handle.write(json.dumps(request, ensure_ascii=False) + "\n")
        timings, digests = [], []
        for jobs in (1, 2):
            output = Path(folder) / f"decisions-{jobs}.jsonl"
            # Into a file, as a user would: a pipe read by this process would take a core from the run.
            with output.open("wb") as handle:
                start = time.perf_counter()
                result = subprocess.run(
                    [
                        *_engage_command(),
                        "evaluate",
                        str(batch),
                        "--format",
                        "jsonl",
                        "--as-of",
                        AS_OF.isoformat(),
                        "--jobs",
                        str(jobs),
                    ],
                    stdout=handle,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
                timings.append(time.perf_counter() - start)
            digests.append(_digest(output) if result.returncode == 0 else f"exit {result.returncode}")
            output.unlink()
        return timings[0], timings[1], digests[0] == digests[1]


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


_LOAD_PROBE = "import time; from engine import Engine; t = time.perf_counter(); Engine.load(); print(time.perf_counter() - t)"

_MEMORY_PROBE = """
import gc, os, sys
from engine.bench.decisions import AS_OF, generate
from engine.evaluation.evaluator import Engine
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
total = int(sys.argv[1])
base = generate(50000, int(sys.argv[2]))  # distinct enough that every cache fills to its bound
engine = Engine.load()
after_10k = None
for i in range(total):
    request = dict(base[i % len(base)], id=f"MEM-{i}")
    engine.evaluate(request, AS_OF)
    if i + 1 == 10_000:
        gc.collect()
        after_10k = rss()
gc.collect()
print(after_10k, rss())
"""


def _memory(total: int, seed: int) -> tuple[float, float, float]:
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(total), str(seed)], capture_output=True, text=True, check=True
    )
    first, last = (float(x) for x in result.stdout.split())
    return round(last - first, 2), round(first, 1), round(last, 1)


def render_text(f: Figures) -> str:
    agrees = "yes" if f.handwritten_agrees else "NO"
    lines = [
        f"engage bench: {f.n:,} generated requests (seed {f.seed}), {f.cpu_count} CPU(s), all measured in this run",
        "",
        f"  Engage, one process, full reasons   {f.engage_per_s:>10,.0f} decisions/s   ({f.engage_json_per_s:,.0f}/s with JSON)",
        f"  hand-written policy v1 (the limit)  {f.handwritten_per_s:>10,.0f} decisions/s   (same statuses, score: {agrees})",
        f"  bare durable-rules (its Host API)   {f.bare_durable_per_s:>10,.0f} decisions/s",
        "",
        f"  Engage / hand-written   {f.ratio_to_handwritten:.1%}   (target: at least 8%)",
        f"  Engage / bare durable   {f.ratio_to_bare:.1f}x",
    ]
    if f.jobs2_speedup is not None:
        same = "yes" if f.jobs_identical else "NO"
        lines.append(
            f"  --jobs 2 / --jobs 1     {f.jobs2_speedup:.2f}x on {f.jobs_batch:,} requests"
            f" ({f.jobs1_s:.2f} s -> {f.jobs2_s:.2f} s; output identical: {same})   (target: at least 1.7x)"
        )
    if f.rss_growth_mb is not None:
        lines.append(
            f"  memory                  {f.rss_growth_mb:+.1f} MB from 10,000 to {f.memory_n:,} evaluations"
            f" ({f.rss_after_10k_mb:.1f} -> {f.rss_after_all_mb:.1f} MB)   (target: within 20 MB)"
        )
    lines += [
        f"  load and compile rules  {f.load_s:.3f} s   (target: under 0.5 s)",
        f"  engage evaluate one.yaml {f.cold_start_s:.3f} s cold   (target: under 0.5 s)",
    ]
    return "\n".join(lines)
