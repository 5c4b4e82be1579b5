#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04).
# It installs the Python the course pins (3.11) and the pinned packages, and makes that the
# `python3` on PATH, so the autograder runs exactly what students run. Every user can read
# and run it: student code runs as an unprivileged user.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${GRADER_VENV:-/opt/grader-venv}"
BIN="${GRADER_BIN:-/usr/local/bin}"
PY="${GRADER_PYTHON:-python3.11}"

if ! command -v "$PY" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv python3.11-dev
fi
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install -r "$HERE/requirements.txt"
chmod -R a+rX "$VENV"
mkdir -p "$BIN"
# A wrapper, not a symlink: Python finds its venv from the path it was started as, so a
# symlink outside the venv would start the bare system interpreter without the packages.
rm -f "$BIN/python3"
printf '#!/bin/sh\nexec "%s/bin/python3" "$@"\n' "$VENV" > "$BIN/python3"
chmod 755 "$BIN/python3"
"$BIN/python3" -c "import sys, numpy; assert sys.version_info[:2] == (3, 11); print('grader python ok', sys.version, sys.prefix)"
