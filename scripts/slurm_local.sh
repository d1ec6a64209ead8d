#!/usr/bin/env bash
# slurm_local.sh — a throwaway single-node SLURM cluster for tests.
#
# Usage:
#   scripts/slurm_local.sh install      # apt-install slurmctld slurmd slurm-client (if missing)
#   eval "$(scripts/slurm_local.sh start DIR)"   # config+state in DIR; last line: export SLURM_CONF=...
#   scripts/slurm_local.sh stop DIR     # kill daemons via DIR/*.pid, wait for exit
#
# Node "localhost" (NodeAddr 127.0.0.1) in partition "debug" (Default=YES), no munge
# (auth/none), no accounting. CPUs = nproc, RealMemory = ~80% of MemTotal (MB).
# `start` is idempotent: if the daemons in DIR are alive it only prints the export line;
# otherwise it (re)starts them with `slurmctld -c` (no stale jobs from a previous run).
# Ports: SLURM_LOCAL_CTLD_PORT (6817) / SLURM_LOCAL_D_PORT (6818); only one cluster per
# port pair can run at a time. Daemon logs: DIR/log/slurm{ctld,d}.log (the
# "mpi/pmix ... can not load PMIx library" errors there are harmless).
# Timings here (2 CPUs, slurm 22.05.8): install ~16 s, start ~0.1-1 s, stop ~3.5 s,
# `sbatch --wrap 'echo hi'` done in ~2.5 s (the first scheduling pass after a start
# comes ~3 s after slurmctld starts).
#
# Verified Hydra submitit_slurm launcher usage (hydra-core 1.3.8,
# hydra-submitit-launcher 1.2.0, submitit 1.5.4, Debian slurm 22.05):
#
#   eval "$(scripts/slurm_local.sh start /tmp/slurm)"     # exports SLURM_CONF
#   python app.py -m hydra/launcher=submitit_slurm x=1,2 \
#       hydra.launcher.partition=debug \
#       hydra.launcher.timeout_min=5 \
#       hydra.launcher.cpus_per_task=1 \
#       hydra.launcher.mem_gb=1 \
#       hydra.launcher.nodes=1 hydra.launcher.tasks_per_node=1
#
# Pitfalls:
#   * SLURM_CONF must be exported in the environment of the process that runs Hydra:
#     submitit shells out to sbatch/squeue/sacct, which read it. sbatch exports the
#     submitter's whole environment by default (--export=ALL), so the job (and the
#     python inside it) sees the same SLURM_CONF, PATH, VIRTUAL_ENV.
#   * Python executable: submitit runs the job with sys.executable of the submitting
#     process (absolute path, e.g. /work/main/.venv/bin/python), so the venv needs no
#     activation inside the job — but the path must exist on the compute node (here it
#     is the same machine).
#   * Working dir: the job runs with the submitter's cwd; Hydra then creates its own
#     multirun/<date>/<time>/<n> output dir and chdirs only if hydra.job.chdir=True.
#     submitit's pickles/logs go to hydra.launcher.submitit_folder
#     (default ${hydra.sweep.dir}/.submitit/%j) — must be on a filesystem visible to
#     the node (same machine here).
#   * mem_gb must fit in RealMemory (else "Memory specification can not be satisfied")
#     and cpus_per_task in CPUs=nproc. Without EnforcePartLimits=ALL (set below) a too
#     large cpus_per_task is accepted and PENDS FOREVER (Reason=PartitionConfig), so the
#     multirun hangs; with it sbatch fails at once ("More processors requested than
#     permitted") and Hydra raises submitit.core.utils.FailedJobError.
#   * All launcher keys have usable defaults here (plain `hydra/launcher=submitit_slurm
#     x=1,2` also completed: timeout_min=60, partition unset -> Default=YES "debug",
#     memory -> DefMemPerCPU=1000). Set partition/cpus/mem explicitly anyway.
#   * Without SLURM_CONF: "sbatch: fatal: Could not establish a configuration source"
#     (it falls back to /etc/slurm/slurm.conf, then DNS SRV) -> FailedJobError.
#   * submitit submits ONE job array (e.g. 4_0, 4_1) per sweep; 2-job multirun ~2.7 s.
#   * With accounting off, submitit logs "Bypassing sacct error" on every poll —
#     harmless; it falls back to squeue/job state files.
#   * Running as root: SlurmUser=root and SlurmdUser=root; no munge needed because
#     AuthType=auth/none + CredType=cred/none.
#   * hostname is irrelevant: node name is forced with `slurmd -N localhost`.
set -euo pipefail

