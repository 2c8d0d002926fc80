"""One failing fixture and one passing fixture for every check id ``engage lint`` reports.

Each fixture copies the shipped rules and criteria and edits one thing.  ``bad`` must make
lint report ``check``; ``good`` (by default: the unedited copy) must not.  The loader's
codes are check ids too: lint reports every load error under its loader code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .authoring import PolicyCopy

Edit = Callable[[PolicyCopy], object]

R, C = "rules/", "criteria/"


def _nothing(_: PolicyCopy) -> None:
    return None


@dataclass(frozen=True)
class Fixture:
    check: str
    name: str
    bad: Edit
    good: Edit = _nothing

    @property
    def id(self) -> str:
        return f"{self.check}:{self.name}"


BOMB = "kind: sources\n" + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 10)}]\n" for i in range(7))

OUTCOME_ENGAGE = """    when:
      all:
        - {field: status.country_engagement_strategy, equals: met}
        - {field: status.in_country_presence, equals: met}
        - {field: status.partnership, equals: met}
    outcome: engage
"""


def versions(until: str, starts: str) -> Edit:
    """partnership.none in two versions: the shipped one until ``until``, a copy from ``starts``."""

    def edit(p: PolicyCopy) -> None:
        p.replace(R + "partnership.yaml", "    status: unmet\n", f"    status: unmet\n    effective_until: {until}\n")
        p.write(
            R + "partnership_later.yaml",
            "stage: condition\ncriterion: partnership\nrules:\n  - id: partnership.none\n"
            "    when:\n      all:\n        - {field: partnership.government_counterpart, equals: false}\n"
            "        - {field: partnership.civil_society_involved, equals: false}\n"
            f"    status: unmet\n    effective_from: {starts}\n"
            "    reason: {en: Neither a counterpart nor civil society., fr: Ni homologue ni société civile.,"
            " es: Ni contraparte ni sociedad civil.}\n"
            "    cite:\n      - {source: E/CN.4/2006/104, para: 19(d)}\n",
        )

    return edit


FIXTURES: tuple[Fixture, ...] = (
    # -- reading the files ------------------------------------------------------------
    Fixture(
        "yaml-syntax",
        "unclosed bracket",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "stage: [condition"),
    ),
    Fixture(
        "duplicate-key",
        "stage twice",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition\n", "stage: condition\nstage: condition\n"),
    ),
    Fixture("not-utf8", "latin-1 bytes", lambda p: p.write(R + "extra.yaml", "stage: outcome # caf\xe9\n".encode("latin-1"))),
    Fixture("empty-file", "empty rule file", lambda p: p.write(R + "extra.yaml", "")),
    Fixture(
        "too-deep", "a list nested 40 deep", lambda p: p.write(R + "extra.yaml", "stage: outcome\nx: " + "[" * 40 + "]" * 40)
    ),
    Fixture(
        "file-too-large",
        "a rule file over 1 MiB",
        lambda p: p.write(R + "extra.yaml", "stage: outcome\n" + "#" * (1 << 20) + "\n"),
    ),
    Fixture(
        "number-too-long",
        "a 21-digit number",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition\n", "stage: condition\nx: 123456789012345678901\n"),
    ),
    Fixture(
        "bad-number",
        "a number too large to be finite",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition\n", "stage: condition\nx: 1e999\n"),
    ),
    Fixture(
        "control-character",
        "an escaped control character",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition\n", 'stage: condition\nx: "a\\x01b"\n'),
    ),
    Fixture(
        "unsupported-tag",
        "python tag",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "stage: !!python/name:os.system condition"),
    ),
    Fixture(
        "bad-key",
        "a list as a key",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "? [stage]\n: condition"),
    ),
    Fixture("document-too-large", "alias bomb", lambda p: p.write(C + "sources.yaml", BOMB)),
    Fixture(
        "several-documents",
        "two documents",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "stage: condition\n---\nstage: condition\n"),
    ),
    Fixture("wrong-type", "a list, not a mapping", lambda p: p.write(R + "extra.yaml", "- stage: outcome\n")),
    # -- the schema of rule and criteria files ----------------------------------------
    Fixture(
        "unknown-field",
        "misspelt key",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "titel: Partnership\nstage: condition"),
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "title: Partnership\nstage: condition"),
    ),
    Fixture(
        "unknown-field",
        "misspelt field path",
        lambda p: p.replace(
            R + "in_country_presence.yaml",
            "when: {field: presence.type, equals: none}",
            "when: {field: presense.type, equals: none}",
        ),
    ),
    Fixture(
        "unknown-field",
        "derived field outside the outcome table",
        lambda p: p.replace(
            R + "in_country_presence.yaml",
            "when: {field: presence.type, equals: none}",
            "when: {field: status.partnership, equals: met}",
        ),
    ),
    Fixture(
        "missing-field",
        "a rule with no citation",
        lambda p: p.replace(
            R + "partnership.yaml",
            """      es: Ninguna contraparte nacional se ha comprometido con la labor y la sociedad civil no participa.
    cite:
      - source: E/CN.4/2006/104
        para: 19(d)
