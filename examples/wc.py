#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""wc: count the lines, words and characters of a text with wc(1).

    python3 examples/wc.py [TEXT]

The protocol is written as for Twisted: connectionMade writes the text to
the child's standard input and closes it, so that wc sees the end of its
input; outReceived collects what wc prints (it may come in several pieces);
outConnectionLost reads the three numbers once standard output is closed;
processEnded stops the main loop. Only the imports and the main loop are
GLib's.
"""

import os
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402

DEFAULT_TEXT = b"tpx runs child processes\non the GLib main loop.\n"


class WcProtocol(Tpx.ProcessProtocol):

    def __init__(self, text, loop):
        self.text = text
        self.loop = loop
        self.output = b""
        self.counted = False

    def connectionMade(self):
        self.transport.write(self.text)
        self.transport.closeStdin()

    def outReceived(self, data):
        self.output += data

    def outConnectionLost(self):
        fields = self.output.split()
        try:
            lines, words, chars = (int(field) for field in fields)
        except ValueError:
            print('wc: cannot read the counts in "%s"'
                  % self.output.decode(errors="replace"), file=sys.stderr)
            return
        self.counted = True
        print("lines %d words %d chars %d" % (lines, words, chars))

    def processEnded(self, reason):
        try:
            reason.check()
        except GLib.Error as error:
            print("wc: %s" % error.message, file=sys.stderr)
            self.counted = False
        self.loop.quit()


def main(argv):
    text = os.fsencode(argv[1]) if len(argv) > 1 else DEFAULT_TEXT
    loop = GLib.MainLoop()
    protocol = WcProtocol(text, loop)

    # No environment (Twisted's default): "wc" is looked up in
    # /bin:/usr/bin, and runs in the C locale, so characters are bytes.
    try:
        Tpx.spawn_process(protocol, "wc", ["wc"])
    except GLib.Error as error:
        print("wc: %s" % error.message, file=sys.stderr)
        return 1

    loop.run()
    return 0 if protocol.counted else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
