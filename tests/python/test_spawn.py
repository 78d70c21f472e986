# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end spawning through the Tpx typelib from PyGObject.

Run against the build tree: the meson test sets GI_TYPELIB_PATH and
LD_LIBRARY_PATH so that `gi.repository.Tpx` is the library just built.
"""

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Gio, Tpx  # noqa: E402

import pytest  # noqa: E402

# Generous, but a hung test still fails well before meson's own timeout.
TIMEOUT_SECONDS = 10


def run_until(loop, done):
    """Run @loop until done() is true; fail the test on timeout."""
    timed_out = []

    def timeout_cb():
        timed_out.append(True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    source_id = GLib.timeout_add_seconds(TIMEOUT_SECONDS, timeout_cb)
    while not done() and not timed_out:
        loop.run()
    if not timed_out:
        GLib.source_remove(source_id)
    assert not timed_out, "timed out waiting for the child"


class RecordingProtocol(Tpx.ProcessProtocol):
    """Overrides two vfuncs and records what the transport hands them."""

    def __init__(self, loop):
        super().__init__()
        self.loop = loop
        self.events = []
        self.out = b""
        self.status = None

    def do_out_received(self, data):
        self.events.append("out")
        self.out += data.get_data()

    def do_process_ended(self, status):
        self.events.append("ended")
        self.status = status
        self.loop.quit()


def test_signals():
    loop = GLib.MainLoop()
    launcher = Tpx.ProcessLauncher.new()
    data = []
    ended = []

    def child_data_cb(transport, child_fd, data_bytes):
        data.append((child_fd, data_bytes.get_data()))

    def process_ended_cb(transport, status):
        ended.append(status)
        loop.quit()

    transport = launcher.spawn(None, "/bin/echo", ["echo", "hello"])
    assert isinstance(transport, Tpx.ProcessTransport)
    assert transport.get_pid() > 0
    assert transport.get_status() is None
    transport.connect("child-data", child_data_cb)
    transport.connect("process-ended", process_ended_cb)

    run_until(loop, lambda: ended)

    assert len(ended) == 1
    assert b"".join(chunk for fd, chunk in data) == b"hello\n"
    assert {fd for fd, chunk in data} == {1}
    status = ended[0]
    assert isinstance(status, Tpx.ProcessStatus)
    assert status.get_exit_code() == 0
    assert status.get_signal() == 0
    assert status.is_success()
    assert transport.get_status() is status


def test_protocol_subclass():
    loop = GLib.MainLoop()
    protocol = RecordingProtocol(loop)
    launcher = Tpx.ProcessLauncher.new()

    transport = launcher.spawn(protocol, "/bin/echo", ["echo", "hello"])
    assert transport.get_protocol() is protocol
    assert protocol.get_transport() is transport

    run_until(loop, lambda: protocol.status is not None)

    assert protocol.out == b"hello\n"
    # every chunk of output arrives before the one, final process_ended
    assert protocol.events[-1] == "ended"
    assert protocol.events.count("ended") == 1
    assert set(protocol.events[:-1]) == {"out"}
    assert protocol.status.get_exit_code() == 0
    assert protocol.status.is_success()


def test_missing_executable():
    launcher = Tpx.ProcessLauncher.new()
    missing = "/nonexistent/tpx-no-such-program"

    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, missing, [missing])

    error = info.value
    assert error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND), (
        error.domain, error.code, error.message)
    assert missing in error.message
