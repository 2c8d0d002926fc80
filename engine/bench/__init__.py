"""The benchmarks behind ``engage bench``: every figure measured in one run.

``decisions``: decisions per second against a hand-written baseline and bare
durable-rules, parallel batches, memory and start-up.

``authoring`` (``engage bench --authoring``): lint and explain on the shipped policy and on
policies grown from it (``grown``), before and after the solver, time and peak memory.

May import: every part but ``engine.commands`` (and ``engine.cli``).
"""
