"""The Board's report: figures for a period, charts, and the report itself.

The figures computed from the decisions in force (``figures``), charts as inline SVG
(``charts``) and the self-contained HTML or CSV report (``document``).

May import: ``engine.i18n``, ``engine.policy``, ``engine.evaluation``, ``engine.log`` and ``engine.errors``.
"""
