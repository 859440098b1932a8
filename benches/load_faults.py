#!/usr/bin/env python3
"""Load and faults: shanshui under a mixed load at 256 connections while its
data is edited 50 times, every other edit broken on purpose.

    benches/load_faults.py [--seconds 150] [--edits 50] [--connections 256]

Needs wrk (Debian: apt-get install wrk) and the release binary (built here
with cargo). Starts `shanshui serve` on a copy of the bundled data on a free
loopback port, then runs at once, each bounded in time:

- wrk processes, one per kind of request, sharing the connections:
  cached tiles (a fixed list, warmed first), cold tiles (random tiles from
  z0 to z16 over the district, with a random subset of layers, so most
  keys are new), the planner's questions (/query/within, at, nearest,
  near), and OGC API Features items with CQL2 filters;
- a trickle of hostile requests (10 a second: deep and huge filters, bad
  tile paths, out-of-range numbers, broken and oversized bodies), each of
  which must be refused with a 4xx;
- the edits: every few seconds the villages file is rewritten, a good
  edit (a village renamed, by a write to a temporary file and a rename)
  or a broken one (the file cut short in place); for each, /health is
  polled until the good edit's version is served, or the broken one is
  refused with the last good data still served;
- the server's resident memory, sampled every second.

It prints a Markdown report (per kind: requests/s, p50, p99, errors; the
edits; memory) for BENCHMARKS.md. Only 127.0.0.1 is ever addressed.
"""

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The district's bounds, roughly, for tile lists.
WEST, SOUTH, EAST, NORTH = 116.65, 40.2, 117.55, 40.8


