"""Words for what the pages show: field labels, option labels, status badges, citations, changes.

The policy's own words (outcome, region, theme, mechanism and status labels, condition
titles) come from the loaded rule files (:class:`engine.report.figures.Labels` and the
vocabularies); the interface's words from the catalogue (:mod:`.i18n`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from ..authoring.explain import Alternative, Change, Option
from ..evaluation.decision import CitationRef, Reason
from ..evaluation.words import Words
from ..policy.fields import WAIVABLE
from ..policy.model import AS_OF, All, AnyOf, Condition, Not, Policy, Rule, Test
from ..policy.texts import Text
from ..report.figures import Labels
from .forms import Field
from .i18n import DEFAULT, Translator

STATUS_ICONS = {"met": "\u2714", "partial": "\u25d0", "unmet": "\u2716", "unknown": "?"}  # check, half circle, cross


@cache
def country_names(lang: str = DEFAULT) -> Mapping[str, str]:
    """Countries by ISO alpha-3 code: ISO's English names, and CLDR's (Babel) in another language."""
    import pycountry

    english = {c.alpha_3: c.name for c in pycountry.countries}
    if lang == DEFAULT:
        return english
    from babel import Locale

    local = Locale(lang).territories
    return {c.alpha_3: local.get(c.alpha_2, english[c.alpha_3]) for c in pycountry.countries}


def words(t: Translator, text: str, key: str | None = None) -> str:
    """A text of the policy in the page's language: the policy's own translation, else the catalogue's ``key``, else as written.

    The policy's words (``criteria/*.yaml``, ``rules/*.yaml``) may carry each language
    (:class:`engine.policy.texts.Text`); a catalogue may still carry ``key`` for a language the
    policy is not written in.
    """
    if isinstance(text, Text) and text.translations.get(t.lang):
        return text.translations[t.lang]
    if key is not None and t.lang != DEFAULT and t.has(key):
        return t(key)
    return str(text)


def labels_in(t: Translator, policy: Policy) -> Labels:
    """The words for the policy's codes (outcomes, regions, statuses, conditions) in the page's language."""
    vocab = policy.vocab
    return Labels(
        {k: words(t, v.label) for k, v in vocab.outcomes.items()},
        {k: words(t, v.label) for k, v in vocab.regions.items()},
        {k: words(t, v, f"status.{k}") for k, v in vocab.status_labels.items()},
        {c.name: f"({c.letter}) {words(t, c.title)}" for c in policy.criteria},
        {c.name: f"({c.letter}) {words(t, c.label)}" for c in policy.criteria},
    )


def field_label(t: Translator, policy: Policy, path: str) -> str:
    """The label of a field path (``priority.recommendations[2].mechanism`` is labelled as its field).

    Labels are the policy's (``criteria/fields.yaml``), in the page's language when it has one.
    """
    plain = _plain_path(path)
    declared = policy.fields.get(plain)
    if declared is None:
        return t.maybe(f"field.{plain}", plain)
    return words(t, declared.label, f"field.{plain}")


def field_help(t: Translator, policy: Policy, f: Field) -> str:
    declared = policy.fields.get(_plain_path(f.path))
    return words(t, declared.help, f"help.{f.path}") if declared is not None else f.description


def form_hint(t: Translator, policy: Policy, f: Field) -> str:
    """The hint under a field of the form: the policy's help, and for a date how to give it."""
    text = field_help(t, policy, f)
    if f.kind == "date":
        # The date picker shows the day in the reader's own order (31/03/2026, 03/31/2026): the hint
        # names no order of its own but for a browser that shows a plain text box.
        text = f"{text} {t('form.date_hint')}".strip()
    return text


def group_label(t: Translator, policy: Policy, name: str) -> str:
    """The legend of a group of the form: the policy's group label; a run of top-level fields by the catalogue."""
    group = policy.fields.group(name)
    if group is not None:
        return words(t, group.label, f"group.{name}")
    return t.maybe(f"group.{name}", field_label(t, policy, name))


def question_words(t: Translator, policy: Policy, path: str) -> str:
    """``Ask the requester: is civil society consulted or taking part?`` (the question is the policy's)."""
    declared = policy.fields.get(_plain_path(path))
    if declared is None:
        return field_label(t, policy, path)
    who = declared.answered_by if declared.answered_by in ("requester", "office") else "requester"
    asked = words(t, declared.question or declared.label)  # as FieldDef.ask, in the page's language
    return f"{t(f'ask.{who}')} {asked if asked.endswith('?') else asked + '?'}"


