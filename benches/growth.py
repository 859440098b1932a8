#!/usr/bin/env python3
"""Growth: how shanshui's start-up, memory, questions and cold tiles grow
with the data, from 10^3 to 10^6 points.

    benches/growth.py [--sizes 1000,10000,100000,1000000] [--reps 20]
                      [--bin PATH] [--out benches/growth]

Needs only Python's standard library and the binary: --bin, else
$SHANSHUI_BIN, else `cargo build --release` and target/release/shanshui.
For each size N it writes (or reuses, see --data-dir) the synthetic layers
of `shanshui synth --points N --polygons N/10 --lines N/50`, with the
bundled district and reservoir, and starts `shanshui serve --data DIR
--cache-mb 0 --no-watch` on a free loopback port. Then:

- load: seconds from the process's start to the first answer of /health,
  polled every 10 ms. The server binds its port only once the layers are
  loaded and indexed, so until then /health is refused, not answered; the
  first answer says "ok" with every feature counted;
- memory: resident memory (VmRSS of /proc/PID/status) right after the
  load, and the peak (VmHWM) after the load and again at the end of the
  size's run; against the bytes of GeoJSON read;
- questions: each asked over one keep-alive connection (http.client), once
  to warm up and then --reps times; the median, and k, the hits the server
  counted (numberMatched). They ask for one hit (limit=1), so the time is
  the question's and not the writing of up to 1,000 hits as GeoJSON;
  `within_page` is the same `within` with the server's default page (up to
  1,000 hits), what a planner waits for;
- cold tiles: all layers in one tile at each zoom of --zooms (8 and 14),
  at three fixed points, the first the tile over 116.95 E, 40.5 N; the
  tile cache is off, so every request renders (and gzips, as every miss
  does). Requested without Accept-Encoding; the median of --reps, the
  tile's bytes, its bytes gzipped (one more request) and its features,
  decoded here from the MVT.

It writes the raw results to OUT.csv, a log-log plot to OUT.svg (plain
SVG written here, no matplotlib), and prints Markdown tables for
BENCHMARKS.md. --merge keeps the rows of an existing OUT.csv for sizes not
measured in this run (run 10^6 alone and plot it with the rest);
--plot-only redraws the SVG and tables from OUT.csv. Only 127.0.0.1 is
ever addressed; every server started is stopped on exit.
"""

import argparse
import atexit
import csv
import hashlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))

# The planner's questions: (column, what, path). All over the synthetic
# layers and the bundled reservoir that comes along with them.
QUERIES = [
    ("within", "points within the reservoir",
     "/query/within?layer=points&zone=reservoir/miyun-reservoir&limit=1"),
    ("within_page", "the same, first page (up to 1,000 hits)",
     "/query/within?layer=points&zone=reservoir/miyun-reservoir"),
    ("at", "what is at 116.95 E, 40.52 N, all layers",
     "/query/at?lon=116.95&lat=40.52&limit=1"),
    ("nearest", "the 5 points nearest 116.843 E, 40.376 N",
     "/query/nearest?layer=points&lon=116.843&lat=40.376&k=5&limit=1"),
    ("near", "points within 1 km of 116.95 E, 40.52 N",
     "/query/near?layer=points&lon=116.95&lat=40.52&distance=1000&limit=1"),
]

# Where the cold tiles are cut: the first is the one reported (the point of
# benches/synthetic.rs: the reservoir), and the slowest of the tiles over
# them all (at z8 the first two share a tile; the third, at the district's
# western edge, is in the next one).
TILE_POINTS = [(116.95, 40.5), (116.843, 40.376), (116.68, 40.6)]

SERVERS = []  # every server started, stopped on exit


# ---------------------------------------------------------------- helpers

def tile_of(lon, lat, z):
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


