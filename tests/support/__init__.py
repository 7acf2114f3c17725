"""Helpers shared by the tests: fixtures (pytest plugins), fakes and canned answers."""
