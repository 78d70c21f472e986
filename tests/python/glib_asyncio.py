# SPDX-License-Identifier: LGPL-2.1-or-later
"""An asyncio event loop that runs on the GLib main context, for the tests.

asyncio's SelectorEventLoop waits in its selector; this selector waits by
iterating the default GLib main context, with a GLib fd source per file
descriptor asyncio watches. So while the asyncio loop runs, every GLib
source (Tpx's pipes and children included) is dispatched, which is what
`await Tpx.get_process_output(...)` needs. PyGObject 3.50 and later ship a
complete one (gi.events); Debian 12 has 3.42.
"""

import asyncio
import collections.abc
import selectors

from gi.repository import GLib

_READ_CONDITIONS = GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR
_WRITE_CONDITIONS = GLib.IOCondition.OUT | GLib.IOCondition.ERR


def _fileno(fileobj):
    if isinstance(fileobj, int):
        return fileobj
    return fileobj.fileno()


class _KeyMapping(collections.abc.Mapping):
    def __init__(self, keys):
        self._keys = keys

    def __len__(self):
        return len(self._keys)

    def __getitem__(self, fileobj):
        return self._keys[_fileno(fileobj)]

    def __iter__(self):
        return iter(self._keys)


class GLibSelector(selectors.BaseSelector):
    """A selector that waits by iterating the default GLib main context."""

    def __init__(self):
        self._context = GLib.MainContext.default()
        self._keys = {}
        self._sources = {}
        self._ready = {}

    def register(self, fileobj, events, data=None):
        fd = _fileno(fileobj)
        if fd in self._keys:
            raise KeyError("%r is already registered" % fileobj)
        key = selectors.SelectorKey(fileobj, fd, events, data)
        condition = GLib.IOCondition(0)
        if events & selectors.EVENT_READ:
            condition |= _READ_CONDITIONS
        if events & selectors.EVENT_WRITE:
            condition |= _WRITE_CONDITIONS
        self._keys[fd] = key
        self._sources[fd] = GLib.unix_fd_add_full(
            GLib.PRIORITY_DEFAULT, fd, condition, self._fd_ready_cb, fd)
        return key

    def unregister(self, fileobj):
        fd = _fileno(fileobj)
        key = self._keys.pop(fd)
        GLib.source_remove(self._sources.pop(fd))
        self._ready.pop(fd, None)
        return key

    def modify(self, fileobj, events, data=None):
        self.unregister(fileobj)
        return self.register(fileobj, events, data)

    def _fd_ready_cb(self, fd, condition, user_data):
        key = self._keys.get(fd)
        if key is None:
            return GLib.SOURCE_REMOVE
        events = 0
        if condition & _READ_CONDITIONS:
            events |= selectors.EVENT_READ
        if condition & _WRITE_CONDITIONS:
            events |= selectors.EVENT_WRITE
        events &= key.events
        if events:
            self._ready[fd] = self._ready.get(fd, 0) | events
        return GLib.SOURCE_CONTINUE

    def select(self, timeout=None):
        self._ready = {}
        if timeout is not None and timeout <= 0:
            self._context.iteration(False)
        else:
            expired = []
            timer = None
            if timeout is not None:
                def expired_cb(*args):
                    expired.append(True)
                    return GLib.SOURCE_REMOVE

                timer = GLib.timeout_add(max(1, int(timeout * 1000)),
                                         expired_cb)
            while not self._ready and not expired:
                self._context.iteration(True)
            if timer is not None and not expired:
                GLib.source_remove(timer)
        return [(self._keys[fd], events) for fd, events in self._ready.items()
                if fd in self._keys]

    def close(self):
        for source in self._sources.values():
            GLib.source_remove(source)
        self._sources.clear()
        self._keys.clear()

    def get_map(self):
        return _KeyMapping(self._keys)


def new_event_loop():
    return asyncio.SelectorEventLoop(GLibSelector())
