"""The benchmarks behind ``engage bench``: every figure measured in one run.

``decisions``: decisions per second against a hand-written baseline and bare
durable-rules, parallel batches, memory and start-up.

May import: every part but ``engine.commands`` (and ``engine.cli``).
"""
