"""Reading YAML and JSON documents with the line and column of every key and value.

PyYAML's ``safe_load`` keeps the last of two duplicate keys, reads ``no`` as false,
``2026-01-05`` as a date object and forgets where each value stood.  We compose the
node tree ourselves and build the data from it so that:

* only the YAML 1.2 core scalars are recognised (``true``/``false``, ``null``/``~``,
  decimal numbers); everything else stays text, and the schema says what was expected;
* a duplicate key, a Python or custom tag, or a merge key is an error at its node;
* every key and value keeps its position, so a schema error can name ``file:line:col``.

JSON files are parsed by :mod:`json` (the authority on JSON syntax) and the YAML
composer only supplies positions, since JSON is a subset of YAML 1.2.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Location
from ..i18n.said import Said, say

Path_ = tuple[str | int, ...]

# Bounds a document so that an alias chain ("billion laughs") cannot exhaust memory.
MAX_NODES = 200_000
# Bounds nesting: the shipped rules nest 9 levels; far deeper input would exhaust Python's stack.
MAX_DEPTH = 32
# No field needs a longer number; a longer one is a mistake and must not be echoed in full.
MAX_DIGITS = 20
# What one request (or policy) file may hold: a request is a few KB; a 200 MB file is refused unread.
MAX_DOCUMENT_BYTES = 1 << 20

# Text the later stages cannot hold: C0 controls but tab, newline and carriage return (PostgreSQL
# refuses NUL), DEL, and lone UTF-16 surrogates (not Unicode: cannot be written as UTF-8).
_REFUSED_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# JSON escapes that can give such a character; the string walk runs only when one is present.
_SUSPECT_ESCAPE = re.compile(r"\\(?:u00[01][0-9a-fA-F]|u007[fF]|u[dD][89a-fA-F][0-9a-fA-F]{2}|[bf])")
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')

# The problems libyaml and json say most often, said again in the reader's language; any other is shown as written.
_KNOWN_PROBLEMS: dict[str, Said] = {
    str(said): said
    for said in (
        say("invalid YAML"),
        say("mapping values are not allowed in this context"),
        say("did not find expected ',' or ']'"),
        say("did not find expected ',' or '}}'"),
        say("found character that cannot start any token"),
        say("found undefined alias"),
        say("found unexpected end of stream"),
        say("did not find expected key"),
        say("did not find expected '-' indicator"),
        say("could not find expected ':'"),
        say("did not find expected <document start>"),
        say("found unknown escape character"),
        say("found incompatible YAML document"),
        say("while parsing a flow sequence"),
        say("while parsing a flow mapping"),
        say("while parsing a block mapping"),
        say("while parsing a block collection"),
        say("while parsing a quoted scalar"),
        say("while scanning for the next token"),
        say("while scanning a quoted scalar"),
        say("while scanning a simple key"),
        say("Expecting value"),
        say("Expecting ',' delimiter"),
        say("Expecting ':' delimiter"),
        say("Expecting property name enclosed in double quotes"),
        say("Unterminated string starting at"),
        say("Invalid control character at"),
        say("Invalid \\escape"),
        say("Extra data"),
        say("Illegal trailing comma before end of object"),
        say("Illegal trailing comma before end of array"),
    )
}


def _problem(text: str) -> str:
    return _KNOWN_PROBLEMS.get(text, text)


_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:merge",
}


class _CoreResolver(yaml.resolver.BaseResolver):
    """The YAML 1.2 core schema, minus octal/hex and non-finite floats."""


_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null",
    re.compile(r"^(?:~|null|Null|NULL|)$"),
    ["~", "n", "N", ""],
)
_CoreResolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?[0-9]+$"),
    list("-+0123456789"),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)

_CParser: Any
try:  # libyaml: several times faster than PyYAML's own scanner (it lives in yaml.cyaml, not yaml)
    import yaml.cyaml

    _CParser = yaml.cyaml.CParser  # type: ignore[attr-defined]
except (ImportError, AttributeError):  # pragma: no cover - only where PyYAML was built without libyaml
    _CParser = None

if _CParser is not None:

    class _NodeLoader(_CParser, _CoreResolver):  # type: ignore[misc]
        """Composes nodes only; values are built by :func:`_build`."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _CoreResolver.__init__(self)

