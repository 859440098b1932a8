#!/usr/bin/env bash
# Resident memory of a shanshui server through a cold-tile run: its peak
# (VmHWM) after the load, then after cold tiles z10-z14 at 2 and at 64
# connections, then after cold tiles z6-z9 at 2, with the tile cache off
# and no cap on renders (as benches/compare.sh's cold server). Prints each
# figure and its multiple of the GeoJSON loaded.
#
#   benches/memory.sh BIN DATA [SECONDS]
#
# BIN is a shanshui binary, DATA a folder with layers.toml (for example
# `shanshui synth --points 100000 --polygons 10000 --lines 2000 --out
# target/s5`); each run lasts SECONDS (8). The tiles are 320 at random
# (a fixed seed) over the district, z10-z14, and every tile of the
# district at z6-z9. Needs wrk, curl and python3; uses port 7897.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
bin=$1 data=$2 secs=${3:-8}
port=7897
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

python3 - "$work" <<'PY'
import math, random, sys
work = sys.argv[1]
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
rng = random.Random(7)
hi = []
for _ in range(320):
    z = rng.randint(10, 14)
    x, y = tile(rng.uniform(116.7, 117.5), rng.uniform(40.2, 40.8), z)
    hi.append(f"/tiles/{z}/{x}/{y}.mvt")
lo = []
for z in range(6, 10):
    x0, y0 = tile(116.6, 40.9, z)
    x1, y1 = tile(117.6, 40.1, z)
    lo += [f"/tiles/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
for name, paths in (("hi", hi), ("lo", lo)):
    with open(f"{work}/{name}.lua", "w") as f:
        f.write("paths = {\n" + ",\n".join(f'"{p}"' for p in paths) + "\n}\n")
        f.write('i = 0\nrequest = function()\n  i = i + 1\n'
                '  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept-Encoding"]="gzip"})\nend\n')
PY

geojson=$(python3 - "$data" <<'PY'
import os, sys, tomllib
d = sys.argv[1]
with open(os.path.join(d, "layers.toml"), "rb") as f:
    m = tomllib.load(f)
print(sum(os.path.getsize(os.path.join(d, l["file"])) for l in m.get("layers", [])))
PY
)

RUST_LOG=warn "$bin" serve --data "$data" --addr "127.0.0.1:$port" --no-watch \
  --cache-mb 0 --max-renders 0 > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.05
done

peak() {
  local kb
  kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  python3 -c "import sys; kb, g = int(sys.argv[1]), int(sys.argv[2]); print(f'{kb / 1024:.1f} MiB, {kb * 1024 / g:.2f} x the GeoJSON')" "$kb" "$geojson"
}
load() {  # lua conns
  wrk -t2 -c"$2" -d"${secs}s" --timeout 30s -s "$work/$1.lua" "http://127.0.0.1:$port" \
    | awk '/Requests\/sec/ {print $2 " req/s"}'
}
echo "GeoJSON: $geojson bytes"
echo "after the load:                 $(peak)"
r=$(load hi 2);  echo "after z10-z14, 2 connections:  $(peak)  ($r)"
r=$(load hi 64); echo "after z10-z14, 64 connections: $(peak)  ($r)"
r=$(load lo 2);  echo "after z6-z9, 2 connections:    $(peak)  ($r)"
