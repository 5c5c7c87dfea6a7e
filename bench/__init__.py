"""Benchmark of the generated evaluators against a hand-written baseline and rule engines.

Run it from the repository root with `python -m bench`; it prints a table and writes
bench/RESULTS.md. Only ratios measured in the same run are meaningful.
"""
