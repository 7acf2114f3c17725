"""Shared test set-up. Fixtures for the fake Okta come from okta_session_mw.testing."""