def tile_of(lon, lat, z):
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return z, min(x, n - 1), min(y, n - 1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def send(url, method="GET", body=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return 0


LUA_LIST = """
local paths, i = {}, 0
for line in io.lines("%s") do paths[#paths + 1] = line end
wrk.headers["Accept-Encoding"] = "gzip"
math.randomseed(%d)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

LUA_COLD = """
local layers = {"district", "reservoir_zones", "nature_reserves", "reservoir",
                "tourism_belts", "projects", "villages"}
math.randomseed(%d + os.time())
local function tile(lon, lat, z)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end
wrk.headers["Accept-Encoding"] = "gzip"
request = function()
  local z = math.random(0, 16)
  local x, y = tile(%f + math.random() * %f, %f + math.random() * %f, z)
  local pick = {}
  for _, l in ipairs(layers) do if math.random() < 0.5 then pick[#pick + 1] = l end end
  if #pick == 0 then pick = {"villages"} end
  return wrk.format("GET", string.format("/tiles/%%d/%%d/%%d.mvt?layers=%%s", z, x, y, table.concat(pick, ",")))
end
"""


def write_lists(work, base):
    """The request lists for the list-driven kinds."""
    cached = []
    for z in (8, 10, 12, 14):
        seen = set()
        for i in range(400):
            lon = WEST + (EAST - WEST) * (i % 20) / 20
            lat = SOUTH + (NORTH - SOUTH) * (i // 20) / 20
            seen.add(tile_of(lon, lat, z))
        cached += [f"/tiles/{z}/{x}/{y}.mvt" for (z, x, y) in sorted(seen)]
    rng = random.Random(7)
    queries = []
    for _ in range(300):
        lon = round(rng.uniform(WEST, EAST), 5)
        lat = round(rng.uniform(SOUTH, NORTH), 5)
        queries += [
            "/query/within?layer=projects&zone=reservoir_zones/zone-1&partly=true",
            "/query/within?layer=villages&zone=nature_reserves/yunmengshan&f=csv",
            f"/query/at?lon={lon}&lat={lat}",
            f"/query/nearest?layer=villages&lon={lon}&lat={lat}&k=5",
            f"/query/near?layer=projects&lon={lon}&lat={lat}&distance=5000",
        ]
    ogc = []
    for _ in range(300):
        lon = round(rng.uniform(WEST, EAST - 0.1), 4)
        lat = round(rng.uniform(SOUTH, NORTH - 0.1), 4)
        filters = [
            f"S_INTERSECTS(geometry, POLYGON(({lon} {lat}, {lon + 0.1} {lat}, {lon + 0.1} {lat + 0.1}, {lon} {lat + 0.1}, {lon} {lat})))",
            "category = 'ecology' AND status <> 'completed'",
            f"S_INTERSECTS(geometry, POINT({lon} {lat})) OR name_en LIKE 'S%'",
        ]
        for layer, f in (("projects", filters[0]), ("projects", filters[1]), ("villages", filters[0])):
            ogc.append(f"/collections/{layer}/items?limit=50&filter=" + urllib.parse.quote(f))
    for name, lines in (("cached", cached), ("queries", queries), ("ogc", ogc)):
        with open(os.path.join(work, f"{name}.txt"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return cached


def parse_wrk(text):
    """requests/s, p50 and p99 in ms, requests, non-2xx/3xx, socket errors."""
    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x = float(m.group(1))
        return {"us": x / 1000, "ms": x, "s": x * 1000}[m.group(2)]
    out = {"rps": 0.0, "p50": None, "p99": None, "requests": 0, "non2xx": 0, "socket": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        if m:
            out[key] = ms(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket"] = sum(int(g) for g in m.groups())
    return out


HOSTILE = [
    ("GET", "/collections/projects/items?filter=" + "(" * 40, None),
    ("GET", "/collections/projects/items?filter=" + urllib.parse.quote("name_en = 'x' OR " * 2000 + "TRUE"), None),
    ("GET", "/collections/projects/items?filter-lang=cql2-json&filter="
     + urllib.parse.quote('{"op":"=","args":[{"property":"name_en"},{"op":"s_touches","args":[{"op":"s_within","args":["text",{"property":"geometry"},{"property":"geometry"}]},{"property":"name_en"}]}]}'), None),
    ("GET", "/tiles/99/1/1.mvt", None),
    ("GET", "/tiles/10/99999/1.mvt", None),
    ("GET", "/tiles/a/b/c.mvt", None),
    ("GET", "/query/near?layer=villages&lon=500&lat=40&distance=10", None),
    ("GET", "/query/near?layer=villages&lon=116.8&lat=40.3&distance=1e400", None),
    ("GET", "/collections/villages/items?bbox=1,2,3", None),
    ("POST", "/query/within?layer=villages", b'{"type":"Polygon","coordinates":[[[116,40],[117,41]'),
    ("POST", "/query/within?layer=villages", b'{"type":"Polygon","coordinates":[[' + b",".join(
        b"[%f,%f]" % (116 + i * 1e-6, 40.0 + (i % 2) * 1e-6) for i in range(120000)) + b",[116,40]]]}"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=150)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--cache-mb", type=int, default=64,
                    help="the server's tile cache (small, so that it fills within the run)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "shanshui")

    work = tempfile.mkdtemp(prefix="shanshui-load-")
    data = os.path.join(work, "data")
    shutil.copytree(os.path.join(ROOT, "geodata"), data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([binary, "--data", data, "serve", "--addr", f"127.0.0.1:{port}",
                               "--cache-mb", str(args.cache_mb)],
                              stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "warn"})
    try:
        for _ in range(100):
            if send(base + "/health") == 200:
                break
            time.sleep(0.1)
        else:
            sys.exit("the server did not start")
        cached = write_lists(work, base)
        for p in cached:  # warm the cache
            send(base + p)
        report = run(args, work, base, data, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    print(report)
    shutil.rmtree(work, ignore_errors=True)


def run(args, work, base, data, pid):
    c = args.connections
    # Connections per kind: most on cached tiles, as a map's traffic is.
    share = {"cached tiles": c // 2, "cold tiles": c // 8, "planner queries": c // 4,
             "OGC items + CQL2": c - c // 2 - c // 8 - c // 4}
    scripts = {
        "cached tiles": LUA_LIST % (os.path.join(work, "cached.txt"), 1),
        "cold tiles": LUA_COLD % (2, WEST, EAST - WEST, SOUTH, NORTH - SOUTH),
        "planner queries": LUA_LIST % (os.path.join(work, "queries.txt"), 3),
        "OGC items + CQL2": LUA_LIST % (os.path.join(work, "ogc.txt"), 4),
    }
    procs = {}
    for kind, lua in scripts.items():
        path = os.path.join(work, kind.split()[0] + ".lua")
        with open(path, "w") as fh:
            fh.write(lua)
        procs[kind] = subprocess.Popen(
            ["wrk", "-t1", f"-c{share[kind]}", f"-d{args.seconds}s", "--timeout", "10s", "--latency",
             "-s", path, base], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    stop = threading.Event()
    rss = []
    hostile = {"sent": 0, "refused_4xx": 0, "other": []}

    def sample():
        while not stop.is_set():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    status = fh.read()
                kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
                rss.append((kb / 1024, threads))
            except OSError:
                pass
            stop.wait(1.0)

    def harass():
        i = 0
        while not stop.is_set():
            method, path, body = HOSTILE[i % len(HOSTILE)]
            status = send(base + path, method, body, timeout=30)
            hostile["sent"] += 1
            if 400 <= status < 500:
                hostile["refused_4xx"] += 1
            else:
                hostile["other"].append((path[:60], status))
            i += 1
            stop.wait(0.1)

    threads = [threading.Thread(target=sample), threading.Thread(target=harass)]
    for t in threads:
        t.start()
    edits = edit_loop(args, base, data)
    for kind, p in procs.items():
        p.wait(timeout=args.seconds + 120)
    stop.set()
    for t in threads:
        t.join()
    results = {kind: parse_wrk(p.stdout.read()) for kind, p in procs.items()}
    return render(args, results, edits, rss, hostile, share, scrape(base))


def scrape(base):
    """Requests by route and status, refusals by limit, and the plain
    samples, from /metrics."""
    text = get(base + "/metrics")[1].decode()
    out = {"requests": [], "refused": []}
    for line in text.splitlines():
        m = re.match(r'shanshui_http_requests_total\{route="([^"]*)",method="[^"]*",status="(\d+)"\} (\d+)', line)
        if m:
            out["requests"].append((m.group(1), int(m.group(2)), int(m.group(3))))
            continue
        m = re.match(r'shanshui_refused_requests_total\{limit="([^"]*)"\} (\d+)', line)
        if m:
            out["refused"].append((m.group(1), int(m.group(2))))
            continue
        m = re.match(r"(shanshui_[a-z_]+) (\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    out["requests"].sort()
    return out


def edit_loop(args, base, data):
    """The edits, spread over the run; each one's fate."""
    path = os.path.join(data, "villages.geojson")
    with open(path, encoding="utf-8") as fh:
        original = json.load(fh)
    gap = max(1.0, (args.seconds - 10) / args.edits)
    out = []
    time.sleep(3)
    for n in range(args.edits):
        started = time.time()
        before = json.loads(get(base + "/health")[1])
        if n % 2 == 0:
            doc = json.loads(json.dumps(original))
            doc["features"][n % len(doc["features"])]["properties"]["name_en"] = f"Edited {n}"
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False)
            os.replace(tmp, path)
            wrote = time.time()
            seen = None
            while time.time() - wrote < 15:
                h = json.loads(get(base + "/health")[1])
                if h["version"] != before["version"] and h["status"] == "ok":
                    seen = time.time() - wrote
                    break
                time.sleep(0.02)
            out.append({"n": n, "kind": "good", "seen_s": seen})
        else:
            text = json.dumps(original, ensure_ascii=False)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text[: len(text) // 2])
            wrote = time.time()
            refused = None
            while time.time() - wrote < 15:
                h = json.loads(get(base + "/health")[1])
                if h["reload_failures"] > before["reload_failures"]:
                    refused = time.time() - wrote
                    break
                time.sleep(0.02)
            kept = h["version"] == before["version"] and h["features"] == before["features"]
            status, _ = get(base + "/collections/villages/items?limit=1")
            out.append({"n": n, "kind": "broken", "refused_s": refused, "kept": kept and status == 200})
        time.sleep(max(0.0, gap - (time.time() - started)))
    # Leave good data behind.
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(original, fh, ensure_ascii=False)
    return out


def render(args, results, edits, rss, hostile, share, metrics):
    lines = [f"{args.connections} connections for {args.seconds} s, {args.edits} edits, "
             f"{hostile['sent']} hostile requests, tile cache {args.cache_mb} MiB\n",
             "| kind | connections | requests/s | p50 | p99 | requests | non-2xx | socket errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = 0.0
    for kind, r in results.items():
        total += r["rps"]
        fmt = lambda v: "-" if v is None else f"{v:.2f} ms"
        lines.append(f"| {kind} | {share[kind]} | {r['rps']:,.0f} | {fmt(r['p50'])} | {fmt(r['p99'])} | "
                     f"{r['requests']:,} | {r['non2xx']:,} | {r['socket']:,} |")
    lines.append(f"| all | {args.connections} | {total:,.0f} | | | | | |")
    lines.append("")
    lines.append("Answers by route and status, from the server's /metrics at the end "
                 "(503 on tiles: shed at --max-renders; 204: an empty tile; 4xx: the hostile trickle):")
    lines.append("")
    lines.append("| route | status | answers |")
    lines.append("|---|---:|---:|")
    for route, status, n in metrics["requests"]:
        lines.append(f"| `{route}` | {status} | {n:,} |")
    refused = ", ".join(f"{k}: {v:,}" for k, v in metrics["refused"])
    lines.append(f"\nRefused at a limit (by flag): {refused or 'none'}; tiles rendered: "
                 f"{metrics.get('shanshui_tile_cache_misses_total', 0):,}, served from the cache: "
                 f"{metrics.get('shanshui_tile_cache_hits_total', 0):,}; cache at the end: "
                 f"{metrics.get('shanshui_tile_cache_bytes', 0) / 2**20:.0f} MiB of {args.cache_mb} MiB; "
                 f"reloads {metrics.get('shanshui_data_reloads_total', 0)}, "
                 f"refused reloads {metrics.get('shanshui_data_reload_failures_total', 0)}")
    good = [e for e in edits if e["kind"] == "good"]
    broken = [e for e in edits if e["kind"] == "broken"]
    seen = sorted(e["seen_s"] for e in good if e["seen_s"] is not None)
    lines.append("")
    lines.append(f"- good edits seen live: {len(seen)} of {len(good)}"
                 + (f"; from write to served: median {seen[len(seen) // 2]:.2f} s, worst {seen[-1]:.2f} s"
                    if seen else ""))
    refused = [e for e in broken if e["refused_s"] is not None]
    kept = [e for e in broken if e["kept"]]
    lines.append(f"- broken edits refused: {len(refused)} of {len(broken)}; the last good data kept "
                 f"serving through {len(kept)} of them")
    lines.append(f"- hostile requests: {hostile['refused_4xx']} of {hostile['sent']} refused with a 4xx"
                 + (f"; others: {hostile['other'][:5]}" if hostile["other"] else ""))
    if rss:
        mib = [m for m, _ in rss]
        q = len(mib) // 4 or 1
        lines.append(f"- resident memory, sampled each second ({len(mib)} samples): start {mib[0]:.0f} MiB, "
                     f"first quarter's peak {max(mib[:q]):.0f} MiB, last quarter's peak {max(mib[-q:]):.0f} MiB, "
                     f"peak {max(mib):.0f} MiB, end {mib[-1]:.0f} MiB; threads at most {max(t for _, t in rss)}")
        series = ", ".join(f"{i} s: {m:.0f}" for i, (m, _) in enumerate(rss) if i % 10 == 0)
        lines.append(f"- memory every 10 s (MiB): {series}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
