#!/usr/bin/env bash
# The web workstation's end-to-end test (tests/web/test_e2e.mjs) against the
# control plane's standalone harness cp_testd, which serves web/ and the
# /api/v1 REST + WebSocket API over fake dataplane hooks (a random-walk
# market, an engine that fills against it).
#
#   run_e2e.sh CP_TESTD SOURCE_ROOT ARTIFACTS_DIR
#
# Screenshots, the exported CSV and logs go to ARTIFACTS_DIR. Exits 77 (skip,
# with the reason) when node, Debian's chromium, the npm packages (fetched by
# tests/web/setup.sh into ~/.cache/orion-npm) or cp_testd are unavailable.
set -uo pipefail
testd=${1:-}
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
art=${3:-$PWD/artifacts}

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node not installed (Debian package nodejs)"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium not installed (Debian package chromium)"
[ -n "$testd" ] && [ -x "$testd" ] || skip "cp_testd not built (${testd:-no path given})"

modules=$(bash "$src/tests/web/setup.sh" | tail -n 1)
rc=${PIPESTATUS[0]}
[ "$rc" -eq 77 ] && skip "npm packages unavailable (see tests/web/setup.sh output above)"
[ "$rc" -eq 0 ] || { echo "setup.sh failed ($rc)"; exit 1; }

rm -rf "$art"
mkdir -p "$art"
hash() { "$testd" hash-password -t 1 -m 8192 --password "$1" | tail -n 1; }
th=$(hash trader-pw) && ah=$(hash admin-pw) || { echo "cp_testd hash-password failed"; exit 1; }
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
conf="$art/cp_testd.conf"
cat > "$conf" <<CONF
[cp]
listen = 127.0.0.1:$port
web_root = $src/web
audit_log = $art/audit.log

[user trader]
role = TRADER
instruments = *
password_hash = $th

[user admin]
role = ADMIN
instruments = *
password_hash = $ah

[testd]
instruments = 8
hz = 20
CONF

exec timeout -k 5 118 node "$src/tests/web/test_e2e.mjs" \
  --server "$testd -c $conf" --url "http://127.0.0.1:$port" \
  --stale-cmd 'stale {sym} {on}' \
  --artifacts "$art" --modules "$modules" \
  --trader trader:trader-pw --admin admin:admin-pw
