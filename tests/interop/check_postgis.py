#!/usr/bin/env python3
"""PostGIS as a second opinion on every planner answer.

Starts a PostGIS cluster of its own on a loopback port (Debian's
postgresql-15-postgis-3, installed when missing), loads the layers with
ogr2ogr, and asks shanshui and PostGIS the same questions on random cases
made afresh each run from a printed seed (`--seed N` replays a run):

- within, with and without partly: the relation from ST_Relate, overlap
  areas from ST_Area(geography), overlap lengths from ST_Length(geography)
  of the line parts of the intersection (edges cut to 0.0001 degrees, so
  that PostGIS's geodesic edges follow shanshui's straight lon/lat ones);
- at: ST_Relate of the point and each feature;
- nearest and near: ST_Distance(geography) to each feature, its edges cut
  into pieces of 0.001 degrees (ST_Segmentize) so that PostGIS's great-circle
  edges follow shanshui's edge model, the straight line in lon/lat;
- every CQL2 spatial function against its ST_ twin.

The zones are concave, holed (holes wound either way, holes touching the
shell), multipart, equal to a feature's own geometry, or pinned to the
data's vertices; the points lie anywhere, on vertices and on edges; the
distances run from a metre to the largest the API accepts.

Where PostGIS and shanshui disagree on a distance, the answer is checked
against the edge model itself, sampled with pyproj's geodesics: PostGIS picks
its closest point on the sphere and measures that point on the ellipsoid,
which far away can be the wrong point. Such cases are printed and counted;
no tolerance is loosened for them. Likewise where PostGIS's relation differs
from shanshui's: Debian's PostGIS links GEOS 3.11, whose relate computes
intersection points and can put a point 1e-15 degrees off an edge on it;
the step then asks GEOS 3.13's RelateNG (through shapely), which decides on
the coordinates as given, and counts the case as PostGIS's.

The same questions also go to two more servers, over the data with every
ring wound the other way and with every coordinate printed with 17 digits:
their answers must be the ones the bundled data gives.

Environment: SHANSHUI_BIN, INTEROP_DATA (default geodata/),
POSTGIS_CASES (default 600 zones; the other kinds scale with it).
"""
import argparse
import http.client
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psycopg
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape

import interop
from interop import ensure_ogrinfo, report, start_server, summary

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("INTEROP_DATA", ROOT / "geodata"))
BIN = os.environ.get("SHANSHUI_BIN", str(ROOT / "target" / "release" / "shanshui"))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
GEOD = Geod(ellps="WGS84")

# Tolerances. shanshui resolves distances to 0.01 m and prints them to
# 0.1 m, areas to 0.0001 ha and fractions to 0.0001; the README promises
# distances within 0.1 m. Do not loosen these to make the step pass.
DIST_M = 0.1
AREA_HA = 0.0001
AREA_REL = 1e-7
LEN_M = 0.1
FRACTION = 0.0001
# PostGIS's edges are cut into pieces this long (degrees) so that its
# geodesic edges follow shanshui's, the straight lon/lat line: to about
# 0.2 mm for distances, and for areas and lengths (where the bow of every
# piece adds up along a long edge) to about 2 µm.
SEGMENTIZE_DEG = 0.001
SEGMENTIZE_FINE_DEG = 0.0001
MAX_DISTANCE_M = 20_000_000.0

CQL_OPS = {"S_INTERSECTS": "ST_Intersects", "S_CONTAINS": "ST_Contains",
           "S_WITHIN": "ST_Within", "S_DISJOINT": "ST_Disjoint", "S_TOUCHES": "ST_Touches",
           "S_CROSSES": "ST_Crosses", "S_OVERLAPS": "ST_Overlaps", "S_EQUALS": "ST_Equals"}


# ---------------------------------------------------------------- set-up

def ensure_postgis():
    """PostgreSQL 15 with PostGIS 3, from Debian when missing and root."""
    if POSTGIS_CONTROL.exists() and (PG_BIN / "initdb").exists():
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql-15-postgis-3"],
                       check=False, env=env, stdout=subprocess.DEVNULL)
    return POSTGIS_CONTROL.exists() and (PG_BIN / "initdb").exists()


