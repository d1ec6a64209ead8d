#!/usr/bin/env bash
# One command on a fresh machine: system packages (PDF reports, local SLURM), a virtual
# environment with the pinned CPU torch, repro itself, then the main job
# (`repro run paper=mnist1d experiment=cnn seed=0`). Pass --no-run to only install.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils"
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  missing=""
  for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "setup: apt-get install$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $missing >/dev/null
  fi
else
  echo "setup: not root or no apt-get; PDF reports need pango (see README)" >&2
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
# torch first and pinned (a CPU build; an unpinned torch pulls a multi-GB CUDA build).
.venv/bin/pip install -q -c constraints.txt torch
.venv/bin/pip install -q -c constraints.txt -e '.[dev]'
echo "setup: installed $(.venv/bin/repro --help >/dev/null && echo repro) into .venv"

if [ "${1:-}" != "--no-run" ]; then
  .venv/bin/repro run paper=mnist1d experiment=cnn seed=0
fi
