#!/usr/bin/env bash
# ray_local.sh — a throwaway local Ray head for tests of hydra-ray-launcher.
#
# Usage:
#   scripts/ray_local.sh start DIR   # head with --temp-dir=DIR/ray; idempotent
#   scripts/ray_local.sh stop        # ray stop --force (all Ray processes of this user)
#
# Env: RAY (ray executable; default: `ray` on PATH, else .venv-ray/bin/ray next to the
# repo), RAY_NUM_CPUS (default: nproc). RAY_AUTH_MODE=disabled is forced for every
# Ray command (Ray 2.60 enables token auth by default; clients then fail to connect) —
# export it in the shell that runs Hydra too.
#
# Ray is NOT installed in the main venv (ray pins cloudpickle<3, which breaks
# joblib 1.6). Use a separate venv, e.g.:
#   python3 -m venv /tmp/rayvenv
#   /tmp/rayvenv/bin/pip install torch==2.13.0
#   /tmp/rayvenv/bin/pip install -c <(echo torch==2.13.0) 'hydra-core==1.3.*' \
#       hydra-ray-launcher==1.2.2 'joblib<1.6'
#
# Verified (ray 2.60.0, hydra-core 1.3.8, hydra-ray-launcher 1.2.2, Python 3.11):
#   export RAY_AUTH_MODE=disabled
#   RAY=/tmp/rayvenv/bin/ray scripts/ray_local.sh start /tmp/raylocal
#   /tmp/rayvenv/bin/python app.py -m hydra/launcher=ray x=1,2 \
#       hydra.launcher.ray.init.address=auto \
#       +hydra.launcher.ray.init.object_store_memory=null
#   scripts/ray_local.sh stop
# Timings here (2 CPUs): fresh start ~4-7 s, start when already up ~1.3 s, the 2-job
# multirun ~4.5 s wall (connect 0.02 s, ~1.3 s to first job), stop ~7 s.
#
# Pitfalls:
#   * Without +hydra.launcher.ray.init.object_store_memory=null the launcher's default
#     (object_store_memory set) fails: "ValueError: When connecting to an existing
#     cluster, object_store_memory must not be provided." The '+' is needed.
#   * address=auto finds the head by scanning running gcs_server processes; it works
#     with a custom --temp-dir and without RAY_ADDRESS. (The head advertises the
#     machine's primary IP, not 127.0.0.1, despite --node-ip-address; harmless locally.)
#   * Jobs run in Ray worker processes whose cwd is the cwd of `ray start` (this script
#     does not cd) and whose python is the head's venv python, NOT the driver's. So:
#       - hydra.sweep.dir must be a literal ABSOLUTE path: the default relative
#         multirun/... lands under the head's cwd (the driver only writes multirun.yaml
#         under its own cwd), and interpolations (${oc.env:PWD}, ${now:...}) are
#         resolved in the worker; ${hydra:runtime.cwd} fails in the driver
#         ("HydraConfig was not set").
#       - start the head with the ray from the venv that has the project installed.
#   * A task function in a local (not installed) package next to the app imported fine
#     in the workers even though their cwd was elsewhere (head started from /tmp, app
#     in /tmp/ray_check) — Ray ships the driver's script dir onto the workers' path.
#     An installed package (pip install -e) in the head's venv is the safe choice.
#   * RAY_AUTH_MODE=disabled is required for `ray start`; the driver connected even
#     without it once the head was started with it (set it anyway).
#   * `stop` is `ray stop --force`: it kills every Ray process of this user.
set -euo pipefail
export RAY_AUTH_MODE=disabled

usage() { echo "usage: $0 start DIR | stop" >&2; exit 2; }

find_ray() {
  if [[ -n "${RAY:-}" ]]; then echo "$RAY"; return; fi
  if command -v ray >/dev/null 2>&1; then command -v ray; return; fi
  local here; here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  for c in "$here/.venv-ray/bin/ray" /tmp/rayvenv/bin/ray; do
    [[ -x "$c" ]] && { echo "$c"; return; }
  done
  echo "ray_local.sh: no ray executable (set RAY=/path/to/venv/bin/ray)" >&2
  exit 1
}

head_up() {  # ray
  # Cheap probe first (`ray status` against nothing retries for ~20 s), then confirm.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${RAY_PORT:-6379}" 2>/dev/null || return 1
  timeout 20 "$1" status --address=127.0.0.1:"${RAY_PORT:-6379}" >/dev/null 2>&1
}

cmd_start() {
  local d="$1" ray
  ray=$(find_ray)
  mkdir -p "$d/ray"
  d=$(cd "$d" && pwd -P)
  if head_up "$ray"; then
    echo "ray head already running at 127.0.0.1:${RAY_PORT:-6379}" >&2
  else
    # Note: Ray limits the temp-dir path length (unix socket paths); keep DIR short.
    "$ray" start --head --node-ip-address=127.0.0.1 --port="${RAY_PORT:-6379}" \
      --num-cpus="${RAY_NUM_CPUS:-$(nproc)}" --include-dashboard=false \
      --disable-usage-stats --temp-dir="$d/ray" >&2
  fi
  echo "export RAY_AUTH_MODE=disabled RAY_ADDRESS=127.0.0.1:${RAY_PORT:-6379}"
}

cmd_stop() {
  local ray; ray=$(find_ray)
  "$ray" stop --force >&2 || true
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
  stop)  [[ $# -le 2 ]] || usage; cmd_stop ;;
  *) usage ;;
esac
