"""``python -m okta_session_mw doctor``: checks a configuration as an operator would.

One line per check (``OK``, ``WARN``, ``FAIL`` or ``SKIP``, the check's name, a short
finding) and an exit status for scripts: 0 when nothing failed (warnings do not fail,
unless ``--strict``), 1 when a check failed, 2 for a usage error. No secret (API token,
``secret_key``, Redis password, hook secrets) is ever printed: every line goes through
:class:`~okta_session_mw.doctor.output.Redactor` on its way out. The doctor only reads:
it writes nothing to Okta or Redis.
"""

from __future__ import annotations

from okta_session_mw.doctor.findings import Finding, Level
from okta_session_mw.doctor.runner import DoctorOptions, exit_status, run_checks

__all__ = ["DoctorOptions", "Finding", "Level", "exit_status", "run_checks"]
