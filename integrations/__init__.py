"""Framework adapters: ``okta_session_mw.integrations.flask`` and ``.django``."""
