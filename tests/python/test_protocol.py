# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessProtocol subclassed in Python through the GObject virtual
methods (do_*): their default dispatch, when they run relative to the
transport's signals, and the protocol's lifetime (the parity of
tests/test-process-protocol.c; Twisted's method names are in
test_override.py)."""

import gc
import re
import signal

from tpxtest import (GLib, Tpx, MIB, Finalized, Recorder, helper_argv,
                     pattern, run_until, spawn_helper)

NAMED_METHODS = ("out_received", "err_received", "in_connection_lost",
                 "out_connection_lost", "err_connection_lost")


class CallLog(Tpx.ProcessProtocol):
    """Writes down every virtual method call."""

    def __init__(self, chain_up=True):
        super().__init__()
        self.calls = []
        self.out = bytearray()
        self.err = bytearray()
        self.fd_data = {}
        self.made_with = None
        self.transport_ok_in_made = False
        self.pid_in_made = 0
        self.exit_status = None
        self.end_status = None
        self.chain_up = chain_up

    def do_connection_made(self, transport):
        self.calls.append("connection_made")
        self.made_with = transport
        self.pid_in_made = transport.get_pid()
        self.transport_ok_in_made = (
            self.get_transport() is transport and
            self.props.transport is transport and
            transport.get_protocol() is self)

    def do_child_data_received(self, child_fd, data):
        self.calls.append("child_data_received:%d" % child_fd)
        self.fd_data.setdefault(child_fd, bytearray()).extend(data.get_data())
        if self.chain_up:
            Tpx.ProcessProtocol.do_child_data_received(self, child_fd, data)

    def do_child_connection_lost(self, child_fd):
        self.calls.append("child_connection_lost:%d" % child_fd)
        if self.chain_up:
            Tpx.ProcessProtocol.do_child_connection_lost(self, child_fd)

    def do_out_received(self, data):
        self.calls.append("out_received")
        self.out += data.get_data()

    def do_err_received(self, data):
        self.calls.append("err_received")
        self.err += data.get_data()

    def do_in_connection_lost(self):
        self.calls.append("in_connection_lost")

    def do_out_connection_lost(self):
        self.calls.append("out_connection_lost")

    def do_err_connection_lost(self):
        self.calls.append("err_connection_lost")

    def do_process_exited(self, status):
        self.calls.append("process_exited")
        self.exit_status = status

    def do_process_ended(self, status):
        self.calls.append("process_ended")
        self.end_status = status

    @property
    def ended(self):
        return self.end_status is not None

    def wait(self):
        run_until(lambda: self.ended, what="process_ended (calls: %s)"
                  % " ".join(self.calls))

    def count(self, name):
        return self.calls.count(name)

    def assert_first_and_last(self):
        __tracebackhide__ = True
        calls = self.calls
        assert calls[0] == "connection_made", calls
        assert self.count("connection_made") == 1, calls
        assert self.count("process_exited") == 1, calls
        assert self.count("process_ended") == 1, calls
        assert calls[-1] == "process_ended", calls

    def assert_always_followed_by(self, first, then):
        """Every @first is right before @then (None: before none of the
        named methods); returns how many @first there are."""
        __tracebackhide__ = True
        n = 0
        for i, call in enumerate(self.calls):
            if call != first:
                continue
            n += 1
            following = self.calls[i + 1] if i + 1 < len(self.calls) else None
            if then is not None:
                assert following == then, self.calls
            else:
                assert following not in NAMED_METHODS, self.calls
        return n


def test_dispatch_default():
    protocol = CallLog()
    transport = spawn_helper("write-both", protocol=protocol)
    protocol.wait()
    protocol.assert_first_and_last()

    assert protocol.assert_always_followed_by("child_data_received:1", "out_received") >= 1
    assert protocol.assert_always_followed_by("child_data_received:2", "err_received") >= 1
    assert protocol.assert_always_followed_by("child_connection_lost:0", "in_connection_lost") == 1
    assert protocol.assert_always_followed_by("child_connection_lost:1", "out_connection_lost") == 1
    assert protocol.assert_always_followed_by("child_connection_lost:2", "err_connection_lost") == 1
    assert protocol.count("out_received") == protocol.count("child_data_received:1")
    assert protocol.count("err_received") == protocol.count("child_data_received:2")
    assert protocol.out == b"out"
    assert protocol.err == b"err"

    assert protocol.exit_status is protocol.end_status
    assert protocol.end_status.is_success()
    assert transport.get_status() is protocol.end_status


def test_dispatch_extra_fds():
    """Data and closes on other fds reach only the generic methods."""
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("0:w,1:r,2:r,3:r")
    protocol = CallLog()
    transport = spawn_helper("cat-fd", "0", "3", launcher=launcher,
                             protocol=protocol)
    transport.write(b"three")
    transport.close_stdin()
    protocol.wait()
    protocol.assert_first_and_last()

    assert protocol.count("child_data_received:3") >= 1
    assert protocol.count("child_connection_lost:3") == 1
    assert protocol.count("out_received") == 0
    assert protocol.count("err_received") == 0
    # lost:0..3: only three have a named method.
    assert protocol.count("in_connection_lost") == 1
    assert protocol.count("out_connection_lost") == 1
    assert protocol.count("err_connection_lost") == 1
    assert protocol.assert_always_followed_by("child_connection_lost:3", None) == 1
    assert protocol.assert_always_followed_by("child_data_received:3", None) >= 1
    assert protocol.fd_data[3] == b"three"
    assert protocol.out == b""


def test_dispatch_no_chain_up():
    """An override that does not chain up replaces the dispatch."""
    protocol = CallLog(chain_up=False)
    spawn_helper("write-both", protocol=protocol)
    protocol.wait()
    protocol.assert_first_and_last()

    assert protocol.count("child_data_received:1") >= 1
    assert protocol.count("child_connection_lost:1") == 1
    for name in NAMED_METHODS:
        assert protocol.count(name) == 0, protocol.calls
    assert protocol.fd_data[1] == b"out"


class ArrayLog(CallLog):
    """do_data_received: the byte-array data path (issue 19)."""

    def do_data_received(self, child_fd, data, *length):
        # PyGObject 3.42 passes the length too; later versions may not.
        assert isinstance(data, bytes), type(data)
        assert length in ((), (len(data),)), length
        self.calls.append("data_received:%d" % child_fd)
        self.array_data.setdefault(child_fd, bytearray()).extend(data)

    def __init__(self, chain_up=True):
        super().__init__(chain_up)
        self.array_data = {}


def test_data_received_replaces_named_methods():
    """Overridden, data_received gets every read fd's bytes from the
    default child_data_received, instead of out_received/err_received."""
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("0:w,1:r,2:r,3:r")
    protocol = ArrayLog()
    transport = spawn_helper("cat-fd", "0", "3", launcher=launcher,
                             protocol=protocol)
    transport.write(b"three")
    transport.close_stdin()
    protocol.wait()
    protocol.assert_first_and_last()

    assert protocol.array_data[3] == b"three"
    assert protocol.assert_always_followed_by("child_data_received:3", "data_received:3") >= 1
    assert protocol.count("out_received") == 0
    assert protocol.count("err_received") == 0
    # Closes still go through the named methods.
    assert protocol.count("out_connection_lost") == 1


def test_data_received_out_and_err():
    protocol = ArrayLog()
    spawn_helper("write-both", protocol=protocol)
    protocol.wait()
    assert protocol.assert_always_followed_by("child_data_received:1", "data_received:1") >= 1
    assert protocol.assert_always_followed_by("child_data_received:2", "data_received:2") >= 1
    assert bytes(protocol.array_data[1]) == b"out"
    assert bytes(protocol.array_data[2]) == b"err"
    assert protocol.out == b"" and protocol.err == b""


def test_data_received_big():
    """4 MiB through data_received arrive whole and in order."""
    protocol = ArrayLog()
    transport = spawn_helper("echo", protocol=protocol)
    payload = pattern(4 * MIB, 7)
    transport.write(payload)
    transport.close_stdin()
    protocol.wait()
    assert bytes(protocol.array_data[1]) == payload


def test_data_received_without_chain_up():
    """A child_data_received that does not chain up gets it all."""
    protocol = ArrayLog(chain_up=False)
    spawn_helper("write-both", protocol=protocol)
    protocol.wait()
    assert protocol.count("child_data_received:1") >= 1
    assert protocol.array_data == {}
    assert not any(call.startswith("data_received") for call in protocol.calls)


def test_connection_made_during_spawn():
    protocol = CallLog()
    transport = spawn_helper("exit", "0", protocol=protocol)

    # Already called, with the transport spawn returned, and nothing else.
    assert protocol.calls == ["connection_made"]
    assert protocol.made_with is transport
    assert protocol.transport_ok_in_made
    assert protocol.pid_in_made == transport.get_pid() > 0
    assert transport.get_protocol() is protocol

    protocol.wait()
    protocol.assert_first_and_last()


def test_connection_made_spawn_process():
    """Tpx.spawn_process calls connection_made too."""
    protocol = CallLog()
    argv = helper_argv("write-out", "hi")
    transport = Tpx.spawn_process(protocol, argv[0], argv)
    assert protocol.calls[0] == "connection_made"
    assert protocol.made_with is transport

    protocol.wait()
    protocol.assert_first_and_last()
    assert protocol.out == b"hi"


def test_order_after_handlers():
    """Each vfunc comes right after its signal's user handlers."""
    protocol = CallLog()
    transport = spawn_helper("write-both", protocol=protocol)
    calls = protocol.calls
    transport.connect("child-data", lambda t, fd, d: calls.append(
        "signal:child-data:%d" % fd))
    transport.connect("child-connection-lost", lambda t, fd: calls.append(
        "signal:child-connection-lost:%d" % fd))
    transport.connect("process-exited", lambda t, s: calls.append(
        "signal:process-exited"))
    transport.connect("process-ended", lambda t, s: calls.append(
        "signal:process-ended"))
    protocol.wait()

    n_checked = 0
    for i, call in enumerate(calls):
        match = re.fullmatch(r"child_data_received:(\d+)", call)
        if match:
            expected = "signal:child-data:" + match.group(1)
        elif re.fullmatch(r"child_connection_lost:\d+", call):
            expected = "signal:child-connection-lost:" + call.split(":")[1]
        elif call == "process_exited":
            expected = "signal:process-exited"
        elif call == "process_ended":
            expected = "signal:process-ended"
        else:
            continue
        assert i > 0 and calls[i - 1] == expected, calls
        n_checked += 1

    # data:1, data:2, lost:0..2, exited, ended
    assert n_checked >= 7, calls
    assert calls.count("signal:process-ended") == 1
    assert calls[-1] == "process_ended"