""",
            "      es: Ninguna contraparte nacional se ha comprometido con la labor y la sociedad civil no participa.\n",
        ),
    ),
    Fixture(
        "bad-list",
        "an empty list of citations",
        lambda p: p.replace(
            R + "partnership.yaml",
            """      es: Ninguna contraparte nacional se ha comprometido con la labor y la sociedad civil no participa.
    cite:
      - source: E/CN.4/2006/104
        para: 19(d)
""",
            "      es: Ninguna contraparte nacional se ha comprometido con la labor y la sociedad civil no participa.\n"
            "    cite: []\n",
        ),
    ),
    Fixture(
        "wrong-type",
        "text for a yes/no",
        lambda p: p.replace(C + "partnership.yaml", "waivable: true", "waivable: yes"),
    ),
    Fixture(
        "not-in-vocabulary",
        "misspelt status",
        lambda p: p.replace(R + "partnership.yaml", "status: unmet", "status: unmett"),
    ),
    Fixture(
        "bad-date",
        "no 13th month",
        lambda p: p.replace(
            R + "partnership.yaml", "    status: unmet\n", "    status: unmet\n    effective_until: 2026-13-01\n"
        ),
        versions("2026-12-31", "2027-01-01"),
    ),
    Fixture(
        "bad-language",
        "a translation under a language name, not its code",
        lambda p: p.replace(
            C + "vocabularies.yaml", "label: {en: Met, fr: Remplie, es: Cumplida}", "label: {en: Met, French: Remplie}"
        ),
    ),
    Fixture(
        "undeclared-language",
        "a German label in a policy of English, French and Spanish",
        lambda p: p.replace(
            C + "vocabularies.yaml", "label: {en: Met, fr: Remplie, es: Cumplida}", "label: {en: Met, de: Erfüllt}"
        ),
    ),
    Fixture(
        "bad-text",
        "rule id with capitals",
        lambda p: p.replace(R + "partnership.yaml", "id: partnership.none", "id: Partnership.None"),
    ),
    Fixture(
        "bad-test",
        "two operators in one test",
        lambda p: p.replace(
            R + "in_country_presence.yaml",
            "when: {field: presence.type, equals: none}",
            "when: {field: presence.type, equals: none, in: [none]}",
        ),
    ),
    Fixture(
        "bad-rule",
        "exception and covers in one rule",
        lambda p: p.replace(R + "exception.yaml", "    covers: partnership\n", "    covers: partnership\n    exception: valid\n"),
    ),
    Fixture(
        "bad-factor",
        "points and points_each",
        lambda p: p.replace(C + "priority.yaml", "    points_each: 5\n", "    points_each: 5\n    points: 5\n"),
    ),
    Fixture(
        "bad-file",
        "criterion in the outcome table",
        lambda p: p.replace(R + "outcome.yaml", "stage: outcome\n", "stage: outcome\ncriterion: partnership\n"),
    ),
    # -- cross-checks of the loader -----------------------------------------------------
    Fixture(
        "not-a-directory", "no rules directory", lambda p: [p.delete(R + f.name) for f in p.rules.iterdir()] and p.rules.rmdir()
    ),
    Fixture("no-files", "empty rules directory", lambda p: [p.delete(R + f.name) for f in p.rules.iterdir()]),
    Fixture(
        "duplicate-source",
        "a source listed twice",
        lambda p: p.replace(
            C + "sources.yaml",
            "sources:\n",
            "sources:\n  - {symbol: TC-Report-1998, title: Again, numbered_paragraphs: false, summary: Again.}\n",
        ),
    ),
    Fixture("duplicate-priority", "two priority files", lambda p: p.copy(C + "priority.yaml", C + "priority2.yaml")),
    Fixture(
        "duplicate-vocabularies", "two vocabulary files", lambda p: p.copy(C + "vocabularies.yaml", C + "vocabularies2.yaml")
    ),
    Fixture("duplicate-sources", "two source files", lambda p: p.copy(C + "sources.yaml", C + "sources2.yaml")),
    Fixture(
        "unknown-criterion",
        "misspelt criterion",
        lambda p: p.replace(R + "partnership.yaml", "criterion: partnership", "criterion: partnershp"),
    ),
    Fixture("outcome-table-split", "two outcome files", lambda p: p.copy(R + "outcome.yaml", R + "outcome2.yaml")),
    Fixture(
        "bad-operator",
        "less than on a choice",
        lambda p: p.replace(
            R + "in_country_presence.yaml", "when: {field: presence.type, equals: none}", "when: {field: presence.type, lt: 3}"
        ),
    ),
    Fixture(
        "bad-value",
        "a value the field does not have",
        lambda p: p.replace(
            R + "in_country_presence.yaml",
            "when: {field: presence.type, equals: none}",
            "when: {field: presence.type, equals: country_ofice}",
        ),
    ),
    Fixture(
        "unknown-placeholder",
        "misspelt placeholder",
        lambda p: p.replace(R + "exception.yaml", "expired on {exception.expires}", "expired on {exception.expire}"),
    ),
    Fixture(
        "duplicate-rule-id",
        "one id twice",
        lambda p: p.replace(R + "partnership.yaml", "id: partnership.none", "id: partnership.full"),
    ),
    Fixture(
        "duplicate-rule-id",
        "versions whose periods overlap",
        versions("2026-12-31", "2026-12-31"),
        versions("2026-12-31", "2027-01-01"),
    ),
    Fixture("criterion-without-rules", "no partnership rules", lambda p: p.delete(R + "partnership.yaml")),
    Fixture("outcome-table-missing", "no outcome table", lambda p: p.delete(R + "outcome.yaml")),
    Fixture("exception-rules-missing", "no exception rules", lambda p: p.delete(R + "exception.yaml")),
    Fixture(
        "unknown-source",
        "misspelt source",
        lambda p: p.replace(R + "outcome.yaml", "      - source: TC-Report-1998\n", "      - source: TC-Report-1999\n"),
    ),
    Fixture(
        "citation-needs-para",
        "numbered document without a paragraph",
        lambda p: p.replace(
            R + "partnership.yaml",
            '      - source: E/CN.4/2006/104\n        para: "18"\n\n  - id: partnership.none',
            "      - source: E/CN.4/2006/104\n\n  - id: partnership.none",
        ),
    ),
    Fixture(
        "duplicate-criterion",
        "two conditions with one letter",
        lambda p: p.replace(C + "partnership.yaml", "letter: d", "letter: c"),
    ),
    Fixture(
        "criteria-missing",
        "no condition files",
        lambda p: [
            p.delete(C + f"{n}.yaml")
            for n in ("mandate_integrity", "country_engagement_strategy", "in_country_presence", "partnership")
        ],
    ),
    Fixture("priority-missing", "no priority file", lambda p: p.delete(C + "priority.yaml")),
    Fixture("vocabularies-missing", "no vocabulary file", lambda p: p.delete(C + "vocabularies.yaml")),
    Fixture("sources-missing", "no source file", lambda p: p.delete(C + "sources.yaml")),
    Fixture(
        "duplicate-field",
        "one field declared twice",
        lambda p: p.replace(C + "fields.yaml", "  - path: region\n", "  - path: country\n"),
    ),
    Fixture(
        "duplicate-factor",
        "one factor id twice",
        lambda p: p.replace(C + "priority.yaml", "  - id: crisis_driven\n", "  - id: least_developed_country\n"),
    ),
    Fixture(
        "bad-factor-field",
        "points on a list",
        lambda p: p.replace(C + "priority.yaml", "    field: priority.crisis_driven\n", "    field: priority.recommendations\n"),
    ),
    Fixture("bad-range", "min above max", lambda p: p.replace(C + "priority.yaml", "  min: 0\n", "  min: 101\n")),
    Fixture(
        "unknown-outcome",
        "misspelt outcome",
        lambda p: p.replace(R + "outcome.yaml", "    outcome: assess_needs\n", "    outcome: assess_need\n"),
    ),
    Fixture(
        "waiver-not-allowed",
        "an exception covering the mandate",
        lambda p: p.replace(R + "exception.yaml", "    covers: partnership\n", "    covers: mandate_integrity\n"),
    ),
    Fixture(
        "bad-dates",
        "from after until",
        lambda p: p.replace(
            R + "partnership.yaml",
            "    status: unmet\n",
            "    status: unmet\n    effective_from: 2027-01-01\n    effective_until: 2026-01-01\n",
        ),
        versions("2026-12-31", "2027-01-01"),
    ),
    Fixture(
        "bad-scalar",
        "a tag the value does not fit",
        lambda p: p.replace(R + "partnership.yaml", "stage: condition", "stage: !!int condition"),
    ),
    Fixture("empty-document", "a null document", lambda p: p.write(R + "extra.yaml", "null\n")),
)

# The loader codes no rule or criteria file can produce: the rule and criteria schemas have no
# number bounds and no format but date (bad-format, out-of-range), every schema keyword they
# use has its own message (schema), the loader reads only .yaml/.yml files that exist
# (json-syntax, file-not-found, not-a-file) and runs as a user who can read them (unreadable).
UNREACHABLE_LOADER_CODES = frozenset(
    {"bad-format", "out-of-range", "schema", "json-syntax", "file-not-found", "not-a-file", "unreadable"}
)

# -- lint's own checks (engine/authoring/lint.py CHECKS), found by enumeration ----------------------------

OWN: tuple[Fixture, ...] = (
    Fixture(
        "rule-conflict",
        "two statuses for an adopted strategy",
        lambda p: p.replace(
            R + "country_engagement_strategy.yaml",
            "when: {field: strategy.status, equals: in_development}",
            "when: {field: strategy.status, in: [in_development, adopted]}",
        ),
    ),
    Fixture(
        "rule-conflict",
        "valid and expired on the last day",
        lambda p: p.replace(
            R + "exception.yaml", "when: {field: exception.expires, lt: as_of}", "when: {field: exception.expires, le: as_of}"
        ),
    ),
    Fixture(
        "rule-gap",
        "partnership with civil society unknown",
        lambda p: p.replace(
            R + "partnership.yaml",
            "        - {field: partnership.civil_society_involved, is: unknown}\n    status: unknown",
            "        - {field: partnership.government_counterpart, is: unknown}\n    status: unknown",
        ),
    ),
    Fixture(
        "rule-gap",
        "an exception with no expiry date",
        lambda p: p.replace(
            R + "exception.yaml",
            "        - {field: exception.expires, is: unknown}\n    exception: invalid",
            "        - {field: exception.expires, is: unknown}\n"
            "        - {field: exception.approved_by, is: unknown}\n    exception: invalid",
        ),
    ),
    Fixture(
        "rule-gap",
        "the last line of the outcome table made conditional",
        lambda p: p.replace(
            R + "outcome.yaml",
            "    outcome: consider_in_strategy\n",
            "    when: {field: request.kind, equals: training}\n    outcome: consider_in_strategy\n",
        ),
    ),
    Fixture(
        "unreachable-rule",
        "a condition that contradicts itself",
        lambda p: p.replace(
            R + "in_country_presence.yaml",
            "when: {field: presence.type, equals: none}",
            "when: {all: [{field: presence.type, equals: none}, {field: presence.type, equals: country_office}]}",
        ),
    ),
    Fixture(
        "unreachable-rule",
        "an outcome line the earlier lines always take",
        lambda p: p.replace(
            R + "outcome.yaml",
            "        - {field: request.kind, equals: needs_assessment}\n        - all:\n"
            "            - {field: status.in_country_presence, equals: partial}\n"
            "            - {field: presence.type, in: [regional_office, human_rights_adviser]}\n",
            "        - all:\n            - {field: request.kind, equals: advisory}\n"
            "            - {field: expertise_available, equals: true}\n",
        ),
    ),
    Fixture(
        "unreachable-rule",
        "an exception rule that never applies",
        lambda p: p.replace(
            R + "exception.yaml",
            "when: {field: exception.waives, contains: partnership}",
            "when: {all: [{field: exception.waives, contains: partnership},"
            " {field: exception.waives, not_contains: partnership}]}",
        ),
    ),
    Fixture(
        "mandate-waivable",
        "the criteria say the mandate may be waived",
        lambda p: p.replace(C + "mandate_integrity.yaml", "waivable: false", "waivable: true"),
    ),
    Fixture(
        "mandate-waivable",
        "an exception rule covers the mandate",
        lambda p: p.replace(C + "mandate_integrity.yaml", "waivable: false", "waivable: true").replace(
            R + "exception.yaml", "    covers: partnership\n", "    covers: mandate_integrity\n"
        ),
    ),
    Fixture(
        "mandate-waivable",
        "the outcome table lets an exception through a declined mandate",
        lambda p: p.replace(
            R + "outcome.yaml",
            "    when: {field: status.mandate_integrity, equals: unmet}",
            "    when: {all: [{field: status.mandate_integrity, equals: unmet}, {field: status.exception, equals: absent}]}",
        ),
    ),
    Fixture(
        "version-gap", "a month between two versions", versions("2026-11-30", "2027-01-01"), versions("2026-11-30", "2026-12-01")
    ),
    Fixture(
        "missing-translation",
        "a reason without its Spanish",
        lambda p: p.replace(
            R + "partnership.yaml",
            "      es: Una contraparte nacional se ha comprometido con la labor y la sociedad civil participa en ella.\n",
            "",
        ),
    ),
    Fixture(
        "missing-translation",
        "an outcome label in English only",
        lambda p: p.replace(C + "vocabularies.yaml", "label: {en: Met, fr: Remplie, es: Cumplida}", "label: Met"),
    ),
    Fixture(
        "translation-placeholders",
        "a French reason that quotes a field the English does not",
        lambda p: p.replace(
            R + "partnership.yaml",
            "fr: Un homologue national s'est engagé dans les travaux et la société civile y participe.",
            "fr: Un homologue national ({requester.name}) s'est engagé dans les travaux.",
        ),
    ),
)
