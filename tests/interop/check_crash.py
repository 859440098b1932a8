#!/usr/bin/env python3
"""Kill the server mid-edit, again and again: nothing acknowledged is lost.

On a copy of the bundled data, each round starts `shanshui serve`, runs a
stream of edits against it from one client (PATCH a project's progress and
note, POST a new project, DELETE one made earlier), and kills the server
with SIGKILL at a random moment. It then reads the journal as the kill left
it (a torn last record is counted, not an error), restarts the server and
checks that:
- every edit the client saw acknowledged is served, exactly;
- the edit in flight when the server died is either wholly there or wholly
  absent (never a mixture), and nothing else changed;
- the server comes up on whatever the kill left (a torn record dropped).
The journal grows past the compaction size over the rounds, so kills also
land while it is being folded into the layer file. Every other round also
plays a power cut: when the last record in the journal is the edit in
flight (never acknowledged), it is cut short at a random byte, and that
edit must then be absent. Ends with
`N passed, M failed`.

Environment: SHANSHUI_BIN (default target/release/shanshui), CRASH_ROUNDS
(default 50), CRASH_SEED (default 20261207).
"""
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import interop
from interop import report, summary, start_server

BIN = os.environ.get("SHANSHUI_BIN", "target/release/shanshui")
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "50"))
ROOT = Path(__file__).resolve().parents[2]


def served(base):
    """{id: (note, progress)} of every project the server serves."""
    host = base.removeprefix("http://")
    c = http.client.HTTPConnection(host, timeout=20)
    c.request("GET", "/collections/projects/items?limit=10000")
    body = json.loads(c.getresponse().read())
    c.close()
    return {f["properties"]["id"]: (f["properties"].get("note"), f["properties"].get("progress"))
            for f in body["features"]}


