#!/usr/bin/env bash
# Sourced by scripts/test and scripts/run: makes .venv and installs the package
# (editable, with every extra) and, for the tests, the Debian packages they drive.
# Idempotent and quiet when everything is already there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating $venv"
    "$python" -m venv "$venv"
fi

# Reinstall only when pyproject.toml changed since the last install.
stamp="$venv/.okta-session-mw-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    echo "bootstrap: installing okta-session-mw[flask,flask-login,django,redis,opentelemetry,testing,dev] (editable)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$root[flask,flask-login,django,redis,opentelemetry,testing,dev]"
    touch "$stamp"
fi

# Debian packages the test suite needs: a real Redis and a real browser.
need_debian_packages() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # benchmarks: the uvicorn section's load
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
            echo "bootstrap: missing ${missing[*]} and not root: install them and rerun" >&2
            return 1
        fi
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "bootstrap: apt-get install ${missing[*]}"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

