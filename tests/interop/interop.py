"""What the interop steps share: ok/FAIL reporting with the closing
`N passed, M failed` line, installing GDAL when missing, and starting
`shanshui serve` on a free loopback port. Not a step itself (the runner
only runs check_* files); the steps import it from their own folder.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import tomllib
import urllib.request

passed = failed = 0


def report(ok, name, detail=""):
    """One check's line; counts it."""
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name}: {detail}", flush=True)


def summary():
    """Prints the closing line and returns the exit code."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def ensure_ogrinfo():
    """GDAL's command-line tools, installed from Debian when missing and root."""
    if shutil.which("ogrinfo"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "gdal-bin"], check=False)
    return shutil.which("ogrinfo") is not None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, data):
    """Starts `shanshui serve` on a free port; returns (process, base URL)
    once /health answers."""
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--data", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/health", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server exited: " + proc.stderr.read().decode())
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not come up")


def layer_features(data):
    """(manifest, {layer id: [(feature id, properties, GeoJSON geometry)]})
    straight from `data`/layers.toml and the layer files, in file order."""
    manifest = tomllib.loads((data / "layers.toml").read_text(encoding="utf-8"))
    layers = {}
    for spec in manifest["layers"]:
        fc = json.loads((data / spec["file"]).read_text(encoding="utf-8"))
        prop = spec.get("id_property")
        layers[spec["id"]] = [
            (str(f.get("properties", {}).get(prop) if prop else f.get("id")),
             f.get("properties", {}), f["geometry"])
            for f in fc["features"]
        ]
    return manifest, layers
