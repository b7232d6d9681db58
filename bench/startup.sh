#!/usr/bin/env bash
# Time from starting ./javafuse mount (launcher included, so the JVM start is inside the figure)
# to a live mount: the "javafuse: mounted" line, printed once the kernel's INIT is answered.
# Repeats N times (default 10; the first run after a build, which writes the class-data/AOT
# archive, is run and left out beforehand) and prints each time, the median and the minimum, in ms.
#
#   bench/startup.sh [N]          # needs root and /dev/fuse
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
n="${1:-10}"
work="$(mktemp -d /tmp/javafuse-startup-XXXXXX)"
mkdir -p "$work/mnt" "$work/src"
p=""
cleanup() {
  set +e
  [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
  awk -v m="$work/mnt" '$2 == m { found = 1 } END { exit !found }' /proc/mounts && umount -l "$work/mnt"
  rm -rf "$work"
}
trap cleanup EXIT

once() {  # prints the ms from launch to the mounted line
  rm -f "$work/fifo"; mkfifo "$work/fifo"
  local t0 t1 line
  t0=$(date +%s%N)
  "$root/javafuse" mount --source "$work/src" "$work/mnt" >"$work/fifo" 2>"$work/err" &
  p=$!
  exec 3<"$work/fifo"
  IFS= read -r line <&3 || { cat "$work/err" >&2; exit 1; }
  t1=$(date +%s%N)
  case "$line" in "javafuse: mounted"*) ;; *) echo "startup.sh: unexpected: $line" >&2; exit 1;; esac
  kill -TERM "$p"; cat <&3 >/dev/null; exec 3<&-; wait "$p" || true; p=""
  echo $(( (t1 - t0) / 1000000 ))
}

"$root/javafuse" --version >/dev/null      # build if needed
once >/dev/null; once >/dev/null           # warm-up: archives written, files in the page cache
times=()
for _ in $(seq 1 "$n"); do times+=("$(once)"); done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "runs (ms): ${times[*]}"
echo "median: ${sorted[$(( n / 2 ))]} ms, min: ${sorted[0]} ms, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