class Cluster:
    """A throwaway PostgreSQL cluster on a free loopback port."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="shanshui-pg-"))
        self.port = interop.free_port()
        # initdb refuses root; run the server as Debian's postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync"])
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts,
                   "-l", str(self.dir / "log"), "-w", "start"])
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _run(self, cmd):
        subprocess.run(self.as_user + cmd, check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(self.as_user + [str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                                       "-m", "immediate", "stop"],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def load_layers(cluster, manifest):
    """Each layer into a table of its own, with `dense`, its geography with
    edges cut to SEGMENTIZE_DEG."""
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for spec in manifest["layers"]:
        subprocess.run(["ogr2ogr", "-f", "PostgreSQL", f"PG:{cluster.dsn}",
                        str(DATA / spec["file"]), "-nln", spec["id"], "-nlt", "GEOMETRY",
                        "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=gid", "-overwrite"],
                       check=True)
    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        for spec in manifest["layers"]:
            t = spec["id"]
            conn.execute(f'ALTER TABLE "{t}" ADD COLUMN dense geography')
            conn.execute(f'UPDATE "{t}" SET dense = ST_Segmentize(geom, {SEGMENTIZE_DEG})::geography')


# ---------------------------------------------------------------- the data

def read_layers():
    """(manifest, {layer id: {feature id: shapely geometry}})."""
    manifest, layers = interop.layer_features(DATA)
    return manifest, {lid: {fid: shape(g) for fid, _, g in feats} for lid, feats in layers.items()}


def variant(tmp, name, rewrite):
    """A copy of the data with every GeoJSON file passed through `rewrite`."""
    out = Path(tmp) / name
    out.mkdir()
    for f in DATA.iterdir():
        if f.suffix == ".geojson":
            out.joinpath(f.name).write_text(rewrite(json.loads(f.read_text(encoding="utf-8"))),
                                            encoding="utf-8")
        elif f.suffix in (".toml", ".md"):
            shutil.copy(f, out / f.name)
    return out


def reversed_rings(fc):
    for f in fc["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else \
            g["coordinates"] if g["type"] == "MultiPolygon" else []
        for rings in polys:
            for ring in rings:
                ring.reverse()
    return json.dumps(fc, ensure_ascii=False)


def seventeen_digits(fc):
    def w(v):
        if isinstance(v, float):
            return f"{v:.16e}"
        if isinstance(v, list):
            return "[" + ",".join(w(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ",".join(json.dumps(k) + ":" + w(x) for k, x in v.items()) + "}"
        return json.dumps(v, ensure_ascii=False)
    return w(fc)


# ---------------------------------------------------------------- cases

class Cases:
    """Random zones, points and distances over the data's extent."""

    def __init__(self, rng, layers):
        self.rng = rng
        self.layers = layers
        self.bounds = shapely.union_all(list(layers["district"].values())).bounds
        self.vertices = [c for feats in layers.values() for g in feats.values()
                         for c in coords(g)]
        self.edges = [e for feats in layers.values() for g in feats.values() for e in edges(g)]
        self.polygons = [(lid, fid, g) for lid, feats in layers.items()
                         for fid, g in feats.items() if g.geom_type in ("Polygon", "MultiPolygon")]

    def point_in_bounds(self, margin=0.1):
        w, s, e, n = self.bounds
        return (self.rng.uniform(w - margin, e + margin), self.rng.uniform(s - margin, n + margin))

    def star(self, cx, cy, r_min, r_max, n):
        angles = sorted(self.rng.uniform(0, 2 * math.pi) for _ in range(n))
        k = math.cos(math.radians(cy))
        return [(cx + r * math.cos(a) / k, cy + r * math.sin(a))
                for a, r in ((a, self.rng.uniform(r_min, r_max)) for a in angles)]

    def zone(self):
        """(kind, shapely polygonal zone), valid."""
        kinds = ["concave", "holed", "hole-touching", "multi", "feature", "pinned", "box"]
        while True:
            kind = self.rng.choice(kinds)
            z = self._zone(kind)
            if z is not None and z.is_valid and not z.is_empty:
                return kind, z

    def _zone(self, kind):
        rng = self.rng
        cx, cy = self.point_in_bounds(0.0)
        r = 10 ** rng.uniform(-2.7, -0.7)  # about 200 m to 20 km
        if kind == "concave":
            return Polygon(self.star(cx, cy, r * 0.3, r, rng.randint(5, 40)))
        if kind == "holed":
            shell = self.star(cx, cy, r * 0.6, r, rng.randint(5, 30))
            hole = self.star(cx, cy, r * 0.1, r * 0.5, rng.randint(3, 12))
            return Polygon(maybe_reversed(rng, shell), [maybe_reversed(rng, hole)])
        if kind == "hole-touching":
            shell = self.star(cx, cy, r * 0.6, r, rng.randint(5, 30))
            i = rng.randrange(len(shell))
            inner = self.star(cx, cy, r * 0.1, r * 0.4, rng.randint(2, 6))
            # The hole runs from a shell vertex through points near the centre.
            hole = [shell[i]] + sorted(inner, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))
            return Polygon(maybe_reversed(rng, shell), [maybe_reversed(rng, hole)])
        if kind == "multi":
            parts = []
            for _ in range(rng.randint(2, 4)):
                px, py = self.point_in_bounds(0.0)
                parts.append(Polygon(self.star(px, py, r * 0.3, r, rng.randint(4, 20))))
            mp = MultiPolygon(parts)
            return mp if mp.is_valid else None
        if kind == "feature":
            _, _, g = rng.choice(self.polygons)
            return g
        if kind == "pinned":
            # A star with some vertices moved onto the data's own vertices.
            pts = self.star(cx, cy, r * 0.3, r, rng.randint(5, 20))
            near = sorted(self.vertices, key=lambda v: (v[0] - cx) ** 2 + (v[1] - cy) ** 2)[:40]
            for i in rng.sample(range(len(pts)), k=min(len(pts), rng.randint(1, 3))):
                pts[i] = rng.choice(near)
            return Polygon(sorted(pts, key=lambda p: math.atan2(p[1] - cy, p[0] - cx)))
        # box
        dx, dy = r / math.cos(math.radians(cy)), r
        return shapely.box(cx - dx, cy - dy, cx + dx, cy + dy)

    def point(self):
        """(kind, (lon, lat)): anywhere, on a vertex, on or just off an edge."""
        rng = self.rng
        kind = rng.choice(["anywhere", "vertex", "edge", "edge", "off-edge"])
        if kind == "anywhere":
            return kind, self.point_in_bounds()
        if kind == "vertex":
            return kind, rng.choice(self.vertices)
        (ax, ay), (bx, by) = rng.choice(self.edges)
        t = rng.choice([0.5, 0.25, rng.random()])
        x, y = ax + t * (bx - ax), ay + t * (by - ay)
        if kind == "off-edge":
            x, y = np.nextafter(x, math.inf * rng.choice([1, -1])), y
        return kind, (float(x), float(y))

    def far_point(self):
        """A point from a metre to half the world from somewhere in the data."""
        lon, lat = self.point()[1] if self.rng.random() < 0.5 else self.point_in_bounds()
        d = 10 ** self.rng.uniform(0, math.log10(19_900_000))
        lon2, lat2, _ = GEOD.fwd(lon, lat, self.rng.uniform(0, 360), d)
        return (float(lon2), float(lat2))


