#!/usr/bin/env bash
# The sweep on a real SLURM cluster (docs/sweeps.md, "On a cluster (SLURM)"): brings up a one-node
# cluster on this machine (tests/slurm/cluster.sh), installs the shipped profile
# configs/slurm/config.yaml unchanged where the docs say, and checks that
#   1. configs/sweeps/smoke.ini run through the profile (every step an sbatch job) has the same
#      aggregate, byte for byte, as the local run (`liftbench sweep` without the profile);
#   2. a sweep whose driver (`liftbench sweep`) is killed with SIGKILL mid-run has its jobs
#      cancelled (scancel, the profile's cluster-cancel), and running it again finishes to the
#      same bytes; its jobs ask for --job-threads CPUs (sbatch --cpus-per-task={threads});
#   3. a step that fails on the cluster is reported with its SLURM log and its own log;
#   4. a job that SLURM ends itself (here scancel from outside, as a time limit would) ends the
#      sweep with that job named, instead of Snakemake waiting on it (the profile's status.sh).
# Must run as root (it starts munged, slurmctld and slurmd): otherwise it fails, it never skips.
# Everything lives in a temporary directory; the daemons and every process the cluster started
# are stopped at the end, whatever happened (trap), and the test fails if any is left.
#
# Usage: slurm_sweep_test.sh LIFTBENCH SOURCE_DIR   (CTest's slurm_sweep, tests/CMakeLists.txt)
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ $# -eq 2 ] || fail "usage: slurm_sweep_test.sh LIFTBENCH SOURCE_DIR"
lb=$1
src=$2
[ "$(id -u)" -eq 0 ] || fail "must run as root to start munged, slurmctld and slurmd (as CI does); got uid $(id -u)"
for tool in munged slurmctld slurmd sbatch scancel squeue sinfo scontrol snakemake; do
  command -v "$tool" >/dev/null ||
    fail "$tool not found on PATH; expected Debian's munge, slurmctld, slurmd and snakemake (scripts/setup.sh --tests)"
done

tmp=$(mktemp -d /tmp/liftbench-slurm.XXXXXX)
# shellcheck source=tests/slurm/cluster.sh
. "$src/tests/slurm/cluster.sh"

