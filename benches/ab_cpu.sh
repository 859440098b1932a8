#!/usr/bin/env bash
# Two builds of shanshui side by side on one request: the server's own CPU
# time per request (user + system, from /proc), which a busy or noisy
# machine disturbs far less than requests per second do.
#
#   benches/ab_cpu.sh BIN_A BIN_B DATA PATH [ROUNDS] [SECONDS] [-- SERVE_ARGS...]
#
# Starts both servers on the same data (RUST_LOG=warn, --no-watch, plus
# SERVE_ARGS, e.g. --max-features 10000000 or --cache-mb 0 --max-renders 0),
# checks that they answer PATH with the same bytes, then, ROUNDS times (3),
# loads each in turn with `wrk -t1 -c1` for SECONDS (4) and prints the
# requests made and the server's CPU microseconds per request. PATH may be
# a wrk Lua script (ending in .lua) to rotate over many paths; the bytes
# are then not compared. Needs wrk and curl; uses ports 7891 and 7892.
#
# Example (the planner's points question on the 10^5 synthetic set):
#   shanshui synth --points 100000 --polygons 10000 --lines 2000 --out target/s5
#   benches/ab_cpu.sh old/shanshui target/release/shanshui target/s5 \
#     '/query/within?layer=points&zone=reservoir/miyun-reservoir&f=csv&limit=10000000' \
#     3 4 -- --max-features 10000000
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
a=$1 b=$2 data=$3 path=$4
shift 4
rounds=${1:-3}; [ $# -gt 0 ] && shift
secs=${1:-4}; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
serve_args=("$@")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start() {  # bin port
  RUST_LOG=warn "$1" serve --data "$data" --addr "127.0.0.1:$2" --no-watch "${serve_args[@]}" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$2/tiles.json" && return
    sleep 0.1
  done
  echo "the server $1 did not answer on port $2" >&2
  exit 1
}
start "$a" 7891
start "$b" 7892
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() {  # port -> requests made
  if [[ $path == *.lua ]]; then
    wrk -t1 -c1 -d"${secs}s" -s "$path" "http://127.0.0.1:$1"
  else
    wrk -t1 -c1 -d"${secs}s" "http://127.0.0.1:$1$path"
  fi | awk '/requests in/ {print $1}'
}
if [[ $path != *.lua ]]; then
  ha=$(curl -s "http://127.0.0.1:7891$path" | md5sum)
  hb=$(curl -s "http://127.0.0.1:7892$path" | md5sum)
  [ "$ha" = "$hb" ] || echo "WARNING: the two builds answer with different bytes" >&2
fi
tick=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
  for side in a b; do
    if [ $side = a ]; then port=7891 pid=${pids[0]}; else port=7892 pid=${pids[1]}; fi
    before=$(cpu "$pid")
    n=$(load "$port")
    after=$(cpu "$pid")
    echo "round $r $side: $n requests, $(( (after - before) * 1000000 / tick / (n > 0 ? n : 1) )) us of server CPU each"
  done
done