def proc_status(pid):
    """VmRSS and VmHWM of a process, in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def mvt_layers(data):
    """Features per layer of an MVT (protobuf: Tile.layers = 3; Layer.name
    = 1, Layer.features = 2), decoded with a small wire-format walker."""
    def varint(buf, i):
        shift = value = 0
        while True:
            b = buf[i]
            i += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value, i
            shift += 7

    def fields(buf):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, i = varint(buf, i)
            elif wire == 1:
                value, i = buf[i:i + 8], i + 8
            elif wire == 2:
                size, i = varint(buf, i)
                value, i = buf[i:i + size], i + size
            elif wire == 5:
                value, i = buf[i:i + 4], i + 4
            else:
                raise ValueError(f"unexpected wire type {wire}")
            yield field, wire, value

    layers = {}
    for field, wire, value in fields(data):
        if field == 3 and wire == 2:
            name, count = "?", 0
            for f, w, v in fields(value):
                if f == 1 and w == 2:
                    name = bytes(v).decode("utf-8", "replace")
                elif f == 2 and w == 2:
                    count += 1
            layers[name] = layers.get(name, 0) + count
    return layers


class Client:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path, headers=None):
        """(status, headers, body, seconds); reconnects once if the
        connection was dropped."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                t = time.perf_counter()
                self.conn.request("GET", path, headers=headers or {})
                r = self.conn.getresponse()
                body = r.read()
                seconds = time.perf_counter() - t
                return r.status, {k.lower(): v for k, v in r.getheaders()}, body, seconds
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()


def stop(server):
    """SIGTERM (the server answers what is in flight and exits), then
    SIGKILL if it lingers."""
    proc = server["proc"]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    server["log"].close()
    if server in SERVERS:
        SERVERS.remove(server)


def stop_all():
    for server in list(SERVERS):
        stop(server)


def host():
    return f"{os.cpu_count()} cores, {platform.system()} {platform.release()}"


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ------------------------------------------------------------------ steps

def binary(args):
    if args.bin:
        return os.path.abspath(args.bin)
    if os.environ.get("SHANSHUI_BIN"):
        return os.environ["SHANSHUI_BIN"]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(TARGET, "release", "shanshui")


def synth_spec(n):
    return {"points": n, "polygons": n // 10, "lines": n // 50, "seed": 1}


def stamp_of(spec):
    """What the synthetic folder was written from: the arguments, the
    generator's source and the copied layers' sizes."""
    digest = hashlib.sha256()
    synth_rs = os.path.join(ROOT, "src", "synth.rs")
    if os.path.exists(synth_rs):
        with open(synth_rs, "rb") as fh:
            digest.update(fh.read())
    for name in ("district.geojson", "reservoir.geojson"):
        path = os.path.join(ROOT, "geodata", name)
        digest.update(f"{name}:{os.path.getsize(path) if os.path.exists(path) else -1}".encode())
    return {**spec, "source": digest.hexdigest()[:16]}


def synth(bin_path, n, root, fresh):
    """The synthetic layers for n points: (folder, GeoJSON bytes, seconds
    synth took or None when reused)."""
    spec = synth_spec(n)
    out = os.path.join(root, str(n))
    stamp_path = os.path.join(out, "growth-stamp.json")
    stamp = stamp_of(spec)
    if not fresh and os.path.exists(stamp_path):
        with open(stamp_path) as fh:
            if json.load(fh) == stamp:
                return out, geojson_bytes(out), None
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([bin_path, "synth", "--data", os.path.join(ROOT, "geodata"),
                    "--points", str(spec["points"]), "--polygons", str(spec["polygons"]),
                    "--lines", str(spec["lines"]), "--seed", str(spec["seed"]), "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    with open(stamp_path, "w") as fh:
        json.dump(stamp, fh)
    return out, geojson_bytes(out), seconds


def geojson_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, f))
               for f in os.listdir(folder) if f.endswith(".geojson"))


def start(bin_path, data, logdir, timeout):
    """Starts the server and polls /health every 10 ms: (server, seconds
    from start to the first answer, that answer)."""
    port = free_port()
    log = open(os.path.join(logdir, f"server-{port}.log"), "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen([bin_path, "serve", "--data", data, "--addr", f"127.0.0.1:{port}",
                             "--cache-mb", "0", "--no-watch"],
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "RUST_LOG": "warn"})
    server = {"proc": proc, "port": port, "log": log}
    SERVERS.append(server)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/health")
            r = conn.getresponse()
            body = r.read()
            seconds = time.perf_counter() - t0
            conn.close()
            if r.status == 200:
                return server, seconds, json.loads(body)
        except (ConnectionError, http.client.HTTPException, socket.timeout, OSError):
            pass
        if proc.poll() is not None:
            log.flush()
            with open(log.name) as fh:
                tail = fh.read()[-2000:]
            sys.exit(f"the server exited ({proc.returncode}) before answering:\n{tail}")
        if time.perf_counter() - t0 > timeout:
            stop(server)
            sys.exit(f"the server did not answer /health within {timeout} s")
        time.sleep(0.01)


