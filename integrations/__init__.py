"""The framework adapters, one folder each: ``.starlette``, ``.flask`` and ``.django``."""
