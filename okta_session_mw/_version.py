"""The package version, in one place: setuptools reads it (pyproject.toml) and so does
``okta_session_mw.__version__``."""

__version__ = "0.1.0"
