#!/usr/bin/env bash
# Soak: the randomized differential fuzzer for many operations (default ten million) against the
# in-memory filesystem (and the passthrough one, where present), compared with native tmpfs.
# Usage: bench/fuzz-soak.sh [OPERATIONS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
ops="${1:-10000000}"
seed="${2:-$(date +%s)}"
export JAVA_HOME="${JAVA_HOME:-$(ls -d /usr/lib/jvm/temurin-25* | head -n 1)}"
echo "fuzz soak: $ops operations per filesystem, seed $seed"
mvn -B -q -pl javafuse-filesystems -am test -Dtest='*FuzzTest' -Dsurefire.failIfNoSpecifiedTests=false \
  -Djavafuse.fuzz.ops="$ops" -Djavafuse.fuzz.seed="$seed" \
  -Djunit.jupiter.execution.timeout.mode=disabled -Dsurefire.timeout=0
grep -h "^fuzz:" javafuse-filesystems/target/surefire-reports/*-output.txt 2>/dev/null || true
