"""Evaluating one request: from a checked request to a decision with its reasons.

Three-valued logic (``logic``), the compiler of rules into durable-rules rulesets
(``compiler``), the one module that talks to durable-rules (``matcher``), request
validation (``request``, and ``fastcheck``, the checker compiled from the schema), the
stages of one evaluation (``stages``), the reuse of their results across requests
(``reuse``), the rendering of reasons (``reasons``), the engine that puts them together
(``evaluator``), the score (``score``), the decision (``decision``, ``stored_decision``)
and its text (``render``), in the reader's language (``words``).

May import: ``engine.i18n``, ``engine.policy`` and ``engine.errors``.
"""
