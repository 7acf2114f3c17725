"""A minimal Django project that trusts the browser's Okta session (the README's quickstart)."""