def maybe_reversed(rng, ring):
    return list(reversed(ring)) if rng.random() < 0.5 else ring


def coords(g):
    if g.geom_type == "Point":
        return [(g.x, g.y)]
    if g.geom_type in ("LineString", "LinearRing"):
        return list(g.coords)
    if g.geom_type == "Polygon":
        return [c for r in [g.exterior, *g.interiors] for c in r.coords]
    return [c for part in g.geoms for c in coords(part)]


def edges(g):
    """Straight lon/lat edges of a geometry; points as zero-length edges."""
    if g.geom_type == "Point":
        return [((g.x, g.y), (g.x, g.y))]
    if g.geom_type in ("LineString", "LinearRing"):
        c = list(g.coords)
        return list(zip(c, c[1:]))
    if g.geom_type == "Polygon":
        return [e for r in [g.exterior, *g.interiors] for e in edges(r)]
    return [e for part in g.geoms for e in edges(part)]


def wkt(g):
    """WKT with every coordinate as Python prints it (shortest round trip)."""
    def ring(c):
        return "(" + ",".join(f"{x!r} {y!r}" for x, y in c) + ")"

    def poly(p):
        return "(" + ",".join(ring(r.coords) for r in [p.exterior, *p.interiors]) + ")"
    t = g.geom_type
    if t == "Point":
        return f"POINT({g.x!r} {g.y!r})"
    if t == "LineString":
        return "LINESTRING" + ring(g.coords)
    if t == "Polygon":
        return "POLYGON" + poly(g)
    if t == "MultiPolygon":
        return "MULTIPOLYGON(" + ",".join(poly(p) for p in g.geoms) + ")"
    raise ValueError(t)


def geojson(g):
    return json.dumps(shapely.geometry.mapping(g))


# ---------------------------------------------------------------- the edge model, sampled

def sampled_distance(p, g):
    """The geodesic distance from lon/lat point `p` to `g` under the straight
    lon/lat edge model, by sampling every edge and refining the best."""
    if shapely.intersects(Point(p), g):
        return 0.0
    es = np.array(edges(g), dtype=float)  # (n, 2, 2)
    a, b = es[:, 0, :], es[:, 1, :]

    def at(ts, a, b):  # ts: (m,), a/b: (n, 2) -> distances (n, m)
        x = a[:, None, 0] + ts[None, :] * (b[:, None, 0] - a[:, None, 0])
        y = a[:, None, 1] + ts[None, :] * (b[:, None, 1] - a[:, None, 1])
        _, _, d = GEOD.inv(np.full(x.shape, p[0]), np.full(x.shape, p[1]), x, y)
        return np.asarray(d).reshape(x.shape)
    ts = np.linspace(0.0, 1.0, 65)
    d = at(ts, a, b)
    per_edge = d.min(axis=1)
    # An edge's sampled minimum is within half a sample step of its true one.
    _, _, lengths = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    slack = np.asarray(lengths) * 1.01 / 64
    keep = per_edge - slack <= per_edge.min()
    best = per_edge.min()
    for i in np.nonzero(keep)[0]:
        lo, hi = 0.0, 1.0
        for _ in range(3):
            t = np.linspace(lo, hi, 2001)
            row = at(t, a[i:i + 1], b[i:i + 1])[0]
            j = int(row.argmin())
            best = min(best, float(row[j]))
            step = (hi - lo) / 2000
            lo, hi = max(0.0, t[j] - step), min(1.0, t[j] + step)
    return best


