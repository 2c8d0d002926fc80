"""``engage schema``: print a JSON Schema (the request schema is generated from criteria/fields.yaml)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..policy.schema import load_schema
from .common import add_policy_arguments, load_engine

if TYPE_CHECKING:
    from ..cli import Streams

NAME = "schema"
HELP = "print the JSON Schema of requests, rule files, criteria files or test cases"
DESCRIPTION = (
    "Print a JSON Schema. 'request' is the schema of requests that the policy's fields file (criteria/fields.yaml)"
    " declares, with the vocabularies and the waivable conditions applied (use --rules/--criteria for other files)."
    " 'rule' (or 'rules'), 'criteria' and 'cases' are the schemas of rule files, criteria files and test-case files"
    " that editors use through the '# yaml-language-server: $schema=...' line at the top of each file."
)
NAMES = {"request": "request", "rule": "rules", "rules": "rules", "criteria": "criteria", "cases": "cases"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=tuple(NAMES), metavar="NAME", help="request, rule, criteria or cases")
    add_policy_arguments(parser)


def run(args: argparse.Namespace, streams: Streams) -> int:
    name = NAMES[args.name]
    if name == "request":
        engine = load_engine(args, streams, cache_size=0)
        if engine is None:
            return 2
        schema = engine.policy.request_schema
    else:
        schema = load_schema(name)
    # The file's own key order reads best; it is fixed, so the output is too.
    streams.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return 0
