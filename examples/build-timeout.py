#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""build-timeout: run a build with a time limit, and when it runs out stop
the build's whole tree, not just the process we started.

    python3 examples/build-timeout.py [--timeout SECONDS] [COMMAND [ARG...]]

Without a command it runs a pretend build that never finishes in time: a
shell that starts two compilers and a linker, each a shell running
`sleep`, the linker ignoring SIGTERM. With one (`make -j8`), it runs that,
with this program's environment.

Tpx.spawn_process() takes the lifetime keywords: kill_mode='cgroup' puts
the whole tree in a cgroup of its own (double-forked daemons included);
where no cgroup can be made (Flatpak, containers) the spawn raises
Gio.IOErrorEnum.NOT_SUPPORTED or PERMISSION_DENIED and this falls back to
'process-group'. timeout= (seconds) stops the tree when it runs out:
SIGTERM to all of it, then SIGKILL to whatever still runs stop_timeout=
seconds later (the linker, here).
"""

import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Gio, Tpx  # noqa: E402

DEFAULT_TIMEOUT = 1.0
STOP_TIMEOUT = 0.5

PRETEND_BUILD = """\
echo 'build: 2 compilers and a linker, for 60 s'
sh -c 'sleep 60; echo cc parser.c' &
sh -c 'sleep 60; echo cc lexer.c' &
sh -c 'trap "" TERM; sleep 60; echo ld' &
wait
"""


class BuildProtocol(Tpx.ProcessProtocol):
    def __init__(self, loop, timeout):
        self.loop = loop
        self.timeout = timeout

    def connectionMade(self):
        # Nothing to say to the build.
        self.transport.closeStdin()
        self.transport.connect("notify::timed-out", self.timed_out)

    def outReceived(self, data):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

    def errReceived(self, data):
        sys.stderr.buffer.write(data)
        sys.stderr.flush()

    def timed_out(self, transport, pspec):
        # The transport calls stop() right after this.
        print("time limit of %d ms reached, %d processes in the build's "
              "tree: stopping it" % (round(self.timeout * 1000),
                                     transport.get_n_tree_processes()),
              flush=True)

    def processEnded(self, reason):
        if reason.signal is not None:
            print("the build ended: killed by signal %d" % reason.signal)
        else:
            print("the build ended: exit code %d" % reason.exitCode)
        print("processes left in its tree: %d"
              % self.transport.get_n_tree_processes(), flush=True)
        self.loop.quit()


def spawn_build(protocol, command, timeout):
    """CGROUP mode where this system lets us make a cgroup, else a process
    group (which does not reach a process that leaves it, a daemon)."""
    for kill_mode in ("cgroup", "process-group"):
        try:
            transport = Tpx.spawn_process(
                protocol, command[0], command, env=None, kill_mode=kill_mode,
                timeout=timeout, stop_timeout=STOP_TIMEOUT)
        except GLib.Error as error:
            if kill_mode == "cgroup" and (
                    error.matches(Gio.io_error_quark(),
                                  Gio.IOErrorEnum.NOT_SUPPORTED) or
                    error.matches(Gio.io_error_quark(),
                                  Gio.IOErrorEnum.PERMISSION_DENIED)):
                continue
            raise
        print("kill mode: %s" % kill_mode, flush=True)
        return transport


def main(argv):
    args = argv[1:]
    timeout = DEFAULT_TIMEOUT
    if len(args) > 1 and args[0] == "--timeout":
        timeout = float(args[1])
        args = args[2:]
    command = args or ["/bin/sh", "-c", PRETEND_BUILD]

    loop = GLib.MainLoop()
    try:
        spawn_build(BuildProtocol(loop, timeout), command, timeout)
    except GLib.Error as error:
        print("build-timeout: %s" % error.message, file=sys.stderr)
        return 1
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
