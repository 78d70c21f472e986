#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""gpg-fds: talk to a child on file descriptors other than 0, 1 and 2, the
way gpg takes a passphrase on one fd and reports its status on another.

    python3 examples/gpg-fds.py

The child fd map is {0: 'w', 1: 'r', 2: 2, 3: 'w', 4: 'r'}: pipes for stdin
and stdout, the child's stderr is our own, and two more pipes, fd 3 from us
to the child and fd 4 from the child to us. The parent writes a message to
the child's fd 3 and closes it; the child copies fd 3 to fd 4 and says on
stdout how much it copied; the parent checks that the message came back.

So that nothing needs to be installed, the child is this script again,
started as `gpg-fds.py --child`.
"""

import os
import sys

MESSAGE = b"a passphrase travels down fd 3 and comes back up fd 4\n"


def run_child():
    total = 0
    while True:
        chunk = os.read(3, 4096)
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            view = view[os.write(4, view):]
        total += len(chunk)
    os.write(1, b"child: copied %d bytes from fd 3 to fd 4\n" % total)
    return 0


if len(sys.argv) > 1 and sys.argv[1] == "--child":
    sys.exit(run_child())

import gi  # noqa: E402

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402


class FdsProtocol(Tpx.ProcessProtocol):

    def __init__(self, loop):
        self.loop = loop
        self.from_fd4 = b""
        self.from_fd1 = b""
        self.success = False

    def connectionMade(self):
        # The child reads fd 3 to its end: write the message, then close
        # it. It never reads stdin, so close that too.
        self.transport.writeToChild(3, MESSAGE)
        self.transport.closeChildFD(3)
        self.transport.closeChildFD(0)

    # Not outReceived: with extra fds, everything comes through here.
    def childDataReceived(self, childFD, data):
        if childFD == 4:
            self.from_fd4 += data
        elif childFD == 1:
            self.from_fd1 += data

    def processEnded(self, reason):
        out = sys.stdout.buffer
        out.write(b"sent on fd 3: " + MESSAGE)
        out.write(b"read on fd 4: " + self.from_fd4)
        out.write(b"read on fd 1: " + self.from_fd1)
        out.flush()

        if reason.value.exitCode != 0:
            print("gpg-fds: %s" % describe_failure(reason), file=sys.stderr)
        elif self.from_fd4 != MESSAGE:
            print("gpg-fds: the message did not come back intact",
                  file=sys.stderr)
        else:
            self.success = True

        print("round trip ok" if self.success else "round trip FAILED")
        self.loop.quit()


def describe_failure(reason):
    try:
        reason.check()
    except GLib.Error as error:
        return error.message
    return "exit code %d" % reason.exitCode


def main():
    loop = GLib.MainLoop()
    protocol = FdsProtocol(loop)
    child = [sys.executable, os.path.abspath(__file__), "--child"]

    # As the guide's gpg call: env=None (the child inherits ours) and
    # Twisted's childFDs.
    try:
        Tpx.spawnProcess(protocol, child[0], child, env=None,
                         childFDs={0: "w", 1: "r", 2: 2, 3: "w", 4: "r"})
    except GLib.Error as error:
        print("gpg-fds: %s" % error.message, file=sys.stderr)
        return 1

    loop.run()
    return 0 if protocol.success else 1


if __name__ == "__main__":
    sys.exit(main())
