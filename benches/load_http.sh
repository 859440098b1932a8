#!/usr/bin/env bash
# Serving tiles over HTTP under load: `shanshui serve` (tiles from its warm
# cache, gzip negotiated) against a peer, nginx serving the same tiles as
# static files exported by `shanshui export` (the static-hosting path),
# both on loopback, in the same run. Load from wrk with 2 threads.
#
#   benches/load_http.sh [SECONDS] [CONNECTIONS]   (defaults 10, 32; needs wrk and nginx)
#
# Requests rotate over every z12 and z14 tile of the district. Bounded in
# count and time; only 127.0.0.1 is ever addressed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
for t in wrk nginx; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "needs $t: apt-get install wrk nginx-light" >&2; exit 1; }
done
cargo build --release --quiet
bin=$PWD/target/release/shanshui
work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run unprivileged and must read the tiles
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; cat "$work"/nginx/*.log "$work"/nginx/stderr 2>/dev/null >&2; exit 1; }

# The tiles: every z12 and z14 tile with features, as exported.
"$bin" export --out "$work/tiles" --minzoom 12 --maxzoom 14 >/dev/null 2>&1
(cd "$work/tiles" && find 12 14 -name '*.mvt' | sort) > "$work/paths.txt"
n=$(wc -l < "$work/paths.txt")

cat > "$work/rotate.lua" <<LUA
local paths, i = {}, 0
for line in io.lines("$work/paths.txt") do paths[#paths + 1] = line end
wrk.headers["Accept-Encoding"] = "gzip"
request = function()
  i = i % #paths + 1
  return wrk.format("GET", wrk.path .. paths[i])
end
LUA

# shanshui, cache warmed by one pass over the tiles.
sport=$(free_port)
"$bin" serve --addr "127.0.0.1:$sport" >/dev/null 2>&1 & pids+=($!)
wait_for "http://127.0.0.1:$sport/health"
while read -r p; do curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$sport/tiles/$p"; done < "$work/paths.txt"

# nginx over the exported files, gzip on the fly like a typical setup.
nport=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/vnd.mapbox-vector-tile mvt; }
  gzip on; gzip_types application/vnd.mapbox-vector-tile; gzip_min_length 0;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nport; location /tiles/ { alias $work/tiles/; } }
}
CONF
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx_bin" -c "$work/nginx/nginx.conf" -g "daemon off;" 2>"$work/nginx/stderr" & pids+=($!)
wait_for "http://127.0.0.1:$nport/tiles/$(head -1 "$work/paths.txt")"

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); $n tiles (z12, z14); wrk -t2 -c$conns -d${secs}s"
for target in "shanshui http://127.0.0.1:$sport/tiles/" "nginx http://127.0.0.1:$nport/tiles/"; do
  set -- $target
  echo "== $1"
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/rotate.lua" "$2" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
done
