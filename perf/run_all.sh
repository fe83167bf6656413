#!/usr/bin/env bash
# Every benchmark in perf/, one after the other, with its own output (each
# prints its parameters and the machine). Run on a quiet machine; on a host
# with isolated cores, pin with taskset as the scripts allow.
#   perf/run_all.sh [BUILD_DIR] > perf.log
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null || exit 1
run() { echo; echo "===== $*"; "$@"; }
run "$B/perf/md/bench_md_book"
run bash perf/md/bench_md_path.sh "$B" 2000000 500
run "$B/perf/me/bench_me"
run "$B/perf/journal/bench_jr"
run "$B/perf/fix/bench_fix"
run bash perf/fix/bench_fix_rtt.sh "$B"
run "$B/perf/export/bench_export"
run bash perf/cp/run_cp_bench.sh "$B" 1000 5000 10000