def ask(client, path, reps):
    """Median seconds of reps answers after one to warm up, and the answer."""
    status, _, body, _ = client.get(path)
    if status != 200:
        raise RuntimeError(f"{path}: {status} {body[:300]!r}")
    times = []
    for _ in range(reps):
        status, _, body, seconds = client.get(path)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        times.append(seconds)
    return statistics.median(times), body


def cold_tile(client, z, lon, lat, reps):
    """Median seconds of reps renders of the tile (cache off), its bytes,
    its bytes gzipped, and its features per layer."""
    _, x, y = tile_of(lon, lat, z)
    path = f"/tiles/{z}/{x}/{y}.mvt"
    times = []
    for i in range(reps + 1):  # the first warms the connection
        status, _, body, seconds = client.get(path)
        if status not in (200, 204):
            raise RuntimeError(f"{path}: {status} {body[:300]!r}")
        if i:
            times.append(seconds)
    status, headers, gz, _ = client.get(path, {"Accept-Encoding": "gzip"})
    gz_bytes = len(gz) if headers.get("content-encoding") == "gzip" else len(body)
    layers = mvt_layers(body) if status == 200 else {}
    return {"tile": f"{z}/{x}/{y}", "ms": statistics.median(times) * 1000,
            "bytes": len(body), "gzip_bytes": gz_bytes, "layers": layers}


def cache_hits(client):
    _, _, body, _ = client.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith("shanshui_tile_cache_hits_total"):
            return int(float(line.split()[-1]))
    return 0


def measure(args, bin_path, n, workdir):
    data, gbytes, synth_s = synth(bin_path, n, args.data_dir or os.path.join(workdir, "data"),
                                  args.fresh)
    print(f"N={n:,}: {gbytes / 1e6:.1f} MB of GeoJSON"
          + (f", written in {synth_s:.2f} s" if synth_s is not None else ", reused"),
          file=sys.stderr, flush=True)
    loads = []
    for i in range(args.load_reps):
        server, seconds, health = start(bin_path, data, workdir, args.load_timeout)
        loads.append(seconds)
        if i + 1 < args.load_reps:
            stop(server)
    pid = server["proc"].pid
    after_load = proc_status(pid)
    row = dict(synth_spec(n))
    del row["seed"]
    row.update({
        "n": n, "features": health.get("features"), "geojson_bytes": gbytes,
        "synth_s": "" if synth_s is None else round(synth_s, 3),
        "load_s": round(statistics.median(loads), 4),
        "load_s_all": " ".join(f"{s:.3f}" for s in loads),
        "rss_load_bytes": after_load["VmRSS"], "hwm_load_bytes": after_load["VmHWM"],
    })
    print(f"  load {row['load_s']:.3f} s, {row['features']:,} features, "
          f"{after_load['VmRSS'] / 1e6:.0f} MB resident", file=sys.stderr, flush=True)
    client = Client(server["port"])
    try:
        for col, _, path in QUERIES:
            seconds, body = ask(client, path, args.reps)
            doc = json.loads(body)
            row[f"{col}_ms"] = round(seconds * 1000, 4)
            row[f"{col}_k"] = doc.get("numberMatched", len(doc.get("features", [])))
            row[f"{col}_bytes"] = len(body)
            print(f"  {col}: {row[f'{col}_ms']:.3f} ms, k={row[f'{col}_k']:,}",
                  file=sys.stderr, flush=True)
        hits_before = cache_hits(client)
        for z in args.zooms:
            tiles, seen = [], set()
            for lon, lat in TILE_POINTS:
                if tile_of(lon, lat, z) not in seen:
                    seen.add(tile_of(lon, lat, z))
                    tiles.append(cold_tile(client, z, lon, lat, args.reps))
            main = tiles[0]
            slowest = max(tiles, key=lambda t: t["ms"])
            row.update({
                f"z{z}_tile": main["tile"], f"z{z}_ms": round(main["ms"], 4),
                f"z{z}_bytes": main["bytes"], f"z{z}_gzip_bytes": main["gzip_bytes"],
                f"z{z}_features": sum(main["layers"].values()),
                f"z{z}_layers": " ".join(f"{k}={v}" for k, v in main["layers"].items()),
                f"z{z}_ms_max": round(slowest["ms"], 4), f"z{z}_tile_max": slowest["tile"],
                f"z{z}_tiles": len(tiles),
            })
            print(f"  z{z} {main['tile']}: {main['ms']:.2f} ms, {main['bytes']:,} B, "
                  f"{row[f'z{z}_features']:,} features; slowest of {len(tiles)}: "
                  f"{slowest['tile']} {slowest['ms']:.2f} ms", file=sys.stderr, flush=True)
        if cache_hits(client) != hits_before:
            print("  warning: tiles came from the cache; the tile times are not cold",
                  file=sys.stderr)
        end = proc_status(pid)
        row["rss_end_bytes"], row["hwm_end_bytes"] = end["VmRSS"], end["VmHWM"]
        row["rss_per_geojson"] = round(row["rss_load_bytes"] / gbytes, 2)
        row["hwm_per_geojson"] = round(row["hwm_end_bytes"] / gbytes, 2)
        row["reps"] = args.reps
        row["date"] = time.strftime("%Y-%m-%d %H:%M")
        row["host"] = host()
    finally:
        client.close()
        stop(server)
    if args.data_dir and not args.keep_data:
        shutil.rmtree(data, ignore_errors=True)
    return row


