"""Proposing a release of the rules with its checks, and comparing releases.

Where a proposal's files come from (a directory or a git revision), the checks run on
proposal and kept with the release (``checks``: lint, the authors' test cases, the impact over
the requests in the log, in force against proposed), and the per-rule difference between two
releases (``diff``).  The release's life itself (steps, four eyes, the release in force) is in
:mod:`engine.log.releases`; this part adds what needs the authoring tools.

May import: ``engine.policy``, ``engine.evaluation``, ``engine.batches``, ``engine.log``,
``engine.authoring`` and ``engine.errors``.
"""
