"""durable-rules 2.0.28 as measured on this machine, and the adapter built around it.

Each claim about durable-rules (from its users' reports and ../shared/notes) is confirmed
or refuted here; docs/durable-rules.md summarises the results.  Probes that use durable's
own ``Host`` (which starts timer threads), or that hang or crash the interpreter, run in a
child process so that this one stays clean.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import threading
from typing import Any

import durable_rules_engine as core
import pytest

from engine.evaluation.matcher import CATCH_ALL, DurableRuleset, MatcherError, encode, guarded

GUARD = {"_t": "engage"}


def probe(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, check=False
    )


def last_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- claims about durable-rules itself ------------------------------------------------------


def test_an_event_fires_one_rule_but_a_fact_fires_every_matching_rule() -> None:
    out = last_json(
        probe(
            """
            import json
            from durable.lang import ruleset, when_all, m, post, assert_fact
            fired = {"event": [], "fact": []}
            mode = ["event"]
            with ruleset("claims_events"):
                @when_all(m.x == 1)
                def first(c): fired[mode[0]].append("first")
                @when_all(m.y == 1)
                def second(c): fired[mode[0]].append("second")
            post("claims_events", {"x": 1, "y": 1, "sid": "e"})
            mode[0] = "fact"
            assert_fact("claims_events", {"x": 1, "y": 1, "sid": "f"})
            print(json.dumps(fired))
            """
        )
    )
    assert len(out["event"]) == 1
    assert sorted(out["fact"]) == ["first", "second"]


def test_a_message_no_rule_matches_raises() -> None:
    out = last_json(
        probe(
            """
            import json
            from durable.lang import ruleset, when_all, m, assert_fact
            from durable.engine import MessageNotHandledException
            with ruleset("claims_unmatched"):
                @when_all(m.x == 1)
                def only(c): pass
            try:
                assert_fact("claims_unmatched", {"x": 2, "sid": "1"})
                print(json.dumps("no error"))
            except MessageNotHandledException:
                print(json.dumps("MessageNotHandledException"))
            """
        )
    )
    assert out == "MessageNotHandledException"


def test_without_a_sid_every_fact_lands_in_the_shared_session_0() -> None:
    out = last_json(
        probe(
            """
            import json
            from durable.lang import ruleset, when_all, m, assert_fact, get_host
            with ruleset("claims_sid"):
                @when_all(+m.x)
                def any_x(c): pass
            assert_fact("claims_sid", {"x": 1})
            assert_fact("claims_sid", {"x": 2})
            facts = get_host().get_facts("claims_sid", "0")
            print(json.dumps(sorted(f["x"] for f in facts)))
            """
        )
    )
    assert out == [1, 2]


def test_a_ruleset_name_cannot_be_registered_twice_in_a_host() -> None:
    out = last_json(
        probe(
            """
            import json
            from durable.engine import Host
            host = Host()
            rules = {"r": {"all": [{"m": {"x": 1}}], "run": lambda c: None}}
            host.register_rulesets({"claims_twice": dict(rules)})
            try:
                host.register_rulesets({"claims_twice": {"r": {"all": [{"m": {"x": 1}}], "run": lambda c: None}}})
                print(json.dumps("registered again"))
            except Exception as exc:
                print(json.dumps(str(exc)))
            """
        )
    )
    assert "already registered" in out


def test_the_host_starts_timer_threads_and_our_adapter_starts_none() -> None:
    out = last_json(
        probe(
            """
            import json, threading
            before = threading.active_count()
            from engine.evaluation.matcher import DurableRuleset, guarded
            rs = DurableRuleset("claims_threads", {"r": guarded({"x": 1})})
            rs.match({"x": 1})
            ours = threading.active_count() - before
            from durable.engine import Host
            Host()
            print(json.dumps({"ours": ours, "host": threading.active_count() - before - ours}))
            """
        )
    )
    assert out == {"ours": 0, "host": 2}


def test_the_1025th_live_session_fails_and_deleting_sessions_avoids_it() -> None:
    handle = core.create_ruleset("claims.sessions", encode({"r": guarded({"x": 1})}))
    try:
        live = 0
        with pytest.raises(MemoryError):
            for i in range(2000):
                _, state = core.assert_fact(handle, encode({"x": 1, "sid": f"live{i}", "id": "1", **GUARD}))
                result = core.start_action_for_state(handle, state)
                while result:
                    following = core.complete_and_start_action(handle, state)
                    result = (None, following) if following else None
                live += 1
        assert live == 1024
    finally:
        core.delete_ruleset(handle)
    # The adapter deletes each session: many more matches than that are fine.
    rs = DurableRuleset("claims.sessions.adapter", {"r": guarded({"x": 1})})
    assert all(rs.match({"x": 1}) == {"r"} for _ in range(3000))


def test_the_same_fact_twice_in_a_live_session_is_refused() -> None:
    handle = core.create_ruleset("claims.observed", encode({"r": guarded({"x": 1})}))
    try:
        fact = encode({"x": 1, "sid": "s", "id": "same", **GUARD})
        assert core.assert_fact(handle, fact)[0] == 0
        assert core.assert_fact(handle, fact)[0] == 2  # MessageObservedException in durable.engine
    finally:
        core.delete_ruleset(handle)


def test_a_fact_holds_at_most_254_properties() -> None:
    rs = DurableRuleset("claims.width", {"r": guarded(None)})
    rs.match({f"k{i}": i for i in range(254 - 3)})  # plus sid, id and the marker
    with pytest.raises(MatcherError, match="302"):
        rs.match({f"k{i}": i for i in range(255 - 3)})


def test_numbers_in_exponent_form_are_refused_by_its_json_reader() -> None:
    handle = core.create_ruleset("claims.exponent", encode({"r": guarded({"$lt": {"x": 5}})}))
    try:
        with pytest.raises(core.error, match="204"):
            core.assert_fact(handle, json.dumps({"x": 1e-05, "sid": "e", "id": "e", **GUARD}))
    finally:
        core.delete_ruleset(handle)
    # encode() writes plain decimals with a point, which it reads and compares correctly.
    assert encode(1e-05) == "0.00001" and encode(1e20) == "100000000000000000000.0"
    rs = DurableRuleset("claims.exponent.adapter", {"small": guarded({"$lt": {"x": 5}}), "big": guarded({"$gt": {"x": 1e19}})})
    assert rs.match({"x": 1e-05}) == {"small"}
    assert rs.match({"x": 1e20}) == {"big"}


def test_neq_does_not_match_an_absent_field() -> None:
    # The reported "$neq misfiring": $neq is true only when the field is present and different.
    rs = DurableRuleset("claims.neq", {"neq": guarded({"$neq": {"x": "a"}})})
    assert rs.match({"x": "b"}) == {"neq"}
    assert rs.match({"x": "a"}) == set()
    assert rs.match({}) == set()
    assert rs.match({"y": 1}) == set()


def test_integers_past_64_bits_overflow_silently() -> None:
    def greater(rule: str, fact: str) -> bool:
        text = '{"gt":{"all":[{"m":{"$and":[{"_t":"engage"},{"$gt":{"x":RULE}}]}}]},"~":{"all":[{"m":{"_t":"engage"}}]}}'
        text = text.replace("RULE", rule)
        handle = core.create_ruleset("claims.int64", text)
        try:
            _, state = core.assert_fact(handle, '{"x":FACT,"sid":"i","id":"i","_t":"engage"}'.replace("FACT", fact))
            fired: set[str] = set()
            result = core.start_action_for_state(handle, state)
            while result:
                fired.update(json.loads(result[1]))
                following = core.complete_and_start_action(handle, state)
                result = (None, following) if following else None
            core.delete_state(handle, "i")
            return "gt" in fired
        finally:
            core.delete_ruleset(handle)

    assert greater("9223372036854775806", "9223372036854775807")
    assert not greater("9223372036854775807", "9223372036854775808")  # 2**63 wraps around
    assert not greater("10000000000000000000", "100000000000000000000")  # 10**20 > 10**19, yet no
    assert greater("10000000000000000000.0", "100000000000000000000.0")  # with a point: doubles
    with pytest.raises(MatcherError):
        encode(2**63)


def test_values_are_compared_loosely_across_types() -> None:
    # A true pattern matches 1, and a text pattern "5" matches the number 5.  Requests are
    # typed by the schema and rule values are checked against their field's type, so a
    # comparison across types never reaches durable-rules.
    rs = DurableRuleset("claims.coerce", {"true": guarded({"x": True}), "text5": guarded({"x": "5"})})
    assert rs.match({"x": 1}) == {"true"}
    assert rs.match({"x": 5}) == {"text5"}


def test_an_or_fires_a_rule_once_per_true_branch() -> None:
    fired: list[str] = []
    handle = core.create_ruleset("claims.or", encode({"r": guarded({"$or": [{"x": 1}, {"y": 1}]})}))
    try:
        _, state = core.assert_fact(handle, encode({"x": 1, "y": 1, "sid": "o", "id": "o", **GUARD}))
        result = core.start_action_for_state(handle, state)
        while result:
            fired.extend(json.loads(result[1]))
            following = core.complete_and_start_action(handle, state)
            result = (None, following) if following else None
        core.delete_state(handle, "o")
    finally:
        core.delete_ruleset(handle)
    assert fired == ["r", "r"]
    rs = DurableRuleset("claims.or.adapter", {"r": guarded({"$or": [{"x": 1}, {"y": 1}]})})
    assert rs.match({"x": 1, "y": 1}) == {"r"}  # the adapter returns a set


def _nested(compounds: int) -> dict[str, Any]:
    """A pattern holding exactly ``compounds`` $and/$or nodes once guarded (one is the guard's)."""
    pairs = [{"$and": [{f"a{i}": 1}, {f"b{i}": 1}]} for i in range(compounds - 2)]
    return {"$or": pairs}


def test_a_rule_with_16_and_or_nodes_is_refused() -> None:
    ok = core.create_ruleset("claims.nodes.15", encode({"r": guarded(_nested(15)), "~": guarded(None)}))
    core.delete_ruleset(ok)
    with pytest.raises(core.error, match="113"):
        core.create_ruleset("claims.nodes.16", encode({"r": guarded(_nested(16)), "~": guarded(None)}))


def test_iall_is_false_on_an_empty_list() -> None:
    rs = DurableRuleset("claims.iall", {"none_is_x": guarded({"$iall": {"l": {"$neq": {"$i": "x"}}}})})
    assert rs.match({"l": ["y"]}) == {"none_is_x"}
    assert rs.match({"l": []}) == set()  # so "does not contain" is compiled to membership flags


def test_an_unguarded_absence_pattern_matches_the_session_state_and_never_returns() -> None:
    # Reproduced the way users meet it, through durable.engine's Host.
    try:
        result = probe(
            """
            from durable.engine import Host
            host = Host()
            host.register_rulesets({"claims_loop": {"r": {"all": [{"m": {"$nex": {"x": 1}}}], "run": lambda c: None}}})
            host.assert_fact("claims_loop", {"y": 1, "sid": "1"})
            print("returned")
            """,
            timeout=8,
        )
        returned = "returned" in result.stdout
    except subprocess.TimeoutExpired:
        returned = False
    assert not returned
    # Guarded by the marker, as every rule the compiler writes is, the same pattern is fine.
    rs = DurableRuleset("claims.loop.guarded", {"r": guarded({"$nex": {"x": 1}})})
    assert rs.match({"y": 1}) == {"r"}
    assert rs.match({"x": 1}) == set()


def test_deleting_the_session_after_an_unhandled_neq_fact_crashes_the_interpreter() -> None:
    result = probe(
        """
        from durable.engine import Host, MessageNotHandledException
        host = Host()
        rule = {"all": [{"m": {"$and": [{"_t": "g"}, {"$neq": {"x": 1}}]}}], "run": lambda c: None}
        host.register_rulesets({"claims_crash": {"r": rule}})
        try:
            host.assert_fact("claims_crash", {"x": 1, "_t": "g", "sid": "a"})
        except MessageNotHandledException:
            pass
        host.delete_state("claims_crash", "a")
        print("survived")
        """
    )
    assert result.returncode == -11  # SIGSEGV
    assert "survived" not in result.stdout


# --- the adapter's own guarantees ------------------------------------------------------------


def test_the_catch_all_makes_every_fact_handled_and_is_never_reported() -> None:
    rs = DurableRuleset("adapter.catchall", {"r": guarded({"$neq": {"x": 1}})})
    assert rs.match({"x": 1}) == set()  # no MessageNotHandledException, no crash
    assert rs.match({"x": 2}) == {"r"}
    assert CATCH_ALL not in rs.match({"x": 2})


def test_a_match_where_the_catch_all_did_not_fire_is_an_error_not_an_empty_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check stands for durable-rules dropping a fact's actions silently (as its de-duplication
    # does), which no fact we write can provoke any more; so its C core is made to drop them here.
    # Without the check the request would get "no rule fired", which reads as a status.
    from engine.evaluation import matcher

    rs = DurableRuleset("adapter.catchall.missing", {"r": guarded({"x": 1})})
    assert rs.match({"x": 1}) == {"r"}
    monkeypatch.setattr(matcher._core, "start_action_for_state", lambda handle, state: None)
    with pytest.raises(MatcherError, match=r"catch-all rule of adapter\.catchall\.missing did not fire"):
        rs.match({"x": 1})


def test_nothing_is_left_in_the_session_after_a_match() -> None:
    from engine.evaluation import matcher

    rs = DurableRuleset("adapter.clean", {"r": guarded({"x": 1})})
    rs.match({"x": 1})
    last = str(next(matcher._SESSIONS) - 1)
    with pytest.raises(core.error, match="309"):  # no such session
        core.get_state(rs._handle, last)


def test_rulesets_with_the_same_name_coexist_and_close() -> None:
    first = DurableRuleset("adapter.same", {"r": guarded({"x": 1})})
    second = DurableRuleset("adapter.same", {"r": guarded({"x": 2})})
    assert first.match({"x": 1}) == {"r"} and second.match({"x": 1}) == set()
    first.close()
    with pytest.raises(MatcherError, match="closed"):
        first.match({"x": 1})
    assert second.match({"x": 2}) == {"r"}


def test_matches_from_many_threads_are_isolated() -> None:
    rs = DurableRuleset("adapter.threads", {"one": guarded({"x": 1}), "two": guarded({"x": 2})})
    errors: list[str] = []

    def work(value: int) -> None:
        want = {1: {"one"}, 2: {"two"}, 3: set()}[value]
        for _ in range(500):
            got = rs.match({"x": value})
            if got != want:
                errors.append(f"{value}: {got}")

    threads = [threading.Thread(target=work, args=(v % 3 + 1,)) for v in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_encode_refuses_what_has_no_json_form() -> None:
    with pytest.raises(MatcherError):
        encode(float("nan"))
    with pytest.raises(MatcherError):
        encode(object())
    assert encode({"a": [True, None, 'é"\\']}) == '{"a":[true,null,"é\\"\\\\"]}'


def test_a_ruleset_collected_while_the_lock_is_held_does_not_deadlock() -> None:
    """Garbage collection may finalise a ruleset in the middle of a match, with the lock held."""
    from engine.evaluation import matcher

    holder = {"doomed": DurableRuleset("adapter.doomed", {"r": guarded({"x": 1})})}
    done = threading.Event()

    def drop_with_the_lock_held() -> None:
        with matcher._LOCK:
            holder.clear()  # the last reference: __del__ runs now, in this thread
        done.set()

    worker = threading.Thread(target=drop_with_the_lock_held, daemon=True)
    worker.start()
    worker.join(10)
    assert done.is_set(), "finalising a ruleset while the lock was held deadlocked"
    assert len(matcher._UNUSED) >= 1
    after = DurableRuleset("adapter.after", {"r": guarded({"x": 1})})
    assert after.match({"x": 1}) == {"r"}
    assert matcher._UNUSED == []  # freed at the next safe point
    after.close()


def test_a_rule_named_like_the_catch_all_is_refused_and_leaves_nothing_to_finalise(monkeypatch: pytest.MonkeyPatch) -> None:
    # The refusal comes before the ruleset has a handle; finalising it must not fail either
    # (an error in __del__ is printed as "Exception ignored in ..." on the user's stderr).
    ignored: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    with pytest.raises(MatcherError) as refused:
        DurableRuleset("adapter.reserved", {CATCH_ALL: guarded({"x": 1})})
    assert str(refused.value) == "the rule name ~all is reserved"
    del refused
    gc.collect()
    assert ignored == []


def test_engage_version_names_the_installed_durable_rules() -> None:
    from importlib.metadata import version

    from engine.cli import version_text

    assert f"(durable-rules {version('durable_rules')}, Python " in version_text()
    assert version("durable_rules") == "2.0.28"


def test_the_guard_joins_a_patterns_own_and_so_a_rule_of_15_nodes_is_accepted() -> None:
    # The pattern's $and, its $or and 13 $and below: 15 nodes.  A guard in an $and of its own
    # would make 16, which durable-rules refuses (error 113).
    pattern = {"$and": [{"z": 1}, _nested(15)]}
    assert guarded(pattern) == {"all": [{"m": {"$and": [GUARD, {"z": 1}, _nested(15)]}}]}
    rs = DurableRuleset("adapter.nodes.15", {"r": guarded(pattern)})
    assert rs.match({"z": 1, "a0": 1, "b0": 1}) == {"r"}
    assert rs.match({"z": 2, "a0": 1, "b0": 1}) == set()
    rs.close()


def test_a_ruleset_durable_rules_refuses_is_named_in_the_error() -> None:
    with pytest.raises(MatcherError) as refused:
        DurableRuleset("adapter.nodes.16", {"r": guarded(_nested(16))})
    assert str(refused.value).startswith("durable-rules refused the ruleset adapter.nodes.16: ")


def test_the_definition_kept_is_the_one_durable_rules_got_with_the_catch_all() -> None:
    # `engage bench` builds durable-rules' own Host from it, as a baseline.
    rules = {"r": guarded({"x": 1})}
    rs = DurableRuleset("adapter.definition", rules)
    assert rs.definition == {"r": guarded({"x": 1}), CATCH_ALL: {"all": [{"m": GUARD}]}}
    assert CATCH_ALL not in rules
    rs.close()


def test_encode_takes_every_64_bit_integer_and_names_what_it_refuses() -> None:
    assert encode(-(2**63)) == "-9223372036854775808"
    assert encode(2**63 - 1) == "9223372036854775807"
    for outside in (2**63, -(2**63) - 1):
        with pytest.raises(MatcherError) as refused:
            encode(outside)
        assert str(refused.value) == f"{outside} does not fit the 64-bit integers durable-rules reads"
    with pytest.raises(MatcherError) as refused:
        encode(float("inf"))
    assert str(refused.value) == "inf has no JSON form"
    with pytest.raises(MatcherError) as refused:
        encode({1, 2})
    assert str(refused.value) == "cannot encode set"


def test_a_field_name_outside_ascii_is_written_as_given_in_rules_and_in_plain_facts() -> None:
    # durable-rules does not read \u escapes in names: a rule on "caf\u00e9" written escaped never
    # matches a fact naming "café" as it is, and facts given plain are written by the C encoder.
    rs = DurableRuleset("adapter.names", {"r": guarded({"café": 1})})
    assert encode({"café": "é"}) == '{"café":"é"}'
    assert rs.match({"café": 1}) == {"r"}
    assert rs.match({"café": 1}, plain=True) == {"r"}
    assert rs.match({"café": 2}, plain=True) == set()
    rs.close()


def test_a_fact_durable_rules_refuses_leaves_the_next_match_in_a_fresh_session() -> None:
    rs = DurableRuleset("adapter.after_refusal", {"r": guarded({"x": 1})})
    for _ in range(2):
        with pytest.raises(MatcherError, match=r"refused a fact for adapter\.after_refusal"):
            rs.match({f"k{i}": i for i in range(255 - 3)})
        assert rs.match({"x": 1}) == {"r"}
    rs.close()


def test_a_fact_durable_rules_answers_with_an_error_code_is_an_error_naming_the_ruleset(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.evaluation import matcher

    real = matcher._core.assert_fact
    monkeypatch.setattr(matcher._core, "assert_fact", lambda handle, text: (7, real(handle, text)[1]))
    rs = DurableRuleset("adapter.code", {"r": guarded({"x": 1})})
    with pytest.raises(MatcherError) as refused:
        rs.match({"x": 1})
    assert str(refused.value) == "durable-rules answered 7 to a fact for adapter.code"
    monkeypatch.undo()
    assert rs.match({"x": 1}) == {"r"}  # the session was deleted all the same
    rs.close()
