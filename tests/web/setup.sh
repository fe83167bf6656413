#!/usr/bin/env bash
# Fetches the web workstation's npm dependencies into a cache, never into the
# repository: playwright-core (drives Debian's /usr/bin/chromium; no browser
# download) and uPlot (the chart library, vendored into web/vendor/).
#
#   tests/web/setup.sh            fetch both (if not cached) and vendor uPlot
#   tests/web/setup.sh --vendor   only uPlot, into web/vendor/ (demo, no test deps)
#
# Cache: $ORION_NPM_CACHE, default ~/.cache/orion-npm. Versions are pinned here.
# Prints the cache's node_modules path on the last line of stdout.
# Exit 0 ok, 77 when npm or the registry is unavailable (the caller skips).
set -uo pipefail

PLAYWRIGHT_VERSION=1.57.0
UPLOT_VERSION=1.6.32

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${ORION_NPM_CACHE:-${HOME:-/root}/.cache/orion-npm}
vendor_only=0
[ "${1:-}" = "--vendor" ] && vendor_only=1

skip() { echo "setup: $*" >&2; exit 77; }

command -v npm >/dev/null 2>&1 || skip "npm not installed (deploy/install-deps.sh installs it)"
command -v tar >/dev/null 2>&1 || skip "tar not installed"
mkdir -p "$cache" || skip "cannot create cache $cache"
npm_opts=(--cache "$cache/_npm" --no-audit --no-fund --loglevel=error --prefer-offline)

# uPlot: the published tarball, unpacked once per version.
up="$cache/uplot-$UPLOT_VERSION/package"
if [ ! -f "$up/dist/uPlot.esm.js" ]; then
  tmp=$(mktemp -d "$cache/.uplot.XXXXXX")
  if ! (cd "$tmp" && timeout 120 npm pack "uplot@$UPLOT_VERSION" "${npm_opts[@]}" >/dev/null); then
    rm -rf "$tmp"; skip "npm pack uplot@$UPLOT_VERSION failed (offline?)"
  fi
  tar -xzf "$tmp"/uplot-*.tgz -C "$tmp" || { rm -rf "$tmp"; skip "bad uplot tarball"; }
  rm -rf "$cache/uplot-$UPLOT_VERSION"; mkdir -p "$cache/uplot-$UPLOT_VERSION"
  mv "$tmp/package" "$up"; rm -rf "$tmp"
fi
vend="$root/web/vendor"
mkdir -p "$vend"
[ -f "$vend/uPlot.esm.js" ] || cp "$up/dist/uPlot.esm.js" "$vend/uPlot.esm.js"
[ -f "$vend/uPlot.min.css" ] || cp "$up/dist/uPlot.min.css" "$vend/uPlot.min.css"
[ -f "$vend/uPlot.LICENSE" ] || cp "$up/LICENSE" "$vend/uPlot.LICENSE"

if [ "$vendor_only" -eq 1 ]; then
  echo "$vend"
  exit 0
fi

# playwright-core: the driver library only (it has no install script and
# downloads no browser).
pw="$cache/node_modules/playwright-core/package.json"
if [ ! -f "$pw" ] || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pw"; then
  [ -f "$cache/package.json" ] || echo '{"name":"orion-web-test-deps","private":true}' > "$cache/package.json"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install --prefix "$cache" \
    "${npm_opts[@]}" --ignore-scripts "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null \
    || skip "npm install playwright-core@$PLAYWRIGHT_VERSION failed (offline?)"
fi
echo "$cache/node_modules"
