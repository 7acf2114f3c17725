"""pytest plugin: the ``fake_okta`` fixture (filled in by the fake Okta work)."""
