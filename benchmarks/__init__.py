"""Benchmarks for okta-session-mw: ``python -m benchmarks`` prints one table.

Each module measures one thing and returns a ``table.Section``; ``__main__`` runs them
in one process (``--quick`` for small sizes, ``--only NAME`` for one section).
"""