def test_transport_property():
    protocol = CallLog()
    assert protocol.get_transport() is None
    assert protocol.props.transport is None
    notified = []
    protocol.connect("notify::transport", lambda *args: notified.append(True))

    transport = spawn_helper("write-out", "x", protocol=protocol)
    assert len(notified) >= 1
    assert protocol.get_transport() is transport
    assert protocol.props.transport is transport

    gone = Finalized(transport)
    protocol.made_with = None
    del transport
    gc.collect()
    protocol.wait()

    # The protocol (we still hold it) does not keep the transport alive.
    gone.wait()
    assert protocol.get_transport() is None
    assert protocol.props.transport is None


def test_lifetime_protocol_dropped():
    protocol = CallLog()
    calls = protocol.calls
    out = protocol.out
    protocol_gone = Finalized(protocol)
    transport = spawn_helper("echo", protocol=protocol)
    transport_gone = Finalized(transport)
    protocol.made_with = None

    # The transport keeps the protocol; we keep neither.
    del protocol
    gc.collect()
    assert not protocol_gone.gone
    transport.write(b"ping")
    transport.close_stdin()
    del transport
    gc.collect()
    assert not protocol_gone.gone

    # Both go once the child's life is over: no cycle between them. The
    # protocol heard all of it before going.
    transport_gone.wait()
    protocol_gone.wait()
    assert calls[0] == "connection_made"
    assert calls.count("process_ended") == 1
    assert calls[-1] == "process_ended"
    assert out == b"ping"


