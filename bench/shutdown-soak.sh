#!/usr/bin/env bash
# Soak test of the graceful shutdown of `javafuse mount`, as users drive it: a writer appends and
# fsyncs records through the mount, logging each one durable only after its fsync, and SIGTERM
# arrives mid-stream. Every run must end with exit status 0 within the 15 s budget, no mount left,
# shutdown statistics that say graceful, and a writer that saw an error after its last durable
# record (its next write failed: nothing vanished quietly). The in-memory store dies with the
# process, so durability itself is checked in-process by ShutdownDurabilityTest.
#
# Usage: bench/shutdown-soak.sh [RUNS]   (default 200; needs root and /dev/fuse)
# Prints one line per failure and a summary: runs, failures, shutdown times (SIGTERM to exit).
# A failed run's files are kept under /dev/shm for a look; its process and mount are cleaned up.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-200}"
budget_ms=15000
javafuse="$here/javafuse"

# Appends "record N" and fsyncs the file (coreutils' sync FILE), then logs N as durable; stops at
# the first failure. The log lives in a directory made through the mount, so that once the mount
# is gone a write fails instead of landing in the directory beneath it.
writer='i=0
while :; do
  i=$((i+1))
  /usr/bin/printf "record %s\n" $i >> "$1/d/log" && sync "$1/d/log" && echo $i >> "$2" || exit 1
done'

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
is_mounted() { awk -v m="$1" '$5 == m {found=1} END {exit !found}' /proc/self/mountinfo; }

# Waits up to $2 ms for process $1 to end; returns 1 if it is still running.
wait_gone() {
  local deadline=$(( $(now_ms) + $2 ))
  while kill -0 "$1" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.01
  done
}

current_pids=()
current_mnt=""
cleanup_run() {
  for p in "${current_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${current_pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "$current_mnt" ]; then
    is_mounted "$current_mnt" && umount -l "$current_mnt"
    rmdir "$current_mnt" 2>/dev/null
  fi
  current_pids=()
  current_mnt=""
}
trap 'cleanup_run; exit 130' INT TERM
trap cleanup_run EXIT

# Build once up front (./javafuse builds on first use), so that no run pays for it.
"$javafuse" --version >/dev/null || { echo "soak: ./javafuse does not run" >&2; exit 1; }

failures=0
times=()
echo "soak: $runs runs of mount, fsyncing writer, SIGTERM mid-stream (budget ${budget_ms} ms)"
for run in $(seq 1 "$runs"); do
  work="$(mktemp -d /dev/shm/javafuse-soak.XXXXXX)"
  mnt="$(mktemp -d /tmp/javafuse-soak-mnt.XXXXXX)"
  current_mnt="$mnt"
  failure=""

  "$javafuse" mount --stats-json "$work/stats.json" "$mnt" >"$work/out" 2>"$work/err" &
  pid=$!
  current_pids=("$pid")
  deadline=$(( $(now_ms) + 30000 ))
  until grep -q "mounted" "$work/out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then failure="not mounted"; break; fi
    sleep 0.01
  done

  if [ -z "$failure" ]; then
    mkdir "$mnt/d" && : >"$work/durable"
    sh -c "$writer" writer "$mnt" "$work/durable" 2>"$work/writer.err" &
    wpid=$!
    current_pids+=("$wpid")
    deadline=$(( $(now_ms) + 10000 ))
    while [ "$(wc -l <"$work/durable")" -lt 3 ]; do
      if ! kill -0 "$wpid" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]; then failure="writer did not get going"; break; fi
      sleep 0.01
    done
  fi

  if [ -z "$failure" ]; then
    sleep "0.$(( 100 + RANDOM % 300 ))"
    start=$(now_ms)
    kill -TERM "$pid"
    if wait_gone "$pid" "$budget_ms"; then
      wait "$pid"; rc=$?
      took=$(( $(now_ms) - start ))
      times+=("$took")
      if [ "$rc" -ne 0 ]; then
        failure="exit status $rc"
      elif is_mounted "$mnt"; then
        failure="still mounted after exit"
      elif ! grep -q '"gracefulCompletion": true' "$work/stats.json" 2>/dev/null; then
        failure="statistics do not say graceful"
      elif ! wait_gone "$wpid" 10000; then
        failure="the writer is still running"
      else
        wait "$wpid"; wrc=$?
        last="$(tail -n 1 "$work/durable")"
        if [ "$wrc" -eq 0 ] || [ -z "$last" ]; then
          failure="the writer saw no error (exit $wrc, last durable record '${last}')"
        elif ! grep -qE 'Transport endpoint is not connected|nonexistent|No such file or directory' "$work/writer.err"; then
          failure="the writer failed for another reason: $(head -c 200 "$work/writer.err")"
        fi
      fi
    else
      took=$(( $(now_ms) - start ))
      times+=("$took")
      failure="still running ${budget_ms} ms after SIGTERM"
    fi
  fi

  if [ -n "$failure" ]; then
    failures=$(( failures + 1 ))
    echo "run $run: FAILED: $failure (files in $work; CLI stderr: $(tr '\n' ' ' <"$work/err" | head -c 300))"
    cleanup_run
  else
    cleanup_run
    rm -rf "$work"
  fi
  if [ $(( run % 20 )) -eq 0 ]; then echo "soak: $run runs, $failures failures"; fi
done

if [ "${#times[@]}" -gt 0 ]; then
  stats="$(printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR]=$1; s+=$1} END {
    printf "shutdown (SIGTERM to exit) min %d ms, median %d ms, p95 %d ms, max %d ms, mean %.0f ms",
      t[1], t[int((NR+1)/2)], t[int(NR*0.95+0.999)], t[NR], s/NR}')"
else
  stats="no shutdown timed"
fi
echo "soak summary: runs $runs, failures $failures; $stats"
[ "$failures" -eq 0 ]