def sampled_distance_between(g, h):
    """Both ways, vertex of one to edges of the other."""
    if shapely.intersects(g, h):
        return 0.0
    return min(min(sampled_distance(v, h) for v in coords(g)),
               min(sampled_distance(v, g) for v in coords(h)))


# ---------------------------------------------------------------- clients

class Shanshui:
    """Keep-alive HTTP to one shanshui server."""

    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()

    def _conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return self.local.conn

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                c = self._conn()
                c.request(method, path, body=body)
                r = c.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.local.conn = None
                if attempt:
                    raise

    def json(self, method, path, body=None):
        status, data = self.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)


class PostGIS:
    def __init__(self, dsn):
        self.dsn = dsn
        self.local = threading.local()

    def rows(self, sql, params=()):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = psycopg.connect(self.dsn, autocommit=True)
        return self.local.conn.execute(sql, params).fetchall()


# ---------------------------------------------------------------- comparing

class Tally:
    """Counts per kind of question, the worst differences, and failures."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cases = {}
        self.worst = {}
        self.failures = []
        self.postgis_off = []
        self.postgis_relate_off = []

    def case(self, kind):
        with self.lock:
            self.cases[kind] = self.cases.get(kind, 0) + 1

    def diff(self, what, x):
        with self.lock:
            self.worst[what] = max(self.worst.get(what, 0.0), x)

    def fail(self, kind, detail):
        with self.lock:
            self.failures.append((kind, detail))

    def off(self, detail):
        with self.lock:
            self.postgis_off.append(detail)

    def relate_off(self, detail):
        with self.lock:
            self.postgis_relate_off.append(detail)


def fine(sql):
    """A geometry expression as geography with edges cut for measuring."""
    return f"ST_Segmentize({sql}, {SEGMENTIZE_FINE_DEG})::geography"


def relation(m):
    """shanshui's relation from a zone-vs-feature DE-9IM matrix."""
    intersects = any(m[i] != "F" for i in (0, 1, 3, 4))
    if m[0] != "F" and m[6] == "F" and m[7] == "F":
        return "inside"
    if not intersects:
        return None
    return "touches" if m[0] == "F" else "partly"


def holds(op, m, dim_a, dim_b):
    """Whether CQL2 spatial function `op` holds for a DE-9IM matrix `m` of a
    (dimension `dim_a`) against b (`dim_b`), as OGC Simple Features defines it."""
    meets = any(m[i] != "F" for i in (0, 1, 3, 4))
    if op == "S_INTERSECTS":
        return meets
    if op == "S_DISJOINT":
        return not meets
    if op == "S_TOUCHES":
        return meets and m[0] == "F"
    if op == "S_WITHIN":
        return m[0] != "F" and m[2] == "F" and m[5] == "F"
    if op == "S_CONTAINS":
        return m[0] != "F" and m[6] == "F" and m[7] == "F"
    if op == "S_EQUALS":
        return m[0] != "F" and m[2] == "F" and m[5] == "F" and m[6] == "F" and m[7] == "F"
    if op == "S_CROSSES":
        if dim_a < dim_b:
            return m[0] != "F" and m[2] != "F"
        if dim_a > dim_b:
            return m[0] != "F" and m[6] != "F"
        return dim_a == 1 and m[0] == "0"
    if op == "S_OVERLAPS":
        if dim_a != dim_b:
            return False
        if dim_a == 1:
            return m[0] == "1" and m[2] != "F" and m[6] != "F"
        return m[0] != "F" and m[2] != "F" and m[6] != "F"
    raise ValueError(op)


def third_opinion(a, b):
    """DE-9IM of a against b from shapely's GEOS (3.13: RelateNG, exact on
    the coordinates as given), where PostGIS's older GEOS computes
    intersection points and can call a point 1e-15 off an edge on it."""
    return shapely.relate(a, b)


def close(a, b, abs_tol, rel_tol=0.0):
    return abs(a - b) <= abs_tol + rel_tol * max(abs(a), abs(b))