else:  # pragma: no cover - only where PyYAML was built without libyaml

    class _NodeLoader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _CoreResolver
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _CoreResolver.__init__(self)


@dataclass
class Document:
    """One parsed document: its data and where each key and value stood."""

    data: Any
    file: str
    text: str = ""
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    index: int = 0  # position of the document in a multi-document stream
    # JSON is read by json, which keeps no positions; they are composed from ``text`` when an
    # error first needs one (most documents never do, and it costs ten times the reading).
    positions_pending: bool = False

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The position of ``path`` (its key if ``key``), or of its nearest ancestor."""
        if self.positions_pending:
            self.positions_pending = False
            found = _json_positions_quietly(self.text, self.file)
            if found is not None:
                self.key_marks, self.value_marks = found.key_marks, found.value_marks
        marks = (self.key_marks, self.value_marks) if key else (self.value_marks, self.key_marks)
        probe = tuple(path)
        while True:
            for table in marks:
                if probe in table:
                    line, col = table[probe]
                    return Location(self.file, line, col, dotted(path) or None, self._line(line))
            if not probe:
                return Location(self.file, None, None, dotted(path) or None)
            probe = probe[:-1]

    def origin(self) -> Location:
        """Where the document starts: :meth:`locate` of the root, without composing pending positions."""
        if not self.positions_pending:
            return self.locate(())
        return self._first_character()

    def _first_character(self) -> Location:
        offset = len(self.text) - len(self.text.lstrip())
        before = self.text[:offset]
        line = before.count("\n") + 1
        return Location(self.file, line, offset - (before.rfind("\n") + 1) + 1)

    def _line(self, line: int) -> str | None:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None


def dotted(path: Path_) -> str:
    """``("rules", 2, "when")`` → ``rules[2].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _loc(file: str, text: str, line: int, col: int) -> Location:
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ("" if line == len(lines) + 1 else None)
    return Location(file, line, col, None, src)


def decode(raw: bytes, file: str) -> str:
    """UTF-8 text (a BOM is allowed), or an error at the first byte that is not UTF-8."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start]
        line = good.count(b"\n") + 1
        col = len(good) - (good.rfind(b"\n") + 1) + 1
        raise InputError(
            "not-utf8",
            say("byte {byte} is not UTF-8 text; save the file as UTF-8", byte=f"0x{raw[exc.start]:02x}"),
            Location(file, line, col),
        ) from None
    return text


def size_text(size: int) -> str:
    """``1048576`` -> ``1 MiB``: limits are named in the unit people think in."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return say("{count} bytes", count=size)


def too_large(name: str, size: int, limit: int, what: str) -> InputError:
    return InputError(
        "file-too-large",
        say(
            "{what} holds {size}; the limit is {limit} ({bytes} bytes): split it into smaller files",
            what=say("the file") if what == "the file" else what,
            size=size_text(size),
            limit=size_text(limit),
            bytes=limit,
        ),
        Location(name),
    )


