#!/usr/bin/env bash
# Builds the JMH benchmarks (module javafuse-bench) and runs them all with short settings;
# the output goes to the terminal and to bench/results/jmh-<date>.txt.
#   bench/jmh.sh                      # everything: about 2 minutes on 2 cores
#   bench/jmh.sh SessionBenchmark     # a regular expression selects benchmarks
#   JMH_OPTS="-f 1 -wi 5 -i 10" bench/jmh.sh   # longer, steadier runs
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

java_feature() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    local version; version="$(java_feature "$candidate")"
    if [ -n "$version" ] && [ "$version" -ge 25 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}
jdk="$(find_jdk)" || { echo "jmh.sh: needs a JDK 25 or newer (set JAVA_HOME)" >&2; exit 2; }

echo "jmh.sh: building javafuse-bench..." >&2
(cd "$root" && JAVA_HOME="$jdk" mvn -B -q -DskipTests -pl javafuse-bench -am package >&2)

mkdir -p "$here/results"
out="$here/results/jmh-$(date +%F).txt"
{
  echo "# javafuse JMH microbenchmarks, $(date -Is)"
  echo "# commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $("$jdk/bin/java" -version 2>&1 | head -n 1)"
  echo "# $(nproc) cores, $(uname -sr), settings: ${JMH_OPTS:--f 1 -wi 2 -i 3 -w 1s -r 1s}"
} >"$out"
# shellcheck disable=SC2086
"$jdk/bin/java" -jar "$root/javafuse-bench/target/benchmarks.jar" ${JMH_OPTS:--f 1 -wi 2 -i 3 -w 1s -r 1s} "$@" \
  2>&1 | tee -a "$out"
echo "jmh.sh: results in $out" >&2