# ------------------------------------------------------------- csv, table

def columns(zooms):
    cols = ["n", "points", "polygons", "lines", "features", "geojson_bytes", "synth_s",
            "load_s", "load_s_all", "rss_load_bytes", "hwm_load_bytes", "rss_end_bytes",
            "hwm_end_bytes", "rss_per_geojson", "hwm_per_geojson"]
    for col, _, _ in QUERIES:
        cols += [f"{col}_ms", f"{col}_k", f"{col}_bytes"]
    for z in zooms:
        cols += [f"z{z}_tile", f"z{z}_ms", f"z{z}_bytes", f"z{z}_gzip_bytes", f"z{z}_features",
                 f"z{z}_layers", f"z{z}_ms_max", f"z{z}_tile_max", f"z{z}_tiles"]
    return cols + ["reps", "date", "host"]


def read_csv(path):
    def num(v):
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v
    with open(path, newline="") as fh:
        return [{k: num(v) for k, v in r.items()} for r in csv.DictReader(fh)]


def write_csv(path, rows, zooms):
    cols = columns(zooms)
    extra = [k for r in rows for k in r if k not in cols]
    cols += list(dict.fromkeys(extra))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols, restval="")
        w.writeheader()
        for r in sorted(rows, key=lambda r: r["n"]):
            w.writerow(r)


def zooms_in(rows):
    return sorted({int(k[1:-3]) for r in rows for k in r if k.startswith("z") and k.endswith("_ms")
                   and k[1:-3].isdigit()})


def val(row, key):
    v = row.get(key, "")
    return v if isinstance(v, (int, float)) else None


