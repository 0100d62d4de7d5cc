"""Faithful emulators of KashFlow and Sage 100 for the demo, tests and benchmarks.

Never imported by production code paths.
"""
