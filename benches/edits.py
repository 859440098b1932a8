#!/usr/bin/env python3
"""Edits through a running server: how many a second, and how long until
an edit shows in tiles and in the planner's questions, at several layer
sizes.

For each size N it writes a synthetic set (`shanshui synth`: N points,
N/10 polygons, N/50 lines; the points take edits), makes a key, starts
`shanshui serve` and:
- moves random points one after another from one client (PATCH of the
  geometry and a property, merge patch), for --seconds; then the same from
  four clients at once. Every edit is fsynced before its answer. Reports
  edits/s and the answer's latency (p50, p99);
- for --visible edits, moves a point to a fresh place and times, from the
  PATCH's send: its answer; the first /query/nearest at the new place that
  names it; the first z14 tile over the new place (a decoder-free check:
  the point's id in the tile's bytes) that holds it.
Prints a table and writes --csv.

Usage: benches/edits.py [--sizes 1000,100000] [--seconds 10] [--visible 50]
       [--bin target/release/shanshui] [--csv target/edits.csv]
Nothing else should run meanwhile (2 cores: say what else ran, in
BENCHMARKS.md).
"""
import argparse
import csv
import http.client
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, data):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--data", str(data), "--no-watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("the server did not come up")


class Client:
    def __init__(self, port, key):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.key = key

    def request(self, method, path, body=None, content_type=None):
        headers = {"Authorization": f"Bearer {self.key}"}
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = content_type
        self.c.request(method, path, body=body, headers=headers)
        r = self.c.getresponse()
        return r.status, r.read()


def move(client, rng, n, note):
    fid = f"pt-{rng.randrange(n)}"
    lon, lat = 116.8 + rng.random() * 0.4, 40.3 + rng.random() * 0.4
    t = time.perf_counter()
    status, body = client.request("PATCH", f"/collections/points/items/{fid}",
                                  {"geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                                   "properties": {"note": note}}, "application/merge-patch+json")
    took = time.perf_counter() - t
    if status != 200:
        sys.exit(f"PATCH {fid}: {status} {body[:200]}")
    return took


def stream(port, key, n, seconds, clients, seed):
    latencies = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(k):
        rng = random.Random(seed * 100 + k)
        c = Client(port, key)
        mine = []
        i = 0
        while time.perf_counter() < stop:
            mine.append(move(c, rng, n, f"bench {k}.{i}"))
            i += 1
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return len(latencies) / wall, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def visible(port, key, n, count, seed):
    rng = random.Random(seed)
    c = Client(port, key)
    acks, queries, tiles = [], [], []
    for i in range(count):
        fid = f"pt-{rng.randrange(n)}"
        lon, lat = round(116.8 + rng.random() * 0.4, 6), round(40.3 + rng.random() * 0.4, 6)
        t = time.perf_counter()
        status, _ = c.request("PATCH", f"/collections/points/items/{fid}",
                              {"geometry": {"type": "Point", "coordinates": [lon, lat]}},
                              "application/merge-patch+json")
        acked = time.perf_counter()
        assert status == 200, status
        while True:
            _, body = c.request("GET", f"/query/nearest?layer=points&lon={lon}&lat={lat}&k=1")
            if json.loads(body)["features"][0]["properties"]["id"] == fid:
                break
        queried = time.perf_counter()
        x, y = tile_of(lon, lat, 14)
        while True:
            status, body = c.request("GET", f"/tiles/points/14/{x}/{y}.mvt")
            if fid.encode() in body:
                break
        tiled = time.perf_counter()
        acks.append(acked - t)
        queries.append(queried - t)
        tiles.append(tiled - t)
    med = statistics.median
    return med(acks), med(queries), med(tiles), max(tiles)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--visible", type=int, default=50)
    ap.add_argument("--bin", default="target/release/shanshui")
    ap.add_argument("--csv", default="target/edits.csv")
    a = ap.parse_args()
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            subprocess.run([a.bin, "synth", "--points", str(n), "--polygons", str(max(n // 10, 1)),
                            "--lines", str(max(n // 50, 1)), "--out", str(data)], check=True, stdout=subprocess.DEVNULL)
            key = subprocess.run([a.bin, "--data", str(data), "key", "add", "bench"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            proc, port = start(a.bin, data)
            try:
                stream(port, key, n, 1.0, 1, 0)  # warm-up
                one = stream(port, key, n, a.seconds, 1, 1)
                four = stream(port, key, n, a.seconds, 4, 2)
                vis = visible(port, key, n, a.visible, 3)
            finally:
                proc.kill()
                proc.wait()
        row = {"features": n, "edits_per_s_1": round(one[0], 1), "p50_ms_1": round(one[1] * 1e3, 2),
               "p99_ms_1": round(one[2] * 1e3, 2), "edits_per_s_4": round(four[0], 1),
               "p50_ms_4": round(four[1] * 1e3, 2), "p99_ms_4": round(four[2] * 1e3, 2),
               "ack_ms": round(vis[0] * 1e3, 2), "in_query_ms": round(vis[1] * 1e3, 2),
               "in_tile_ms": round(vis[2] * 1e3, 2), "in_tile_max_ms": round(vis[3] * 1e3, 2)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    Path(a.csv).parent.mkdir(parents=True, exist_ok=True)
    with open(a.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{'features':>9} {'edits/s 1':>10} {'p50':>7} {'p99':>7} {'edits/s 4':>10} {'p50':>7} {'p99':>7} "
          f"{'ack':>7} {'query':>7} {'tile':>7}  (ms)")
    for r in rows:
        print(f"{r['features']:>9} {r['edits_per_s_1']:>10} {r['p50_ms_1']:>7} {r['p99_ms_1']:>7} "
              f"{r['edits_per_s_4']:>10} {r['p50_ms_4']:>7} {r['p99_ms_4']:>7} "
              f"{r['ack_ms']:>7} {r['in_query_ms']:>7} {r['in_tile_ms']:>7}")


if __name__ == "__main__":
    main()
