#!/usr/bin/env bash
# The benchmark suite, in one command: mounts the passthrough filesystem (javafuse mount --source)
# over a tmpfs directory and runs, against the mount and against a native tmpfs directory in the
# same run (targets alternating within each workload):
#   fio --ioengine=psync: sequential 1 MiB read and write with 1 and 4 jobs, 4 KiB random read
#   and write with 4 jobs (time based); page caches dropped before each read phase;
#   bench/Metadata.java: create / stat / readdir / unlink of 20,000 files (caches dropped
#   before stat and readdir).
# Writes bench/results/<date>/results.json, results.md (figures and ratio mount/native) and
# chart.png (bar chart of the ratios), and copies the table to bench/results/latest.md.
# Records the daemon's peak RSS (VmHWM) and the load average before every measurement.
#
#   bench/run.sh                              # about 5 minutes; needs root, /dev/fuse, fio
#   RUNTIME=30 SIZE=512m bench/run.sh         # longer fio phases, bigger files (per job)
#   FIO_WARMUP=0 bench/run.sh                 # seconds each fio workload first runs untimed on
#                                             # every target (default 5: a new JVM spends its
#                                             # first seconds on a path compiling it)
#   FILES=50000 bench/run.sh                  # files of the metadata workload
#   JAVAFUSE_ARGS="-o writeback_cache,entry_timeout=86400,attr_timeout=86400" bench/run.sh
#                                             # options for `javafuse mount` (here: what
#                                             # passthrough_hp --nopassthrough does by default)
#   JAVAFUSE_ARGS=--kernel-passthrough bench/run.sh   # Linux 6.9+: the kernel reads and writes
#                                             # the backing files itself
#   BENCH_LABEL=kpt bench/run.sh              # results under results/<date>-kpt
#
# Another filesystem can be measured in the same run (a third target), with %SOURCE% (a fresh
# tmpfs directory) and %MOUNTPOINT% substituted; the command must stay in the foreground (its
# pid is the daemon whose RSS is reported) and mount within 30 s:
#   BENCH_EXTRA_NAME=other BENCH_EXTRA_MOUNT_CMD="/path/to/fs -f %SOURCE% %MOUNTPOINT%" bench/run.sh
# javafuse with and without kernel passthrough in one run:
#   BENCH_EXTRA_NAME=javafuse-kpt BENCH_EXTRA_MOUNT_CMD="$PWD/javafuse mount --source %SOURCE% \
#     --kernel-passthrough %MOUNTPOINT%" bench/run.sh
#
# Every mount is unmounted however the script ends (trap), and the temporary directories go.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/lib.sh"
root="$(dirname "$here")"
runtime="${RUNTIME:-10}"
size="${SIZE:-256m}"
files="${FILES:-20000}"
warmup_files="${WARMUP_FILES:-5000}"
fio_warmup="${FIO_WARMUP:-5}"
read -r -a javafuse_args <<<"${JAVAFUSE_ARGS:-}"
extra_cmd="${BENCH_EXTRA_MOUNT_CMD:-}"
extra_name="${BENCH_EXTRA_NAME:-extra}"
py=/usr/bin/python3            # not a pyenv shim: -S skips site, it starts in a few ms

