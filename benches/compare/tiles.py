#!/usr/bin/env python3
"""Helpers for benches/compare.sh (standard library only).

  tiles.py pick DIR ZMIN ZMAX PER_ZOOM        the tile list: z/x/y lines
  tiles.py shuffle LIST SEED                  the list's lines in an order drawn from SEED
  tiles.py layers DATA                        id minzoom maxzoom file, from layers.toml
  tiles.py first-id FILE.geojson              the first feature's id property
  tiles.py pack DIR LIST STATIC MBTILES       .mvt + .mvt.gz files for nginx, and an MBTiles
  tiles.py fetch PORT PATHS GZIP [SIZES]      GET every path once: status counts, mean bytes
  tiles.py pgpct GLOB                         p50, p99 latency (µs) and count of pgbench logs
  tiles.py sizes-agree A B                    how many tiles two systems both found empty/non-empty

The tile list: every tile `shanshui export` wrote in DIR at zooms ZMIN to
ZMAX (the tiles over the data's bounds holding features), and of each zoom
at most PER_ZOOM, evenly spaced through the tiles sorted by x then y, so
that the sample spreads over the whole area and is the same every run.
`shuffle` mixes the zooms of that list in an order that is the same every
run (Python's Mersenne Twister from SEED).
"""
import glob
import gzip
import http.client
import json
import os
import random
import sqlite3
import sys
import tomllib


def tiles_in(d):
    out = []
    for z in sorted(int(n) for n in os.listdir(d) if n.isdigit()):
        for x in os.listdir(os.path.join(d, str(z))):
            for f in os.listdir(os.path.join(d, str(z), x)):
                if f.endswith(".mvt"):
                    out.append((z, int(x), int(f[:-4])))
    return sorted(out)


def pick(d, zmin, zmax, per_zoom):
    every = tiles_in(d)
    for z in range(int(zmin), int(zmax) + 1):
        these = [t for t in every if t[0] == z]
        n = min(len(these), int(per_zoom))
        for k in range(n):
            t = these[(k * len(these)) // n]
            print(f"{t[0]}/{t[1]}/{t[2]}")


def shuffle(listed, seed):
    with open(listed, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    random.Random(int(seed)).shuffle(lines)
    for l in lines:
        print(l)


def layers(data):
    with open(os.path.join(data, "layers.toml"), "rb") as f:
        manifest = tomllib.load(f)
    for spec in manifest["layers"]:
        print(spec["id"], spec.get("minzoom", 0), spec.get("maxzoom", 22), spec["file"])


def first_id(path):
    with open(path, encoding="utf-8") as f:
        fc = json.load(f)
    feat = fc["features"][0]
    print(feat["properties"].get("id", feat.get("id")))


def pack(d, listed, static, mbtiles):
    """Every exported tile gzipped once (level 6, no timestamp, as a build
    step would), as files next to the plain ones for nginx's gzip_static,
    and the same gzipped bytes in an MBTiles archive for Martin."""
    with open(os.path.join(d, "tiles.json"), encoding="utf-8") as f:
        tilejson = json.load(f)
    if os.path.exists(mbtiles):
        os.remove(mbtiles)
    db = sqlite3.connect(mbtiles)
    db.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
    every = tiles_in(d)
    rows = []
    for z, x, y in every:
        src = os.path.join(d, str(z), str(x), f"{y}.mvt")
        with open(src, "rb") as f:
            raw = f.read()
        gz = gzip.compress(raw, compresslevel=6, mtime=0)
        out = os.path.join(static, str(z), str(x))
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, f"{y}.mvt"), "wb") as f:
            f.write(raw)
        with open(os.path.join(out, f"{y}.mvt.gz"), "wb") as f:
            f.write(gz)
        rows.append((z, x, (1 << z) - 1 - y, gz))  # MBTiles rows count from the south (TMS)
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
    zooms = [t[0] for t in every]
    bounds = tilejson.get("bounds", [-180, -85, 180, 85])
    meta = {
        "name": "shanshui-compare",
        "format": "pbf",
        "type": "overlay",
        "minzoom": str(min(zooms)),
        "maxzoom": str(max(zooms)),
        "bounds": ",".join(str(b) for b in bounds),
        "center": f"{(bounds[0] + bounds[2]) / 2},{(bounds[1] + bounds[3]) / 2},{max(zooms)}",
        "json": json.dumps({"vector_layers": tilejson.get("vector_layers", [])}),
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", sorted(meta.items()))
    db.commit()
    db.close()
    wanted = sum(1 for line in open(listed) if line.strip())
    print(f"packed {len(every)} tiles ({wanted} in the list)")


def fetch(port, paths, want_gzip="0", sizes=None):
    """One keep-alive connection, every path once, gzip asked for when
    want_gzip is 1. Prints `n= ok= empty= bad= mean_sent= mean_raw=`: the
    mean bytes as sent (gzipped when the server gzipped) and as a decoder
    reads them (ungzipped), over the whole list, an empty tile counting 0.
    Writes the ungzipped size of each tile (-1 for an error) to SIZES."""
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=300)
    headers = {"Accept-Encoding": "gzip"} if want_gzip == "1" else {}
    counts = {"ok": 0, "empty": 0, "bad": 0}
    sent = raw = 0
    out = []
    bad = []
    for line in open(paths):
        path = line.strip()
        if not path:
            continue
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        plain = gzip.decompress(body) if r.getheader("Content-Encoding") == "gzip" else body
        if r.status == 200 and plain:
            counts["ok"] += 1
        elif r.status == 204 or (r.status == 200 and not plain):
            counts["empty"] += 1
        else:
            counts["bad"] += 1
            bad.append(f"{path} -> {r.status} {body[:120]!r}")
        if r.status < 300:
            sent += len(body)
            raw += len(plain)
        out.append(len(plain) if r.status < 300 else -1)
    n = max(len(out), 1)
    print(f"n={len(out)} ok={counts['ok']} empty={counts['empty']} bad={counts['bad']} "
          f"mean_sent={sent / n:.0f} mean_raw={raw / n:.0f}")
    for b in bad[:3]:
        print(f"  bad: {b}", file=sys.stderr)
    if sizes:
        with open(sizes, "w") as f:
            f.write("".join(f"{s}\n" for s in out))


def pgpct(pattern):
    """pgbench -l logs: `client tx latency_us script epoch us` per line."""
    lat = []
    for name in glob.glob(pattern):
        with open(name) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    lat.sort()
    if not lat:
        print("0 0 0")
        return

    def at(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))]
    print(at(0.50), at(0.99), len(lat))


def sizes_agree(a, b):
    """Tiles where one system has features and the other none (or failed)."""
    sa = [int(s) for s in open(a)]
    sb = [int(s) for s in open(b)]
    differ = sum(1 for x, y in zip(sa, sb) if (x > 0) != (y > 0))
    print(differ)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"pick": pick, "shuffle": shuffle, "layers": layers, "first-id": first_id, "pack": pack, "fetch": fetch,
     "pgpct": pgpct, "sizes-agree": sizes_agree}[cmd](*args)


if __name__ == "__main__":
    main()