def test_lifetime_protocol_outlives():
    protocol = CallLog()
    protocol_gone = Finalized(protocol)
    transport = spawn_helper("exit", "0", protocol=protocol)
    transport_gone = Finalized(transport)
    protocol.made_with = None
    del transport
    gc.collect()

    protocol.wait()
    transport_gone.wait()
    # Ours is now the only reference.
    assert not protocol_gone.gone
    del protocol
    gc.collect()
    assert protocol_gone.gone


def test_base_instance():
    protocol = Tpx.ProcessProtocol.new()
    assert isinstance(protocol, Tpx.ProcessProtocol)
    assert type(protocol).__gtype__ == Tpx.ProcessProtocol.__gtype__

    transport = spawn_helper("echo", protocol=protocol)
    rec = Recorder(transport)
    assert protocol.get_transport() is transport
    assert transport.get_protocol() is protocol

    # The default methods ignore everything; the signals still tell all.
    transport.write(b"base")
    transport.close_stdin()
    rec.wait()
    assert rec.text(1) == "base"
    assert rec.n_ended == 1
    assert rec.end_status.is_success()


def test_status_passed():
    protocol = CallLog()
    transport = spawn_helper("kill-self", "15", protocol=protocol)
    protocol.wait()
    protocol.assert_first_and_last()
    assert protocol.exit_status is protocol.end_status
    assert transport.get_status() is protocol.end_status
    assert protocol.end_status.get_signal() == signal.SIGTERM
    assert not protocol.end_status.is_success()


def test_exception_in_vfunc_is_logged(capfd):
    """A vfunc that raises is reported by PyGObject; the transport goes on
    and the protocol still hears the rest."""

    class Raising(CallLog):
        def do_out_received(self, data):
            CallLog.do_out_received(self, data)
            raise ValueError("raised by do_out_received")

    protocol = Raising()
    transport = spawn_helper("write-both", protocol=protocol)
    rec = Recorder(transport)
    protocol.wait()
    protocol.assert_first_and_last()
    assert protocol.out == b"out"
    assert protocol.err == b"err"
    assert "out_connection_lost" in protocol.calls
    rec.assert_well_formed()
    assert "raised by do_out_received" in capfd.readouterr().err


def test_exception_in_handler_is_logged(capfd):
    """A signal handler that raises does not stop the emission."""
    transport = spawn_helper("write-both")

    def raising_cb(transport, child_fd, data):
        raise RuntimeError("raised by a child-data handler")

    transport.connect("child-data", raising_cb)
    rec = Recorder(transport)
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "out"
    assert rec.text(2) == "err"
    assert "raised by a child-data handler" in capfd.readouterr().err


def test_subclass_in_another_context():
    """A protocol's vfuncs run in the context the spawn happened in."""
    context = GLib.MainContext.new()
    context.push_thread_default()
    try:
        protocol = CallLog()
        spawn_helper("write-out", "ctx", protocol=protocol)
        protocol.wait()
    finally:
        context.pop_thread_default()
    protocol.assert_first_and_last()
    assert protocol.out == b"ctx"
