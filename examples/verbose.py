#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""verbose: say when each method of a process protocol is called.

    python3 examples/verbose.py

The child is a small shell script that reads one line, answers on its
standard output, complains on its standard error and exits with code 3.
Each of Twisted's protocol methods prints one line, so the output shows
the order in which a child's life is reported. Standard output and
standard error are separate pipes: which of them is reported first depends
on timing, and so does the place of "process exited" among the
"connection lost" lines; "connection made" always comes first and
"process ended" always last.
"""

import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402

SCRIPT = """read line
echo "got: $line"
echo 'something went wrong' >&2
exit 3
"""


def describe(reason):
    if reason.signal is not None:
        return "killed by signal %d" % reason.signal
    return "exit code %d" % reason.exitCode


def show(what, data):
    text = data.decode(errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    print("%s: %s" % (what, text))


class VerboseProtocol(Tpx.ProcessProtocol):

    def __init__(self, loop):
        self.loop = loop
        self.ended = False

    def connectionMade(self):
        print("connection made")
        # Answer the script's `read`, and let it know nothing else follows.
        self.transport.write(b"hello\n")
        self.transport.closeStdin()

    def outReceived(self, data):
        show("out received", data)

    def errReceived(self, data):
        show("err received", data)

    def inConnectionLost(self):
        print("in connection lost")

    def outConnectionLost(self):
        print("out connection lost")

    def errConnectionLost(self):
        print("err connection lost")

    def processExited(self, reason):
        print("process exited: %s" % describe(reason))

    def processEnded(self, reason):
        print("process ended: %s" % describe(reason))
        self.ended = True
        self.loop.quit()


def main():
    # Each line is printed as it happens, even into a pipe.
    sys.stdout.reconfigure(line_buffering=True)

    loop = GLib.MainLoop()
    protocol = VerboseProtocol(loop)
    try:
        Tpx.spawn_process(protocol, "/bin/sh", ["sh", "-c", SCRIPT])
    except GLib.Error as error:
        print("verbose: %s" % error.message, file=sys.stderr)
        return 1

    loop.run()
    print("main loop done")
    return 0 if protocol.ended else 1


if __name__ == "__main__":
    sys.exit(main())
