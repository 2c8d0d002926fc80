"""Many requests at once: request files and tables in, decisions out.

Request files, directories, ``.csv``, ``.xlsx`` and ``.jsonl`` (``inputs``, ``tables``,
``csvtext`` for a CSV file's encoding and separator, ``columns``, ``cells``), the loop
every front end shares (``batch``), parallel evaluation
and its worker processes (``parallel``, ``processes``), the intake template
(``template``), decisions written out (``outputs``, ``workbooks``) and the progress bar
(``progress``).

May import: ``engine.i18n``, ``engine.policy``, ``engine.evaluation`` and ``engine.errors``.
"""
