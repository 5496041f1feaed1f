#!/bin/sh
# Snakemake 7's cluster-status for SLURM (configs/slurm/config.yaml; docs/sweeps.md): prints
# running, success or failed for the job id $1. Without it Snakemake learns that a job ended only
# from files the job's script writes as it exits, so it would wait forever on a job that SLURM
# ends itself (time limit, memory, node failure, scancel). The state comes from scontrol while
# SLURM remembers the job (MinJobAge, 300 s by default; Snakemake asks every 10 s), else from
# sacct where accounting is on.
state=$(scontrol show job -o "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ -n "$state" ] || state=$(sacct -j "$1" -X -n -P -o State 2>/dev/null | head -n 1 | cut -d ' ' -f 1)
case "$state" in
  COMPLETED) echo success ;;
  PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_FED | REQUEUE_HOLD | RESIZING | \
    SIGNALING | STAGE_OUT | RESV_DEL_HOLD | STOPPED) echo running ;;
  "")
    echo "status.sh: SLURM knows no job $1 (neither scontrol nor sacct)" >&2
    echo failed
    ;;
  *) echo failed ;;  # FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE
esac
