#!/usr/bin/env python3
"""Check shanshui's vector tiles with GDAL's MVT driver (ogrinfo).

Starts `shanshui serve` on a free port, fetches tiles at z/x/y paths, and
reads each with `ogrinfo` — GDAL's own MVT decoder, which we did not write.
For every tile it checks that GDAL finds the features the raw layer files
say belong there (computed here with shapely from geodata/, not from
shanshui) and that every attribute GDAL reads equals the source property.
Prints `ok ...` / `FAIL ...` lines and ends with `N passed, M failed`.

Environment: SHANSHUI_BIN (default target/release/shanshui). Installs
Debian's gdal-bin when ogrinfo is missing and we are root.
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from pathlib import Path

from shapely.geometry import box, shape
from interop import report, summary, ensure_ogrinfo, start_server

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "geodata"
BIN = os.environ.get("SHANSHUI_BIN", str(ROOT / "target" / "release" / "shanshui"))
EXTENT, BUFFER = 4096, 64

# Tiles over the reservoir (z12), Miyun town (z14), Yunmengshan (z10), the
# whole district (z8).
TILES = [(12, 3378, 1543), (14, 13509, 6180), (10, 843, 385), (8, 210, 96), (8, 211, 96)]


def tile_bounds_lonlat(z, x, y, pad_units):
    """The tile's lon/lat box, grown by pad_units of the 4096 grid."""
    n = 2 ** z
    pad = pad_units / EXTENT

    def lon(fx):
        return fx / n * 360.0 - 180.0

    def lat(fy):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * fy / n))))

    return box(lon(x - pad), lat(y + 1 + pad), lon(x + 1 + pad), lat(y - pad))


def load_layers():
    manifest = tomllib.loads((DATA / "layers.toml").read_text(encoding="utf-8"))
    layers = {}
    for layer in manifest["layers"]:
        doc = json.loads((DATA / layer["file"]).read_text(encoding="utf-8"))
        feats = {}
        for f in doc["features"]:
            feats[str(f["properties"][layer.get("id_property", "id")])] = (shape(f["geometry"]), f["properties"])
        layers[layer["id"]] = (layer, feats)
    return layers


def expected_ids(layers, z, x, y):
    """Per layer: ids that must be in the tile, and ids that may be."""
    inner = tile_bounds_lonlat(z, x, y, 0)
    outer = tile_bounds_lonlat(z, x, y, BUFFER)
    must, may = {}, {}
    for lid, (meta, feats) in layers.items():
        if z < meta.get("minzoom", 0):
            continue
        for fid, (geom, _) in feats.items():
            if not geom.intersects(outer):
                continue
            may.setdefault(lid, set()).add(fid)
            piece = geom.intersection(inner)
            # Anything with a point, a line or an area clearly inside the
            # tile proper must survive clipping and snapping.
            if geom.geom_type.endswith("Point"):
                if not piece.is_empty:
                    must.setdefault(lid, set()).add(fid)
            elif geom.geom_type.endswith("LineString"):
                if piece.length > inner.length / 4 / EXTENT * 4:
                    must.setdefault(lid, set()).add(fid)
            elif piece.area > inner.area / EXTENT ** 2 * 16:
                must.setdefault(lid, set()).add(fid)
    return must, may


FEATURE_RE = re.compile(r"^OGRFeature\((?P<layer>[^)]*)\):\d+$")
FIELD_RE = re.compile(r"^  (?P<name>[^ ]+) \((?P<type>[^)]+)\) = (?P<value>.*)$")


def ogrinfo(path):
    """{layer: [ {field: (type, value)} ]} from `ogrinfo -ro -al`."""
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(path)], capture_output=True,
                         text=True, check=True).stdout
    layers, current = {}, None
    for line in out.splitlines():
        m = FEATURE_RE.match(line)
        if m:
            current = {}
            layers.setdefault(m.group("layer"), []).append(current)
            continue
        m = FIELD_RE.match(line)
        if m and current is not None:
            current[m.group("name")] = (m.group("type"), m.group("value"))
    return layers


def same_value(source, gdal_type, text):
    if isinstance(source, bool):
        return text.lower() in (("1", "true") if source else ("0", "false"))
    if isinstance(source, (int, float)):
        try:
            return math.isclose(float(text), float(source), rel_tol=1e-9, abs_tol=1e-9)
        except ValueError:
            return False
    if isinstance(source, (list, dict)):
        return json.loads(text) == source
    return text == str(source)


def check_tile(base, tmp, layers, z, x, y):
    name = f"{z}/{x}/{y}"
    path = tmp / str(z) / str(x) / f"{y}.mvt"
    path.parent.mkdir(parents=True, exist_ok=True)
    req = urllib.request.Request(f"{base}/tiles/{z}/{x}/{y}.mvt")
    with urllib.request.urlopen(req) as r:
        report(r.status == 200 and r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile",
               f"{name}: served as MVT", f"{r.status} {r.headers['Content-Type']}")
        path.write_bytes(r.read())
    got = ogrinfo(path)
    must, may = expected_ids(layers, z, x, y)
    total = sum(len(v) for v in got.values())
    report(total > 0 and sum(len(v) for v in must.values()) > 0,
           f"{name}: not empty ({total} features)", "an empty tile proves nothing")
    for lid in sorted(set(must) | set(got)):
        ids = {f.get("id", (None, None))[1] for f in got.get(lid, [])}
        missing = must.get(lid, set()) - ids
        extra = ids - may.get(lid, set())
        report(not missing and not extra, f"{name} {lid}: GDAL reads {len(ids)} features",
               f"missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}")
        bad = []
        for f in got.get(lid, []):
            fid = f.get("id", (None, None))[1]
            if fid not in layers[lid][1]:
                continue
            props = layers[lid][1][fid][1]
            for key, value in props.items():
                if value is None:
                    if key in f and f[key][1] not in ("(null)", ""):
                        bad.append(f"{fid}.{key}: null became {f[key][1]!r}")
                    continue
                if key not in f:
                    bad.append(f"{fid}.{key}: missing")
                elif not same_value(value, *f[key]):
                    bad.append(f"{fid}.{key}: {value!r} read as {f[key][1]!r}")
        report(not bad, f"{name} {lid}: attributes equal the source", "; ".join(bad[:5]))
    # GDAL can also read the tile straight from the server.
    url = f"/vsicurl/{base}/tiles/{z}/{x}/{y}.mvt"
    try:
        remote = ogrinfo(url)
        report({k: len(v) for k, v in remote.items()} == {k: len(v) for k, v in got.items()},
               f"{name}: GDAL reads the same over HTTP (/vsicurl)")
    except subprocess.CalledProcessError as e:
        report(False, f"{name}: GDAL reads over HTTP (/vsicurl)", e.stderr[-300:])


def main():
    if not ensure_ogrinfo():
        report(False, "ogrinfo available", "install gdal-bin")
        return summary()
    version = subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"using {version}")
    layers = load_layers()
    proc, base = start_server(BIN, DATA)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for z, x, y in TILES:
                check_tile(base, Path(tmp), layers, z, x, y)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
