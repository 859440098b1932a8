#!/usr/bin/env bash
# Tile pyramid, shanshui against a peer: GDAL's MVT writer (ogr2ogr -f MVT),
# both cutting every tile of the bundled Miyun layers from z0 to z14 into a
# folder of uncompressed .mvt files, in the same run on the same machine.
#
#   benches/peer_gdal.sh [RUNS]      (default 5 runs each; needs gdal-bin)
#
# Prints the median wall time of each, tiles written and bytes, and the
# ratio. Loading is part of both: shanshui reads the GeoJSON layers, GDAL a
# GeoPackage made from them beforehand (not timed).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v ogr2ogr >/dev/null || { echo "needs ogr2ogr: apt-get install gdal-bin" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/shanshui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for f in geodata/*.geojson; do
  ogr2ogr -f GPKG "$work/all.gpkg" "$f" -nln "$(basename "$f" .geojson)" -append
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() {  # runs the command, prints its wall time in ms
  local t0 t1
  t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}
count() { find "$1" -name '*.mvt' -o -name '*.pbf' | wc -l; }
bytes() { find "$1" \( -name '*.mvt' -o -name '*.pbf' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

declare -A ms
for tool in shanshui_1_thread shanshui_all_cores gdal; do
  for _ in $(seq "$runs"); do
    out="$work/$tool"; rm -rf "$out"
    case $tool in
      shanshui_1_thread) t=$(time_ms "$bin" export --out "$out" --minzoom 0 --maxzoom 14 --threads 1) ;;
      shanshui_all_cores) t=$(time_ms "$bin" export --out "$out" --minzoom 0 --maxzoom 14) ;;
      gdal) t=$(time_ms ogr2ogr -f MVT "$out" "$work/all.gpkg" -dsco MINZOOM=0 -dsco MAXZOOM=14 \
                 -dsco EXTENT=4096 -dsco BUFFER=64 -dsco COMPRESS=NO -dsco FORMAT=DIRECTORY) ;;
    esac
    ms[$tool]+="$t "
  done
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "$(ogr2ogr --version)"
printf '%-20s %10s %8s %10s\n' tool "median ms" tiles bytes
for tool in shanshui_1_thread shanshui_all_cores gdal; do
  m=$(tr ' ' '\n' <<<"${ms[$tool]}" | grep . | median)
  printf '%-20s %10s %8s %10s\n' "$tool" "$m" "$(count "$work/$tool")" "$(bytes "$work/$tool")"
  eval "med_$tool=$m"
done
awk -v a="$med_gdal" -v b="$med_shanshui_1_thread" -v c="$med_shanshui_all_cores" \
  'BEGIN {printf "GDAL / shanshui (1 thread): %.1fx   GDAL / shanshui (all cores): %.1fx\n", a/b, a/c}'
