"""One module per verb of the ``engage`` command, loaded only when that verb runs.

Each module has ``NAME``, ``HELP``, ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args, streams) -> int``.  The registry below names them without importing them:
``engage evaluate`` then never loads the decision log's database layer or the report's
charts, which keeps its start-up short.  Adding a verb means adding its module and a line
here (a test checks that the help line matches the module's ``HELP``).

May import: every part.  Nothing but ``engine.cli`` imports this package.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Command:
    name: str
    help: str

    def load(self) -> ModuleType:
        return importlib.import_module(f"{__name__}.{self.name}")


COMMANDS: tuple[Command, ...] = (
    Command("evaluate", "evaluate requests and print the recommendation for each"),
    Command("template", "write a blank intake workbook (.xlsx) or CSV header for a batch of requests"),
    Command("explain", "show every rule considered for one request, and the smallest changes that would alter the outcome"),
    Command("lint", "check rule and criteria files: load errors, conflicts, gaps, rules that never fire"),
    Command("test", "run test cases (default: rules/tests/*.yaml) and report rule coverage"),
    Command("impact", "compare two versions of the rules on a corpus of requests"),
    Command("schema", "print the JSON Schema of requests, rule files, criteria files or test cases"),
    Command("log", "the decision log: list, show and verify recorded decisions; record what people decided"),
    Command(
        "rules",
        "releases of the rules: propose (with lint, test cases and impact), approve, reject, withdraw, list, show, diff",
    ),
    Command("letter", "the letter asking the requester for what is missing, for a recorded request, in their language"),
    Command("exceptions", "the exception register: every exception seen, applied or rejected, and the decisions that used it"),
    Command("report", "the Board's audit report for a period: HTML (self-contained, prints on A4) or CSV"),
    Command(
        "bench",
        "measure decisions per second (against hand-written Python and bare durable-rules), --jobs, memory and start-up",
    ),
    Command("serve", "start the web application (sign in with an account made by 'engage users add')"),
    Command("users", "accounts of the web application (engage serve): add, list, password, disable, enable; API tokens"),
)
