#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""trueandfalse: get the exit codes of `true` and then `false` with
Tpx.get_process_value() (Twisted's getProcessValue).

    python3 examples/trueandfalse.py

The child's environment is empty, so the bare names are looked up in
/bin:/usr/bin.
"""

import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Tpx  # noqa: E402


def main():
    loop = GLib.MainLoop()
    status = [0]

    def report(program, call):
        try:
            value = call.result()
        except GLib.Error as error:
            print("trueandfalse: %s: %s" % (program, error.message),
                  file=sys.stderr)
            status[0] = 1
            return False
        print("%s exited with %d" % (program, value))
        return True

    def false_done(call):
        report("false", call)
        loop.quit()

    def true_done(call):
        if report("true", call):
            Tpx.get_process_value("false", callback=false_done)
        else:
            loop.quit()

    Tpx.get_process_value("true", callback=true_done)
    loop.run()
    return status[0]


if __name__ == "__main__":
    sys.exit(main())