class Check:
    def __init__(self, servers, pg, layers, tally, seed):
        self.servers = servers  # name -> Shanshui; "bundled" first
        self.pg = pg
        self.layers = layers
        self.tally = tally
        self.seed = seed

    def ask(self, kind, method, path, body=None):
        """The bundled server's answer; the variants must give the same."""
        answers = {name: s.json(method, path, body) for name, s in self.servers.items()}
        base = answers["bundled"]
        for name, a in answers.items():
            if name != "bundled":
                self.tally.case(f"{kind}, {name}")
                problem = same(base, a)
                if problem:
                    self.tally.fail(f"{kind}, {name}", f"{method} {path} {body or ''}: {problem}")
        return base

    def distance_ok(self, kind, ours, pg, where, reference):
        """Our distance against PostGIS's, or against the sampled edge
        model where PostGIS is off."""
        self.tally.diff(f"{kind} distance vs PostGIS, m", abs(ours - pg))
        if close(ours, pg, DIST_M):
            return True
        exact = reference()
        if close(ours, exact, DIST_M):
            self.tally.diff(f"{kind} distance vs sampled edge model, m", abs(ours - exact))
            self.tally.off(f"{where}: PostGIS {pg:.2f} m, edge model {exact:.2f} m, "
                           f"shanshui {ours:.2f} m")
            return True
        self.tally.fail(kind, f"{where}: shanshui {ours:.2f} m, PostGIS {pg:.2f} m, "
                              f"edge model {exact:.2f} m")
        return False

    # -- within
    def within(self, zone_kind, zone):
        body = geojson(zone)
        wkb = shapely.to_wkb(zone)
        for layer in self.layers:
            rows = self.pg.rows(
                f'SELECT id, ST_Relate(z, geom), ST_Area({fine("geom")}), '
                f'ST_Area({fine("ST_Intersection(z, geom)")}), ST_Length({fine("geom")}), '
                f'ST_Length({fine("ST_CollectionExtract(ST_Intersection(z, geom), 2)")}), '
                f'ST_Dimension(geom) FROM "{layer}", ST_GeomFromWKB(%s, 4326) z WHERE geom && z',
                (wkb,))
            want = {}
            for fid, m, area, iarea, length, ilength, dim in rows:
                rel = relation(m)
                if rel is None:
                    continue
                if dim == 2:
                    part = {"inside": area, "touches": 0.0, "partly": iarea}[rel]
                    want[fid] = (rel, "overlap_ha", part / 1e4, part / area if area else 0.0)
                elif dim == 1:
                    part = {"inside": length, "touches": 0.0, "partly": ilength}[rel]
                    want[fid] = (rel, "overlap_m", part, part / length if length else 0.0)
                else:
                    want[fid] = (rel, None, None, None)
            for partly in (False, True):
                kind = f"within{' partly' if partly else ''} ({zone_kind} zones)"
                self.tally.case(kind)
                fc = self.ask("within", "POST",
                              f"/query/within?layer={layer}&partly={str(partly).lower()}&limit=10000",
                              body)
                got = {f["id"]: f["properties"] for f in fc["features"]}
                expect = {k: v for k, v in want.items() if partly or v[0] == "inside"}
                where = f"seed {self.seed}, {kind}, layer {layer}, zone {wkt(zone)[:200]}"
                ours = {k: p.get("relation") for k, p in got.items()}
                theirs = {k: v[0] for k, v in expect.items()}
                if ours != theirs:
                    exact = {}
                    for fid, g in self.layers[layer].items():
                        rel = relation(third_opinion(zone, g))
                        if rel is not None and (partly or rel == "inside"):
                            exact[fid] = rel
                    if ours != exact:
                        self.tally.fail(kind, f"{where}: shanshui {sorted(ours.items())}, PostGIS "
                                              f"{sorted(theirs.items())}, GEOS 3.13 {sorted(exact.items())}")
                        continue
                    self.tally.relate_off(f"{where}: PostGIS {sorted(set(theirs.items()) ^ set(ours.items()))}")
                for fid, (rel, key, amount, fraction) in expect.items():
                    p = got.get(fid)
                    if p is None or p.get("relation") != rel:
                        continue  # PostGIS's relation was the wrong one, checked above
                    if key is None:
                        continue
                    ours = p.get(key)
                    tol = (AREA_HA, AREA_REL) if key == "overlap_ha" else (LEN_M, 0.0)
                    self.tally.diff(f"{key} vs PostGIS", abs(ours - amount))
                    self.tally.diff("overlap_fraction vs PostGIS", abs(p["overlap_fraction"] - fraction))
                    if not close(ours, amount, *tol):
                        self.tally.fail(kind, f"{where}: {fid} {key} {ours}, PostGIS {amount}")
                    elif not close(p["overlap_fraction"], fraction, FRACTION):
                        self.tally.fail(kind, f"{where}: {fid} fraction {p['overlap_fraction']}, "
                                              f"PostGIS {fraction}")

    # -- at
    def at(self, point_kind, p):
        kind = f"at ({point_kind} points)"
        self.tally.case(kind)
        fc = self.ask("at", "GET", f"/query/at?lon={p[0]!r}&lat={p[1]!r}&limit=10000")
        got = {(f["properties"]["layer"], f["id"]): f["properties"].get("relation")
               for f in fc["features"]}
        want = {}
        for layer in self.layers:
            for fid, m in self.pg.rows(
                    f'SELECT id, ST_Relate(pt, geom) FROM "{layer}", '
                    f'ST_SetSRID(ST_MakePoint(%s, %s), 4326) pt WHERE ST_Intersects(pt, geom)',
                    (p[0], p[1])):
                want[(layer, fid)] = "inside" if m[0] != "F" else "touches"
        if got != want:
            where = f"seed {self.seed}, at {p!r}"
            exact = {}
            for layer, feats in self.layers.items():
                for fid, g in feats.items():
                    m = third_opinion(Point(p), g)
                    if any(m[i] != "F" for i in (0, 1, 3, 4)):
                        exact[(layer, fid)] = "inside" if m[0] != "F" else "touches"
            if got == exact:
                self.tally.relate_off(f"{where}: PostGIS {sorted(set(want.items()) ^ set(got.items()))}")
            else:
                self.tally.fail(kind, f"{where}: shanshui {sorted(got.items())}, PostGIS "
                                      f"{sorted(want.items())}, GEOS 3.13 {sorted(exact.items())}")

    # -- nearest and near
    def pg_distances(self, layer, p):
        return dict(self.pg.rows(
            f'SELECT id, ST_Distance(dense, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) '
            f'FROM "{layer}"', (p[0], p[1])))

    def nearest(self, layer, p, k):
        kind = "nearest"
        self.tally.case(kind)
        fc = self.ask("nearest", "GET", f"/query/nearest?layer={layer}&lon={p[0]!r}&lat={p[1]!r}&k={k}")
        got = [(f["id"], f["properties"]["distance_m"]) for f in fc["features"]]
        pg = self.pg_distances(layer, p)
        where = f"seed {self.seed}, nearest k={k} on {layer} from {p!r}"
        truth = {}
        for fid, d in got:
            g = self.layers[layer][fid]
            if not self.distance_ok(kind, d, pg[fid], f"{where}, {fid}", lambda: sampled_distance(p, g)):
                return
            truth[fid] = d
        if len(got) != min(k, len(pg)):
            self.tally.fail(kind, f"{where}: {len(got)} answers")
            return
        kth = max(truth.values())
        # Anything PostGIS puts clearly nearer than our k-th must be ours.
        for fid, d in pg.items():
            if fid not in truth and d < kth - DIST_M:
                exact = sampled_distance(p, self.layers[layer][fid])
                if exact < kth - DIST_M:
                    self.tally.fail(kind, f"{where}: left out {fid} at {exact:.2f} m, k-th {kth}")
                    return
        if [d for _, d in got] != sorted(d for _, d in got):
            self.tally.fail(kind, f"{where}: not nearest first: {got}")

    def near(self, layer, p, distance):
        kind = "near"
        self.tally.case(kind)
        fc = self.ask("near", "GET", f"/query/near?layer={layer}&lon={p[0]!r}&lat={p[1]!r}"
                                     f"&distance={distance!r}&limit=10000")
        got = {f["id"]: f["properties"]["distance_m"] for f in fc["features"]}
        pg = self.pg_distances(layer, p)
        where = f"seed {self.seed}, near {distance!r} m on {layer} from {p!r}"
        for fid, d in pg.items():
            g = self.layers[layer][fid]
            if fid in got:
                self.distance_ok(kind, got[fid], d, f"{where}, {fid}", lambda: sampled_distance(p, g))
            elif d <= distance - DIST_M:
                exact = sampled_distance(p, g)
                if exact <= distance - DIST_M:
                    self.tally.fail(kind, f"{where}: left out {fid} at {exact:.2f} m")
        for fid, d in got.items():
            if d > distance + DIST_M:
                self.tally.fail(kind, f"{where}: {fid} at {d} m is too far")

    def near_feature(self, layer, target_layer, target_id, distance):
        kind = "near a feature"
        self.tally.case(kind)
        fc = self.ask(kind, "GET", f"/query/near?layer={layer}&of={target_layer}/{target_id}"
                                   f"&distance={distance!r}&limit=10000")
        got = {f["id"]: f["properties"]["distance_m"] for f in fc["features"]}
        pg = dict(self.pg.rows(
            f'SELECT f.id, ST_Distance(f.dense, t.dense) FROM "{layer}" f, "{target_layer}" t '
            f'WHERE t.id = %s', (target_id,)))
        if layer == target_layer:
            pg.pop(target_id, None)
        where = f"seed {self.seed}, near {distance!r} m on {layer} of {target_layer}/{target_id}"
        t = self.layers[target_layer][target_id]
        for fid, d in pg.items():
            g = self.layers[layer][fid]
            if fid in got:
                self.distance_ok(kind, got[fid], d, f"{where}, {fid}",
                                 lambda: sampled_distance_between(g, t))
            elif d <= distance - DIST_M:
                self.tally.fail(kind, f"{where}: left out {fid} at {d:.2f} m (PostGIS)")

    # -- CQL2
    def cql(self, layer, op, g):
        kind = f"CQL2 {op}"
        self.tally.case(kind)
        text = f"{op}(geometry, {wkt(g)})"
        q = urllib.parse.urlencode({"filter": text, "limit": 10000})
        fc = self.ask("CQL2 text", "GET", f"/collections/{layer}/items?{q}")
        got = {f["id"] for f in fc["features"]}
        want = {r[0] for r in self.pg.rows(
            f'SELECT id FROM "{layer}" WHERE {CQL_OPS[op]}(geom, ST_GeomFromWKB(%s, 4326))',
            (shapely.to_wkb(g),))}
        if got != want:
            where = f"seed {self.seed}, {layer}: {text[:200]}"
            dim = shapely.get_dimensions(g)
            exact = {fid for fid, f in self.layers[layer].items()
                     if holds(op, third_opinion(f, g), shapely.get_dimensions(f), dim)}
            if got == exact:
                self.tally.relate_off(f"{where}: PostGIS also {sorted(want - got)}, "
                                      f"not {sorted(got - want)}")
            else:
                self.tally.fail(kind, f"{where}: shanshui only {sorted(got - want)}, PostGIS only "
                                      f"{sorted(want - got)}, GEOS 3.13 {sorted(exact)}")
        # The same filter in CQL2 JSON.
        js = json.dumps({"op": op.lower(), "args": [{"property": "geometry"},
                                                    shapely.geometry.mapping(g)]})
        q = urllib.parse.urlencode({"filter": js, "filter-lang": "cql2-json", "limit": 10000})
        fc = self.ask("CQL2 JSON", "GET", f"/collections/{layer}/items?{q}")
        if {f["id"] for f in fc["features"]} != got:
            self.tally.fail(kind, f"seed {self.seed}, {layer}: cql2-json differs from cql2-text")


