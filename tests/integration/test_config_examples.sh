#!/usr/bin/env bash
# The documented configuration files stay true: deploy/oriond.conf.example and
# deploy/sessions.cfg.example (paths pointed at a temp dir) and every profile
# pass `oriond --check-config`; an unknown key, a bad value and an unknown
# section each stop it with exit status 2 and a message naming file, line and key.
set -uo pipefail
ORIOND=$1 SRC=$2 ORIONCTL=$3
T=$(mktemp -d /tmp/orion-cfg.XXXXXX); trap 'rm -rf "$T"' EXIT
fail=0
sed -e "s#/etc/orion/sessions.cfg#$T/sessions.cfg#; s#/var/lib/orion/journal#$T/journal#" \
	"$SRC/deploy/oriond.conf.example" > "$T/oriond.conf"
sed -e "s#/var/lib/orion/fix#$T/fix#" "$SRC/deploy/sessions.cfg.example" > "$T/sessions.cfg"
expect() { # expect NAME RC PATTERN FILE
	out=$("$ORIOND" -c "$4" --check-config 2>&1); rc=$?
	if [ "$rc" != "$2" ] || ! grep -qE "$3" <<<"$out"; then
		echo "FAIL $1: rc=$rc output: $out"; fail=1
	else
		echo "ok   $1: $(head -1 <<<"$out")"
	fi
}
expect "example config" 0 "ok \(1 ports, 1 feeds, 2 FIX sessions, 1 instruments\)" "$T/oriond.conf"
# Profiles carry placeholders that deploy/demo.sh fills in (paths, password
# hashes): fill them the same way.
HASH=$("$ORIONCTL" passwd --password test | tail -1)
for p in "$SRC"/deploy/profiles/*.conf; do # (their FIX sessions: demo-sessions.cfg)
	mkdir -p "$T/out/fix"
	sed -e "s#OUT/#$T/out/#g" "$SRC/deploy/profiles/demo-sessions.cfg" > "$T/out/sessions.cfg"
	sed -e "s#OUT/#$T/out/#g" -e "s#SRC/#$SRC/#g" -e "s#TRADER_HASH#$HASH#" -e "s#ADMIN_HASH#$HASH#" \
		"$p" > "$T/$(basename "$p")"
	expect "profile $(basename "$p")" 0 "ok" "$T/$(basename "$p")"
done
cp "$T/oriond.conf" "$T/bad1.conf"; sed -i 's/^stale_after = 2s/stale_afterr = 2s/' "$T/bad1.conf"
expect "unknown key" 2 "bad1.conf:[0-9]+: key 'stale_afterr' in \[feed nasdaq\]: unknown key" "$T/bad1.conf"
cp "$T/oriond.conf" "$T/bad2.conf"; sed -i 's/^memory_mb = 512/memory_mb = lots/' "$T/bad2.conf"
expect "bad value" 2 "bad2.conf:[0-9]+: key 'memory_mb' in \[eal\]: 'lots' is not an unsigned integer" "$T/bad2.conf"
cp "$T/oriond.conf" "$T/bad3.conf"; echo "[bogus]" >> "$T/bad3.conf"; echo "x = 1" >> "$T/bad3.conf"
expect "unknown section" 2 "bad3.conf:[0-9]+: .*unknown section \[bogus\]" "$T/bad3.conf"
echo "Bogus=1" >> "$T/sessions.cfg"
expect "bad sessions file" 2 "sessions.cfg:[0-9]+: unknown key 'Bogus'" "$T/oriond.conf"
exit $fail
