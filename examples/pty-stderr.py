#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pty-stderr: run a program on a terminal, with its standard error kept
apart on a pipe.

    python3 examples/pty-stderr.py [PROGRAM ARG...]

The child fd map is {0: 'p', 1: 'p', 2: 'r'}: the child's stdin and stdout
are one pseudo-terminal (so it line-buffers, colours its output, and asks
isatty() with success), its stderr is a pipe of its own. The terminal's
output arrives as fd 1 (outReceived), with the terminal's \\r\\n line ends;
stderr arrives as fd 2 (errReceived), untouched.

Without arguments the child is a shell script that says which of its fds
are a terminal, then writes a line to stderr. With arguments, it is that
program: `pty-stderr.py ls --color=auto -d / /nonexistent` shows ls
colouring its output for the terminal, and its complaint apart. The child
inherits our environment, with TERM set if we have none, since programs
look there for what the terminal can do.
"""

import os
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402

SCRIPT = ("for fd in 0 1 2; do "
          "if [ -t $fd ]; then echo \"fd $fd: a terminal\"; "
          "else echo \"fd $fd: not a terminal\"; fi; "
          "done; "
          "echo 'this line went to stderr' >&2")


def print_lines(prefix, data):
    """Prints each line of @data after @prefix, without the terminal's \\r."""
    text = data.replace(b"\r\n", b"\n").decode(errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    if not text:
        return
    for line in text.split("\n"):
        print("%s: %s" % (prefix, line))


class PtyProtocol(Tpx.ProcessProtocol):

    def __init__(self, loop):
        self.loop = loop
        self.terminal = b""
        self.errors = b""
        self.ran = False

    # Everything the terminal carries comes as fd 1, so here.
    def outReceived(self, data):
        self.terminal += data

    def errReceived(self, data):
        self.errors += data

    def processEnded(self, reason):
        print_lines("terminal", self.terminal)
        print_lines("stderr", self.errors)
        if reason.signal is not None:
            print("killed by signal %d" % reason.signal)
        else:
            print("exit code %d" % reason.exitCode)
        self.ran = True
        self.loop.quit()


def main():
    argv = sys.argv[1:] or ["/bin/sh", "-c", SCRIPT]
    env = dict(os.environ)
    env.setdefault("TERM", "xterm-256color")
    loop = GLib.MainLoop()
    protocol = PtyProtocol(loop)

    # Twisted's spawnProcess, with the 'p' kind in childFDs: fds 0 and 1
    # on one terminal, fd 2 a pipe.
    try:
        Tpx.spawnProcess(protocol, argv[0], argv, env=env,
                         childFDs={0: "p", 1: "p", 2: "r"})
    except GLib.Error as error:
        print("pty-stderr: %s" % error.message, file=sys.stderr)
        return 1

    loop.run()
    return 0 if protocol.ran else 1


if __name__ == "__main__":
    sys.exit(main())
