#!/usr/bin/env bash
# fio random 4 KiB reads against the in-memory filesystem mounted with the javafuse command,
# with virtual vs 4 platform workers and 1, 2, 4 reader threads, each through the page cache
# (--direct=0) and around it (--direct=1: otherwise the FUSE page cache hides the daemon once
# the file is cached), and the same against /dev/shm as the native reference. Prints a
# Markdown table (also written to bench/results/dispatcher-fio-<date>.md) and keeps fio's JSON
# under bench/results/tmp/.
#
#   bench/dispatcher-fio.sh              # about 3 minutes; needs root, /dev/fuse, fio, python3
#   RUNTIME=30 bench/dispatcher-fio.sh   # longer runs
#
# Every mount it makes is unmounted however the script ends (trap), and the temporary files go.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
root="$(dirname "$here")"
runtime="${RUNTIME:-10}"
size_mib=256

[ "$(id -u)" -eq 0 ] || { echo "dispatcher-fio.sh: needs root (mount, drop_caches)" >&2; exit 2; }
for tool in fio python3; do
  command -v "$tool" >/dev/null || { echo "dispatcher-fio.sh: needs $tool" >&2; exit 2; }
done

work="$(mktemp -d /tmp/javafuse-fio-XXXXXX)"
native="$(mktemp -d /dev/shm/javafuse-fio-XXXXXX)"
mnt="$work/mnt"
mkdir -p "$mnt" "$here/results/tmp"
pid=""

unmount() { stop_daemon "$pid" "$mnt"; pid=""; }

cleanup() {
  unmount
  rm -rf "$native"
  rmdir "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs fio on $1 (a file) with --direct=$2; prints "IOPS MiB/s".
run_fio() {
  local file="$1" direct="$2" json
  json="$here/results/tmp/fio-$(basename "$(dirname "$file")")-direct$direct-$RANDOM.json"
  drop_caches
  fio --name=randread --filename="$file" --rw=randread --bs=4k --size=${size_mib}m --numjobs=4 \
      --time_based --runtime="$runtime" --group_reporting --ioengine=psync --direct="$direct" \
      --output-format=json --output="$json" >/dev/null
  python3 - "$json" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]["read"]
print(f"{job['iops']:.0f} {job['bw'] / 1024:.1f}")
EOF
}

mount_javafuse() {
  local workers="$1" readers="$2" log="$work/mount.log"
  : >"$log"
  "$root/javafuse" mount --workers "$workers" --readers "$readers" "$mnt" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q "javafuse: mounted" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "dispatcher-fio.sh: the mount did not come up:" >&2
  cat "$log" >&2
  exit 1
}

echo "dispatcher-fio.sh: building the javafuse command if needed..." >&2
"$root/javafuse" --version >/dev/null

echo "dispatcher-fio.sh: a ${size_mib} MiB file on /dev/shm..." >&2
dd if=/dev/urandom of="$native/data" bs=1M count=$size_mib status=none

declare -A native_iops best_iops best
rows=()
for direct in 0 1; do
  echo "dispatcher-fio.sh: /dev/shm, --direct=$direct" >&2
  read -r iops mibs < <(run_fio "$native/data" "$direct") || true
  [ -n "${iops:-}" ] || { echo "dispatcher-fio.sh: fio failed on /dev/shm" >&2; exit 1; }
  native_iops[$direct]="$iops"
  rows+=("| /dev/shm (native) | - | - | $direct | $iops | $mibs | 1.00 |")
done

for workers in virtual 4; do
  for readers in 1 2 4; do
    mount_javafuse "$workers" "$readers"
    dd if="$native/data" of="$mnt/data" bs=1M status=none
    for direct in 0 1; do
      label="$([ "$workers" = virtual ] && echo virtual || echo "platform($workers)")"
      echo "dispatcher-fio.sh: javafuse, workers $label, readers $readers, --direct=$direct" >&2
      iops=""
      read -r iops mibs < <(run_fio "$mnt/data" "$direct") || true
      [ -n "$iops" ] || { echo "dispatcher-fio.sh: fio failed on the mount" >&2; exit 1; }
      ratio="$(python3 -c "print(f'{$iops / max(1.0, ${native_iops[$direct]}):.2f}')")"
      rows+=("| javafuse | $label | $readers | $direct | $iops | $mibs | $ratio |")
      if [ "$iops" -gt "${best_iops[$direct]:-0}" ]; then
        best_iops[$direct]="$iops"
        best[$direct]="workers $label, readers $readers ($iops IOPS, $ratio of native)"
      fi
    done
    unmount
  done
done

report() {
  echo "fio randread, bs 4k, ${size_mib} MiB file, 4 jobs, psync, ${runtime} s each, caches dropped before each run"
  echo "($(nproc) cores, $(uname -r), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end: other work on the machine skews these figures)"
  echo
  echo "| target | workers | readers | direct | IOPS | MiB/s | mount/native |"
  echo "| --- | --- | --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  for direct in 0 1; do
    echo "fastest javafuse configuration with --direct=$direct: ${best[$direct]}"
  done
}
out="$here/results/dispatcher-fio-$(date +%F).md"
echo
report | tee "$out"
echo "dispatcher-fio.sh: table in $out" >&2