die() { echo "slurm_local.sh: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 install | start DIR | stop DIR" >&2
  exit 2
}

pid_alive() {  # pidfile [expected-command-name]
  [[ -s "$1" ]] || return 1
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a stale pid file whose pid was reused by another process.
  if [[ -n "${2:-}" && -r "/proc/$pid/comm" ]]; then
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
  fi
}

cmd_install() {
  if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 \
     && command -v sbatch >/dev/null 2>&1; then
    echo "slurm already installed: $(command -v slurmctld)" >&2
    return 0
  fi
  local SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client >&2
}

write_conf() {  # dir
  local d="$1" cpus mem_mb
  cpus=$(nproc)
  mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
  [[ "$mem_mb" -gt 0 ]] || mem_mb=1000
  mkdir -p "$d/state" "$d/spool" "$d/log"
  cat > "$d/slurm.conf" <<CONF
# Generated by scripts/slurm_local.sh — single-node test cluster.
ClusterName=test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${SLURM_LOCAL_CTLD_PORT:-6817}
SlurmdPort=${SLURM_LOCAL_D_PORT:-6818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# Reject impossible requests at sbatch time instead of pending forever (Reason=PartitionConfig).
EnforcePartLimits=ALL
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

cmd_start() {
  local d="$1"
  command -v slurmctld >/dev/null 2>&1 || die "slurmctld not found; run: $0 install"
  mkdir -p "$d"
  d=$(cd "$d" && pwd -P)
  export SLURM_CONF="$d/slurm.conf"

  if pid_alive "$d/slurmctld.pid" slurmctld && pid_alive "$d/slurmd.pid" slurmd \
     && [[ -f "$SLURM_CONF" ]]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    return 0
  fi
  # Partially running (one daemon dead): restart cleanly.
  cmd_stop "$d" >/dev/null 2>&1 || true

  write_conf "$d"
  # -c: clear saved state from a previous run in DIR (stale jobs / node state).
  slurmctld -f "$SLURM_CONF" -c >&2 || die "slurmctld failed to start; see $d/log/slurmctld.log"
  slurmd -f "$SLURM_CONF" -N localhost >&2 || die "slurmd failed to start; see $d/log/slurmd.log"

  local i state=""
  for ((i = 0; i < 300; i++)); do
    state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null | head -n1 || true)
    if [[ "$state" == idle* ]]; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    # Node may come up DOWN/unknown after an unclean previous run: resume it.
    if [[ "$state" == down* || "$state" == drain* ]] && (( i % 10 == 5 )); then
      scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
    fi
    sleep 0.1
  done
  echo "slurm_local.sh: node not idle after 30 s (state: '${state:-none}')" >&2
  tail -n 20 "$d/log/slurmctld.log" "$d/log/slurmd.log" >&2 || true
  exit 1
}

stop_pidfile() {  # pidfile name
  local f="$1" name="$2" pid i
  [[ -s "$f" ]] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if pid_alive "$f" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm_local.sh: $name ($pid) did not exit after 15 s, sending KILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$f"
}

cmd_stop() {
  local d="$1"
  [[ -d "$d" ]] || { echo "slurm_local.sh: no such dir $d (nothing to stop)" >&2; return 0; }
  stop_pidfile "$d/slurmd.pid" slurmd
  stop_pidfile "$d/slurmctld.pid" slurmctld
  echo "slurm stopped ($d)" >&2
}

case "${1:-}" in
  install) [[ $# -eq 1 ]] || usage; cmd_install ;;
  start)   [[ $# -eq 2 ]] || usage; cmd_start "$2" ;;
  stop)    [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
  *) usage ;;
esac
