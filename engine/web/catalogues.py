"""The web interface's gettext catalogues (domain ``web``): read, written, synced from a dict of English.

``engine/locale/<lang>/LC_MESSAGES/web.po`` holds every string of the pages; ``en.po`` is the
English source.  A pair for a count is one plural message whose id is the key without
``.one``/``.other`` (``home.drafts``), with as many forms as the language's CLDR rule has
(English two, French and Spanish three: one, many, other).

``python -m engine.web.catalogues sync --from FILE`` carries strings written the old way, a Python
file with a dict ``EN = {"key": "English"}`` (``engine/web/strings_en.py`` of a branch made before
the catalogues), into ``en.po``, and lists each key that French and Spanish still lack (a key whose
English changed is emptied in them, so that English shows rather than a stale translation); ``check``
exits 1 while any language lacks a key or adds a ``{field}``.  The lead's one-liner after a merge::

    python -m engine.web.catalogues sync --from engine/web/strings_en.py && git rm engine/web/strings_en.py
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from ..i18n.catalogues import po_path
from ..i18n.languages import DEFAULT, LANGUAGES

DOMAIN = "web"
FIELD = re.compile(r"{(\w+)}")
HEADER_NOTE = {
    "en": "The web interface's words in English: the source every other language translates.",
    "fr": "The web interface's words in French (UN terms: coopération technique, Conseil d'administration).",
    "es": "The web interface's words in Spanish (UN terms: cooperación técnica, Junta de Síndicos).",
}


@dataclass(frozen=True)
class Message:
    key: str
    forms: tuple[str, ...]  # one text, or one per plural form of the language

    @property
    def plural(self) -> bool:
        return len(self.forms) > 1


def read(lang: str, path: Path | None = None) -> dict[str, Message]:
    """The messages of one language's catalogue, in file order (empty when it has none yet)."""
    path = path or po_path(DOMAIN, lang)
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    out: dict[str, Message] = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id if isinstance(m.id, str) else m.id[0]
        forms = (m.string,) if isinstance(m.string, str) else tuple(m.string or ())
        out[key] = Message(key, tuple(f or "" for f in forms))
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def write(lang: str, messages: Mapping[str, Message], out: TextIO) -> None:
    """A ``.po`` file as translators read it: a header with Babel's plural rule, then one message per key."""
    rule = get_plural(lang)
    out.write(f"# Engage: {HEADER_NOTE.get(lang, 'The web interface.')}\n")
    out.write("# Message ids are keys (page.what); edit the msgstr only. Regenerate with python -m engine.web.catalogues.\n")
    out.write('msgid ""\nmsgstr ""\n')
    for line in (
        "Project-Id-Version: Engage",
        f"Language: {lang}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        f"Plural-Forms: nplurals={rule.num_plurals}; plural={rule.plural_expr};",
    ):
        out.write(_quote(line + "\n") + "\n")
    for m in messages.values():
        out.write(f"\nmsgid {_quote(m.key)}\n")
        if m.plural:
            out.write(f"msgid_plural {_quote(m.key)}\n")
            for i, form in enumerate(m.forms):
                out.write(f"msgstr[{i}] {_quote(form)}\n")
        else:
            out.write(f"msgstr {_quote(m.forms[0])}\n")


def save(lang: str, messages: Mapping[str, Message]) -> Path:
    path = po_path(DOMAIN, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        write(lang, messages, handle)
    return path


def from_flat(english: Mapping[str, str]) -> dict[str, Message]:
    """Messages from a flat dict of English, where ``key.one`` and ``key.other`` are the two forms of ``key``."""
    out: dict[str, Message] = {}
    for key, text in english.items():
        base, _, form = key.rpartition(".")
        if form in ("one", "other") and f"{base}.one" in english and f"{base}.other" in english:
            out.setdefault(base, Message(base, (english[f"{base}.one"], english[f"{base}.other"])))
        else:
            out[key] = Message(key, (text,))
    return out


def flat_english(path: Path) -> dict[str, str]:
    """The dict ``EN`` of a ``strings_en.py``, read without importing it (it is a literal)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "EN" and value is not None:
            table = ast.literal_eval(value)
            return {str(k): str(v) for k, v in table.items()}
    raise SystemExit(f"engage: {path}: no dict EN = {{...}} in it")


def problems(lang: str, english: Mapping[str, Message], theirs: Mapping[str, Message]) -> list[str]:
    """What a translation lacks: a key, a form, or a ``{field}`` the English does not have (in English's order)."""
    found = []
    forms = get_plural(lang).num_plurals
    for key, m in english.items():
        other = theirs.get(key)
        if other is None or not all(other.forms):
            found.append(f"{lang}: {key}: not translated")
            continue
        if m.plural and len(other.forms) != forms:
            found.append(f"{lang}: {key}: has {len(other.forms)} plural forms, {lang} needs {forms}")
        fields = set(FIELD.findall(" ".join(m.forms)))
        extra = set(FIELD.findall(" ".join(other.forms))) - fields
        if extra:
            found.append(f"{lang}: {key}: {{{', '.join(sorted(extra))}}} is not in the English")
    found += [f"{lang}: {key}: not in English (remove it)" for key in theirs if key not in english]
    return found


def sync(english: Mapping[str, str] | None) -> list[str]:
    """Bring every catalogue in line with English (updated from ``english`` when given); the keys left to translate."""
    source = read(DEFAULT)
    reworded: set[str] = set()  # English changed under the same key: its translations no longer say it
    if english is not None:
        for key, m in from_flat(english).items():
            if key in source and source[key].forms != m.forms:
                reworded.add(key)
            source[key] = m
        save(DEFAULT, source)
    todo = []
    for lang in LANGUAGES:
        if lang == DEFAULT:
            continue
        forms = get_plural(lang).num_plurals
        theirs = read(lang)
        merged: dict[str, Message] = {}
        for key, m in source.items():
            old = theirs.get(key)
            if old is not None and old.plural == m.plural and key not in reworded:
                merged[key] = old
            else:
                merged[key] = Message(key, ("",) * (forms if m.plural else 1))  # empty: English shows until translated
        save(lang, merged)
        todo += problems(lang, source, merged)
    return todo


def main(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    args = list(argv)
    if not args or args[0] not in ("sync", "check"):
        stderr.write("usage: python -m engine.web.catalogues sync [--from strings_en.py] | check\n")
        return 2
    if args[0] == "check":
        english = read(DEFAULT)
        found = [p for lang in LANGUAGES if lang != DEFAULT for p in problems(lang, english, read(lang))]
    else:
        given = args[2] if len(args) > 2 and args[1] == "--from" else None
        found = sync(flat_english(Path(given)) if given else None)
    for line in found:
        stdout.write(line + "\n")
    stdout.write(f"{len(found)} message(s) to translate or correct.\n" if found else "Every language has every key.\n")
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:], sys.stdout, sys.stderr))
