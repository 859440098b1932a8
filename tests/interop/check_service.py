#!/usr/bin/env python3
"""Check shanshui as a long-running service, with tools we did not write.

Starts `shanshui serve --no-watch` on a copy of the bundled data and checks:
- `/metrics` read by the Prometheus project's own OpenMetrics parser
  (prometheus_client), after checking the Content-Type says OpenMetrics:
  the families, their types, and the data version equal to `/health`'s;
- reload on SIGHUP: a good edit is served afterwards, a broken one is
  refused with the last good data still served and the error at /health,
  and the metrics count both;
- shutdown on SIGTERM: exit code 0.

Prints `ok ...` / `FAIL ...` lines and ends with `N passed, M failed`.
Environment: SHANSHUI_BIN (default target/release/shanshui).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from interop import free_port, report, summary

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SHANSHUI_BIN", str(ROOT / "target" / "release" / "shanshui"))


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def families(base):
    return {f.name: f for f in text_string_to_metric_families(get(base + "/metrics"))}


def sample(fams, family, name, **labels):
    for s in fams[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def wait_for(what, check, seconds=15):
    end = time.time() + seconds
    while time.time() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return None


def main():
    work = Path(tempfile.mkdtemp(prefix="shanshui-service-"))
    data = work / "data"
    shutil.copytree(ROOT / "geodata", data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([BIN, "--data", str(data), "serve", "--addr", f"127.0.0.1:{port}", "--no-watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "RUST_LOG": "warn"})
    try:
        if not wait_for("the server", lambda: _alive(base)):
            report(False, "the server starts")
            return summary()
        for path in ["/tiles/10/843/386.mvt", "/tiles/10/843/386.mvt", "/nope",
                     "/collections/projects/items?filter=" + "(" * 30]:
            try:
                urllib.request.urlopen(base + path, timeout=10).read()
            except urllib.error.HTTPError:
                pass

        health = json.loads(get(base + "/health"))
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            media = r.headers.get("Content-Type", "")
        report(media.startswith("application/openmetrics-text; version=1.0.0"),
               "metrics: served as OpenMetrics text", media)
        fams = families(base)
        for name, kind in [("shanshui_http_requests", "counter"),
                           ("shanshui_http_request_duration_seconds", "histogram"),
                           ("shanshui_tile_render_duration_seconds", "histogram"),
                           ("shanshui_refused_requests", "counter"),
                           ("shanshui_tile_cache_hits", "counter"),
                           ("shanshui_tile_cache_bytes", "gauge"),
                           ("shanshui_data_version", "gauge"),
                           ("shanshui_data_reloads", "counter")]:
            report(name in fams and fams[name].type == kind, f"metrics: {name} is a {kind}",
                   f"{fams.get(name) and fams[name].type}")
        tiles = sample(fams, "shanshui_http_requests", "shanshui_http_requests_total",
                       route="/tiles/{z}/{x}/{y}", status="200")
        report(tiles == 2, "metrics: two tile requests counted", f"{tiles}")
        refused = sample(fams, "shanshui_refused_requests", "shanshui_refused_requests_total",
                         limit="max-filter-depth")
        report(refused == 1, "metrics: the over-deep filter counted as refused", f"{refused}")
        renders = sample(fams, "shanshui_tile_render_duration_seconds",
                         "shanshui_tile_render_duration_seconds_count")
        report(renders == 1, "metrics: one render timed (the second request was a cache hit)", f"{renders}")
        version = sample(fams, "shanshui_data_version", "shanshui_data_version", version=health["version"])
        report(version == 1, "metrics: the data version is /health's", f"{health['version']}")

        # A good edit, then SIGHUP.
        villages = data / "villages.geojson"
        original = villages.read_text(encoding="utf-8")
        doc = json.loads(original)
        first = doc["features"][0]["properties"]["id"]
        doc["features"][0]["properties"]["name_en"] = "Renamed by the interop step"
        villages.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        after = wait_for("the reload", lambda: (h := json.loads(get(base + "/health")))["version"] != health["version"] and h)
        report(bool(after) and after["status"] == "ok", "SIGHUP: a good edit is served", f"{after}")
        item = json.loads(get(f"{base}/collections/villages/items/{first}"))
        report(item["properties"]["name_en"] == "Renamed by the interop step", "SIGHUP: the edited feature reads back",
               item["properties"]["name_en"])

        # A broken edit, then SIGHUP: refused, the good data kept.
        villages.write_text(original[: len(original) // 3], encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        broken = wait_for("the refusal", lambda: (h := json.loads(get(base + "/health")))["status"] == "degraded" and h)
        report(bool(broken) and broken["version"] == after["version"], "SIGHUP: a broken edit leaves the last good data",
               f"{broken}")
        message = (broken or {}).get("last_reload_error", {}) or {}
        report("villages.geojson" in message.get("message", ""), "SIGHUP: /health says which file is broken",
               f"{message}")
        fams = families(base)
        report(sample(fams, "shanshui_data_reloads", "shanshui_data_reloads_total") == 1
               and sample(fams, "shanshui_data_reload_failures", "shanshui_data_reload_failures_total") == 1
               and sample(fams, "shanshui_data_reload_failing", "shanshui_data_reload_failing") == 1,
               "metrics: one reload, one refused, failing now")
        villages.write_text(original, encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        fixed = wait_for("the fix", lambda: (h := json.loads(get(base + "/health")))["status"] == "ok" and h)
        report(bool(fixed) and fixed["version"] == health["version"], "SIGHUP: the fixed file is served again",
               f"{fixed}")

        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            code = None
        report(code == 0, "SIGTERM: the server exits 0", f"{code}")
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    return summary()


def _alive(base):
    try:
        get(base + "/health")
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
