"""The decision log: every decision recorded, hash-chained, with the rules that made it.

Where the log lives and how to open it (``database``, ``migrations/``), the append-only
store and its hash chain (``store``), stored rulesets back as engines (``rulesets``),
verify and replay (``audit``), the log as it stands now (``logview``), human decisions
and corrections (``review``) and the exception register (``register``).

May import: ``engine.i18n``, ``engine.policy``, ``engine.evaluation`` and ``engine.errors``.
"""
