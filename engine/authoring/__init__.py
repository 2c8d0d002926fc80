"""The policy authors' tools: what a change of the rules does, before it goes live.

The finite domains the rules read (``domains``), the rules as constraints for the z3 solver
(``encoding``), the consistency check (``lint``: ``findings``, asked of the solver in
``lint_solved``, by the enumeration it replaced in ``lint_enumerated``), the
authors' test cases (``cases``, ``casetest``), the trace of one decision and what would
change it (``explain``), and the comparison of two versions of the rules on a corpus
(``impact``).

May import: ``engine.i18n``, ``engine.policy``, ``engine.evaluation``, ``engine.batches`` and ``engine.errors``.
"""
