#!/usr/bin/env bash
# Splice on vs off (issue 7): fio reads through a passthrough mount (--source) of a /dev/shm
# directory, mounted with -o splice and -o nosplice (splice covers READs of 32 to 128 KiB),
# alternately (off,on / on,off by round), and the same reads on the /dev/shm directory itself as
# the native reference. Per round and mode:
#   seq1   sequential 1 MiB reads, 1 job, 1 GiB          (page cache: the kernel asks 128 KiB READs)
#   seq4   sequential 1 MiB reads, 4 jobs, 512 MiB each
#   seq1d  the same as seq1 with O_DIRECT                (1 MiB READs; not on tmpfs, which has no O_DIRECT)
#   rand4  random 4 KiB reads, 4 jobs, 512 MiB each, 10 s
# Caches are dropped before each run (for the tmpfs source that drops only the mount's pages).
# Besides MB/s, the daemon's CPU seconds (user + system, from /proc/PID/stat) per GB read.
# Prints a Markdown table of medians (also written to bench/results/splice-fio-<date>.md) and
# keeps every run in bench/results/tmp/splice-fio-<date>.tsv.
#
#   bench/splice-fio.sh             # 5 rounds, about 10 minutes; needs root, /dev/fuse, fio, python3
#   ROUNDS=9 bench/splice-fio.sh
#
# Every mount it makes is unmounted however the script ends (trap), and the temporary files go.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
root="$(dirname "$here")"
rounds="${ROUNDS:-5}"
# No AOT cache: one trained before `mvn package`/`verify` rebuilt the jars outside the launcher
# was seen to run the old classes (JDK 25), which would measure the wrong code. Startup is not
# measured here.
export JAVAFUSE_NO_AOT=1

[ "$(id -u)" -eq 0 ] || { echo "splice-fio.sh: needs root (mount, drop_caches)" >&2; exit 2; }
for tool in fio python3; do
  command -v "$tool" >/dev/null || { echo "splice-fio.sh: needs $tool" >&2; exit 2; }
done

work="$(mktemp -d /tmp/javafuse-splice-XXXXXX)"
source="$(mktemp -d /dev/shm/javafuse-splice-XXXXXX)"
mnt="$work/mnt"
mkdir -p "$mnt" "$here/results/tmp"
tsv="$here/results/tmp/splice-fio-$(date +%F).tsv"
pid=""

unmount() { stop_daemon "$pid" "$mnt"; pid=""; }

cleanup() {
  unmount
  rm -rf "$source"
  rmdir "$mnt" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_javafuse() {
  local log="$work/mount.log"
  : >"$log"
  "$root/javafuse" mount --source "$source" -o "$([ "$1" = on ] && echo splice || echo nosplice)" "$mnt" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    grep -q "javafuse: mounted" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "splice-fio.sh: the mount did not come up:" >&2
  cat "$log" >&2
  exit 1
}

# One fio run on directory $3 as mode $1, job $2, fio arguments after; appends a row to the TSV.
job() {
  local mode="$1" name="$2" dir="$3" json="$work/fio.json" before=0 after=0
  shift 3
  sync; echo 3 >/proc/sys/vm/drop_caches
  [ -n "$pid" ] && before="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
  fio --name="$name" --directory="$dir" --ioengine=psync --output-format=json --output="$json" "$@" >/dev/null
  [ -n "$pid" ] && after="$(awk '{ print $14 + $15 }' "/proc/$pid/stat")"
  python3 - "$json" "$round" "$mode" "$name" "$before" "$after" "$(getconf CLK_TCK)" >>"$tsv" <<'EOF'
import json, sys
path, rnd, mode, name, before, after, tck = sys.argv[1:]
jobs = json.load(open(path))["jobs"]
bw = sum(j["read"]["bw_bytes"] for j in jobs)
done = sum(j["read"]["io_bytes"] for j in jobs)
cpu = (float(after) - float(before)) / float(tck)
load = open("/proc/loadavg").read().split()[0]
print(f"{rnd}\t{mode}\t{name}\t{bw / 1e6:.0f}\t{cpu / (done / 1e9) if done and mode != 'native' else 0:.2f}\t{load}")
EOF
}

jobs() {
  local mode="$1" dir="$2"
  job "$mode" seq1 "$dir" --rw=read --bs=1M --size=1G --numjobs=1
  job "$mode" seq4 "$dir" --rw=read --bs=1M --size=512M --numjobs=4
  [ "$mode" = native ] || job "$mode" seq1d "$dir" --rw=read --bs=1M --size=1G --numjobs=1 --direct=1
  job "$mode" rand4 "$dir" --rw=randread --bs=4k --size=512M --numjobs=4 --time_based --runtime=10
}

echo "splice-fio.sh: building the javafuse command if needed..." >&2
"$root/javafuse" --version >/dev/null

echo "splice-fio.sh: laying out 4.5 GiB of files on $source..." >&2
for layout in "seq1 1G 1" "seq4 512M 4" "seq1d 1G 1" "rand4 512M 4"; do
  read -r name size count <<<"$layout"
  fio --name="$name" --directory="$source" --size="$size" --numjobs="$count" --rw=read --bs=1M \
      --create_only=1 >/dev/null
done

printf 'round\tmode\tjob\tMBps\tdaemon_cpu_s_per_GB\tload1\n' >"$tsv"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for mode in $order; do
    echo "splice-fio.sh: round $round, splice $mode" >&2
    mount_javafuse "$mode"
    jobs "$mode" "$mnt"
    unmount
  done
  echo "splice-fio.sh: round $round, native" >&2
  jobs native "$source"
done

report() {
  echo "fio through a passthrough mount of a /dev/shm directory, splice off vs on, $rounds rounds alternating;"
  echo "medians (min-max) of MB/s and of the daemon's CPU seconds per GB read"
  echo "($(nproc) cores, $(uname -r), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end: other work on the machine skews these figures)"
  echo
  python3 - "$tsv" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def cell(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})" if values else "-"
def cpu(values):
    return f"{statistics.median(values):.2f}" if values else "-"
print("| job | off MB/s | on MB/s | on/off (median) | rounds on > off | native MB/s | off CPU s/GB | on CPU s/GB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for job in ["seq1", "seq4", "seq1d", "rand4"]:
    get = lambda mode, key: [float(r[key]) for r in rows if r["job"] == job and r["mode"] == mode]
    off, on, native = get("off", "MBps"), get("on", "MBps"), get("native", "MBps")
    wins = sum(1 for r in set(r["round"] for r in rows)
               if [float(x["MBps"]) for x in rows if x["round"] == r and x["job"] == job and x["mode"] == "on"]
               > [float(x["MBps"]) for x in rows if x["round"] == r and x["job"] == job and x["mode"] == "off"])
    ratio = f"{statistics.median(on) / statistics.median(off):.2f}" if on and off else "-"
    print(f"| {job} | {cell(off)} | {cell(on)} | {ratio} | {wins}/{len(on)} | {cell(native)} | "
          f"{cpu(get('off', 'daemon_cpu_s_per_GB'))} | {cpu(get('on', 'daemon_cpu_s_per_GB'))} |")
EOF
}
out="$here/results/splice-fio-$(date +%F).md"
echo
report | tee "$out"
echo "splice-fio.sh: table in $out, every run in $tsv" >&2
