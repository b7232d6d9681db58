#!/usr/bin/env bash
# What the per-handle write queues cost: fio writes against the in-memory filesystem mounted with
# `javafuse mount` three ways (write queues on, the default; queues off; write-behind) and against
# /dev/shm (tmpfs) as the native baseline. Workloads: sequential 1 MiB writes and random 4 KiB
# writes, 1 and 4 jobs, psync, 256 MiB per job, 10 s each, fsync at the end.
# Prints Markdown tables: MiB/s, IOPS, mount/native, and queues on versus off.
# Usage: bench/writequeue-fio.sh [RUNTIME_SECONDS]   (needs root or fusermount3, and fio)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runtime="${1:-10}"
export JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* | head -n 1)}"
command -v fio >/dev/null || { echo "writequeue-fio: fio is not installed" >&2; exit 2; }

work="$(mktemp -d /tmp/javafuse-fio-XXXXXX)"
native="$(mktemp -d /dev/shm/javafuse-fio-XXXXXX)"
mnt="$work/mnt"
mkdir -p "$mnt" "$work/results"
pid=""

unmount() { stop_daemon "$pid" "$mnt"; pid=""; }

cleanup() {
  unmount
  rm -rf "$native" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Builds the jar now (if sources changed), so that no build lands inside a measurement.
./javafuse --version >/dev/null

mount_variant() {   # mount_variant NAME [javafuse mount options...]
  local name="$1"; shift
  ./javafuse mount "$@" "$mnt" >"$work/mount-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do
    if grep -q "javafuse: mounted" "$work/mount-$name.log"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "writequeue-fio: mounting ($name) failed:" >&2
  cat "$work/mount-$name.log" >&2
  exit 1
}

run_fio() {   # run_fio TARGET WORKLOAD JOBS DIRECTORY
  local target="$1" workload="$2" jobs="$3" dir="$4" rw bs
  case "$workload" in
    seq1m) rw=write; bs=1m ;;
    rand4k) rw=randwrite; bs=4k ;;
  esac
  echo "writequeue-fio: $target $workload x$jobs" >&2
  fio --name="$workload" --directory="$dir" --rw="$rw" --bs="$bs" --numjobs="$jobs" --size=256m \
    --runtime="$runtime" --time_based --ioengine=psync --end_fsync=1 --group_reporting \
    --output-format=json --output="$work/results/$target-$workload-$jobs.json"
  rm -f "$dir"/"$workload".*
}

# The targets take turns on each workload, so that a change in the machine's load (other builds)
# spreads over all of them instead of falsifying one comparison.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for workload in seq1m rand4k; do
  for jobs in 1 4; do
    mount_variant queues-on
    run_fio queues-on "$workload" "$jobs" "$mnt"
    unmount
    mount_variant queues-off --no-write-queues
    run_fio queues-off "$workload" "$jobs" "$mnt"
    unmount
    mount_variant write-behind --write-behind
    run_fio write-behind "$workload" "$jobs" "$mnt"
    unmount
    run_fio native "$workload" "$jobs" "$native"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/results" <<'EOF'
import json, os, sys
results = sys.argv[1]
def load(target, workload, jobs):
    with open(os.path.join(results, f"{target}-{workload}-{jobs}.json")) as f:
        write = json.load(f)["jobs"][0]["write"]
    return write["bw_bytes"] / 2**20, write["iops"]
names = {"seq1m": "sequential 1 MiB", "rand4k": "random 4 KiB"}
targets = ["queues-on", "queues-off", "write-behind", "native"]
print("| workload | jobs | target | MiB/s | IOPS | mount/native |")
print("|---|---:|---|---:|---:|---:|")
for workload in ["seq1m", "rand4k"]:
    for jobs in [1, 4]:
        base, _ = load("native", workload, jobs)
        for target in targets:
            mib, iops = load(target, workload, jobs)
            ratio = "-" if target == "native" else f"{mib / base:.2f}"
            print(f"| {names[workload]} | {jobs} | {target} | {mib:.1f} | {iops:.0f} | {ratio} |")
print()
print("| workload | jobs | queues on MiB/s | queues off MiB/s | on/off | write-behind/off |")
print("|---|---:|---:|---:|---:|---:|")
for workload in ["seq1m", "rand4k"]:
    for jobs in [1, 4]:
        on, _ = load("queues-on", workload, jobs)
        off, _ = load("queues-off", workload, jobs)
        behind, _ = load("write-behind", workload, jobs)
        print(f"| {names[workload]} | {jobs} | {on:.1f} | {off:.1f} | {on / off:.2f} | {behind / off:.2f} |")
EOF
echo
echo "$(nproc) cores; load average before $load_before, after $load_after; $(fio --version); ${runtime} s per run"
