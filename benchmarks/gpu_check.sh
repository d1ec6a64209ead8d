#!/usr/bin/env bash
# One script for a GPU machine: is repro's training as fast as a plain loop there?
#   (a) repro run paper=mnist1d experiment=cnn seed=0 logger=csv  -> device, GPUs, test/acc, steps/s
#   (b) benchmarks/raw_loop.py on the same device                -> ratio repro / raw
#   (c) SEEDS seeds as parallel processes, then one after another -> both wall times
# Everything runs under one deadline (TIME_LIMIT seconds); a step that would pass it is cut
# short and reported as such. The summary is also written to $OUT/gpu_check.txt when $OUT is set.
#
# Knobs (environment):
#   STEPS=6000        training steps per run (trainer.max_steps and raw_loop --steps)
#   SEEDS=5           seeds for (c); 0 skips (c)
#   DEVICE=cuda       raw loop device; cpu tests the script on a machine without a GPU
#   ACCELERATOR=auto  repro's trainer.accelerator (cpu for a CPU test)
#   TIME_LIMIT=480    seconds for the whole script
#   PYTHON=.venv/bin/python (else python3)
# CPU smoke test:  STEPS=50 SEEDS=2 DEVICE=cpu ACCELERATOR=cpu bash benchmarks/gpu_check.sh
set -uo pipefail

cd "$(dirname "$0")/.."
STEPS=${STEPS:-6000}
SEEDS=${SEEDS:-5}
DEVICE=${DEVICE:-cuda}
ACCELERATOR=${ACCELERATOR:-auto}
TIME_LIMIT=${TIME_LIMIT:-480}
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
START=$(date +%s)
DEADLINE=$((START + TIME_LIMIT))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export WANDB_MODE=disabled WANDB_SILENT=true MPLCONFIGDIR="$WORK/mpl" HYDRA_FULL_ERROR=1
SUMMARY="$WORK/summary.txt"

say() { echo "$*" | tee -a "$SUMMARY"; }
left() { echo $((DEADLINE - $(date +%s))); }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# repro run with this script's common overrides; $1 = results dir, $2 = seed, rest = extra
repro_run() {
  local results=$1 seed=$2
  shift 2
  timeout "$(left)" "$PYTHON" -m repro run paper=mnist1d experiment=cnn "seed=$seed" logger=csv \
    rerun=true "trainer.max_steps=$STEPS" "trainer.accelerator=$ACCELERATOR" \
    "paths.results_dir=$results" "$@"
}

# prints: device gpus test_acc steps_per_s fit_s first_step_s (one record)
record_fields() {
  "$PYTHON" - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t, env = r["timing"], r.get("environment", {})
gpus = env.get("gpus") or env.get("gpu") or []
print(json.dumps({
    "status": r["status"], "device": r.get("model", {}).get("device"), "gpus": gpus,
    "test_acc": r["metrics"].get("test/acc"), "steps_per_s": t.get("steps_per_s"),
    "fit_s": t.get("fit_s"), "step_ms_median": t.get("step_ms_median"),
    "first_step_s": t.get("first_step_s"), "setup_s": t.get("setup_s"), "wall_s": t.get("wall_s"),
}))
EOF
}

say "== gpu_check: STEPS=$STEPS SEEDS=$SEEDS DEVICE=$DEVICE ACCELERATOR=$ACCELERATOR TIME_LIMIT=${TIME_LIMIT}s"
say "host $(hostname), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
  --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$SUMMARY"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available())" 2>&1 | tee -a "$SUMMARY"

# (a) one real run
say ""
say "== (a) repro run paper=mnist1d experiment=cnn seed=0 logger=csv"
t0=$(now)
repro_run "$WORK/a" 0 >"$WORK/a.log" 2>&1
rc=$?
t1=$(now)
record=$(ls "$WORK"/a/mnist1d/cnn/*/seed0/record.json 2>/dev/null | head -1)
if [[ $rc -ne 0 || -z "$record" ]]; then
  say "FAILED (exit $rc):"
  tail -20 "$WORK/a.log" | tee -a "$SUMMARY"
  repro_sps=""
else
  fields=$(record_fields "$record")
  say "record: $fields"
  say "process wall time $(elapsed "$t0" "$t1") s"
  repro_sps=$(echo "$fields" | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['steps_per_s'])")
fi

# (b) the plain loop on the same device, minimal and with repro's deterministic flags
say ""
say "== (b) benchmarks/raw_loop.py --device $DEVICE --steps $STEPS"
for flags in "" "--deterministic"; do
  if [[ $(left) -le 5 ]]; then say "skipped: out of time"; break; fi
  out=$(timeout "$(left)" "$PYTHON" benchmarks/raw_loop.py --device "$DEVICE" --steps "$STEPS" \
    --json $flags 2>"$WORK/b.log" | tail -1)
  if [[ -z "$out" ]]; then
    say "raw loop $flags FAILED:"; tail -5 "$WORK/b.log" | tee -a "$SUMMARY"; continue
  fi
  say "raw ${flags:-(default)}: $out"
  if [[ -n "$repro_sps" ]]; then
    "$PYTHON" -c "import json,sys; raw=json.loads(sys.argv[1])['steps_per_s']; \
print(f'ratio repro/raw ${flags:-(default)}: {float(sys.argv[2]) / raw:.3f} \
(repro {float(sys.argv[2]):.1f} vs raw {raw:.1f} steps/s)')" "$out" "$repro_sps" | tee -a "$SUMMARY"
  fi
done

# (c) seeds in parallel processes, then one after another
if [[ "$SEEDS" -gt 0 ]]; then
  say ""
  say "== (c) $SEEDS seeds: parallel processes, then sequential"
  t0=$(now)
  pids=()
  for ((s = 0; s < SEEDS; s++)); do
    repro_run "$WORK/c_par" "$s" >"$WORK/c_par_$s.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  t1=$(now)
  say "parallel:   $(elapsed "$t0" "$t1") s wall, $failed failed"
  for record in "$WORK"/c_par/mnist1d/cnn/*/seed*/record.json; do
    [[ -f "$record" ]] && say "  $(basename "$(dirname "$record")"): $(record_fields "$record")"
  done
  t0=$(now)
  failed=0
  done_seeds=0
  for ((s = 0; s < SEEDS; s++)); do
    if [[ $(left) -le 5 ]]; then say "sequential: out of time after $done_seeds seeds"; break; fi
    repro_run "$WORK/c_seq" "$s" >"$WORK/c_seq_$s.log" 2>&1 || failed=$((failed + 1))
    done_seeds=$((done_seeds + 1))
  done
  t1=$(now)
  say "sequential: $(elapsed "$t0" "$t1") s wall for $done_seeds seeds, $failed failed"
  for record in "$WORK"/c_seq/mnist1d/cnn/*/seed*/record.json; do
    [[ -f "$record" ]] && say "  $(basename "$(dirname "$record")"): $(record_fields "$record")"
  done
fi

say ""
say "total $(($(date +%s) - START)) s (limit ${TIME_LIMIT} s)"
if [[ -n "${OUT:-}" ]]; then cp "$SUMMARY" "$OUT/gpu_check.txt"; fi
