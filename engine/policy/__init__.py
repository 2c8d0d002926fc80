"""The policy files: what the rules and criteria say, read and checked.

Documents with the line and column of every value (``documents``), the JSON Schemas and
their plain-word errors (``schema``; the schema files themselves stay in ``engine/schemas/``,
where the policy files' ``# yaml-language-server`` lines point), the loader and its
cross-checks (``loader``), the typed records every later stage reads (``model``), where
the shipped policy is (``shipped``), the policy's texts in several languages (``texts``), and which
policy a command reads: an option, ``ENGAGE_POLICY``,
the checkout it runs in, else the shipped copy (``location``).

May import: ``engine.errors`` and ``engine.i18n`` (the languages) only.  Every other part builds on this one.
"""