[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (mount, drop_caches)" >&2; exit 2; }
command -v fio >/dev/null || { echo "run.sh: needs fio (apt-get install fio)" >&2; exit 2; }
[ -x "$py" ] || { echo "run.sh: needs $py" >&2; exit 2; }
jdk="${JAVA_HOME:-}"
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/java" ]; then
  for jdk in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do [ -x "$jdk/bin/java" ] && break; done
fi
java="$jdk/bin/java"

date_dir="$(date -u +%Y-%m-%d)${BENCH_LABEL:+-$BENCH_LABEL}"
out="$here/results/$date_dir"
mkdir -p "$out"
shm="$(mktemp -d /dev/shm/javafuse-bench-XXXXXX)"       # tmpfs: the backing dirs and native
work="$(mktemp -d /tmp/javafuse-bench-XXXXXX)"          # mount points, logs, fio output
mkdir -p "$shm/native" "$shm/backing" "$work/mnt" "$work/fio"
targets=(native javafuse)
declare -A dir=([native]="$shm/native" [javafuse]="$work/mnt")
declare -A pid=()
if [ -n "$extra_cmd" ]; then
  mkdir -p "$shm/backing-extra" "$work/mnt-extra"
  targets+=(extra)
  dir[extra]="$work/mnt-extra"
fi

stop() { stop_daemon "${pid[$1]:-}" "${dir[$1]}"; pid[$1]=""; }  # stop <target>

cleanup() {
  set +e
  for t in "${targets[@]}"; do [ "$t" = native ] || stop "$t"; done
  rm -rf "$shm" "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_mounted() {  # wait_mounted <target> <log>
  local t="$1" log="$2"
  for _ in $(seq 1 300); do
    is_mounted "${dir[$t]}" && return 0
    kill -0 "${pid[$t]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $t did not mount; its log:" >&2; cat "$log" >&2; exit 1
}

# The passthrough daemons hold one O_PATH descriptor per inode the kernel knows: 20,000 files need
# more than a default RLIMIT_NOFILE (javafuse does not raise its soft limit itself; passthrough_hp
# raises it only to the hard limit). Give every target the same, ample limit.
ulimit -n "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( files + 1000 )) ]; then
  echo "run.sh: RLIMIT_NOFILE is $(ulimit -n) (hard limit, cannot be raised here): the javafuse" \
       "passthrough will fail with EMFILE near that many files; use FILES=$(( $(ulimit -n) * 3 / 4 ))" >&2
fi

# The javafuse launcher builds on first use: do that before anything is timed.
"$root/javafuse" --version >/dev/null
"$root/javafuse" mount "${javafuse_args[@]}" --source "$shm/backing" "${dir[javafuse]}" >"$work/javafuse.log" 2>&1 &
pid[javafuse]=$!
wait_mounted javafuse "$work/javafuse.log"
if grep -q "kernel passthrough is off" "$work/javafuse.log"; then
  echo "run.sh: $(grep "kernel passthrough is off" "$work/javafuse.log")" >&2
fi
if [ -n "$extra_cmd" ]; then
  cmd="${extra_cmd//%SOURCE%/$shm/backing-extra}"
  cmd="${cmd//%MOUNTPOINT%/${dir[extra]}}"
  bash -c "exec $cmd" >"$work/extra.log" 2>&1 &
  pid[extra]=$!
  wait_mounted extra "$work/extra.log"
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
raw="$work/raw.tsv"                      # workload target value unit load1 load5 load15
: >"$raw"

# fio_phase <workload> <rw> <bs> <jobs>: one fio run per target, alternating.
fio_phase() {
  local name="$1" rw="$2" bs="$3" jobs="$4" t
  for t in "${targets[@]}"; do
    local d="${dir[$t]}/fio" json="$work/fio/$name-$t.json"
    mkdir -p "$d"
    local args=(--name="$name" --directory="$d" --rw="$rw" --bs="$bs" --size="$size" --numjobs="$jobs"
                --ioengine=psync --direct=0 --group_reporting --end_fsync=0)
    case "$rw" in *read) fio "${args[@]}" --create_only=1 --output=/dev/null ;; esac   # lay the files out
    # Untimed, the same workload first: the same for every target, so that what is measured is
    # a daemon that has run this path before, not the JIT compiling it.
    if [ "$fio_warmup" -gt 0 ]; then
      fio "${args[@]}" --time_based --runtime="$fio_warmup" --output=/dev/null
    fi
    case "$rw" in *read) drop_caches ;; esac             # read them from the daemon
    local load; load="$(loadavg)"
    fio "${args[@]}" --time_based --runtime="$runtime" --output-format=json --output="$json"
    "$py" -S - "$json" "$rw" "$name" "$t" "$load" >>"$raw" <<'EOF'
