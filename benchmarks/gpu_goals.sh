#!/usr/bin/env bash
# Issue 20's GPU goals, measured in one device call (each part under its own time budget):
#   overhead        benchmarks/training_overhead.py: repro run / the lean loop     goal >= 0.8
#   verdict         benchmarks/time_to_verdict.py, mnist1d seeds=auto max_seeds=10,
#                   seeds together                                                   goal <= 60 s
#   verdict_off     the same, one seed per process (cut at its budget if slower)
#   set_transformer repro sweep paper=set_transformer seeds=16 (4 experiments x 16)  goal <= 300 s
#   engine          benchmarks/seeds_together.py: the group engine / lean vmapped loop, K=1,10,32
# Run from the project root on the device machine, after ../shared/gpu/prepare.sh (it puts the
# wheels the image lacks in .whl/):
#   device run  command: "PARTS='overhead verdict engine' bash benchmarks/gpu_goals.sh"
#               carry: [".whl"]  timeout_s: 560
# (set_transformer and verdict_off need a second call: the device gives 600 s per call.)
# CPU rehearsal: DEV=cpu ACC=cpu QUICK=1 OUT=/tmp/goals bash benchmarks/gpu_goals.sh
# The summary goes to stdout and to $OUT/gpu_goals.txt; each part's full log to $OUT/<part>.log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-goals}
DEV=${DEV:-cuda}
ACC=${ACC:-gpu}
QUICK=${QUICK:-0}
PARTS=${PARTS:-overhead verdict engine}
mkdir -p "$OUT"
SUMMARY="$OUT/gpu_goals.txt"
: >"$SUMMARY"
START=$(date +%s)
say() { echo "$*" | tee -a "$SUMMARY"; }
part() { say ""; say "== [$(($(date +%s) - START)) s] $*"; }
export PYTHONUNBUFFERED=1 WANDB_MODE=offline WANDB_SILENT=true WANDB_DIR=/tmp/wandb \
  MPLCONFIGDIR=/tmp/mpl HYDRA_FULL_ERROR=1
mkdir -p /tmp/wandb /tmp/mpl

if [[ -x .venv/bin/python ]]; then
  PYTHON=.venv/bin/python
  export PATH="$PWD/.venv/bin:$PATH"
else
  PYTHON=python3
  mkdir -p /tmp/bin
  printf '#!/bin/sh\nexec python3 -m repro "$@"\n' >/tmp/bin/repro
  chmod +x /tmp/bin/repro
  export PATH=/tmp/bin:$PATH PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
# The device image lacks hydra, wandb and friends: their wheels travel in .whl (prepare.sh).
if ! "$PYTHON" -c "import hydra, wandb" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site \
    .whl/*.whl >"$OUT/pip.log" 2>&1 || say "wheel install FAILED (see pip.log)"
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUMMARY"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  2>&1 | tee -a "$SUMMARY"
say "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPUs, parts: $PARTS"

quick() { [[ "$QUICK" = 1 ]] && echo "$1" || echo "$2"; }

for name in $PARTS; do
  case $name in
  overhead)
    part "overhead: repro run / lean loop, mnist1d CNN on $DEV (goal >= 0.8)"
    timeout 150 "$PYTHON" benchmarks/training_overhead.py --device "$DEV" \
      --steps "$(quick 200 3000)" --repeats 1 >"$OUT/overhead.log" 2>&1
    say "exit $?"
    grep -E "steps/s|raw loop|repro |ratio|fixed cost" "$OUT/overhead.log" | tee -a "$SUMMARY"
    ;;
  verdict | verdict_off)
    together=$([[ $name = verdict ]] && echo true || echo false)
    part "$name: mnist1d seeds=auto max_seeds=10 to the report, seeds_together=$together" \
      "(goal <= 60 s)"
    timeout "$(quick 200 240)" "$PYTHON" benchmarks/time_to_verdict.py --accelerator "$ACC" \
      --max-seeds 10 --together "$together" $(quick "--max-steps 50" "") \
      --lean-steps "$(quick 50 500)" >"$OUT/$name.log" 2>&1
    code=$?
    say "exit $code$([[ $code = 124 ]] && echo ': cut at its budget')"
    grep -vE "^logs:" "$OUT/$name.log" | tail -8 | tee -a "$SUMMARY"
    ;;
  set_transformer)
    seeds=$(quick 2 16)
    part "set_transformer: 4 experiments x $seeds seeds, launcher=joblib (goal <= 300 s)"
    results="$OUT/set_transformer_results"
    started=$(date +%s)
    timeout "$(quick 200 330)" repro sweep paper=set_transformer "seeds=$seeds" launcher=joblib \
      "trainer.accelerator=$ACC" "paths.results_dir=$results" $(quick trainer.max_steps=50 "") \
      >"$OUT/set_transformer.log" 2>&1
    code=$?
    completed=$(grep -rl '"status": "completed"' "$results" --include=record.json 2>/dev/null | wc -l)
    groups=$(grep -c " together on " "$OUT/set_transformer.log")
    say "exit $code after $(($(date +%s) - started)) s; $completed of $((4 * seeds)) runs completed; $groups group(s) of seeds trained together"
    grep -h "seeds together: off" "$OUT/set_transformer.log" | head -2 | tee -a "$SUMMARY"
    tail -3 "$OUT/set_transformer.log" | tee -a "$SUMMARY"
    ;;
  engine)
    part "engine: seeds-together engine vs the lean vmapped loop on $DEV"
    timeout 150 "$PYTHON" benchmarks/seeds_together.py --device "$DEV" \
      --seeds "$(quick 1,4 1,10,32)" --steps "$(quick 50 300)" --repeats 1 \
      >"$OUT/engine.log" 2>&1
    say "exit $?"
    tail -6 "$OUT/engine.log" | tee -a "$SUMMARY"
    ;;
  *) say "unknown part: $name (overhead verdict verdict_off set_transformer engine)" ;;
  esac
done
say ""
say "total $(($(date +%s) - START)) s"
