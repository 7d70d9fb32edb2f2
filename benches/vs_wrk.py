#!/usr/bin/env python3
"""hornet vs wrk against nginx on loopback, alternating rounds.

For each client and round: requests/s, requests per client CPU-second
(user + sys of the client process, from wait4's rusage), peak RSS.
Then, once per client, syscalls per request from `strace -c -f`, peak RSS
with 1,000 connections, and hornet's open model at a fixed rate (wrk has no
open model; wrk2 is not packaged). Medians and hornet/wrk ratios are printed
and everything raw is written under benches/results/.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile

from measure import free_port, host_meta, nginx_server, run_measured, start_nginx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# HORNET_BIN runs another hornet build (e.g. the commit before a change)
# against the same peers; HORNET_LABEL names its result files.
HORNET = os.environ.get("HORNET_BIN") or os.path.join(ROOT, "target", "release", "hornet")
LABEL = ("-" + os.environ["HORNET_LABEL"]) if os.environ.get("HORNET_LABEL") else ""


def wrk_cmd(url, threads, conns, dur, extra=()):
    return ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{dur}s", *extra, url]


def hornet_cmd(url, threads, conns, dur, json_path, extra=()):
    return [HORNET, "http", url, "-t", str(threads), "-c", str(conns), "-d", f"{dur}s",
            "-q", "--json", json_path, *extra]


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, total, (errors.group(1) if errors else "")


def parse_hornet(json_path):
    with open(json_path) as f:
        doc = json.load(f)
    return doc["throughput"], doc["requests"], doc


def round_once(client, url, args, tmp):
    if client == "wrk":
        out, wall, cpu, rss = run_measured(wrk_cmd(url, args.threads, args.connections, args.duration))
        rps, total, errs = parse_wrk(out)
    else:
        path = os.path.join(tmp, "h.json")
        out, wall, cpu, rss = run_measured(
            hornet_cmd(url, args.threads, args.connections, args.duration, path))
        rps, total, doc = parse_hornet(path)
        errs = json.dumps(doc["errors"]) if doc["errors"] else ""
    return {"client": client, "rps": rps, "requests": total, "cpu_s": cpu, "wall_s": wall,
            "req_per_cpu_s": total / cpu if cpu > 0 else 0.0, "maxrss_kb": rss, "errors": errs}


def strace_syscalls(client, url, args, tmp):
    """Total syscalls per request for the client under strace -c -f."""
    trace = os.path.join(tmp, f"{client}.strace")
    dur = 3
    if client == "wrk":
        cmd = wrk_cmd(url, args.threads, args.connections, dur)
    else:
        cmd = hornet_cmd(url, args.threads, args.connections, dur, os.path.join(tmp, "s.json"))
    out, *_ = run_measured(["strace", "-f", "-c", "-o", trace, *cmd])
    total = parse_wrk(out)[1] if client == "wrk" else parse_hornet(os.path.join(tmp, "s.json"))[1]
    calls = {}
    with open(trace) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
    n = sum(calls.values())
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:6]
    return {"client": client, "requests": total, "syscalls": n,
            "per_request": n / total if total else 0.0,
            "top_per_request": {k: round(v / total, 3) for k, v in top} if total else {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s, for a smoke test")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 3

    tmp = tempfile.mkdtemp(prefix="hornet-bench-")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    nginx = start_nginx(tmp, args.nginx_workers, [nginx_server(port)], [port])
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    try:
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
        meta = {
            **host_meta(), "wrk": wrk_version,
            "hornet": subprocess.run([HORNET, "--version"], capture_output=True, text=True).stdout.strip(),
            "nginx_workers": args.nginx_workers, "threads": args.threads,
            "connections": args.connections, "duration_s": args.duration, "rounds": args.rounds,
        }
        host, cpu_model = meta["host"], meta["cpu"]
        say(f"# hornet vs wrk, {meta['date']}, {host}, {cpu_model}, {meta['cores']} cores")
        say(f"# nginx {args.nginx_workers} worker(s) on {url}; clients: -t {args.threads} "
            f"-c {args.connections} -d {args.duration}s, pipeline 1, {args.rounds} alternating rounds")
        rounds = []
        for i in range(args.rounds):
            for client in ("hornet", "wrk") if i % 2 == 0 else ("wrk", "hornet"):
                r = round_once(client, url, args, tmp)
                r["round"] = i + 1
                rounds.append(r)
                say(f"round {i+1} {client:6} {r['rps']:>12,.0f} req/s  {r['req_per_cpu_s']:>12,.0f} req/CPU-s  "
                    f"cpu {r['cpu_s']:6.2f}s  rss {r['maxrss_kb']/1024:6.1f} MiB  {r['errors']}")

        def med(client, key):
            return statistics.median(r[key] for r in rounds if r["client"] == client)

        summary = {}
        for key in ("rps", "req_per_cpu_s", "maxrss_kb"):
            h, w = med("hornet", key), med("wrk", key)
            summary[key] = {"hornet": h, "wrk": w, "ratio": h / w if w else None}
        say()
        say("median              hornet          wrk     hornet/wrk")
        for key, label in (("rps", "req/s"), ("req_per_cpu_s", "req/CPU-s"), ("maxrss_kb", "peak RSS KiB")):
            s = summary[key]
            say(f"{label:14} {s['hornet']:>12,.0f} {s['wrk']:>12,.0f} {s['ratio']:>12.2f}x")

        say()
        sys_results = [strace_syscalls(c, url, args, tmp) for c in ("hornet", "wrk")]
        for s in sys_results:
            say(f"syscalls/request {s['client']:6} {s['per_request']:.2f}  (under strace, {s['requests']:,} requests)  {s['top_per_request']}")

        say()
        rss = {}
        for client in ("hornet", "wrk"):
            conns = 1000
            if client == "wrk":
                out, wall, cpu, kb = run_measured(wrk_cmd(url, args.threads, conns, 3))
            else:
                out, wall, cpu, kb = run_measured(
                    hornet_cmd(url, args.threads, conns, 3, os.path.join(tmp, "rss.json")))
            rss[client] = kb
            say(f"peak RSS with 1,000 connections {client:6} {kb/1024:6.1f} MiB")

        say()
        path = os.path.join(tmp, "open.json")
        run_measured(hornet_cmd(url, args.threads, args.connections, 10, path, ("-R", str(args.rate))))
        _, _, doc = parse_hornet(path)
        achieved = doc["requests"] / 10.0
        lag = doc["generator"]["schedule_lag_us"]
        open_result = {"target_rate": args.rate, "achieved_rate_over_10s": achieved,
                       "throughput_over_elapsed": doc["throughput"],
                       "rate_error": abs(achieved - args.rate) / args.rate,
                       "schedule_lag_p99_us": lag["p99"], "schedule_lag_max_us": lag["max"],
                       "late_sends": doc["generator"]["late_sends"],
                       "latency_p99_us": doc["latency_us"]["p99"],
                       "not_sent": doc["not_sent"], "scheduled": doc["scheduled"]}
        say(f"open model -R {args.rate} for 10 s: {achieved:,.0f} responses/s "
            f"({open_result['rate_error']*100:.2f}% off target), schedule lag p99 {lag['p99']} us, "
            f"max {lag['max']} us, {open_result['late_sends']} late sends, corrected p99 {doc['latency_us']['p99']} us")

        stamp = datetime.datetime.now().strftime("%Y-%m-%d")
        base = os.path.join(ROOT, "benches", "results", f"{stamp}-{host}-vs-wrk{LABEL}")
        with open(base + ".txt", "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(base + ".json", "w") as f:
            json.dump({"meta": meta, "rounds": rounds, "summary": summary, "syscalls": sys_results,
                       "rss_1000_connections_kb": rss, "open_model": open_result}, f, indent=2)
        say(f"\nraw results: {base}.txt / .json")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