def _plain_path(path: str) -> str:
    out, depth = [], 0
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def option_label(t: Translator, policy: Policy, path: str, code: str) -> str:
    """The words for one value of a closed list."""
    vocab = policy.vocab
    plain = _plain_path(path)
    if plain == "country":
        name = country_names(t.lang).get(code)
        return f"{name} ({code})" if name else code
    if plain == "status.exception":  # the exception part's states (the rules' status.exception)
        return t.maybe(f"rules.exception_state.{code}", code.replace("_", " "))
    if plain.startswith("status.") and code in vocab.status_labels:  # a condition's status: met, partial, unknown...
        return words(t, vocab.status_labels[code], f"status.{code}")
    declared = policy.fields.get(plain)
    if declared is not None and code in declared.labels:
        return words(t, declared.labels[code], f"value.{plain}.{code}")  # the policy's own words (criteria/fields.yaml)
    source = declared.vocabulary if declared is not None else None
    if source == WAIVABLE:  # the criteria an exception may waive, by their letter and title
        for c in policy.criteria:
            if c.name == code:
                return f"({c.letter}) {words(t, c.title)}"
    elif source is not None:  # the values come from a vocabulary of the policy, which labels them
        table: Mapping[str, Any] = getattr(vocab, source, None) or {}
        if code in table:
            return words(t, table[code].label)
    return t.maybe(f"value.{plain}.{code}", code.replace("_", " "))


def options(t: Translator, policy: Policy, f: Field, path: str | None = None) -> list[tuple[str, str]]:
    """(value, label) for each choice of a field; countries sorted by name.

    ``path``: where the field sits in the request when ``f`` is a column of a list of records
    (``priority.recommendations[0].mechanism``), whose own path is relative to its row.
    """
    pairs = [(code, option_label(t, policy, path or f.path, code)) for code in f.options]
    if f.path == "country":
        pairs.sort(key=lambda p: p[1].casefold())
    return pairs


@dataclass(frozen=True)
class Badge:
    code: str
    icon: str
    word: str


def status_badge(policy_labels: Mapping[str, str], t: Translator, code: str) -> Badge:
    return Badge(code, STATUS_ICONS.get(code, "?"), policy_labels.get(code) or t.maybe(f"status.{code}", code))


def citation_href(c: CitationRef | Mapping[str, Any]) -> str | None:
    """The link of a citation: the official document (undocs.org) when the source has one."""
    url = c.get("url") if isinstance(c, Mapping) else c.url
    return str(url) if url and str(url).startswith("https://") else None


def citation_words(t: Translator, policy: Policy, c: CitationRef | Mapping[str, Any]) -> str:
    """A citation as the page's language writes it: ``E/CN.4/2006/104 para 19(c)``, ``… par. 19(c)``, ``… párr. 19(c)``.

    The decision records the English (``para``); French and Spanish documents say ``par.`` and ``párr.``.
    """
    if isinstance(c, Mapping):
        para = c.get("para")
        c = CitationRef(str(c.get("source", "")), None if para is None else str(para), str(c.get("text", "")))
    if t.lang == DEFAULT:
        return c.text
    return Words(policy, t.lang).cite(c)


# -- what would change it, in words -----------------------------------------------------------


def value_words(t: Translator, policy: Policy, path: str, value: Any) -> str:
    if value is True:
        return t("value.yes")
    if value is False:
        return t("value.no")
    if value is None:
        return t("value.unknown")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(value_words(t, policy, path, v) for v in value) if value else t("value.none")
    if isinstance(value, str):
        return option_label(t, policy, path, value)
    return str(value)


def _group_words(t: Translator, policy: Policy, group: Sequence[Change], every: bool) -> str:
    first = group[0]
    label = field_label(t, policy, first.field)
    if every:
        return t("change.any_other" if first.before is not None else "change.given", field=label)
    if first.only_known:
        return t("change.given", field=label)
    values = t("change.or").join(value_words(t, policy, first.field, c.after) for c in group)
    return t("change.is" if first.before is None else "change.becomes", field=label, value=values)


def option_words(t: Translator, policy: Policy, option: Option) -> str:
    parts = []
    for i, group in enumerate(option.changes):
        span = option.span(i)  # a number's or a date's whole range ("60 or less")
        if span is not None:
            label = field_label(t, policy, group[0].field)
            parts.append(t("change.is" if group[0].before is None else "change.becomes", field=label, value=span))
            continue
        every = i < len(option.any_value) and option.any_value[i]
        parts.append(_group_words(t, policy, group, every))
    return t("change.and").join(parts)


