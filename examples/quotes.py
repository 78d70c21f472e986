#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""quotes: run a program that prints a quotation and show what it printed,
with Tpx.get_process_output() (Twisted's getProcessOutput).

    python3 examples/quotes.py

Where Twisted returns a Deferred, Tpx returns a Tpx.ProcessCall: the
callback gets it once the child is done, and call.result() is the output
(or raises the GLib.Error the call failed with).

To need nothing installed, this script is also the quotation program:
started as `quotes.py --quote`, it prints one and exits.
"""

import os
import sys

QUOTE = ("Simple things should be simple, complex things should be possible.\n"
         "    -- Alan Kay\n")

if len(sys.argv) > 1 and sys.argv[1] == "--quote":
    sys.stdout.write(QUOTE)
    sys.exit(0)

import gi  # noqa: E402

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402


def main():
    loop = GLib.MainLoop()
    status = []

    def print_result(call):
        try:
            output = call.result()
        except GLib.Error as error:
            print("quotes: %s" % error.message, file=sys.stderr)
            status.append(1)
        else:
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
            status.append(0)
        loop.quit()

    # Our own script, run again as the quotation program (empty
    # environment, as Twisted's default).
    Tpx.get_process_output(sys.executable,
                           [os.path.abspath(__file__), "--quote"],
                           callback=print_result)
    loop.run()
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
