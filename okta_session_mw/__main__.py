"""``python -m okta_session_mw COMMAND``: the library's command line (``doctor`` today)."""

from __future__ import annotations

import sys

from okta_session_mw.doctor.cli import main

if __name__ == "__main__":
    sys.exit(main())