import json, sys
path, rw, name, target, load = sys.argv[1:]
job = json.load(open(path))["jobs"][0]["read" if "read" in rw else "write"]
value, unit = (job["bw"] / 1024, "MiB/s") if rw in ("read", "write") else (job["iops"], "IOPS")
print(name, target, f"{value:.1f}", unit, *load.split(), sep="\t")
EOF
    rm -rf "$d"
    echo "run.sh: $name on ${t/extra/$extra_name}: $(tail -n1 "$raw" | cut -f3,4)" >&2
  done
}

fio_phase seqread-1M-1job   read      1M 1
fio_phase seqread-1M-4jobs  read      1M 4
fio_phase seqwrite-1M-1job  write     1M 1
fio_phase seqwrite-1M-4jobs write     1M 4
fio_phase randread-4k-4jobs  randread  4k 4
fio_phase randwrite-4k-4jobs randwrite 4k 4

# The metadata workload: one JVM per target, the phases in it (compiled before the clock starts).
# A smaller untimed round first, so that a JVM daemon is measured compiled, as the C daemons are.
for t in "${targets[@]}"; do
  "$java" -XX:+UseSerialGC "$here/Metadata.java" "${dir[$t]}" "$warmup_files" >/dev/null 2>"$work/warmup-$t.err" \
    || { echo "run.sh: metadata warm-up failed on $t" >&2; cat "$work/warmup-$t.err" >&2; exit 1; }
done
for t in "${targets[@]}"; do
  load="$(loadavg)"
  "$java" -XX:+UseSerialGC "$here/Metadata.java" --drop "${dir[$t]}" "$files" >"$work/meta-$t.txt" \
    2>"$work/meta-$t.err" || { echo "run.sh: metadata workload failed on $t" >&2; cat "$work/meta-$t.err" >&2; exit 1; }
  while read -r phase value; do
    printf '%s\t%s\t%s\tops/s\t%s\n' "$phase-${files}" "$t" "$value" "$(tr ' ' '\t' <<<"$load")" >>"$raw"
  done <"$work/meta-$t.txt"
  echo "run.sh: metadata on ${t/extra/$extra_name}: $(tr '\n' ' ' <"$work/meta-$t.txt")" >&2
done

# Peak resident set of the daemons over the whole suite, read before they stop.
declare -A hwm=()
for t in "${targets[@]}"; do
  [ "$t" = native ] && continue
  hwm[$t]="$(awk '/^VmHWM:/ { print $2 }' "/proc/${pid[$t]}/status" 2>/dev/null || echo 0)"
done
end_load="$(loadavg)"
for t in "${targets[@]}"; do [ "$t" = native ] || stop "$t"; done

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$root" status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null | head -c1)"  # results of an earlier run do not count
"$py" -S - "$raw" "$out" "$extra_name" "$commit${dirty:+ (modified)}" "$runtime" "$size" \
    "${hwm[javafuse]:-0}" "${hwm[extra]:-}" "$end_load" "$(nproc)" "$(uname -r)" \
    "$(fio --version)" "${extra_cmd//$shm/<tmpfs>}" "${JAVAFUSE_ARGS:-}" "$warmup_files" "$fio_warmup" <<'EOF'
import json, sys
(raw, out, extra_name, commit, runtime, size, hwm_j, hwm_x, end_load, cpus, kernel, fio,
 extra_cmd, javafuse_args, warmup_files, fio_warmup) = sys.argv[1:]
rows, order = {}, []
for line in open(raw):
    w, t, v, unit, l1, l5, l15 = line.rstrip("\n").split("\t")
    if w not in rows:
        rows[w] = {"workload": w, "unit": unit}
        order.append(w)
    rows[w][t] = float(v)
    rows[w].setdefault("loadavg", {})[t] = [float(l1), float(l5), float(l15)]
has_extra = any("extra" in r for r in rows.values())
for r in rows.values():
    r["javafuse/native"] = r["javafuse"] / r["native"] if r["native"] else None
    if has_extra:
        r[extra_name + "/native"] = r["extra"] / r["native"] if r["native"] else None
        r["javafuse/" + extra_name] = r["javafuse"] / r["extra"] if r.get("extra") else None
        r[extra_name] = r.pop("extra")