def tables(rows):
    def f(v, fmt):
        return "-" if v is None else format(v, fmt)
    rows = sorted(rows, key=lambda r: r["n"])
    out = ["| N points | features | GeoJSON | load | resident after load | peak at end | "
           "resident / GeoJSON | peak / GeoJSON |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mb = lambda k: None if val(r, k) is None else val(r, k) / 1e6
        out.append(f"| {r['n']:,} | {f(val(r, 'features'), ',')} | {f(mb('geojson_bytes'), ',.1f')} MB | "
                   f"{f(val(r, 'load_s'), '.3f')} s | {f(mb('rss_load_bytes'), ',.0f')} MB | "
                   f"{f(mb('hwm_end_bytes'), ',.0f')} MB | {f(val(r, 'rss_per_geojson'), '.1f')}× | "
                   f"{f(val(r, 'hwm_per_geojson'), '.1f')}× |")
    out += ["", "| N points | " + " | ".join(f"`{c}` ms (k)" for c, _, _ in QUERIES) + " |",
            "|---:|" + "---:|" * len(QUERIES)]
    for r in rows:
        cells = []
        for c, _, _ in QUERIES:
            ms, k = val(r, f"{c}_ms"), val(r, f"{c}_k")
            cells.append("-" if ms is None else f"{ms:.3g} ({k:,})" if k is not None else f"{ms:.3g}")
        out.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    zooms = zooms_in(rows)
    if zooms:
        out += ["", "| N points | " + " | ".join(f"z{z} tile | z{z} ms | z{z} bytes (gzip) | "
                                                   f"z{z} features | z{z} slowest ms"
                                                   for z in zooms) + " |",
                "|---:|" + "---|---:|---:|---:|---:|" * len(zooms)]
        for r in rows:
            cells = []
            for z in zooms:
                b, g = val(r, f"z{z}_bytes"), val(r, f"z{z}_gzip_bytes")
                cells += [str(r.get(f"z{z}_tile", "-")), f(val(r, f"z{z}_ms"), '.3g'),
                          "-" if b is None else f"{b:,} ({g:,})", f(val(r, f"z{z}_features"), ','),
                          f(val(r, f"z{z}_ms_max"), '.3g')]
            out.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    legend = "; ".join(f"`{c}`: {what}" for c, what, _ in QUERIES)
    out += ["", f"Questions: {legend}; median of {rows[-1].get('reps', '?')} over one keep-alive "
            "connection, k the hits counted. Tiles: all layers, cache off, median; the tile "
            f"over {TILE_POINTS[0][0]} E, {TILE_POINTS[0][1]} N and the slowest of the tiles over "
            + ", ".join(f"{lon} E {lat} N" for lon, lat in TILE_POINTS) + "."]
    return "\n".join(out)


# -------------------------------------------------------------------- svg

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def tick_label(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 1:
        return f"{v:g}"
    return f"{v:.{max(0, -math.floor(math.log10(v)))}f}".rstrip("0").rstrip(".") if v > 0 else "0"


def n_label(n):
    e = math.log10(n)
    if abs(e - round(e)) < 1e-9:
        return "10" + str(round(e)).translate(SUPERSCRIPT)
    return f"{n:,.0f}"


def log_range(values, pad=0.12, min_span=1.0):
    lo, hi = math.log10(min(values)), math.log10(max(values))
    if hi - lo < min_span:
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    return lo - pad, hi + pad


def panel(x0, y0, w, h, title, unit, xs_all, series, ref=True):
    """One log-log panel: series is [(label, colour, dashed, [(n, v)])].
    Returns SVG text."""
    left, right, top, bottom = 64, 190, 34, 42
    pw, ph = w - left - right, h - top - bottom
    pts = [(n, v) for _, _, _, s in series for n, v in s if v is not None and v > 0]
    out = [f'<g transform="translate({x0},{y0})">',
           f'<text x="{left}" y="18" class="title">{esc(title)}</text>']
    if not pts:
        out.append(f'<text x="{left + 10}" y="{top + 30}" class="tick">no data</text></g>')
        return "\n".join(out)
    xlo, xhi = log_range(xs_all, pad=0.15)
    ylo, yhi = log_range([v for _, v in pts])

    def X(n):
        return left + (math.log10(n) - xlo) / (xhi - xlo) * pw

    def Y(v):
        return top + ph - (math.log10(v) - ylo) / (yhi - ylo) * ph

    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="plot"/>')
    # y: a labelled line at each decade; 2 and 5 labelled too when the
    # range is short, the other multiples as faint lines.
    span = yhi - ylo
    for d in range(math.floor(ylo), math.ceil(yhi) + 1):
        for m in range(1, 10):
            v = m * 10 ** d
            lv = math.log10(v)
            if not ylo <= lv <= yhi:
                continue
            y = Y(v)
            labelled = m == 1 or (span < 2.6 and m in (2, 5))
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'class="{"grid" if labelled else "minor"}"/>')
            if labelled:
                out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" '
                           f'text-anchor="end">{esc(tick_label(v))}</text>')
    # x: each decade, and each measured N.
    xticks = sorted({10 ** d for d in range(math.floor(xlo), math.ceil(xhi) + 1)
                     if xlo <= d <= xhi} | set(xs_all))
    for n in xticks:
        x = X(n)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" class="tick" '
                   f'text-anchor="middle">{esc(n_label(n))}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{top + ph + 34}" class="axis" '
               f'text-anchor="middle">N points (+ N/10 polygons, N/50 lines)</text>')
    out.append(f'<text transform="translate(14,{top + ph / 2}) rotate(-90)" class="axis" '
               f'text-anchor="middle">{esc(unit)}</text>')
    # A line growing as N, through the first series' first point, to judge
    # the slopes by.
    if ref:
        first = next((s for _, _, _, s in series if any(v for _, v in s)), None)
        n0, v0 = next((n, v) for n, v in first if v)
        a, b = 10 ** xlo, 10 ** xhi
        # Clip the reference to the plot's box.
        a = max(a, n0 * 10 ** ylo / v0)
        b = min(b, n0 * 10 ** yhi / v0)
        if a < b:
            out.append(f'<line x1="{X(a):.1f}" y1="{Y(v0 * a / n0):.1f}" x2="{X(b):.1f}" '
                       f'y2="{Y(v0 * b / n0):.1f}" class="ref"/>')
    for label, colour, dashed, s in series:
        s = [(n, v) for n, v in s if v is not None and v > 0]
        if not s:
            continue
        d = " ".join(f"{X(n):.1f},{Y(v):.1f}" for n, v in s)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for n, v in s:
            out.append(f'<circle cx="{X(n):.1f}" cy="{Y(v):.1f}" r="3.5" fill="{colour}">'
                       f'<title>{esc(label)}: N={n:,}: {v:.4g} {esc(unit)}</title></circle>')
    # The legend, right of the plot.
    lx, ly = left + pw + 14, top + 8
    for i, (label, colour, dashed, _) in enumerate(series + ([("∝ N (slope 1)", "#999", True, [])]
                                                             if ref else [])):
        y = ly + i * 20
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        width = 1 if label.startswith("∝") else 2
        out.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{y}" y2="{y}" stroke="{colour}" '
                   f'stroke-width="{width}"{dash}/>')
        out.append(f'<text x="{lx + 28}" y="{y + 4}" class="legend">{esc(label)}</text>')
    out.append("</g>")
    return "\n".join(out)