class Stream(threading.Thread):
    """Edits one after another until the server dies; keeps the state the
    acknowledged edits make, and the edit in flight."""

    def __init__(self, base, key, model, ids, rng, counter):
        super().__init__(daemon=True)
        self.host = base.removeprefix("http://")
        self.key, self.model, self.ids, self.rng = key, model, ids, rng
        self.counter = counter
        self.in_flight = None
        self.acked = 0
        self.unexpected = []

    def send(self, method, path, body=None, content_type=None):
        c = http.client.HTTPConnection(self.host, timeout=20)
        headers = {"Authorization": f"Bearer {self.key}"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        return r.status, r.getheader("Location"), raw

    def run(self):
        try:
            while True:
                self.counter[0] += 1
                n = self.counter[0]
                note = f"edit {n}"
                progress = n % 101
                created = [i for i in self.model if i.startswith("projects-") and self.model[i] is not None]
                roll = self.rng.random()
                if roll < 0.15:
                    body = {"type": "Feature", "properties": {"name_zh": f"崩溃测试 {n}", "category": "economy",
                            "status": "planned", "progress": progress, "note": note, "source": "crash test"},
                            "geometry": {"type": "Point", "coordinates": [116.8 + self.rng.random() * 0.3, 40.3 + self.rng.random() * 0.3]}}
                    self.in_flight = ("create", None, (note, progress))
                    status, location, raw = self.send("POST", "/collections/projects/items", body, "application/geo+json")
                    if status != 201:
                        self.unexpected.append((status, raw[:200]))
                        return
                    self.model[location.rsplit("/", 1)[-1]] = (note, progress)
                elif roll < 0.22 and created:
                    fid = self.rng.choice(created)
                    self.in_flight = ("delete", fid, None)
                    status, _, raw = self.send("DELETE", f"/collections/projects/items/{fid}")
                    if status != 204:
                        self.unexpected.append((status, raw[:200]))
                        return
                    self.model[fid] = None
                else:
                    fid = self.rng.choice(self.ids)
                    self.in_flight = ("update", fid, (note, progress))
                    status, _, raw = self.send("PATCH", f"/collections/projects/items/{fid}",
                                               {"properties": {"note": note, "progress": progress}},
                                               "application/merge-patch+json")
                    if status != 200:
                        self.unexpected.append((status, raw[:200]))
                        return
                    self.model[fid] = (note, progress)
                self.acked += 1
                self.in_flight = None
        except (OSError, http.client.HTTPException):
            return  # the server died under us


def cut_in_flight(journal, flight, rng):
    """A power cut mid-write: when the journal's last record is the edit in
    flight (never acknowledged), cuts it at a random byte. Returns whether
    it did."""
    if flight is None or not journal.exists():
        return False
    data = journal.read_bytes()
    if not data.endswith(b"\n"):
        return False
    start = data[:-1].rfind(b"\n") + 1
    record = json.loads(data[start + 9:-1])
    op, fid, result = flight
    feature = record.get("feature") or {}
    props = feature.get("properties", {})
    mine = record["op"] == op and (
        (op == "delete" and record["id"] == fid)
        or (op != "delete" and (props.get("note"), props.get("progress")) == result))
    if not mine:
        return False
    cut = start + rng.randrange(1, len(data) - start)
    with open(journal, "r+b") as f:
        f.truncate(cut)
    return True


def torn_tail(journal):
    """Whether the journal ends in a record that is not whole."""
    if not journal.exists():
        return False
    data = journal.read_bytes()
    if not data:
        return False
    if not data.endswith(b"\n"):
        return True
    last = data[:-1].rsplit(b"\n", 1)[-1]
    crc, _, body = last.partition(b" ")
    return int(crc, 16) != zlib.crc32(body)


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261207")))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "geodata", data, ignore=shutil.ignore_patterns("sources", "*.journal", "*.history", "keys.toml"))
        key = subprocess.run([BIN, "--data", str(data), "key", "add", "crash"],
                             capture_output=True, text=True, check=True).stdout.strip()
        proc, base = start_server(BIN, data)
        start = served(base)
        model = dict(start)
        ids = sorted(i for i in start)[:12]
        counter = [0]
        totals = {"power cuts": 0, "acked": 0, "applied in flight": 0, "lost in flight": 0, "torn tails": 0, "no edit in flight": 0}
        bad_rounds = []
        for round_no in range(ROUNDS):
            stream = Stream(base, key, model, ids, rng, counter)
            stream.start()
            time.sleep(rng.uniform(0.02, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stream.join(timeout=30)
            totals["acked"] += stream.acked
            if stream.unexpected:
                bad_rounds.append(f"round {round_no}: unexpected answer {stream.unexpected[0]}")
            journal = data / "projects.geojson.journal"
            power_cut = round_no % 2 == 1 and cut_in_flight(journal, stream.in_flight, rng)
            if power_cut:
                totals["power cuts"] += 1
            if torn_tail(journal):
                totals["torn tails"] += 1
            try:
                proc, base = start_server(BIN, data)
            except SystemExit as e:
                bad_rounds.append(f"round {round_no}: the server did not come back: {e}")
                break
            now = served(base)
            flight = stream.in_flight
            extra = {i: v for i, v in now.items() if i not in model}
            differs = {i for i in model if model[i] != now.get(i)}
            if flight is None:
                totals["no edit in flight"] += 1
                ok = not differs and not extra
            elif flight[0] == "create":
                ok = not differs and (not extra or (len(extra) == 1 and list(extra.values())[0] == flight[2]))
                ok = ok and not (power_cut and extra)
                if extra:
                    model.update(extra)
                totals["applied in flight" if extra else "lost in flight"] += 1
            else:
                _, fid, result = flight
                applied = now.get(fid) == result
                ok = not extra and differs <= {fid} and (applied or now.get(fid) == model[fid])
                ok = ok and not (power_cut and applied and differs)
                if applied:
                    model[fid] = result
                totals["applied in flight" if applied and differs else "lost in flight"] += 1
            if not ok:
                bad_rounds.append(f"round {round_no}: served differs from the acknowledged edits: "
                                  f"in flight {flight}, differing {sorted(differs)[:5]}, extra {list(extra)[:5]}")
        proc.kill()
        proc.wait()
        history = data / "projects.geojson.history"
        print(f"     {ROUNDS} kills, {totals['acked']} edits acknowledged; in flight at the kill: "
              f"{totals['applied in flight']} applied whole, {totals['lost in flight']} absent whole, "
              f"{totals['no edit in flight']} none; {totals['power cuts']} power cuts simulated (the record in flight cut short), "
              f"{totals['torn tails']} torn journal tails dropped; "
              f"journal folded into the file: {'yes' if history.exists() else 'no'}")
        report(not bad_rounds, f"crash: every acknowledged edit survives {ROUNDS} SIGKILLs, none half-applied",
               "; ".join(bad_rounds[:5]))
        report(totals["acked"] > ROUNDS, "crash: the stream made edits between the kills", str(totals))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
