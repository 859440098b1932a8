#!/usr/bin/env python3
"""Check `shanshui export --format pmtiles` with the PMTiles reference
reader (protomaps' `pmtiles` Python package), which we did not write.

Exports the bundled layers z0-z14 to an archive, reads it back with the
reference reader (header, metadata, every tile by traversing the
directories, and random tiles by `get`), and compares every tile, once
decompressed, byte for byte with what `shanshui serve` answers for the same
z/x/y. Prints `ok ...` / `FAIL ...` lines and ends with `N passed, M failed`.
Environment: SHANSHUI_BIN (default target/release/shanshui).
"""
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType

from interop import report, start_server, summary

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SHANSHUI_BIN", str(ROOT / "target" / "release" / "shanshui"))


def served(base, z, x, y):
    with urllib.request.urlopen(f"{base}/tiles/{z}/{x}/{y}.mvt", timeout=10) as r:
        return r.status, r.read()


def main():
    work = Path(tempfile.mkdtemp(prefix="shanshui-pmtiles-"))
    archive = work / "miyun.pmtiles"
    out = subprocess.run([BIN, "export", "--format", "pmtiles", "--out", str(archive),
                          "--minzoom", "0", "--maxzoom", "14"], capture_output=True, text=True)
    report(out.returncode == 0, "export --format pmtiles exits 0", out.stderr[-300:])
    if out.returncode != 0:
        return summary()
    print("  " + out.stdout.strip())
    proc, base = start_server(BIN, ROOT / "geodata")
    try:
        with open(archive, "rb") as f:
            get = MmapSource(f)
            reader = Reader(get)
            header = reader.header()
            report(header["tile_type"] == TileType.MVT, "header: MVT tiles", f"{header['tile_type']}")
            report(header["tile_compression"] == Compression.GZIP, "header: gzip tiles",
                   f"{header['tile_compression']}")
            report((header["min_zoom"], header["max_zoom"]) == (0, 14), "header: zooms 0..14",
                   f"{header['min_zoom']}..{header['max_zoom']}")
            report(header["tile_contents_count"] < header["addressed_tiles_count"],
                   "identical tiles stored once",
                   f"{header['tile_contents_count']} contents for {header['addressed_tiles_count']} tiles")
            meta = reader.metadata()
            names = sorted(layer["id"] for layer in meta.get("vector_layers", []))
            report(names == sorted(["district", "reservoir_zones", "nature_reserves", "reservoir",
                                    "tourism_belts", "projects", "villages"]),
                   "metadata: vector_layers name every layer", f"{names}")

            tiles = list(all_tiles(get))
            report(len(tiles) == header["addressed_tiles_count"], "every addressed tile is reachable",
                   f"{len(tiles)} of {header['addressed_tiles_count']}")
            differ = []
            for (z, x, y), data in tiles:
                status, body = served(base, z, x, y)
                if status != 200 or gzip.decompress(data) != body:
                    differ.append(f"{z}/{x}/{y}")
            report(not differ, f"all {len(tiles)} tiles equal the server's, byte for byte",
                   f"{len(differ)} differ, e.g. {differ[:5]}")

            # Random lookups through the reader's own directory search,
            # and tiles the archive leaves out are ones the server has
            # nothing for (204).
            rng = random.Random(5)
            present = {zxy for zxy, _ in tiles}
            missing_ok = True
            for (z, x, y), data in rng.sample(tiles, min(50, len(tiles))):
                if gzip.decompress(reader.get(z, x, y)) != gzip.decompress(data):
                    missing_ok = False
            report(missing_ok, "Reader.get finds the same tiles as the traversal")
            absent = []
            for z in (8, 10, 12):
                for (zz, x, y) in list(present):
                    if zz != z:
                        continue
                    for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1)):
                        n = (z, x + dx, y + dy)
                        if n not in present and 0 <= n[1] < 2 ** z and 0 <= n[2] < 2 ** z:
                            absent.append(n)
            wrong = [n for n in absent[:60] if served(base, *n)[0] != 204]
            report(not wrong, f"tiles absent from the archive are empty on the server ({min(60, len(absent))} checked)",
                   f"{wrong[:5]}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
