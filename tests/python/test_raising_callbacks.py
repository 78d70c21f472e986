# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python callbacks that raise.

An exception in a virtual method or a signal handler cannot travel up
through the C library: PyGObject reports it (sys.excepthook, which prints
it by default) and returns. The transport must carry on as if nothing
happened: every byte still arrives, process-ended comes exactly once, and
afterwards the transport is finalized with no fd and no child left behind.
"""

import sys

import pytest

import tpxtest
from tpxtest import GLib, Tpx


class Boom(Exception):
    """The exception the callbacks raise."""


@pytest.fixture
def reported(monkeypatch):
    """The exceptions PyGObject reports, in order, instead of printing them."""
    exceptions = []

    def excepthook(exc_type, exc, tb):
        # Without the traceback: its frames would keep the handlers'
        # arguments (the transport) alive.
        exceptions.append(exc.with_traceback(None))

    monkeypatch.setattr(sys, "excepthook", excepthook)
    return exceptions


@pytest.fixture
def clean_process():
    """Checks that a test leaves the fds and the children as it found them."""
    # A first child sets up what lives for good (the default main context).
    tpxtest.Recorder(Tpx.ProcessLauncher.new().spawn(
        None, tpxtest.helper_path(), tpxtest.helper_argv("exit", "0"))).wait()
    n_fds = tpxtest.count_fds()
    yield
    assert tpxtest.count_fds() == n_fds
    tpxtest.assert_no_children()


def forget_last_exception():
    """PyErr_Print() keeps the last exception in sys.last_traceback (and
    sys.last_exc from Python 3.12), whose frames hold the handler's
    arguments (the transport, for a signal handler): Python's doing, not a
    leak of the transport."""
    sys.last_type = sys.last_value = sys.last_traceback = None
    sys.last_exc = None


def spawn_big(protocol, size):
    """The helper writing @size bytes of "0123456789"... in many writes."""
    launcher = Tpx.ProcessLauncher.new()
    return launcher.spawn(protocol, tpxtest.helper_path(),
                          tpxtest.helper_argv("big", str(size)))


def expected_big(size):
    return (b"0123456789" * (size // 10 + 1))[:size]


class RaisingVfuncs(Tpx.ProcessProtocol):
    """GObject virtual methods, the ones C and gjs override too."""

    def __init__(self):
        super().__init__()
        self.out = bytearray()
        self.n_ended = 0
        self.status = None

    def do_out_received(self, data):
        self.out += data.get_data()
        raise Boom("do_out_received")

    def do_process_ended(self, status):
        self.n_ended += 1
        self.status = status
        raise Boom("do_process_ended")


def test_vfuncs_raise(reported, clean_process):
    size = 4 * tpxtest.MIB
    protocol = RaisingVfuncs()
    transport = spawn_big(protocol, size)
    recorder = tpxtest.Recorder(transport)

    tpxtest.run_until(lambda: protocol.n_ended > 0, what="process_ended")
    tpxtest.drain()

    # Every chunk raised, and yet every byte arrived, and the end came once.
    assert bytes(protocol.out) == expected_big(size)
    assert recorder.bytes(1) == expected_big(size)
    assert protocol.n_ended == 1
    assert recorder.n_ended == 1
    assert recorder.events[-1] == "ended"
    assert protocol.status.is_success()

    # Each raise was reported, none was lost or turned into another error.
    assert len(reported) >= 2
    assert all(isinstance(exc, Boom) for exc in reported)
    assert str(reported[-1]) == "do_process_ended"
    assert sum(str(exc) == "do_out_received" for exc in reported) == len(reported) - 1

    # The protocol's weak reference goes when the transport is finalized.
    finalized = tpxtest.Finalized(transport)
    transport = recorder = None
    forget_last_exception()
    finalized.wait()
    assert protocol.get_transport() is None


def test_twisted_out_received_raises(reported, clean_process):
    # The meson test environment puts tpx/overrides on PYTHONPATH.
    assert tpxtest.override_loaded()

    class RaisingTwisted(Tpx.ProcessProtocol):
        def __init__(self):
            self.out = bytearray()
            self.ended = []

        def outReceived(self, data):
            self.out += data
            raise Boom("outReceived")

        def processEnded(self, reason):
            self.ended.append(reason)

    size = 2 * tpxtest.MIB
    protocol = RaisingTwisted()
    transport = Tpx.spawn_process(protocol, tpxtest.helper_path(),
                                  tpxtest.helper_argv("big", str(size)))

    tpxtest.run_until(lambda: protocol.ended, what="processEnded")
    tpxtest.drain()

    assert bytes(protocol.out) == expected_big(size)
    assert len(protocol.ended) == 1
    assert protocol.ended[0].exitCode == 0
    assert reported and all(str(exc) == "outReceived" for exc in reported)

    finalized = tpxtest.Finalized(transport)
    transport = None
    forget_last_exception()
    finalized.wait()


def test_signal_handlers_raise(reported, clean_process):
    received = []
    seen = []

    def child_data_cb(transport, child_fd, data):
        received.append(data.get_data())
        raise Boom("child-data")

    def process_exited_cb(transport, status):
        seen.append("exited")
        raise Boom("process-exited")

    def process_ended_cb(transport, status):
        seen.append("ended")
        raise Boom("process-ended")

    launcher = Tpx.ProcessLauncher.new()
    transport = launcher.spawn(None, tpxtest.helper_path(),
                               tpxtest.helper_argv("write-both"))
    transport.connect("child-data", child_data_cb)
    transport.connect("process-exited", process_exited_cb)
    transport.connect("process-ended", process_ended_cb)
    # A later handler still runs after an earlier one raised.
    recorder = tpxtest.Recorder(transport)

    recorder.wait()
    tpxtest.drain()

    assert b"".join(received) in (b"outerr", b"errout")
    assert recorder.text(1) == "out" and recorder.text(2) == "err"
    assert seen == ["exited", "ended"]
    assert recorder.n_ended == 1
    assert recorder.end_status.is_success()
    assert {str(exc) for exc in reported} == {"child-data", "process-exited",
                                              "process-ended"}

    finalized = tpxtest.Finalized(transport)
    transport = recorder = None
    forget_last_exception()
    finalized.wait()


def test_raise_while_writing(reported, clean_process):
    """A vfunc that raises while the parent still has data queued for the
    child: the queue is still written out, in order."""

    class Echo(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            self.out = bytearray()
            self.n_ended = 0

        def do_out_received(self, data):
            self.out += data.get_data()
            raise Boom("echo")

        def do_process_ended(self, status):
            self.n_ended += 1

    payload = tpxtest.pattern(3 * tpxtest.MIB, seed=7)
    protocol = Echo()
    launcher = Tpx.ProcessLauncher.new()
    transport = launcher.spawn(protocol, tpxtest.helper_path(),
                               tpxtest.helper_argv("echo"))
    transport.write_bytes(GLib.Bytes.new(payload))
    transport.close_stdin()

    tpxtest.run_until(lambda: protocol.n_ended > 0, what="process_ended")
    tpxtest.drain()

    assert bytes(protocol.out) == payload
    assert protocol.n_ended == 1
    assert reported and all(str(exc) == "echo" for exc in reported)

    finalized = tpxtest.Finalized(transport)
    transport = None
    forget_last_exception()
    finalized.wait()
