#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""keepalive: keep two programs running with Tpx.ProcessMonitor (Twisted's
procmon), one of which crashes each time it starts.

    python3 examples/keepalive.py

The monitor is driven with procmon's names: addProcess, startService,
stopService, and minRestartDelay / maxRestartDelay in seconds. "ticker"
prints a line and then stays up; "crasher" prints a line and exits with
code 3 at once, so the monitor starts it again after a delay that doubles
each time (0.1, 0.2, 0.4 s here). Every line either writes is printed with
its name. When the crasher has crashed three times, the monitor is
stopped: the ticker gets SIGTERM, and the program ends once every child
has ended.
"""

import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402

CRASHES = 3


def main():
    loop = GLib.MainLoop()
    monitor = Tpx.ProcessMonitor()
    # Short delays, to see the back-off in a second: Twisted's are 1 s to
    # 1 hour.
    monitor.minRestartDelay = 0.1
    monitor.maxRestartDelay = 0.4
    state = {"running": 0, "crashes": 0}

    def started_cb(monitor, name, transport):
        state["running"] += 1
        print("started %s" % name)

    def line_cb(monitor, name, child_fd, line):
        print("%s: %s" % (name, line))

    def ended_cb(monitor, name, status):
        state["running"] -= 1
        if status.signal is not None:
            print("ended %s: killed by signal %d" % (name, status.signal))
        else:
            print("ended %s: exit code %d" % (name, status.exitCode))
        if name == "crasher":
            state["crashes"] += 1
            if state["crashes"] == CRASHES:
                print("crasher crashed %d times: stopping" % CRASHES)
                monitor.stopService()
        if state["running"] == 0 and not monitor.running:
            loop.quit()

    monitor.connect("process-started", started_cb)
    monitor.connect("line-received", line_cb)
    monitor.connect("process-ended", ended_cb)

    # exec: the monitor's SIGTERM then reaches sleep itself.
    monitor.addProcess("ticker", ["/bin/sh", "-c", "echo up; exec sleep 1000"])
    monitor.addProcess("crasher", ["/bin/sh", "-c", "echo starting; exit 3"])

    monitor.startService()
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
