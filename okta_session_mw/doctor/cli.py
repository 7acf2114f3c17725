"""``python -m okta_session_mw doctor``: the command line around the checks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from okta_session_mw.doctor.deadline import TIMEOUTS_PER_CHECK
from okta_session_mw.doctor.findings import Finding
from okta_session_mw.doctor.output import Redactor, format_finding, format_summary
from okta_session_mw.doctor.runner import DoctorOptions, exit_status, run_checks
from okta_session_mw.doctor.sources import load_config

__all__ = ["add_doctor_parser", "run_doctor"]

_EPILOG = """\
The configuration is read where the app reads it: OKTA_* environment variables by
default (OKTA_ORG_URL, OKTA_API_TOKEN, OKTA_CACHE_URL, OKTA_SECRET_KEY, ...), or
settings.OKTA_SESSION with --django-settings, or a Flask app's config with --flask-app.
TLS is verified as the library does (httpx: SSL_CERT_FILE names the CA bundle to trust).

Each network check (the org, the API token, Redis, the workers' key marks) waits at
most --deadline seconds for its whole answer: a peer answering a byte at a time is a
FAIL line "no answer within N s", and the doctor still ends with its exit status.

Each line: OK, WARN, FAIL or SKIP, the check, a finding. Exit status: 0 when no check
failed (warnings do not fail unless --strict), 1 when one did, 2 for a usage error.
Secrets (API token, secret_key, Redis password, hook secrets) are never printed.
The doctor only reads: it writes nothing to Okta or Redis.
"""


def add_doctor_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check a configuration: Okta over TLS, its clock, the API token, cookies, Redis",
        description="Check an okta-session-mw configuration as an operator would.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--django-settings", metavar="MODULE", help="read settings.OKTA_SESSION of this module"
    )
    source.add_argument(
        "--flask-app", metavar="MODULE:NAME", help="read this Flask app's (or factory's) config"
    )
    parser.add_argument(
        "--max-skew",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="clock difference with Okta tolerated before a warning (default 5)",
    )
    parser.add_argument(
        "--deadline",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="longest wait for each network check's whole answer, however slowly it comes "
        f"(default {TIMEOUTS_PER_CHECK} x the configured timeout, OKTA_TIMEOUT: 15 s unless set)",
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    parser.set_defaults(run=run_doctor)


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (anything else is a usage error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def run_doctor(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    loaded = load_config(django_settings=args.django_settings, flask_app=args.flask_app)
    redact = Redactor(loaded.secrets)
    findings: list[Finding] = []

    def emit(finding: Finding) -> None:
        findings.append(finding)
        print(redact(format_finding(finding)), file=out, flush=True)

    if loaded.config is None:
        emit(Finding.fail("config", f"from {loaded.source}: {loaded.error}"))
    else:
        emit(Finding.ok("config", f"from {loaded.source}"))
        try:
            options = DoctorOptions(args.max_skew, args.strict, args.deadline)
            for finding in run_checks(loaded.config, options):
                emit(finding)
        except Exception as exc:  # a line, redacted, rather than a traceback that may quote one
            emit(Finding.fail("doctor", f"stopped by an unexpected {type(exc).__name__}"))
    status = exit_status(findings, strict=args.strict)
    print(redact(format_summary(findings, status)), file=out, flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m okta_session_mw")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_doctor_parser(commands)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status