def svg(rows, subtitle):
    rows = sorted(rows, key=lambda r: r["n"])
    ns = [r["n"] for r in rows]

    def s(key, scale=1.0):
        return [(r["n"], None if val(r, key) is None else val(r, key) * scale) for r in rows]

    zooms = zooms_in(rows)
    w, h = 570, 340
    panels = [
        ("Load: process start to first /health answer", "seconds",
         [("load and index", COLOURS[0], False, s("load_s"))]),
        ("Memory", "MB",
         [("resident after load", COLOURS[0], False, s("rss_load_bytes", 1e-6)),
          ("peak (VmHWM) at end", COLOURS[1], False, s("hwm_end_bytes", 1e-6)),
          ("GeoJSON read", COLOURS[2], True, s("geojson_bytes", 1e-6))]),
        ("Questions over HTTP (median)", "ms",
         [(c, COLOURS[i % len(COLOURS)], False, s(f"{c}_ms")) for i, (c, _, _) in enumerate(QUERIES)]),
        ("Cold tiles, all layers (median, cache off)", "ms",
         [x for i, z in enumerate(zooms) for x in (
             (f"z{z} at {TILE_POINTS[0][0]} E {TILE_POINTS[0][1]} N", COLOURS[i % len(COLOURS)], False,
              s(f"z{z}_ms")),
             (f"z{z} slowest tile", COLOURS[i % len(COLOURS)], True,
              s(f"z{z}_ms_max")))]),
    ]
    width, height = 2 * w + 20, 2 * h + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           "<style>"
           ".title{font-size:14px;font-weight:bold;fill:#222}"
           ".tick{font-size:11px;fill:#444}.axis{font-size:11px;fill:#222}"
           ".legend{font-size:11px;fill:#222}.plot{fill:#fff;stroke:#444;stroke-width:1}"
           ".grid{stroke:#ccc;stroke-width:0.8}.minor{stroke:#eee;stroke-width:0.6}"
           ".ref{stroke:#999;stroke-width:1;stroke-dasharray:2 3}"
           "</style>",
           f'<rect width="{width}" height="{height}" fill="#fafafa"/>',
           f'<text x="20" y="26" font-size="17" font-weight="bold" fill="#111">'
           f'shanshui growth: synthetic layers from {n_label(min(ns))} to {n_label(max(ns))} points</text>',
           f'<text x="20" y="46" font-size="11" fill="#555">{esc(subtitle)}</text>']
    for i, (title, unit, series) in enumerate(panels):
        out.append(panel(10 + (i % 2) * (w + 10), 60 + (i // 2) * h, w, h, title, unit, ns, series))
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000,1000000",
                    help="points per size, comma-separated (polygons N/10, lines N/50)")
    ap.add_argument("--reps", type=int, default=20, help="timed repetitions of each question and tile")
    ap.add_argument("--load-reps", type=int, default=3,
                    help="server starts per size; the load time is their median")
    ap.add_argument("--zooms", default="8,14", help="zooms of the cold tiles")
    ap.add_argument("--bin", help="the shanshui binary (else $SHANSHUI_BIN, else cargo build --release)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "growth"),
                    help="writes OUT.csv and OUT.svg (default benches/growth)")
    ap.add_argument("--data-dir", default=os.path.join(TARGET, "growth-data"),
                    help="where the synthetic layers are kept, one folder per N, reused while "
                         "the generator and its arguments are the same ('' for a temporary "
                         "folder removed at the end)")
    ap.add_argument("--fresh", action="store_true", help="write the synthetic layers again")
    ap.add_argument("--keep-data", action=argparse.BooleanOptionalAction, default=True,
                    help="keep each size's layers in --data-dir for the next run")
    ap.add_argument("--load-timeout", type=float, default=600, help="seconds to wait for a start")
    ap.add_argument("--merge", action="store_true",
                    help="keep OUT.csv's rows for the sizes not measured now")
    ap.add_argument("--plot-only", action="store_true", help="redraw OUT.svg and the tables from OUT.csv")
    args = ap.parse_args()
    out = args.out[:-4] if args.out.endswith((".csv", ".svg")) else args.out
    csv_path, svg_path = out + ".csv", out + ".svg"
    args.zooms = [int(z) for z in args.zooms.split(",") if z.strip()]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    if args.plot_only:
        rows = read_csv(csv_path)
    else:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGHUP, on_signal)
        atexit.register(stop_all)
        bin_path = binary(args)
        if not os.access(bin_path, os.X_OK):
            sys.exit(f"no binary at {bin_path}")
        workdir = tempfile.mkdtemp(prefix="shanshui-growth-")
        rows = []
        try:
            for n in sizes:
                rows.append(measure(args, bin_path, n, workdir))
        finally:
            stop_all()
            shutil.rmtree(workdir, ignore_errors=True)
        if args.merge and os.path.exists(csv_path):
            rows += [r for r in read_csv(csv_path) if r["n"] not in sizes]
        os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)
        write_csv(csv_path, rows, sorted(set(args.zooms) | set(zooms_in(rows))))
    last = max(rows, key=lambda r: str(r.get("date", "")))
    subtitle = (f"{last.get('date', '?')}, {last.get('host', '?')}; serve --cache-mb 0 --no-watch; medians of "
                f"{rows[0].get('reps', args.reps)} over one keep-alive connection; "
                "dotted grey: growth in proportion to N")
    with open(svg_path, "w", encoding="utf-8") as fh:
        fh.write(svg(rows, subtitle))
    print(tables(rows))
    print(f"\n{csv_path}\n{svg_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
