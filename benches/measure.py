"""Measuring helpers the side-by-side benchmarks share."""

import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd):
    """Runs cmd, returns (stdout, wall_s, cpu_s, maxrss_kb).

    CPU (user + sys, all threads) comes from wait4's rusage. Peak RSS comes
    from GNU time instead: ru_maxrss survives execve, so a child forked
    straight from this Python process would report Python's own RSS; GNU
    time is a small C program, so the figure it reports is the client's own.
    """
    with tempfile.TemporaryDirectory(prefix="hornet-run-") as d:
        rss_file, out_file, err_file = (os.path.join(d, n) for n in ("rss", "out", "err"))
        t0 = time.time()
        with open(out_file, "wb") as out, open(err_file, "wb") as err:
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd],
                                    stdout=out, stderr=err)
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.time() - t0
        stdout = open(out_file, "rb").read().decode(errors="replace")
        if proc.returncode != 0:
            stderr = open(err_file, "rb").read().decode(errors="replace")
            sys.exit(f"{os.path.basename(cmd[0])} exited {proc.returncode}: {stderr}{stdout}")
        maxrss = int(open(rss_file).read().strip().splitlines()[-1])
    return stdout, wall, ru.ru_utime + ru.ru_stime, maxrss
