#!/usr/bin/env bash
# Time from starting ./javafuse mount (launcher included, so the JVM start is inside the figure)
# to a live mount: the "javafuse: mounted" line, printed once the kernel's INIT is answered.
# Measures the launcher's two modes in the same run, alternating run by run so that a change in
# the machine's load touches both alike: with the JDK's AOT cache (the default) and with
# class-data sharing (JAVAFUSE_NO_AOT=1). N runs of each (default 10) after two warm-up runs of
# each (which write the archives); prints each time, the median and the minimum in ms, and the
# load average before and after.
#
#   bench/startup.sh [N]                  # the in-memory filesystem: ./javafuse mount MNT
#   SOURCE=1 bench/startup.sh [N]         # the passthrough filesystem: ./javafuse mount --source DIR MNT
#   MODES="aot" bench/startup.sh [N]      # one mode only (aot, cds)
#
# Needs root and /dev/fuse.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
n="${1:-10}"
read -r -a modes <<<"${MODES:-aot cds}"
work="$(mktemp -d /tmp/javafuse-startup-XXXXXX)"
mkdir -p "$work/mnt" "$work/src"
args=("$work/mnt")
[ -n "${SOURCE:-}" ] && args=(--source "$work/src" "$work/mnt")
p=""
cleanup() {
  set +e
  [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
  awk -v m="$work/mnt" '$2 == m { found = 1 } END { exit !found }' /proc/mounts && umount -l "$work/mnt"
  rm -rf "$work"
}
trap cleanup EXIT

once() {  # once MODE: prints the ms from launch to the mounted line
  local no_aot=""
  [ "$1" = cds ] && no_aot=1
  rm -f "$work/fifo"; mkfifo "$work/fifo"
  local t0 t1 line
  t0=$(date +%s%N)
  JAVAFUSE_NO_AOT="$no_aot" "$root/javafuse" mount "${args[@]}" >"$work/fifo" 2>"$work/err" &
  p=$!
  exec 3<"$work/fifo"
  IFS= read -r line <&3 || { cat "$work/err" >&2; exit 1; }
  t1=$(date +%s%N)
  case "$line" in "javafuse: mounted"*) ;; *) echo "startup.sh: unexpected: $line" >&2; exit 1;; esac
  kill -TERM "$p"; cat <&3 >/dev/null; exec 3<&-; wait "$p" || true; p=""
  echo $(( (t1 - t0) / 1000000 ))
}

"$root/javafuse" --version >/dev/null      # build if needed
for mode in "${modes[@]}"; do               # warm-up: archives written, files in the page cache
  once "$mode" >/dev/null; once "$mode" >/dev/null
done
before="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A times
for _ in $(seq 1 "$n"); do
  for mode in "${modes[@]}"; do times[$mode]+="$(once "$mode") "; done
done
after="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "javafuse mount ${SOURCE:+--source DIR }MNT, $n runs per mode, alternating; load average before: $before, after: $after"
for mode in "${modes[@]}"; do
  read -r -a runs <<<"${times[$mode]}"
  sorted=($(printf '%s\n' "${runs[@]}" | sort -n))
  printf '%-4s runs (ms): %s\n     median: %s ms, min: %s ms\n' "$mode" "${runs[*]}" "${sorted[$(( n / 2 ))]}" "${sorted[0]}"
done
