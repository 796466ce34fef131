#!/usr/bin/env bash
# Creates the project-local virtual environment and installs the project with its test tools.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup: $PYTHON not found. Install CPython 3.11 or set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup: '$tool' not found. The local Neo4j server is resolved with Maven and runs on a JDK 17:" >&2
    echo "       install it (Debian: apt-get install openjdk-17-jdk-headless maven) or set NEO4J_URI to an existing server." >&2
    [ -n "${NEO4J_URI:-}" ] || exit 1
  fi
done

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# The marker holds a hash of pyproject.toml: the install runs again only when the dependencies change.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: .venv ready ($(.venv/bin/python --version))"
