"""One module per verb of the ``engage`` command.

Each module has ``NAME``, ``HELP``, ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args, streams) -> int``; adding a verb means adding its module to ``COMMANDS``.
"""

from __future__ import annotations

from types import ModuleType

from . import evaluate, exceptions, explain, impact, lint, log, report, schema, serve, template, test, users

COMMANDS: tuple[ModuleType, ...] = (
    evaluate,
    template,
    explain,
    lint,
    test,
    impact,
    schema,
    log,
    exceptions,
    report,
    serve,
    users,
)
