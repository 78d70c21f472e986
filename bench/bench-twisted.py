#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One Twisted measurement, as the C columns do (bench-COLUMN WORKLOAD ...).

    bench-twisted.py --reactor NAME --child PATH W1|W2|W5 [options]

NAME is a reactor of Twisted's plugin list (`default`: epoll on Linux;
`gi`: stock GIReactor; `tpx`: tpxreactor). Each run is a fresh process;
prints `RESULT key value unit` lines, as bench/run's programs do.

    W1  spawn and end /bin/true with three pipes, one child at a time
    W2  --bytes from `bench-child source BYTES`'s stdout to the parent
    W5  --n live children (`bench-child sleep MS`), three pipes each:
        children per second of wall time, of parent CPU time, per MiB of
        parent RSS growth while all are alive
"""

import argparse
import os
import resource
import sys
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def report(key, value, unit):
    print(f"RESULT {key} {value:.6g} {unit}", flush=True)


def fail(message):
    sys.exit(f"bench-twisted: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reactor", required=True)
    parser.add_argument("--child", required=True, help="the bench-child program")
    parser.add_argument("workload", choices=["W1", "W2", "W5"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="W1: stop after this long even before --n")
    parser.add_argument("--bytes", type=int, default=1 << 30)
    parser.add_argument("--sleep-ms", type=int, default=1000)
    options = parser.parse_args()

    # 1,000 children hold 3,000 pipe ends at the start.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    from twisted.application.reactors import installReactor

    reactor = installReactor(options.reactor)

    from twisted.internet import error, protocol

    failures = []

    class Child(protocol.ProcessProtocol):
        def __init__(self, done):
            self.out = 0
            self.done = done

        def outReceived(self, data):
            self.out += len(data)

        def processEnded(self, reason):
            if not reason.check(error.ProcessDone):
                failures.append(reason.getErrorMessage())
            self.done(self)

    def spawn(done, argv):
        child = Child(done)
        transport = reactor.spawnProcess(child, argv[0], argv, env={})
        transport.closeStdin()
        return child

    def w1():
        argv = ["/bin/true"]
        state = {"done": 0}

        def ended(child):
            state["done"] += 1
            elapsed = time.monotonic() - state["start"]
            if state["done"] < options.n and elapsed < options.seconds:
                spawn(ended, argv)
            else:
                report("W1", state["done"] / elapsed, "spawn/s")
                reactor.stop()

        state["start"] = time.monotonic()
        spawn(ended, argv)

    def w2():
        argv = [options.child, "source", str(options.bytes)]
        start = time.monotonic()

        def ended(child):
            if child.out != options.bytes:
                failures.append(f"read {child.out} bytes, expected {options.bytes}")
            report("W2", options.bytes / (time.monotonic() - start) / 1e6, "MB/s")
            reactor.stop()

        spawn(ended, argv)

    def w5():
        argv = [options.child, "sleep", str(options.sleep_ms)]
        state = {"left": options.n}
        rss = rss_bytes()
        cpu = cpu_seconds()
        start = time.monotonic()

        def ended(child):
            state["left"] -= 1
            if state["left"] > 0:
                return
            wall = time.monotonic() - start
            used = cpu_seconds() - cpu
            print(f"# {options.n} children: wall {wall:.3f} s, parent CPU "
                  f"{used:.3f} s, RSS +{state['rss'] // 1024} KiB "
                  f"({state['rss'] / 1024 / options.n:.2f} KiB/child)")
            report("W5", options.n / wall, "children/s")
            report("W5cpu", options.n / max(used, 1e-6), "children/cpu-s")
            report("W5mem", options.n / (max(state["rss"], 4096) / 1048576),
                   "children/MiB")
            reactor.stop()

        for _ in range(options.n):
            spawn(ended, argv)
        state["rss"] = rss_bytes() - rss

    workload = {"W1": w1, "W2": w2, "W5": w5}[options.workload]
    reactor.callWhenRunning(workload)
    reactor.run()
    if failures:
        fail(f"{len(failures)} failures, first: {failures[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
