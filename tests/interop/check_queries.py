#!/usr/bin/env python3
"""Check shanshui's query answers against shapely (GEOS) and pyproj (geodesics).

Runs `shanshui query ... --format geojson` as a subprocess and compares every
answer with what shapely predicates and pyproj's WGS84 geodesics compute from
the raw layer files in geodata/. Prints one `ok ...` / `FAIL ...` line per
check and ends with `N passed, M failed`; exits 1 if anything failed.

Environment: SHANSHUI_BIN (default target/release/shanshui), INTEROP_DATA
(default geodata/).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, shape
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points, transform
import interop
from interop import report, summary

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("INTEROP_DATA", ROOT / "geodata"))
BIN = os.environ.get("SHANSHUI_BIN", str(ROOT / "target" / "release" / "shanshui"))
GEOD = Geod(ellps="WGS84")

# Tolerances, as specified for the suite. Do not loosen them to make it pass.
AREA_REL, AREA_ABS_HA = 0.005, 0.01   # overlap_ha: 0.5 % + 0.01 ha
LEN_REL, LEN_ABS_M = 0.005, 1.0       # overlap_m: 0.5 % + 1 m
FRACTION_ABS = 0.005                  # overlap_fraction
DIST_ABS_M = 1.0                      # distances, ties, near-boundary cases

WITHIN_LAYERS = ["projects", "villages", "tourism_belts"]
ZONES = ["reservoir_zones/zone-1", "reservoir_zones/zone-2", "nature_reserves/yunmengshan",
         "nature_reserves/yunfengshan", "nature_reserves/wulingshan"]
NEAREST_POINTS = [(116.843, 40.376), (117.0, 40.6), (117.27, 40.66), (116.95, 40.52),
                  (116.5, 40.1)]
NEAR_BELTS = ["tourism_belts/belt-north", "tourism_belts/belt-east"]
NEAR_DISTANCE_M = 2000.0


def load_layers():
    """{layer id: {feature id: shapely geometry}} straight from layers.toml and the files."""
    return {lid: {fid: shape(g) for fid, _, g in feats}
            for lid, feats in interop.layer_features(DATA)[1].items()}


LAYERS = load_layers()


def ref(r):
    layer, fid = r.split("/", 1)
    return LAYERS[layer][fid]


def run(*args):
    return subprocess.run([BIN, *args, "--data", str(DATA)], capture_output=True,
                          text=True, timeout=300)


def query(*args):
    p = run("query", *args, "--format", "geojson")
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)["features"]


def fid_of(f):
    return str(f.get("id", f.get("properties", {}).get("id")))


# ---- geodesic measures (pyproj) -------------------------------------------

def parts(g, kind):
    if g.is_empty:
        return []
    if g.geom_type == kind:
        return [g]
    if hasattr(g, "geoms"):
        return [p for sub in g.geoms for p in parts(sub, kind)]
    return []


def area_ha(g):
    # orient(): exterior counter-clockwise, holes clockwise, so Geod subtracts holes.
    return sum(GEOD.geometry_area_perimeter(orient(p, 1.0))[0]
               for p in parts(g, "Polygon")) / 1e4


def length_m(g):
    return sum(GEOD.geometry_length(line) for line in parts(g, "LineString"))


def distance_m(lon, lat, g):
    """Geodesic distance from (lon, lat) to the nearest point of g."""
    if g.intersects(Point(lon, lat)):
        return 0.0
    if g.geom_type == "Point":
        return GEOD.inv(lon, lat, g.x, g.y)[2]
    # Azimuthal equidistant frame centred on the point: distances from the origin
    # are geodesic; densify (~50 m) so straight pieces follow the edges.
    aeqd = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m",
        always_xy=True)
    local = transform(aeqd.transform, shapely.segmentize(g, 0.0005))
    _, q = nearest_points(Point(0, 0), local)
    qlon, qlat = aeqd.transform(q.x, q.y, direction="INVERSE")
    return GEOD.inv(lon, lat, qlon, qlat)[2]


def relation(g, zone):
    if not g.intersects(zone):
        return None
    if g.within(zone):
        return "inside"
    if g.touches(zone):
        return "touches"
    return "partly"


def close(bad, fid, key, got, want, tol):
    if got is None or abs(got - want) > tol:
        bad.append(f"{fid} {key} shanshui={got} shapely/pyproj={want:.4f} (tol {tol:.4f})")


def diff_sets(got, want):
    return "; ".join(f"{k}: shanshui={got.get(k)} shapely={want.get(k)}"
                     for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k))


# ---- checks ----------------------------------------------------------------

def check_within(layer, zref):
    zone = ref(zref)
    want = {fid: rel for fid, g in LAYERS[layer].items() if (rel := relation(g, zone))}
    name = f"within --layer {layer} --zone {zref}"
    feats = query("within", "--layer", layer, "--zone", zref, "--partly")
    got = {fid_of(f): f["properties"].get("relation") for f in feats}
    counts = {r: sum(1 for v in want.values() if v == r) for r in ("inside", "partly", "touches")}
    report(got == want, f"{name} --partly: ids and relations {counts}", diff_sets(got, want))

    bad, n = [], 0
    for f in feats:
        fid, p = fid_of(f), f["properties"]
        g = LAYERS[layer].get(fid)
        if g is None or fid not in want:
            continue  # already reported above
        inter = g.intersection(zone)
        if g.geom_type in ("Polygon", "MultiPolygon"):
            n += 1
            whole, ov = area_ha(g), area_ha(inter)
            close(bad, fid, "overlap_ha", p.get("overlap_ha"), ov, AREA_REL * ov + AREA_ABS_HA)
            close(bad, fid, "overlap_fraction", p.get("overlap_fraction"), ov / whole, FRACTION_ABS)
        elif g.geom_type in ("LineString", "MultiLineString"):
            n += 1
            whole, ov = length_m(g), length_m(inter)
            close(bad, fid, "overlap_m", p.get("overlap_m"), ov, LEN_REL * ov + LEN_ABS_M)
            close(bad, fid, "overlap_fraction", p.get("overlap_fraction"), ov / whole, FRACTION_ABS)
    if n:
        report(not bad, f"{name} --partly: overlap measures of {n} polygons/lines", "; ".join(bad))

    plain = {fid_of(f): f["properties"].get("relation", "inside")
             for f in query("within", "--layer", layer, "--zone", zref)}
    inside = {k: v for k, v in want.items() if v == "inside"}
    report(plain == inside, f"{name}: exactly the {len(inside)} inside", diff_sets(plain, inside))


def check_nearest(lon, lat, k=5):
    name = f"nearest --layer villages --lon {lon} --lat {lat} -k {k}"
    brute = sorted((distance_m(lon, lat, g), fid) for fid, g in LAYERS["villages"].items())
    truth = {fid: d for d, fid in brute}
    feats = query("nearest", "--layer", "villages", "--lon", str(lon), "--lat", str(lat), "-k", str(k))
    bad = []
    if len(feats) != min(k, len(brute)):
        bad.append(f"{len(feats)} answers, expected {min(k, len(brute))}")
    ids = [fid_of(f) for f in feats]
    if len(set(ids)) != len(ids):
        bad.append(f"repeated ids {ids}")
    for i, f in enumerate(feats[:len(brute)]):
        fid, d = ids[i], f["properties"].get("distance_m")
        if fid not in truth:
            bad.append(f"#{i + 1} {fid} is not a village")
            continue
        bd, bid = brute[i]
        if d is None or abs(d - truth[fid]) > DIST_ABS_M:
            bad.append(f"#{i + 1} {fid} distance shanshui={d} pyproj={truth[fid]:.2f}")
        if fid != bid and abs(truth[fid] - bd) > DIST_ABS_M:
            bad.append(f"#{i + 1} shanshui={fid} ({truth[fid]:.2f} m) brute={bid} ({bd:.2f} m)")
    top = ", ".join(f"{fid} {d:.1f}" for d, fid in brute[:k])
    report(not bad, f"{name}: order and distances [{top}]", "; ".join(bad))


def check_near(of):
    name = f"near --layer villages --of {of} --distance {NEAR_DISTANCE_M:g}"
    target = ref(of)
    truth = {}
    for fid, g in LAYERS["villages"].items():
        truth[fid] = distance_m(g.x, g.y, target)  # villages are points
    want = {fid for fid, d in truth.items() if d <= NEAR_DISTANCE_M}
    feats = query("near", "--layer", "villages", "--of", of, "--distance", f"{NEAR_DISTANCE_M:g}")
    got = {fid_of(f): f["properties"].get("distance_m") for f in feats}
    bad = [f"{fid}: shanshui={'in' if fid in got else 'out'} pyproj={truth.get(fid, 'n/a')}"
           for fid in sorted(set(got) ^ want)
           if fid not in truth or abs(truth[fid] - NEAR_DISTANCE_M) > DIST_ABS_M]
    report(not bad, f"{name}: ids ({len(want)} villages)", "; ".join(bad))
    bad = [f"{fid} shanshui={d} pyproj={truth[fid]:.2f}" for fid, d in got.items()
           if fid in truth and (d is None or abs(d - truth[fid]) > DIST_ABS_M)]
    order = [f["properties"].get("distance_m") or 0 for f in feats]
    if order != sorted(order):
        bad.append("not sorted by distance")
    report(not bad, f"{name}: distances of {len(got)} villages", "; ".join(bad))


def at_points():
    pts = [("zone one, north-shore plot", 116.95, 40.52),
           ("zone one, exactly a project point", 116.83, 40.476)]
    for r in ["reservoir_zones/zone-1", "reservoir_zones/zone-2"] + ZONES[2:]:
        p = ref(r).representative_point()
        pts.append((f"inside {r}", round(p.x, 6), round(p.y, 6)))
    pts += [("open country in the district", 116.75, 40.30),
            ("outside the district", 117.0, 40.3)]
    return pts


def check_at(label, lon, lat):
    pt = Point(lon, lat)
    want = {(layer, fid) for layer, feats in LAYERS.items()
            for fid, g in feats.items() if g.intersects(pt)}
    got = {(f["properties"].get("layer"), fid_of(f))
           for f in query("at", "--lon", str(lon), "--lat", str(lat))}
    detail = f"only shanshui: {sorted(got - want)}; only shapely: {sorted(want - got)}"
    names = ", ".join(f"{l}/{i}" for l, i in sorted(want)) or "nothing"
    report(got == want, f"at --lon {lon} --lat {lat} ({label}): {names}", detail)


def check_check():
    p = run("check")
    report(p.returncode == 0, "check exits 0", f"exit {p.returncode}: {p.stderr.strip()[:500]}")
    counts = {}
    for line in p.stdout.splitlines():
        cols = line.split()
        if len(cols) >= 3 and cols[0] in LAYERS and cols[2].isdigit():
            counts[cols[0]] = int(cols[2])
    for layer, feats in LAYERS.items():
        report(counts.get(layer) == len(feats), f"check: {layer} has {len(feats)} features",
               f"shanshui says {counts.get(layer)}")


def guarded(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # a crash or a bad exit is a failed check, not a crashed suite
        report(False, f"{fn.__name__}{args}", f"{type(e).__name__}: {e}")


def main():
    print(f"shanshui: {BIN}\ndata: {DATA}\nshapely {shapely.__version__} "
          f"(GEOS {shapely.geos_version_string}), pyproj Geod WGS84")
    guarded(check_check)
    for layer in WITHIN_LAYERS:
        for zref in ZONES:
            guarded(check_within, layer, zref)
    for lon, lat in NEAREST_POINTS:
        guarded(check_nearest, lon, lat)
    for of in NEAR_BELTS:
        guarded(check_near, of)
    for label, lon, lat in at_points():
        guarded(check_at, label, lon, lat)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
