#!/usr/bin/env bash
# The web map against real clients: the MapLibre style validator on every
# style in styles/, then Chromium (Debian's, driven by playwright-core)
# opening the viewer of a running `shanshui serve` (check_web_map.mjs) and
# editing projects from it with a write key (web_edit.mjs).
#
# Checks that the MapLibre build committed in styles/viewer/vendor/ is the
# pinned npm package's. Installs what it needs when missing (as root): Debian's chromium,
# fonts-noto-cjk (the browser draws the Chinese labels) and nodejs/npm;
# in styles/viewer, `npm ci` (maplibre-gl, and the pinned dev tools
# @maplibre/maplibre-gl-style-spec and playwright-core).
# Screenshots land in target/interop-screenshots/.
set -uo pipefail
cd "$(dirname "$0")/../.."
VIEWER=styles/viewer

passed=0 failed=0
ok() { echo "ok $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "   missing $*: install it (Debian: apt-get install $*)" >&2
    return 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null && APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "   tools"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "   installing ${missing[*]}"
  apt_install "${missing[@]}" || { fail "tools installed: ${missing[*]}"; finish; }
fi
# npm ci when node_modules does not match the lock.
if ! cmp -s "$VIEWER/package-lock.json" "$VIEWER/node_modules/.package-lock.json.ci" 2>/dev/null; then
  echo "   npm ci in $VIEWER"
  if (cd "$VIEWER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    cp "$VIEWER/package-lock.json" "$VIEWER/node_modules/.package-lock.json.ci"
  else
    fail "npm ci in $VIEWER"; finish
  fi
fi
echo "   chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n1); node $(node --version)"

# The MapLibre build committed for the binary to serve offline is the pinned
# package's, byte for byte.
for f in maplibre-gl.js maplibre-gl.css LICENSE.txt; do
  if cmp -s "$VIEWER/vendor/maplibre-gl/$f" "$VIEWER/node_modules/maplibre-gl/dist/$f"; then
    ok "vendor/maplibre-gl/$f is the pinned package's dist/$f"
  else
    fail "vendor/maplibre-gl/$f differs from node_modules/maplibre-gl/dist/$f; copy it from the package the lock pins"
  fi
done

# Every style passes the MapLibre style-spec validator.
for style in styles/*.json; do
  if out=$("$VIEWER/node_modules/.bin/gl-style-validate" "$style" 2>&1); then
    ok "gl-style-validate $style"
  else
    fail "gl-style-validate $style — $out"
  fi
done

# The browser test: its own ok/FAIL lines and counts.
# tests/interop/run builds the binary and sets SHANSHUI_BIN; alone, build it.
if [ -z "${SHANSHUI_BIN:-}" ]; then
  cargo build --release --quiet || { fail "cargo build --release"; finish; }
fi
bin=${SHANSHUI_BIN:-${CARGO_TARGET_DIR:-target}/release/shanshui}
for script in check_web_map.mjs web_edit.mjs; do
  log=$(mktemp)
  SHANSHUI_BIN="$bin" SCREENSHOTS="${SCREENSHOTS:-target/interop-screenshots}" \
    node "tests/interop/$script" 2>&1 | tee "$log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
  rm -f "$log"
  if [ -n "$line" ]; then
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
    passed=$((passed + p)) failed=$((failed + f))
  else
    fail "the browser test $script ran (no summary line)"
  fi
done
finish
