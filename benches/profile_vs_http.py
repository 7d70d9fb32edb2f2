"""Profile runtime vs plain `hornet http` (issue 4), side by side.

Round after round, alternating: the scenario in benches/profiles/scenario.toml
(login with token extraction, three weighted tasks with JSON checks) and
`hornet http` on the demo API's health endpoint, both with 50 connections
and one worker thread against the same `hornet-target --demo` (one thread).
Reports medians of requests per second and requests per client CPU-second
(user + sys of the whole hornet process) and their ratio; target >= 0.5.
With Locust installed (pip install locust), the same scenario as a
FastHttpUser (benches/locust_scenario.py, 50 users, one process) runs in
each round too, for reference.
Then a closed-model run of 10,000 users with 1 s think time
(benches/profiles/users-10k.toml): requests per second per interval and
hornet's peak RSS; target < 200 MB.
Raw results: benches/results/DATE-HOST-profile.{txt,json}.
"""

import argparse
import csv as csvmod
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import free_port, run_measured  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# HORNET_BIN runs another hornet build (e.g. the commit before a change)
# against the same peers; HORNET_LABEL names its result files.
HORNET = os.environ.get("HORNET_BIN") or os.path.join(ROOT, "target/release/hornet")
LABEL = ("-" + os.environ["HORNET_LABEL"]) if os.environ.get("HORNET_LABEL") else ""
TARGET = os.path.join(ROOT, "target/release/hornet-target")
CPUS = os.cpu_count() or 1


def pin(cpu, cmd):
    return ["taskset", "-c", str(cpu % CPUS), *cmd] if CPUS > 1 else cmd


def start_target(port):
    p = subprocess.Popen(pin(0, [TARGET, "--demo", "--threads", "1", "--rate-limit", "0",
                                 "--listen", f"127.0.0.1:{port}"]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return p
        except OSError:
            time.sleep(0.05)
    sys.exit("hornet-target did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--users-duration", type=int, default=20)
    ap.add_argument("--no-locust", action="store_true", help="skip Locust even if installed")
    a = ap.parse_args()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    target = start_target(port)
    locust = shutil.which("locust") if not a.no_locust else None
    rows = {"scenario": [], "http": []}
    if locust:
        rows["locust"] = []
    out = {"date": datetime.date.today().isoformat(), "host": socket.gethostname(), "cpus": CPUS,
           "rounds": a.rounds, "duration_s": a.duration, "runs": rows}
    try:
        with tempfile.TemporaryDirectory() as d:
            js = os.path.join(d, "r.json")
            for r in range(a.rounds):
                order = ["scenario", "http"] if r % 2 == 0 else ["http", "scenario"]
                if locust:
                    order.append("locust")
                for kind in order:
                    if kind == "scenario":
                        cmd = [HORNET, "run", os.path.join(ROOT, "benches/profiles/scenario.toml"),
                               "--host", host, "--run-time", f"{a.duration}s", "-q", "--json", js]
                    elif kind == "http":
                        cmd = [HORNET, "http", f"{host}/api/v1/health", "-c", "50", "-t", "1",
                               "-d", f"{a.duration}s", "-q", "--json", js]
                    else:
                        csv = os.path.join(d, "locust")
                        cmd = [locust, "-f", os.path.join(ROOT, "benches/locust_scenario.py"), "--headless",
                               "-u", "50", "-r", "50", "-t", f"{a.duration}s", "-H", host, "--csv", csv,
                               "--only-summary", "--loglevel", "ERROR"]
                    _, wall, cpu, rss = run_measured(pin(1, cmd))
                    if kind == "locust":
                        agg = [row for row in csvmod.DictReader(open(csv + "_stats.csv")) if row["Name"] == "Aggregated"][0]
                        reqs, failed = int(agg["Request Count"]), int(agg["Failure Count"])
                    else:
                        doc = json.load(open(js))
                        reqs = doc["total"]["requests"] if kind == "scenario" else doc["requests"]
                        failed = (doc["total"]["check_failed"] + doc["total"]["errors"]) if kind == "scenario" \
                            else doc["requests"] - doc["ok"]
                    row = {"requests": reqs, "failed": failed, "wall_s": wall, "cpu_s": cpu,
                           "rps": reqs / a.duration, "req_per_cpu_s": reqs / cpu, "rss_kb": rss}
                    rows[kind].append(row)
                    print(f"round {r + 1} {kind:8} {row['rps']:>10.0f} req/s  {row['req_per_cpu_s']:>10.0f} req/CPU-s"
                          f"  failed {failed}  rss {rss} KiB", flush=True)
            med = {k: {m: statistics.median(x[m] for x in v) for m in ("rps", "req_per_cpu_s", "rss_kb")}
                   for k, v in rows.items()}
            out["medians"] = med
            ratio = med["scenario"]["req_per_cpu_s"] / med["http"]["req_per_cpu_s"]
            out["ratio_req_per_cpu_s"] = ratio
            print(f"median scenario {med['scenario']['req_per_cpu_s']:.0f} vs http {med['http']['req_per_cpu_s']:.0f}"
                  f" req/CPU-s: ratio {ratio:.2f} (target >= 0.50)")
            if locust:
                lr = med["scenario"]["req_per_cpu_s"] / med["locust"]["req_per_cpu_s"]
                out["ratio_scenario_vs_locust_req_per_cpu_s"] = lr
                print(f"median scenario {med['scenario']['req_per_cpu_s']:.0f} vs Locust FastHttpUser "
                      f"{med['locust']['req_per_cpu_s']:.0f} req/CPU-s: {lr:.1f}x; "
                      f"RSS {med['scenario']['rss_kb'] / 1024:.1f} vs {med['locust']['rss_kb'] / 1024:.1f} MiB")
            cmd = [HORNET, "run", os.path.join(ROOT, "benches/profiles/users-10k.toml"), "--host", host,
                   "--run-time", f"{a.users_duration}s", "--json", js]
            stdout, wall, cpu, rss = run_measured(pin(1, cmd))
            doc = json.load(open(js))
            t = doc["total"]
            users = {"users_started": doc["users_started"], "requests": t["requests"], "rps": t["rps"],
                     "failed": t["check_failed"] + t["errors"], "p99_us": t["latency_us"]["p99"],
                     "cpu_s": cpu, "rss_kb": rss, "elapsed_s": doc["elapsed_s"]}
            out["users_10k"] = users
            print(f"10,000 users, 1 s think: {t['rps']:.0f} req/s over {doc['elapsed_s']:.1f}s, failed {users['failed']},"
                  f" p99 {t['latency_us']['p99']} us, peak RSS {rss / 1024:.1f} MiB (target < 200 MB)")
    finally:
        target.kill()
    os.makedirs(os.path.join(ROOT, "benches/results"), exist_ok=True)
    base = os.path.join(ROOT, f"benches/results/{out['date']}-{out['host']}-profile{LABEL}")
    with open(base + ".json", "w") as f:
        json.dump(out, f, indent=2)
    print(f"raw results: {base}.json")


if __name__ == "__main__":
    main()
