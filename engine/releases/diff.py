"""The difference between two releases, rule by rule: added, removed, changed, with the YAML lines that changed.

Each rule file's rules are found by their ``id`` with the YAML parser's marks (the lines each
list item spans), so a changed rule shows only its own lines; a criteria file, or a rule file's
lines outside its rules (its ``stage``, its comments), are compared file by file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from ..log.store import StoredFile


@dataclass(frozen=True)
class Change:
    what: str  # "rule" or "file"
    name: str  # the rule id, or kind/path of the file
    change: str  # added, removed or changed
    lines: tuple[str, ...]  # unified diff lines (without the file headers)

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "name": self.name, "change": self.change, "lines": list(self.lines)}


def _rules(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """Rule id -> its lines, and the file's other lines."""
    lines = text.splitlines()
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}, lines
    spans: dict[str, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "rules" and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    rule_id = None
                    if isinstance(item, yaml.MappingNode):
                        rule_id = next((v.value for k, v in item.value if k.value == "id"), None)
                    if isinstance(rule_id, str):
                        spans[rule_id] = (item.start_mark.line, item.end_mark.line)
    taken: set[int] = set()
    rules: dict[str, list[str]] = {}
    for rule_id, (start, end) in spans.items():
        body = list(range(start, end + 1 if end == start else end))
        while body and not lines[body[-1]].strip():  # the blank lines between rules belong to neither
            body.pop()
        rules[rule_id] = [lines[i] for i in body if i < len(lines)]
        taken.update(body)
    return rules, [line for i, line in enumerate(lines) if i not in taken]


def _unified(old: list[str], new: list[str]) -> tuple[str, ...]:
    return tuple(difflib.unified_diff(old, new, lineterm="", n=1))[2:]


def diff(old: list[StoredFile], new: list[StoredFile]) -> list[Change]:
    """What changed from the ``old`` files to the ``new`` ones."""
    before = {(f.kind, f.path): (f.content or b"").decode("utf-8", "replace") for f in old}
    after = {(f.kind, f.path): (f.content or b"").decode("utf-8", "replace") for f in new}
    changes: list[Change] = []
    old_rules: dict[str, list[str]] = {}
    new_rules: dict[str, list[str]] = {}
    for files, into in ((before, old_rules), (after, new_rules)):
        for (kind, _path), text in sorted(files.items()):
            if kind == "rules":
                into.update(_rules(text)[0])
    for rule_id in sorted(set(old_rules) | set(new_rules)):
        a, b = old_rules.get(rule_id), new_rules.get(rule_id)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        changes.append(Change("rule", rule_id, change, _unified(a or [], b or [])))
    for key in sorted(set(before) | set(after)):
        a_text, b_text = before.get(key), after.get(key)
        if a_text == b_text:
            continue
        name = f"{key[0]}/{key[1]}"
        if key[0] == "rules" and a_text is not None and b_text is not None:
            a_rest, b_rest = _rules(a_text)[1], _rules(b_text)[1]
            if a_rest != b_rest:
                changes.append(Change("file", name, "changed", _unified(a_rest, b_rest)))
            continue
        change = "added" if a_text is None else "removed" if b_text is None else "changed"
        if key[0] == "rules" and change != "changed":
            continue  # its rules are listed one by one
        changes.append(Change("file", name, change, _unified((a_text or "").splitlines(), (b_text or "").splitlines())))
    return changes
