#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""lsl: list a directory with `ls -l` and read what it prints line by line,
with Tpx.LineProtocol.

    python3 examples/lsl.py [DIRECTORY]

The protocol is written as for Twisted's LineReceiver: lineReceived gets
one line of standard output at a time, a str without its newline, however
the reads cut ls's output. Standard error is not split: errReceived gets
its bytes as they come, printed once it is closed (errConnectionLost).
Each entry is printed as its kind, its size and its name, then a summary.
ls runs with an empty environment (Twisted's default): found in
/bin:/usr/bin, it prints in the C locale, so the layout of its lines is
known.
"""

import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402

KINDS = {"-": "file", "d": "dir", "l": "link"}


class LsProtocol(Tpx.LineProtocol):

    def __init__(self, loop):
        self.loop = loop
        self.n_entries = 0
        self.file_bytes = 0
        self.errors = b""
        self.ok = False

    def lineReceived(self, line):
        if line.startswith("total "):
            return
        # mode, links, owner, group, size, month, day, time or year, name
        fields = line.split(None, 8)
        if len(fields) < 9:
            return
        mode, size, name = fields[0], fields[4], fields[8]
        kind = KINDS.get(mode[0], "other")
        self.n_entries += 1
        if kind == "file":
            self.file_bytes += int(size)
            print("%s %s %s" % (kind, size, name))
        elif kind == "link":
            print("%s %s %s" % (kind, size, name.split(" -> ")[0]))
        else:
            print("%s - %s" % (kind, name))

    def errReceived(self, data):
        self.errors += data

    def errConnectionLost(self):
        for line in self.errors.decode(errors="replace").splitlines():
            print("ls says: %s" % line, file=sys.stderr)

    def processEnded(self, reason):
        try:
            reason.check()
        except GLib.Error as error:
            print("lsl: %s" % error.message, file=sys.stderr)
        else:
            self.ok = True
            print("%d entries, %d bytes in files"
                  % (self.n_entries, self.file_bytes))
        self.loop.quit()


def main(argv):
    directory = argv[1] if len(argv) > 1 else "."
    loop = GLib.MainLoop()
    protocol = LsProtocol(loop)

    try:
        Tpx.spawn_process(protocol, "ls", ["ls", "-l", "--", directory])
    except GLib.Error as error:
        print("lsl: %s" % error.message, file=sys.stderr)
        return 1

    loop.run()
    return 0 if protocol.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