finish() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ] && [ -d "$tmp/cluster/log" ]; then
    for f in "$tmp"/cluster/log/slurmctld.log "$tmp"/cluster/log/slurmd.log; do
      [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  cluster_stop || rc=1
  rm -rf "$tmp"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

cluster_start "$tmp/cluster" || fail "the cluster did not start"

# The profile as the docs ship it, where they tell users to put it (~/.config/snakemake/slurm/).
export XDG_CONFIG_HOME=$tmp/config
mkdir -p "$XDG_CONFIG_HOME/snakemake/slurm"
for f in config.yaml status.sh; do
  cp -p "$src/configs/slurm/$f" "$XDG_CONFIG_HOME/snakemake/slurm/$f"
  cmp -s "$src/configs/slurm/$f" "$XDG_CONFIG_HOME/snakemake/slurm/$f" || fail "profile copy of $f differs"
done

# Snakemake 7's cluster executor looks at its jobs every 10 s, every second when CI=true (its own
# switch for tests); only the polling changes: 100 s less on this test.
export CI=true

sweep=$src/configs/sweeps/smoke.ini
# Every liftbench call is bounded, so the test ends (and its trap runs) well before CTest's timeout.
bounded() { timeout -s INT -k 10 "$1" "${@:2}"; }
same_aggregate() {  # $1, $2: sweep directories
  local f
  for f in runs.tsv summary.tsv comparisons.tsv summary.json index.html; do
    cmp -s "$1/aggregate/$f" "$2/aggregate/$f" || fail "aggregate/$f of $2 differs from $1's"
  done
}
jobs_of() {  # the SLURM job ids of a sweep directory, from its logs/slurm-<id>.out
  local f
  for f in "$1"/logs/slurm-*.out; do
    [ -e "$f" ] || continue
    f=${f##*/slurm-}
    echo "${f%.out}"
  done
}
SECONDS=0

# 1. Local and SLURM runs of the smoke sweep, the same aggregate.
bounded 200 "$lb" sweep -q -c "$sweep" -o "$tmp/local" --cores 2 || fail "local sweep failed"
t_local=$SECONDS
bounded 240 "$lb" sweep -q -c "$sweep" -o "$tmp/slurm" --snakemake-args '--profile slurm' ||
  fail "sweep on SLURM failed"
t_slurm=$((SECONDS - t_local))
same_aggregate "$tmp/local" "$tmp/slurm"
n_jobs=$(jobs_of "$tmp/slurm" | wc -l)
# smoke.ini: 2 datasets, 4 models, 4 score files, 4 evaluations and the aggregate.
[ "$n_jobs" -eq 15 ] || fail "expected 15 SLURM jobs (one per step and the aggregate), got $n_jobs"
echo "[slurm-test] local sweep ${t_local} s, on SLURM ${t_slurm} s ($n_jobs jobs): same aggregate" >&2

# 2. The driver killed mid-run: its jobs are cancelled; run again, the same bytes.
threads=1
[ "$(nproc)" -ge 2 ] && threads=2
"$lb" sweep -q -c "$sweep" -o "$tmp/killed" --job-threads "$threads" --snakemake-args '--profile slurm' \
  2>"$tmp/killed.err" &
driver=$!
cluster_wait_for "compgen -G '$tmp/killed/models/*/model.manifest.tsv'" 120 || fail "no model written in 120 s"
queued=$(squeue -h -o %i | tr '\n' ' ')
kill -KILL "$driver"
wait "$driver" 2>/dev/null || true
[ -n "$queued" ] || fail "no job in the queue when the driver was killed"
# Snakemake (SIGINT from liftbench's death) cancels the jobs and exits: only the daemons remain.
describe_processes() {
  local p
  for p in $(cluster_processes); do printf '%s ' "$p:$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80)"; done
}
cluster_wait_for cluster_idle 60 ||
  fail "60 s after the driver was killed, jobs or processes remain: queue '$(squeue -h -o '%i %T' | tr '\n' ' ')', processes $(describe_processes)"
cancelled=0
for j in $queued; do
  scontrol show job -o "$j" 2>/dev/null | grep -q 'JobState=CANCELLED' && cancelled=$((cancelled + 1))
done
[ "$cancelled" -ge 1 ] || fail "none of the jobs queued at the kill ($queued) was cancelled"
[ ! -e "$tmp/killed/aggregate/summary.tsv" ] || fail "the killed sweep has an aggregate"
bounded 240 "$lb" sweep -q -c "$sweep" -o "$tmp/killed" --job-threads "$threads" --snakemake-args '--profile slurm' ||
  fail "resumed sweep on SLURM failed"
same_aggregate "$tmp/local" "$tmp/killed"
# The training jobs asked for --job-threads CPUs (the profile's --cpus-per-task={threads}).
train_jobs=0
for j in $(jobs_of "$tmp/killed"); do
  info=$(scontrol show job -o "$j" 2>/dev/null) || continue
  case "$info" in
  *"JobName=snakejob.train."*)
    train_jobs=$((train_jobs + 1))
    [[ "$info" == *" NumCPUs=$threads "* ]] || fail "train job $j: expected NumCPUs=$threads, got: $info"
    ;;
  esac
done
[ "$train_jobs" -ge 1 ] || fail "no train job found in scontrol"
echo "[slurm-test] killed with ${queued}queued ($cancelled cancelled), resumed: same aggregate; $train_jobs train jobs with $threads CPUs" >&2

# 3. A step that fails on the cluster: its motif file does not exist, so simulate fails on the node.
cat >"$tmp/fail.ini" <<EOF
[sweep]
base = $src/configs/smoke.ini
[axes]
sim.seed = 7
sim.motifs = missing.meme
EOF
set +e
bounded 120 "$lb" sweep -q -c "$tmp/fail.ini" -o "$tmp/fail" --snakemake-args '--profile slurm' 2>"$tmp/fail.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "failed sweep: expected exit status 1, got $rc: $(cat "$tmp/fail.err")"
job=$(jobs_of "$tmp/fail")
[ "$(echo "$job" | wc -w)" -eq 1 ] || fail "expected one SLURM job in $tmp/fail/logs, got '$job'"
hash=$(basename "$tmp"/fail/steps/simulate/*.ini .ini)
expected="liftbench: error: snakemake exited with status 1; step simulate failed on the cluster (job $job, SLURM log $tmp/fail/logs/slurm-$job.out), its log is $tmp/fail/logs/simulate/$hash.log (run the same command again to resume)"
got=$(cat "$tmp/fail.err")
[ "$got" = "$expected" ] || fail "failed sweep's message: expected '$expected', got '$got'"
grep -q "^Error in rule simulate:" "$tmp/fail/logs/slurm-$job.out" || fail "the SLURM log does not name the failed rule"
grep -q "missing.meme: cannot open" "$tmp/fail/logs/simulate/$hash.log" || fail "the step's log does not say what failed"

# 4. A job ended by SLURM, not by its script: cancelled from outside once it runs.
"$lb" sweep -q -c "$sweep" -o "$tmp/ended" --snakemake-args '--profile slurm' 2>"$tmp/ended.err" &
driver=$!
# A job can finish between squeue and scancel: then the next running one is cancelled.
job=""
for ((try = 0; try < 5; try++)); do
  cluster_wait_for "squeue -h -t RUNNING -o %i | grep -q ." 120 || break
  read -r candidate name < <(squeue -h -t RUNNING -o '%i %j' | head -n 1)
  scancel "$candidate"
  if cluster_wait_for "scontrol show job -o $candidate | grep -q JobState=CANCELLED" 5; then
    job=$candidate
    break
  fi
done
[ -n "$job" ] || { kill -INT "$driver" 2>/dev/null; fail "could not cancel a running job of the sweep"; }
rule=${name#snakejob.}
rule=${rule%%.*}
ended=0
for ((i = 0; i < 120 * 5; i++)); do
  kill -0 "$driver" 2>/dev/null || { ended=1; break; }
  sleep 0.2
done
[ "$ended" -eq 1 ] || { kill -INT "$driver"; fail "the sweep still runs 120 s after SLURM ended its job $job"; }
set +e
wait "$driver"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "sweep with a cancelled job: expected exit status 1, got $rc: $(cat "$tmp/ended.err")"
got=$(cat "$tmp/ended.err")
want="step $rule failed on the cluster (job $job, SLURM log $tmp/ended/logs/slurm-$job.out), its log is $tmp/ended/logs/$rule/"
[[ "$got" == "liftbench: error: snakemake exited with status 1; "*"$want"* ]] ||
  fail "sweep with a cancelled job: expected a message naming '$want', got '$got'"
echo "[slurm-test] job $job ($rule) cancelled by SLURM: reported" >&2

echo "[slurm-test] passed in ${SECONDS} s (cluster up before that)" >&2
