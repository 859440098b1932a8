#!/usr/bin/env python3
"""Check editing (OGC API Features Part 4) with clients we did not write.

On a copy of the bundled data with a key made by `shanshui key add`:
- OWSLib's transaction methods (`collection_item_create`, `_update`,
  `_delete` of `owslib.ogcapi.features.Features`) create a project, replace
  it and delete it; each change is read back with OWSLib and checked;
- the sequence QGIS's OAPIF provider follows when a layer is edited
  (3.32+): OPTIONS on the items (is POST in `Allow`?), POST the new
  feature, the id read from `Location`, OPTIONS on the feature, PATCH its
  attributes with a JSON Merge Patch, PATCH its geometry, DELETE it; every
  step checked against what the server then serves, and the journal
  checked to hold the four changes with the key's name;
- the server restarted on the same folder serves what was acknowledged.
Prints `ok ...` / `FAIL ...` lines and ends with `N passed, M failed`.

Environment: SHANSHUI_BIN (default target/release/shanshui).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import interop
from interop import report, summary, start_server

from owslib.ogcapi.features import Features

BIN = os.environ.get("SHANSHUI_BIN", "target/release/shanshui")
ROOT = Path(__file__).resolve().parents[2]


def request(method, url, key=None, body=None, content_type=None, headers=None):
    """(status, headers, parsed body or None) of one request."""
    h = dict(headers or {})
    if key:
        h["Authorization"] = f"Bearer {key}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = content_type or "application/geo+json"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            raw = r.read()
            return r.status, r.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return e.code, e.headers, parsed


def project(name, lon, lat, status="planned"):
    return {"type": "Feature",
            "properties": {"name_zh": name, "name_en": name, "category": "ecology",
                           "status": status, "progress": 0, "lead_unit": "区水务局",
                           "source": "interop test", "accuracy": "illustrative"},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def check_owslib(base, key):
    api = Features(base, headers={"Authorization": f"Bearer {key}"})
    before = api.collection_items("projects", limit=1000)["numberMatched"]
    api.collection_item_create("projects", project("OWSLib 新建", 116.95, 40.45))
    location = api.response_headers.get("Location", "")
    fid = location.rsplit("/", 1)[-1]
    report(location.startswith(base + "/collections/projects/items/") and fid,
           "owslib: create answers 201 with Location", location)
    item = api.collection_item("projects", fid)
    report(item["properties"]["name_zh"] == "OWSLib 新建"
           and item["geometry"]["coordinates"] == [116.95, 40.45],
           "owslib: the created project reads back", json.dumps(item)[:300])
    after = api.collection_items("projects", limit=1000)["numberMatched"]
    report(after == before + 1, "owslib: the collection has one more feature", f"{before} -> {after}")

    replacement = project("OWSLib 替换", 116.96, 40.46, status="under_construction")
    replacement["properties"]["id"] = fid
    api.collection_item_update("projects", fid, json.dumps(replacement))
    item = api.collection_item("projects", fid)
    report(item["properties"]["name_zh"] == "OWSLib 替换"
           and item["properties"]["status"] == "under_construction"
           and item["geometry"]["coordinates"] == [116.96, 40.46],
           "owslib: update (PUT) replaces the project", json.dumps(item)[:300])

    api.collection_item_delete("projects", fid)
    status, _, _ = request("GET", f"{base}/collections/projects/items/{fid}")
    report(status == 404, "owslib: delete removes it", f"GET after delete: {status}")
    after = api.collection_items("projects", limit=1000)["numberMatched"]
    report(after == before, "owslib: the collection is back to its count", f"{before} -> {after}")

    # Without the key OWSLib's write raises, and nothing changes.
    anonymous = Features(base)
    # OWSLib keeps every instance's headers in one module-level dict, so
    # the key given above is in this one's too: taken out of a copy.
    anonymous.headers = {k: v for k, v in anonymous.headers.items() if k != "Authorization"}
    try:
        anonymous.collection_item_create("projects", project("无钥匙", 116.9, 40.4))
        report(False, "owslib: a write without a key is refused", "it was accepted")
    except RuntimeError as e:
        report("key" in str(e), "owslib: a write without a key is refused (401)", str(e)[:200])
    report(api.collection_items("projects", limit=1000)["numberMatched"] == before,
           "owslib: the refused write changed nothing")


def check_qgis_sequence(base, key, data):
    items = f"{base}/collections/projects/items"
    # 1. Is the layer editable? QGIS reads Allow of OPTIONS on the items.
    status, headers, _ = request("OPTIONS", items)
    allow = {m.strip() for m in (headers.get("Allow") or "").split(",")}
    report(status in (200, 204) and "POST" in allow, "qgis: OPTIONS on items allows POST", f"{status} {allow}")
    status, headers, _ = request("OPTIONS", f"{base}/collections/reservoir_zones/items")
    allow_ro = {m.strip() for m in (headers.get("Allow") or "").split(",")}
    report("POST" not in allow_ro and "GET" in allow_ro, "qgis: a read-only layer does not allow POST", str(allow_ro))
    # 2. Add a feature: POST, the new id read from Location.
    status, headers, created = request("POST", items, key, project("QGIS 新建", 116.85, 40.52))
    location = headers.get("Location") or ""
    fid = location.rsplit("/", 1)[-1]
    report(status == 201 and fid and headers.get("ETag"), "qgis: POST answers 201, Location and ETag", f"{status} {location}")
    # 3. Is the feature editable? OPTIONS on it.
    status, headers, _ = request("OPTIONS", f"{items}/{fid}")
    allow = {m.strip() for m in (headers.get("Allow") or "").split(",")}
    report({"PUT", "PATCH", "DELETE"} <= allow, "qgis: OPTIONS on the feature allows PUT, PATCH, DELETE", str(allow))
    # 4. Change attributes: PATCH with a merge patch (QGIS sends only the
    #    changed attributes; a cleared one as null).
    patch = {"properties": {"status": "under_construction", "progress": 35, "lead_unit": None}}
    status, headers, body = request("PATCH", f"{items}/{fid}", key, patch, "application/merge-patch+json")
    report(status in (200, 204), "qgis: PATCH of attributes is taken", f"{status} {body}")
    _, _, now = request("GET", f"{items}/{fid}")
    props = now["properties"]
    report(props["status"] == "under_construction" and props["progress"] == 35
           and "lead_unit" not in props and props["name_zh"] == "QGIS 新建",
           "qgis: the feature has the patched attributes, the null one removed", json.dumps(props)[:300])
    # 5. Move it: PATCH of the geometry.
    status, _, _ = request("PATCH", f"{items}/{fid}", key,
                           {"geometry": {"type": "Point", "coordinates": [116.86, 40.53]}},
                           "application/merge-patch+json")
    _, headers, now = request("GET", f"{items}/{fid}")
    report(status in (200, 204) and now["geometry"]["coordinates"] == [116.86, 40.53],
           "qgis: PATCH of the geometry moves it", f"{status} {now['geometry']}")
    # The move shows in the planner's questions at once.
    _, _, near = request("GET", f"{base}/query/nearest?layer=projects&lon=116.86&lat=40.53&k=1")
    report(near["features"][0]["properties"]["id"] == fid, "qgis: the moved project is the nearest to its new place",
           json.dumps(near)[:200])
    # 6. Delete it.
    status, _, _ = request("DELETE", f"{items}/{fid}", key)
    gone, _, _ = request("GET", f"{items}/{fid}")
    report(status == 204 and gone == 404, "qgis: DELETE answers 204 and the feature is gone", f"{status} {gone}")
    journal = (data / "projects.geojson.journal").read_text(encoding="utf-8").splitlines()
    ops = [json.loads(line[9:]) for line in journal]
    mine = [r["op"] for r in ops if r["id"] == fid]
    report(mine == ["create", "update", "update", "delete"] and all(r["key"] == "interop" for r in ops),
           "qgis: the journal holds the four changes with the key's name", str(mine))
    return fid


def main():
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "geodata", data, ignore=shutil.ignore_patterns("sources", "*.journal", "*.history", "keys.toml"))
        key = subprocess.run([BIN, "--data", str(data), "key", "add", "interop"],
                             capture_output=True, text=True, check=True).stdout.strip()
        report(key.startswith("shs_"), "key add prints a key", key[:12])
        proc, base = start_server(BIN, data)
        try:
            check_owslib(base, key)
            check_qgis_sequence(base, key, data)
            # A change that stays, to see after a restart.
            status, headers, kept = request("POST", f"{base}/collections/projects/items", key,
                                            project("重启后还在", 116.8, 40.5))
            kept_id = headers.get("Location", "").rsplit("/", 1)[-1]
            etag = headers.get("ETag")
        finally:
            proc.kill()
            proc.wait()
        proc, base = start_server(BIN, data)
        try:
            status, headers, again = request("GET", f"{base}/collections/projects/items/{kept_id}")
            report(status == 200 and headers.get("ETag") == etag,
                   "the acknowledged create is served after a restart, same ETag", f"{status} {headers.get('ETag')} {etag}")
        finally:
            proc.kill()
            proc.wait()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