# The printed precision of each measure: the variants may differ by one unit
# (a sum taken in another order can round the other way), never more.
PRINTED = {"distance_m": 0.1, "overlap_m": 0.1, "overlap_ha": 1e-4, "overlap_fraction": 1e-4}


def same(a, b, path=""):
    """Where two answers differ, or None. `geometry` echoes the input, which
    the variants print differently; links and time stamps are per request."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted((set(a) | set(b)) - {"geometry", "links", "timeStamp"}):
            d = same(a.get(k), b.get(k), f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        return next((d for d in (same(x, y, f"{path}/{i}") for i, (x, y) in enumerate(zip(a, b)))
                     if d), None)
    unit = PRINTED.get(path.rsplit("/", 1)[-1])
    if unit and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return None if abs(a - b) <= unit * 1.001 else f"{path}: {a} vs {b}"
    return None if a == b else f"{path}: {a!r} vs {b!r}"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, help="replay the run of this seed")
    ap.add_argument("--zones", type=int, default=int(os.environ.get("POSTGIS_CASES", 600)))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 32)
    print(f"seed {seed} (replay with: tests/interop/check_postgis.py --seed {seed})", flush=True)
    rng = random.Random(seed)

    if not ensure_ogrinfo() or not shutil.which("ogr2ogr"):
        report(False, "GDAL's ogr2ogr is installed", "install gdal-bin")
        return summary()
    if not ensure_postgis():
        report(False, "PostGIS is installed", "install postgresql-15-postgis-3")
        return summary()
    manifest, layers = read_layers()
    start = time.time()
    cluster = Cluster()
    procs = []
    try:
        load_layers(cluster, manifest)
        pg = PostGIS(cluster.dsn)
        counts = {t: pg.rows(f'SELECT count(*) FROM "{t}"')[0][0] for t in layers}
        report(all(counts[t] == len(f) for t, f in layers.items()),
               f"ogr2ogr loaded every feature into PostGIS ({sum(counts.values())})", str(counts))
        print(f"   PostGIS up and loaded in {time.time() - start:.1f} s", flush=True)

        with tempfile.TemporaryDirectory() as tmp:
            dirs = {"bundled": DATA,
                    "rings reversed": variant(tmp, "reversed", reversed_rings),
                    "17 digits": variant(tmp, "digits", seventeen_digits)}
            servers = {}
            for name, d in dirs.items():
                proc, base = start_server(BIN, d)
                procs.append(proc)
                servers[name] = Shanshui(base)
            tally = Tally()
            check = Check(servers, pg, layers, tally, seed)
            cases = Cases(rng, layers)
            jobs = make_jobs(check, cases, layers, rng, args.zones)
            print(f"   {len(jobs)} cases", flush=True)
            t0 = time.time()
            with ThreadPoolExecutor(4) as pool:
                for f in [pool.submit(j) for j in jobs]:
                    try:
                        f.result()
                    except Exception as e:  # a server error is a failure, not a crash
                        tally.fail("error", f"seed {seed}: {e}")
            elapsed = time.time() - t0
        print_tally(tally, elapsed)
    finally:
        for p in procs:
            p.terminate()
        cluster.stop()
    return summary()


def make_jobs(check, cases, layers, rng, n_zones):
    """The questions, each a callable, from the seeded generator (made
    before any runs, so that a seed always gives the same cases)."""
    jobs = []
    for _ in range(n_zones):
        kind, z = cases.zone()
        jobs.append(lambda kind=kind, z=z: check.within(kind, z))
    for _ in range(n_zones):
        kind, p = cases.point()
        jobs.append(lambda kind=kind, p=p: check.at(kind, p))
    dist_layers = ["projects", "villages", "tourism_belts", "nature_reserves", "reservoir_zones",
                   "district"]
    for _ in range(n_zones // 2):
        p = cases.far_point() if rng.random() < 0.5 else cases.point()[1]
        layer, k = rng.choice(dist_layers), rng.randint(1, 10)
        jobs.append(lambda layer=layer, p=p, k=k: check.nearest(layer, p, k))
    for _ in range(n_zones // 2):
        p = cases.far_point() if rng.random() < 0.5 else cases.point()[1]
        layer = rng.choice(dist_layers)
        d = rng.choice([MAX_DISTANCE_M, 10 ** rng.uniform(0, math.log10(MAX_DISTANCE_M))])
        jobs.append(lambda layer=layer, p=p, d=d: check.near(layer, p, d))
    targets = [(lid, fid) for lid, feats in layers.items() for fid in feats
               if lid in ("tourism_belts", "reservoir_zones", "nature_reserves", "reservoir")]
    for _ in range(n_zones // 10):
        tl, tid = rng.choice(targets)
        layer = rng.choice(["projects", "villages", "tourism_belts", "nature_reserves"])
        d = 10 ** rng.uniform(1, 5)
        jobs.append(lambda layer=layer, tl=tl, tid=tid, d=d: check.near_feature(layer, tl, tid, d))
    for _ in range(n_zones):
        op = rng.choice(sorted(CQL_OPS))
        shape_kind = rng.choice(["zone", "point", "line"])
        if shape_kind == "zone":
            g = cases.zone()[1]
            if g.geom_type not in ("Polygon", "MultiPolygon"):
                continue
        elif shape_kind == "point":
            g = Point(cases.point()[1])
        else:
            g = LineString([cases.point()[1] for _ in range(rng.randint(2, 6))])
        layer = rng.choice(list(layers))
        jobs.append(lambda layer=layer, op=op, g=g: check.cql(layer, op, g))
    return jobs


def print_tally(tally, elapsed):
    """Counts and worst differences, then one check per kind of question."""
    print(f"   {sum(tally.cases.values())} questions in {elapsed:.1f} s", flush=True)
    for kind in sorted(tally.cases):
        print(f"   {tally.cases[kind]:6d}  {kind}")
    print("   worst differences:")
    for what in sorted(tally.worst):
        print(f"     {what}: {tally.worst[what]:.6g}")
    print("   PostGIS measured the wrong closest point, and the sampled edge model agreed "
          f"with shanshui, in {len(tally.postgis_off)} cases")
    for line in tally.postgis_off[:10]:
        print(f"     {line}")
    print("   PostGIS's relation (GEOS 3.11, which computes intersection points) differed, and "
          "GEOS 3.13's exact RelateNG (shapely) agreed with shanshui, in "
          f"{len(tally.postgis_relate_off)} cases")
    for line in tally.postgis_relate_off[:10]:
        print(f"     {line}")
    by_kind = {}
    for kind, detail in tally.failures:
        by_kind.setdefault(kind, []).append(detail)
    for kind in sorted(tally.cases):
        fails = by_kind.pop(kind, [])
        report(not fails, f"{tally.cases[kind]} cases: {kind}",
               f"{len(fails)} wrong; first: {fails[0] if fails else ''}")
        for d in fails[1:5]:
            print(f"     also: {d}")
    for kind, fails in by_kind.items():
        for d in fails[:20]:
            report(False, kind, d)


if __name__ == "__main__":
    sys.exit(main())