def read_bytes(path: Path | str, name: str, limit: int) -> bytes:
    """The bytes of the file at ``path`` (shown as ``name``), refused unread when it holds more than ``limit``."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(limit + 1)
        if len(raw) > limit:
            size = max(Path(path).stat().st_size, len(raw))
            raise too_large(name, size, limit, "the file")
    except IsADirectoryError:
        raise InputError("not-a-file", say("is a directory, not a file"), Location(name)) from None
    except FileNotFoundError:
        raise InputError("file-not-found", say("no such file"), Location(name)) from None
    except OSError as exc:
        raise InputError("unreadable", exc.strerror or str(exc), Location(name)) from None
    return raw


def read_text(path: Path | str, display: str | None = None, limit: int = MAX_DOCUMENT_BYTES) -> str:
    """The UTF-8 text of the file at ``path``, refused unread when it is larger than ``limit`` bytes."""
    name = display or str(path)
    return decode(read_bytes(path, name, limit), name)


def parse(text: str, file: str, *, fmt: str | None = None) -> list[Document]:
    """Every document in ``text``; ``fmt`` is ``json`` or ``yaml`` (default: by file suffix)."""
    if fmt is None:
        fmt = "json" if file.lower().endswith(".json") else "yaml"
    if not text.strip() or (fmt == "yaml" and _only_comments(text)):
        raise InputError("empty-file", say("the file is empty: it holds no document"), Location(file, 1, 1))
    if fmt == "json":
        return [_parse_json(text, file)]
    return list(_parse_yaml(text, file))


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def load_file(path: Path | str, display: str | None = None) -> list[Document]:
    name = display or str(path)
    return parse(read_text(path, name), name)


# --- YAML -----------------------------------------------------------------


def _parse_yaml(text: str, file: str) -> Iterator[Document]:
    loader = _NodeLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node guards this
                break
            doc = Document(None, file, text, index=index)
            counter = [0]
            doc.data = _build(node, (), doc, counter)
            if doc.data is None:
                where = doc.locate(()) if index else _loc(file, text, 1, 1)
                raise InputError("empty-document", say("the document is empty"), where)
            yield doc
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = _problem(exc.problem or "invalid YAML")
        if exc.context:
            problem = say("{problem} ({context})", problem=problem, context=_problem(exc.context))
        raise InputError("yaml-syntax", problem, _loc(file, text, line, col)) from None
    except yaml.YAMLError as exc:
        raise InputError("yaml-syntax", str(exc).splitlines()[0], Location(file, 1, 1)) from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose:
            dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: Path_, doc: Document, counter: list[int]) -> Any:
    counter[0] += 1
    if len(path) > MAX_DEPTH:  # the path grows by one a level, so its length is the depth
        line, col = _mark(node)
        raise InputError("too-deep", _too_deep(), _loc(doc.file, doc.text, line, col))
    if counter[0] > MAX_NODES:
        line, col = _mark(node)
        raise InputError(
            "document-too-large",
            say("the document has more than {count} values (aliases expand to copies)", count=MAX_NODES),
            _loc(doc.file, doc.text, line, col),
        )
    doc.value_marks.setdefault(path, _mark(node))
    tag = node.tag
    if tag not in _STANDARD_TAGS:
        line, col = _mark(node)
        refused = (
            say("a merge key (<<) is not allowed; write plain values")
            if tag.endswith(":merge")
            else say("the tag {tag} is not allowed; write plain values", tag=_short_tag(tag))
        )
        raise InputError(
            "unsupported-tag",
            refused,
            _loc(doc.file, doc.text, line, col),
        )
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag.endswith(":merge"):
                line, col = _mark(key_node)
                raise InputError(
                    "unsupported-tag",
                    say("a merge key (<<) is not allowed; write the fields out"),
                    _loc(doc.file, doc.text, line, col),
                )
            key = _build(key_node, path + ("<key>",), doc, counter)
            line, col = _mark(key_node)
            if not isinstance(key, str):
                raise InputError(
                    "bad-key",
                    say("the key {key} is not text; field names are words such as 'presence'", key=repr(key)),
                    _loc(doc.file, doc.text, line, col),
                )
            if key in out:
                raise InputError(
                    "duplicate-key",
                    say("the key '{key}' appears twice in this mapping (first on line {line})", key=key, line=first_seen[key]),
                    _loc(doc.file, doc.text, line, col),
                )
            first_seen[key] = line
            doc.key_marks[path + (key,)] = (line, col)
            out[key] = _build(value_node, path + (key,), doc, counter)
        doc.value_marks.pop(path + ("<key>",), None)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, counter) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, doc)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _too_deep() -> str:
    return say("the document is nested more than {limit} levels deep (the limit is {limit} levels)", limit=MAX_DEPTH)


def _too_long(digits: int) -> str:
    return say(
        "a number of {digits} digits is longer than any field allows (the limit is {limit} digits)",
        digits=digits,
        limit=MAX_DIGITS,
    )


def refused_character(value: str) -> tuple[str, str] | None:
    """The code and message for a character of ``value`` that Engage refuses in text, if any."""
    found = _REFUSED_CHARACTER.search(value)
    if found is None:
        return None
    point = ord(found.group())
    if 0xD800 <= point <= 0xDFFF:
        return "not-unicode", say(
            "the text holds {point}, half of a UTF-16 pair (not a character); remove it", point=f"U+{point:04X}"
        )
    return "control-character", say("the text holds the control character {point}; remove it", point=f"U+{point:04X}")


def _scalar(node: yaml.ScalarNode, doc: Document) -> Any:
    value: str = node.value
    tag = node.tag
    refused = refused_character(value)
    if refused is not None:
        line, col = _mark(node)
        raise InputError(*refused, _loc(doc.file, doc.text, line, col))
    if tag == "tag:yaml.org,2002:str":
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        low = value.lower()
        if low in ("true", "false"):
            return low == "true"
    elif tag == "tag:yaml.org,2002:int":
        digits = len(value.lstrip("+-"))
        if digits > MAX_DIGITS:
            line, col = _mark(node)
            raise InputError("number-too-long", _too_long(digits), _loc(doc.file, doc.text, line, col))
        try:
            return int(value)
        except ValueError:
            pass
    elif tag == "tag:yaml.org,2002:float":
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
            line, col = _mark(node)
            raise InputError(
                "bad-number",
                say("the number is too large to be a number (it is not finite)"),
                _loc(doc.file, doc.text, line, col),
            )
    line, col = _mark(node)
    unread = say("'{value}' cannot be read as {tag}", value=value, tag=_short_tag(tag))
    raise InputError("bad-scalar", unread, _loc(doc.file, doc.text, line, col))


# --- JSON -----------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateJSONKey(key)
        out[key] = value
    return out


class _DuplicateJSONKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class _BadNumber(ValueError):
    """A number json would read but a request must not hold; the YAML composer says where it is."""


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _BadNumber(text)
    return int(text)


def _json_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _BadNumber(text)
    return number


def _depth_error(text: str, file: str) -> InputError | None:
    """The error for the first bracket nested deeper than :data:`MAX_DEPTH`, if there is one."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return InputError("too-deep", _too_deep(), _at_offset(file, text, token.start()))
        elif char in "]}":
            depth -= 1
    return None