meta = {"commit": commit, "fio_runtime_s": int(runtime), "fio_size_per_job": size,
        "ioengine": "psync", "cpus": int(cpus), "kernel": kernel, "fio": fio,
        "loadavg_end": [float(x) for x in end_load.split()],
        "javafuse_args": javafuse_args, "metadata_warmup_files": int(warmup_files),
        "fio_warmup_s": int(fio_warmup),
        "rss_peak_kib": {"javafuse": int(hwm_j or 0)}}
if has_extra:
    meta["rss_peak_kib"][extra_name] = int(hwm_x or 0)
    meta["extra_target"] = {"name": extra_name, "command": extra_cmd}
json.dump({"meta": meta, "results": [rows[w] for w in order]}, open(out + "/results.json", "w"),
          indent=2)

fmt = lambda x: "–" if x is None else (f"{x:.2f}" if x < 10 else f"{x:,.0f}")
head = "| workload | unit | native | javafuse | javafuse/native |"
sep = "|---|---|---:|---:|---:|"
if has_extra:
    head += f" {extra_name} | {extra_name}/native | javafuse/{extra_name} |"
    sep += "---:|---:|---:|"
head += " load avg (1 min, javafuse run) |"
sep += "---:|"
lines = [head, sep]
for w in order:
    r = rows[w]
    cells = [w, r["unit"], fmt(r["native"]), fmt(r["javafuse"]), fmt(r["javafuse/native"])]
    if has_extra:
        cells += [fmt(r[extra_name]), fmt(r[extra_name + "/native"]), fmt(r["javafuse/" + extra_name])]
    cells.append(f"{r['loadavg']['javafuse'][0]:.2f}")
    lines.append("| " + " | ".join(cells) + " |")
rss = f"javafuse daemon peak RSS (VmHWM): {int(hwm_j or 0) / 1024:.0f} MiB"
if has_extra:
    rss += f"; {extra_name}: {int(hwm_x or 0) / 1024:.0f} MiB"
notes = [
    "", f"Commit {commit}; {cpus} CPUs, kernel {kernel}, {fio}, --ioengine=psync --direct=0, "
    f"{runtime} s per fio phase, {size} per job; backing directories and native target on tmpfs "
    "(/dev/shm). Higher is better everywhere (readdir: entries/s). Page caches dropped before "
    "read phases and before stat and readdir. Each fio workload ran untimed for "
    f"{fio_warmup} s on every target first, and the metadata workload with {warmup_files} files.",
    "", rss + f". Load average at the end: {end_load}.",
]
notes += ["", "javafuse: `javafuse mount " + (javafuse_args + " " if javafuse_args else "")
          + "--source <tmpfs> <mountpoint>`."]
if has_extra:
    notes += ["", f"Extra target `{extra_name}`: `{extra_cmd}`."]
open(out + "/results.md", "w").write("\n".join(lines + notes) + "\n")
with open(out + "/ratios.tsv", "w") as f:
    for w in order:
        r = rows[w]
        if r["javafuse/native"] is not None:
            f.write(f"{w}\tjavafuse\t{r['javafuse/native']:.4f}\n")
        if has_extra and r[extra_name + "/native"] is not None:
            f.write(f"{w}\t{extra_name}\t{r[extra_name + '/native']:.4f}\n")
EOF
"$java" -Djava.awt.headless=true "$here/Chart.java" "$out/ratios.tsv" "$out/chart.png" \
  "throughput relative to native tmpfs (1.0 = native), $date_dir, commit $commit"
rm -f "$out/ratios.tsv"
{ echo "# Latest benchmark: $date_dir"; echo
  echo "From \`bench/run.sh\`; JSON, chart and details in [$date_dir]($date_dir/)."
  echo; echo "![ratios]($date_dir/chart.png)"; echo
  cat "$out/results.md"; } >"$here/results/latest.md"
cat "$out/results.md"