@dataclass(frozen=True)
class ChangeView:
    outcome: str
    ways: tuple[str, ...]
    more: int


WAYS_SHOWN = 3  # ways shown per outcome; the others are counted


def changes_view(t: Translator, policy: Policy, alternatives: Sequence[Alternative]) -> list[ChangeView]:
    out = []
    for a in alternatives:
        ways = tuple(option_words(t, policy, o) for o in a.options)
        out.append(ChangeView(a.outcome, ways[:WAYS_SHOWN], a.more + max(0, len(ways) - WAYS_SHOWN)))
    return out


def factor_label(policy: Policy, factor: str, t: Translator | None = None) -> str:
    """The words for one line of the priority breakdown (a condition, or a factor of criteria/priority.yaml)."""
    t = t or Translator()
    if factor.startswith("condition."):
        name = factor.split(".", 1)[1]
        for c in policy.criteria:
            if c.name == name:
                return f"({c.letter}) {words(t, c.title)}"
    for f in policy.priority.factors:
        if f.id == factor:
            return words(t, f.label) if f.label else f.id.replace("_", " ")
    return factor.replace("_", " ")


def shown(t: Translator, policy: Policy, path: str, value: Any) -> str:
    """A request's value in words (lists of records one per entry: ``Universal periodic review (A/HRC/44/5)``)."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        entries = []
        for item in value:
            words = [value_words(t, policy, f"{path}.{k}", v) for k, v in item.items() if v is not None]
            entries.append(f"{words[0]} ({', '.join(words[1:])})" if len(words) > 1 else "".join(words))
        return "; ".join(entries)
    return value_words(t, policy, path, value)


# -- rules in words ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionView:
    kind: str  # all, any, not, test, always
    text: str = ""
    children: tuple[ConditionView, ...] = ()


def _expected(t: Translator, policy: Policy, path: str, value: Any) -> str:
    if value == AS_OF:
        return t("rules.as_of")
    if isinstance(value, tuple):
        return ", ".join(t("value.unknown") if v is None else value_words(t, policy, path, v) for v in value)
    return value_words(t, policy, path, value)


def condition_view(t: Translator, policy: Policy, cond: Condition) -> ConditionView:
    if isinstance(cond, Test):
        if cond.op == "is":
            return ConditionView("test", t(f"rules.op.is_{cond.value}", field=cond.field))
        return ConditionView(
            "test", t(f"rules.op.{cond.op}", field=cond.field, value=_expected(t, policy, cond.field, cond.value))
        )
    if isinstance(cond, All):
        return ConditionView("all", t("rules.all"), tuple(condition_view(t, policy, c) for c in cond.items))
    if isinstance(cond, AnyOf):
        return ConditionView("any", t("rules.any"), tuple(condition_view(t, policy, c) for c in cond.items))
    if isinstance(cond, Not):
        return ConditionView("not", t("rules.not"), (condition_view(t, policy, cond.item),))
    return ConditionView("always", t("rules.always"))


def effect_words(t: Translator, labels: Mapping[str, str], rule: Rule, outcome_label: str | None) -> str:
    if rule.status is not None:
        return labels.get(rule.status, rule.status)
    if rule.outcome is not None:
        return outcome_label or rule.outcome
    if rule.exception is not None:
        return t(f"rules.exception_state.{rule.exception}")
    if rule.covers is not None:
        return t("rules.covers", condition=rule.covers.replace("_", " "))
    return ""


def rule_citations(policy: Policy, rule: Rule) -> list[CitationRef]:
    refs = []
    for c in rule.cite:
        source = policy.sources.get(c.source)
        refs.append(CitationRef(c.source, c.para, c.text(), source.url if source else None))
    return refs


# -- reasons in the page's language -----------------------------------------------------------


def reason_words(t: Translator, policy: Policy, reason: Reason, record: Mapping[str, Any] | None, as_of: date | None) -> str:
    """A reason of a decision in the page's language: its rule's sentence there, filled from the request.

    The decision keeps its reasons in the policy's first language (its JSON never changes); a page
    in another language writes the same rule's sentence in that language, as ``engage evaluate
    --lang`` does (:class:`engine.evaluation.words.Words`), or the recorded words without a request.
    """
    if t.lang == DEFAULT or as_of is None:
        return str(reason.message)
    return Words(policy, t.lang).reason(reason, record, as_of)