def _at_offset(file: str, text: str, offset: int) -> Location:
    line = text.count("\n", 0, offset) + 1
    return _loc(file, text, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _positioned(text: str, file: str, codes: tuple[str, ...]) -> None:
    """Raise the YAML composer's positioned error for ``text`` if it has one of ``codes``."""
    try:
        list(_parse_yaml(text, file))
    except InputError as exc:
        if exc.code in codes:
            raise


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _parse_json(text: str, file: str) -> Document:
    # Nesting is checked before json reads (json's own limit is Python's stack): cheap when
    # the text has fewer brackets than the limit, as every real request does.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        deep = _depth_error(text, file)
        if deep is not None:
            raise deep
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_int=_json_int,
            parse_float=_json_float,
        )
    except _BadNumber as exc:
        _positioned(text, file, ("number-too-long", "bad-number"))
        raise InputError(
            "bad-number", say("{number} is not a number a request can hold", number=str(exc)), Location(file)
        ) from None
    except _DuplicateJSONKey as exc:
        _json_positions(text, file)  # raises the duplicate with its line when YAML can read the text
        raise InputError(
            "duplicate-key", say("the key '{key}' appears twice in one object", key=exc.key), Location(file)
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError("json-syntax", _problem(exc.msg), _loc(file, text, exc.lineno, exc.colno)) from None
    except ValueError as exc:
        raise InputError("json-syntax", str(exc), Location(file, 1, 1)) from None
    if data is None:
        raise InputError("empty-document", say("the document is null"), Location(file, 1, 1))
    if "\\" in text and _SUSPECT_ESCAPE.search(text):
        for value in _strings(data):
            refused = refused_character(value)
            if refused is not None:
                lone = _LONE_SURROGATE.search(text) if refused[0] == "not-unicode" else None
                if lone is not None:  # the YAML composer refuses it as a syntax error: find it here
                    raise InputError(*refused, _at_offset(file, text, lone.start()))
                _positioned(text, file, (refused[0],))
                raise InputError(*refused, Location(file))
    return Document(data, file, text, positions_pending=True)


def _json_positions_quietly(text: str, file: str) -> Document | None:
    try:
        return _json_positions(text, file)
    except InputError:  # pragma: no cover - json accepted the text, so no duplicate is left to find
        return None


def _json_positions(text: str, file: str) -> Document | None:
    """Positions from the YAML composer; duplicates are reported at their line."""
    try:
        docs = list(_parse_yaml(text, file))
    except InputError as exc:
        if exc.code == "duplicate-key":
            raise
        return None
    return docs[0] if len(docs) == 1 else None
