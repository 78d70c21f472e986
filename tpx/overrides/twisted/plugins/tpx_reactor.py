# SPDX-License-Identifier: LGPL-2.1-or-later
"""Twisted plugin: `twistd --reactor=tpx`, `trial --reactor=tpx`.

Installed into twisted/plugins/ of the Python site directory, beside the
tpxreactor module it names.
"""

from twisted.application.reactors import Reactor

tpx = Reactor(
    "tpx",
    "tpxreactor",
    "GLib (GObject introspection) reactor whose spawnProcess is tpx.",
)
