#!/usr/bin/env bash
# One command on a fresh machine: system packages (PDF reports, local SLURM), a virtual
# environment with the pinned torch, repro itself, then the main job
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

# pip's output (index warnings, setuptools' build warnings: screens of them) goes to a log;
# a failing pip prints what it said and stops setup with its exit code.
PIP_LOG=.venv/setup-pip.log
: >"$PIP_LOG"
pip_install() {
  local out status=0
  out="$(mktemp)"
  .venv/bin/pip install --disable-pip-version-check "$@" >"$out" 2>&1 || status=$?
  { echo "\$ pip install $*"; cat "$out"; } >>"$PIP_LOG"
  if [ "$status" != 0 ]; then
    echo "setup: pip install $* failed (exit $status); pip said:" >&2
    cat "$out" >&2
    echo "setup: full pip log in $PIP_LOG" >&2
    rm -f "$out"
    exit "$status"
  fi
  rm -f "$out"
}
echo "setup: installing into .venv (pip's output: $PIP_LOG)"
pip_install -q --upgrade pip
# torch first and pinned. PyPI's Linux wheel is the multi-GB CUDA build; the CPU build comes
# from PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu (README, Set up).
pip_install -q -c constraints.txt torch
pip_install -q -c constraints.txt -e '.[dev]'
echo "setup: installed $(.venv/bin/repro --help >/dev/null && echo repro) into .venv"

if [ "${1:-}" != "--no-run" ]; then
  .venv/bin/repro run paper=mnist1d experiment=cnn seed=0
fi
