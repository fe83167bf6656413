#!/usr/bin/env bash
# The whole Orion test suite, as the README's quick start and CI run it:
#   1. install missing dependencies (Debian 12, root)
#   2. release-style build + every test (unit, integration)
#   3. ASan+UBSan build + unit tests
#   4. libFuzzer smoke run of every fuzz target (clang)
# Ends with one line "N passed, N failed, N skipped". Exit 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-10}

bash deploy/install-deps.sh || { echo "install-deps failed"; exit 1; }

pass=0; fail=0; skip=0
tally() { # tally BUILD_DIR
  local j="$1/meson-logs/testlog.json"
  [ -f "$j" ] || return
  read -r p f s < <(python3 - "$j" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

build() { # build DIR [meson options...]
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || { echo "meson setup $dir failed"; meson setup "$dir" "$@"; return 1; }
  fi
  ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

echo "== build (debugoptimized) and all tests"
if build build; then
  meson test -C build --print-errorlogs --num-processes 2
  tally build
else
  fail=$((fail + 1))
fi

echo "== ASan+UBSan build and unit tests"
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dperf=false; then
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs --num-processes 2
  tally build-asan
else
  fail=$((fail + 1))
fi

echo "== libFuzzer smoke (${FUZZ_SECONDS}s per target)"
if CC=clang build build-fuzz -Dfuzz=true -Dtests=false -Dperf=false; then
  for f in build-fuzz/tests/*/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    corpus=$(mktemp -d)
    if "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 "$corpus" >"$corpus.log" 2>&1; then
      echo "fuzz $(basename "$f"): ok ($(grep -o 'cov: [0-9]*' "$corpus.log" | tail -1))"
      pass=$((pass + 1))
    else
      echo "fuzz $(basename "$f"): FAILED"; tail -40 "$corpus.log"
      fail=$((fail + 1))
    fi
    rm -rf "$corpus" "$corpus.log"
  done
else
  fail=$((fail + 1))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
