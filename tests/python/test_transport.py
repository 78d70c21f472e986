# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessTransport from Python: the signals and their order, writing
and closing pipes, signalling the child, flow control, lifetime and main
contexts (the parity of tests/test-process-transport.c)."""

import gc
import os
import signal
import threading

from tpxtest import (GLib, Gio, Tpx, MIB, Finalized, Recorder, assert_error,
                     assert_no_children, count_fds, count_pipe_fds, drain,
                     io_error, pattern, process_error, run_until,
                     spawn_helper)

import pytest

# This interpreter ignores SIGPIPE (Python does that at start-up); put it
# back to what a plain C program has, where an unguarded write to a pipe
# without reader kills the process: the transport must prevent that.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def record(mode, *args, launcher=None):
    transport = spawn_helper(mode, *args, launcher=launcher)
    return transport, Recorder(transport)


def pipe_max_size():
    try:
        with open("/proc/sys/fs/pipe-max-size") as f:
            return int(f.read())
    except OSError:
        return MIB


def blocked_in_pipe_write(pid):
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return "pipe_write" in f.read()
    except OSError:
        return False


def is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] == "Z"


# -- Signals --------------------------------------------------------------

def test_signals_order():
    transport, rec = record("echo")
    payload = pattern(4 * MIB, 1)
    # More than any pipe holds, so the write is queued and drains later.
    transport.write_bytes(GLib.Bytes.new(payload))
    transport.close_stdin()
    rec.wait()

    rec.assert_well_formed()
    assert rec.count("drained:0") == 1
    assert rec.first("drained:0") < rec.first("lost:0")
    assert rec.first("data:1") >= 0
    assert rec.first("data:2") == -1
    assert rec.bytes(1) == payload
    rec.assert_exit_code(0)

    # Nothing more ever comes.
    n_events = len(rec.events)
    drain()
    assert len(rec.events) == n_events


def test_signals_exit_without_reading():
    transport, rec = record("exit", "7")
    # The child never reads stdin: its write end must still be reported lost.
    rec.wait()
    rec.assert_well_formed()
    assert rec.first("data:1") == -1
    assert rec.first("data:2") == -1
    assert rec.first("drained:0") == -1
    rec.assert_exit_code(7)


def test_signals_stderr():
    transport, rec = record("write-both")
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "out"
    assert rec.text(2) == "err"
    assert rec.first("data:1") < rec.first("lost:1")
    assert rec.first("data:2") < rec.first("lost:2")


# -- Writing ----------------------------------------------------------------

@pytest.mark.parametrize("call", ["write", "write_bytes"])
def test_write_no_block(call):
    transport, rec = record("count-stdin")
    payload = pattern(10 * MIB, 2)
    if call == "write":
        transport.write(payload)
    else:
        transport.write_bytes(GLib.Bytes.new(payload))

    # The call came back before the child could have read 10 MiB: whatever
    # did not fit in the pipe is queued.
    queued = transport.get_write_buffer_size(0)
    assert 0 < queued <= 10 * MIB

    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "%d\n" % (10 * MIB)
    assert transport.get_write_buffer_size(0) == 0
    rec.assert_exit_code(0)


def test_write_idle_child():
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")

    # The child never reads: a blocking write would hang here for ever.
    transport.write_bytes(GLib.Bytes.new(pattern(4 * MIB, 3)))
    queued = transport.get_write_buffer_size(0)
    assert 0 < queued <= 4 * MIB
    assert 4 * MIB - queued <= pipe_max_size()

    # The loop may push more while the pipe has room, never more than a
    # pipe holds; then nothing moves.
    drain()
    queued = transport.get_write_buffer_size(0)
    assert queued > 0
    assert 4 * MIB - queued <= pipe_max_size()
    drain()
    assert transport.get_write_buffer_size(0) == queued
    assert rec.first("drained:0") == -1

    # Queues exist only for write pipes.
    assert transport.get_write_buffer_size(1) == 0
    assert transport.get_write_buffer_size(2) == 0
    assert transport.get_write_buffer_size(9) == 0

    # Once the reader is gone, the rest is dropped.
    assert transport.signal_process("KILL")
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGKILL)
    assert transport.get_write_buffer_size(0) == 0


def test_write_order():
    transport, rec = record("echo")
    expected = bytearray()
    context = GLib.MainContext.default()
    # Small and large writes, through every write call, interleaved.
    for i in range(40):
        chunk = pattern(300000 + i if i % 4 == 3 else 1 + i * 13, i)
        if i % 4 == 0:
            transport.write(chunk)
        elif i % 4 == 1:
            transport.write_bytes(GLib.Bytes.new(chunk))
        elif i % 4 == 2:
            assert transport.write_to_child(0, chunk)
        else:
            assert transport.write_bytes_to_child(0, GLib.Bytes.new(chunk))
        expected += chunk
        # Let some of it go through between writes, sometimes.
        if i % 5 == 0:
            context.iteration(False)

    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.bytes(1) == bytes(expected)


def test_write_flush_on_close():
    transport, rec = record("count-stdin")
    transport.write_bytes(GLib.Bytes.new(pattern(3 * MIB + 17, 4)))
    transport.close_stdin()
    # A second close does nothing more.
    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "%d\n" % (3 * MIB + 17)


def test_write_flush_on_close_child_fd():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1)
    transport, rec = record("cat-fd", "3", "1", launcher=launcher)
    payload = pattern(2 * MIB + 5, 5)

    assert transport.write_bytes_to_child(3, GLib.Bytes.new(payload))
    transport.close_child_fd(3)
    transport.close_child_fd(0)
    rec.wait()
    rec.assert_well_formed((0, 1, 2, 3))
    assert rec.bytes(1) == payload
    assert rec.count("drained:3") == 1
    assert rec.first("drained:3") < rec.first("lost:3")
    rec.assert_exit_code(0)


def test_write_flush_on_lose_connection():
    # lose_connection closes stdout too, so the count goes to a pipe of our
    # own that the child inherits as its fd 1.
    read_end, write_end = os.pipe()
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(1, Tpx.ChildFdKind.INHERIT, write_end)
    transport, rec = record("count-stdin", launcher=launcher)
    os.close(write_end)
    try:
        transport.write_bytes(GLib.Bytes.new(pattern(2 * MIB + 3, 6)))
        transport.lose_connection()
        rec.wait()
        rec.assert_well_formed((0, 2))
        assert rec.first("lost:1") == -1
        rec.assert_exit_code(0)
        assert os.read(read_end, 64) == b"%d\n" % (2 * MIB + 3)
    finally:
        os.close(read_end)


def test_write_after_close_dropped():
    transport, rec = record("count-stdin")
    transport.write(b"abc")
    transport.close_stdin()
    # Silently dropped: no critical (they are fatal here), nothing queued.
    transport.write(b"def")
    transport.write_bytes(GLib.Bytes.new(b"ghi"))
    assert transport.get_write_buffer_size(0) <= 3
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "3\n"
    # And after the end, too.
    transport.write(b"jkl")
    assert transport.get_write_buffer_size(0) == 0


def test_write_to_child_errors():
    launcher = Tpx.ProcessLauncher.new()
    # stderr goes to our own stderr: not a pipe of the transport.
    launcher.set_child_fd(2, Tpx.ChildFdKind.INHERIT, 2)
    transport, rec = record("echo", launcher=launcher)

    # A read pipe, an inherited fd, an fd not in the map.
    for write in (lambda: transport.write_to_child(1, b"x"),
                  lambda: transport.write_to_child(2, b"x"),
                  lambda: transport.write_bytes_to_child(7, GLib.Bytes.new(b"zz"))):
        with pytest.raises(GLib.Error) as info:
            write()
        assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))

    assert transport.write_to_child(0, b"hi")
    transport.close_stdin()
    for write in (lambda: transport.write_to_child(0, b"x"),
                  lambda: transport.write_bytes_to_child(0, GLib.Bytes.new(b"zz"))):
        with pytest.raises(GLib.Error) as info:
            write()
        assert_error(info.value, *io_error(Gio.IOErrorEnum.CLOSED))

    rec.wait()
    rec.assert_well_formed((0, 1))
    assert rec.first("lost:2") == -1
    assert rec.text(1) == "hi"
    with pytest.raises(GLib.Error) as info:
        transport.write_to_child(0, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CLOSED))


def test_write_reader_gone():
    transport, rec = record("close-stdin-wait")
    # The child has closed its stdin: writing now meets EPIPE, and SIGPIPE
    # is at its default action here: the transport must keep it away.
    rec.wait_for_text(1, b"closed\n")
    transport.write_bytes(GLib.Bytes.new(pattern(2 * MIB, 7)))
    rec.wait_for_event("lost:0")

    assert rec.count("lost:0") == 1
    assert transport.get_write_buffer_size(0) == 0
    with pytest.raises(GLib.Error) as info:
        transport.write_to_child(0, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CLOSED))
    transport.write(b"x")

    # The child is still there, and only a signal ends it.
    assert not rec.exited
    assert transport.signal_process("TERM")
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGTERM)


# -- Closing read pipes -------------------------------------------------------

class CloseOnFirstData:
    def __init__(self, transport, child_fd):
        self.child_fd = child_fd
        self.closed = False
        self.before = 0
        self.after = 0
        transport.connect("child-data", self._data_cb)

    def _data_cb(self, transport, child_fd, data):
        if child_fd != self.child_fd:
            return
        if self.closed:
            self.after += data.get_size()
            return
        self.before += data.get_size()
        self.closed = True
        transport.close_child_fd(child_fd)


def test_close_stdout_in_handler():
    transport = spawn_helper("big", "20000000")
    # Connected first, so it runs before the recorder's handler.
    closer = CloseOnFirstData(transport, 1)
    rec = Recorder(transport)
    rec.wait()
    rec.assert_well_formed()
    assert closer.closed
    assert closer.before > 0
    assert closer.after == 0
    assert len(rec.bytes(1)) == closer.before
    # The child met a closed pipe long before writing 20 MB.
    assert len(rec.bytes(1)) < 20000000


def test_close_stdout_at_once():
    transport, rec = record("big", "20000000")
    transport.close_stdout()
    transport.close_stdout()
    rec.wait()
    rec.assert_well_formed()
    assert rec.first("data:1") == -1
    assert rec.bytes(1) == b""


def test_close_stderr():
    transport, rec = record("echo-stderr")
    # The child waits for input: it cannot write or end before we feed it.
    transport.close_stderr()
    rec.wait_for_event("lost:2")
    assert not rec.exited

    transport.write_bytes(GLib.Bytes.new(pattern(MIB, 8)))
    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.first("data:2") == -1
    assert rec.bytes(2) == b""


def test_close_child_fd_read():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1)
    transport = spawn_helper("cat-fd", "0", "4", launcher=launcher)
    closer = CloseOnFirstData(transport, 4)
    rec = Recorder(transport)
    transport.write_bytes(GLib.Bytes.new(pattern(MIB, 9)))
    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed((0, 1, 2, 4))
    assert closer.closed
    assert closer.after == 0
    assert len(rec.bytes(4)) == closer.before


def test_close_child_fd_unknown():
    """Closing a closed write pipe, or an fd that is no pipe, is harmless."""
    transport, rec = record("echo")
    transport.close_child_fd(9)
    transport.write(b"ok")
    transport.close_child_fd(0)
    transport.close_child_fd(0)
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "ok"


# -- lose_connection ----------------------------------------------------------

def test_lose_connection():
    transport, rec = record("echo")
    transport.lose_connection()
    transport.lose_connection()
    rec.wait()
    rec.assert_well_formed()
    assert rec.first("data:1") == -1
    # The child saw EOF on stdin and finished normally.
    rec.assert_exit_code(0)


def test_lose_connection_child_alive():
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")
    transport.lose_connection()
    for event in ("lost:0", "lost:1", "lost:2"):
        rec.wait_for_event(event)
    drain()

    # Nothing was sent to the child: it is alive...
    assert not rec.exited
    assert transport.signal_process("0")
    # ...and the first signal it gets is ours.
    assert transport.signal_process("USR1")
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGUSR1)


# -- Output and the end -------------------------------------------------------

def digits(n):
    return (b"0123456789" * (n // 10 + 1))[:n]


def test_output_all_before_ended():
    transport, rec = record("big", "1000000")
    rec.wait()
    rec.assert_well_formed()
    assert rec.bytes(1) == digits(1000000)
    rec.assert_exit_code(0)


def test_output_grandchild():
    transport, rec = record("grandchild")
    # The helper exits at once; its grandchild holds stdin, stdout and
    # stderr until we close stdin.
    run_until(lambda: rec.exited, what="process-exited")
    assert rec.exit_status.get_exit_code() == 0
    assert transport.get_status() is rec.exit_status

    drain()
    assert not rec.ended
    assert rec.first("lost:1") == -1
    assert rec.first("lost:2") == -1

    # Reaped already: no signal can be sent any more.
    with pytest.raises(GLib.Error) as info:
        transport.signal_process("0")
    assert_error(info.value,
                 *process_error(Tpx.ProcessError.EXITED_ALREADY))

    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "grandchild\n"
    assert rec.first("exited") < rec.first("lost:1")
    assert rec.first("exited") < rec.first("data:1")


# -- Signals to the child -----------------------------------------------------

@pytest.mark.parametrize("name,signum", [
    ("TERM", signal.SIGTERM), ("SIGTERM", signal.SIGTERM),
    ("KILL", signal.SIGKILL), ("SIGKILL", signal.SIGKILL),
    ("9", signal.SIGKILL), ("15", signal.SIGTERM),
    ("INT", signal.SIGINT), ("SIGHUP", signal.SIGHUP),
    ("USR1", signal.SIGUSR1), ("SIGUSR2", signal.SIGUSR2),
])
def test_signal_process_name(name, signum):
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")
    assert transport.signal_process("0")
    assert transport.signal_process(name)
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signum)
    assert not rec.end_status.is_success()


def test_signal_stop_cont():
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")
    # A stopped child has not exited.
    assert transport.signal_process("STOP")
    assert transport.signal_process("SIGCONT")
    drain()
    assert not rec.exited
    assert transport.signal_process("SIGINT")
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGINT)


def test_signal_invalid():
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")
    for name in ("65", "-1", "64x", "BOGUS", "SIGBOGUS", "", "SIG",
                 "1000000000000", " 9"):
        with pytest.raises(GLib.Error) as info:
            transport.signal_process(name)
        assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))

    # None of them reached the child.
    drain()
    assert not rec.exited
    assert transport.signal_process("KILL")
    rec.wait()
    rec.assert_killed_by(signal.SIGKILL)


def test_signal_exited_already():
    transport, rec = record("exit", "0")
    rec.wait()
    for send in (lambda: transport.signal_process("TERM"),
                 lambda: transport.signal_process("0"),
                 lambda: transport.send_signal(signal.SIGKILL)):
        with pytest.raises(GLib.Error) as info:
            send()
        assert_error(info.value,
                     *process_error(Tpx.ProcessError.EXITED_ALREADY))


def test_signal_ignored_term():
    transport, rec = record("ignore-term")
    rec.wait_for_text(1, b"ready\n")
    assert transport.signal_process("TERM")
    assert transport.signal_process("KILL")
    rec.wait()
    rec.assert_killed_by(signal.SIGKILL)


def test_send_signal():
    transport, rec = record("sleep-forever")
    rec.wait_for_text(1, b"ready\n")
    assert transport.send_signal(0)
    assert transport.send_signal(signal.SIGUSR2)
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGUSR2)


# -- Flow control -------------------------------------------------------------

BIG_FOR_PAUSE = 6000000


def check_rest_after_resume(transport, rec):
    transport.resume_producing()
    rec.wait()
    rec.assert_well_formed()
    rec.assert_exit_code(0)
    assert rec.bytes(1) == digits(BIG_FOR_PAUSE)


def test_pause_resume():
    transport, rec = record("big", str(BIG_FOR_PAUSE))
    pid = transport.get_pid()
    transport.pause_producing()

    # Nobody reads, so the child fills the pipe and blocks there.
    run_until(lambda: blocked_in_pipe_write(pid), poll=True,
              what="the child to block in a pipe write")
    drain()
    assert rec.bytes(1) == b""
    assert not rec.exited

    # Paused is a state, not a count: after two pauses, one resume.
    transport.pause_producing()
    check_rest_after_resume(transport, rec)


def test_pause_mid_stream():
    transport, rec = record("big", str(BIG_FOR_PAUSE))
    pid = transport.get_pid()
    state = {"paused": False, "at_pause": 0, "total": 0, "resumed": False,
             "while_paused": 0}

    def pause_cb(transport, child_fd, data):
        if state["paused"] and not state["resumed"]:
            state["while_paused"] += data.get_size()
        state["total"] += data.get_size()
        if not state["paused"]:
            state["paused"] = True
            state["at_pause"] = state["total"]
            transport.pause_producing()

    transport.connect("child-data", pause_cb)
    run_until(lambda: state["paused"], what="the first data")
    run_until(lambda: blocked_in_pipe_write(pid), poll=True,
              what="the child to block in a pipe write")
    drain()

    assert state["while_paused"] == 0
    assert len(rec.bytes(1)) == state["at_pause"]
    assert state["at_pause"] < BIG_FOR_PAUSE
    assert not rec.exited

    state["resumed"] = True
    check_rest_after_resume(transport, rec)
    assert state["total"] == BIG_FOR_PAUSE


# -- Lifetime -----------------------------------------------------------------

class Unowned:
    """Signal handlers that hold no reference to the transport."""

    def __init__(self, transport):
        self.trace = []
        self.out = bytearray()
        self.ended = False
        self.end_signal = None
        self.alive_in_ended = False
        self.pid = transport.get_pid()
        for name in ("child-data", "child-connection-lost", "write-drained",
                     "process-exited", "process-ended"):
            transport.connect(name, self._event_cb, name)

    def _event_cb(self, transport, *args):
        name = args[-1]
        if name == "child-data":
            child_fd, data = args[0], args[1]
            event = "data:%d" % child_fd
            if not self.trace or self.trace[-1] != event:
                self.trace.append(event)
            if child_fd == 1:
                self.out += data.get_data()
        elif name == "child-connection-lost":
            self.trace.append("lost:%d" % args[0])
        elif name == "write-drained":
            self.trace.append("drained:%d" % args[0])
        elif name == "process-exited":
            self.trace.append("exited:%d" % args[0].get_exit_code())
        else:
            status = args[0]
            self.trace.append("ended:%d" % status.get_exit_code())
            self.alive_in_ended = transport.get_pid() == self.pid
            self.end_signal = status.get_signal()
            self.ended = True


def test_lifetime_dropped_reference():
    protocol = Tpx.ProcessProtocol.new()
    transport = spawn_helper("echo", protocol=protocol)
    unowned = Unowned(transport)
    transport_gone = Finalized(transport)
    protocol_gone = Finalized(protocol)

    # Queue the work, then let go of everything. Big enough to be queued,
    # so write-drained comes too.
    transport.write_bytes(GLib.Bytes.new(pattern(2 * MIB, 10)))
    transport.write_bytes(GLib.Bytes.new(b"ping"))
    transport.close_stdin()
    del transport, protocol
    gc.collect()
    assert not transport_gone.gone

    run_until(lambda: unowned.ended, what="process-ended")
    trace = " ".join(unowned.trace)
    assert unowned.alive_in_ended
    for event in ("drained:0", "lost:0", "lost:1", "lost:2", "data:1",
                  "exited:0"):
        assert event in unowned.trace, trace
    assert len(unowned.out) == 2 * MIB + 4
    assert unowned.out[2 * MIB:] == b"ping"
    assert unowned.trace.index("data:1") < unowned.trace.index("lost:1")
    assert unowned.trace[-1] == "ended:0"

    # The library's last reference goes after process-ended; the protocol
    # goes with the transport.
    transport_gone.wait()
    protocol_gone.wait()


def test_lifetime_no_implicit_kill():
    transport = spawn_helper("sleep-forever")
    unowned = Unowned(transport)
    transport_gone = Finalized(transport)
    pid = transport.get_pid()
    assert pid > 0

    run_until(lambda: len(unowned.out) >= 6, what="ready")
    assert bytes(unowned.out) == b"ready\n"
    del transport
    gc.collect()
    drain()

    # Still running, still watched.
    assert not transport_gone.gone
    assert not any(event.startswith("exited") for event in unowned.trace)
    os.kill(pid, 0)

    # The first signal the child gets is ours.
    os.kill(pid, signal.SIGUSR1)
    run_until(lambda: unowned.ended, what="process-ended")
    assert unowned.end_signal == signal.SIGUSR1
    transport_gone.wait()


# -- pid and status -----------------------------------------------------------

def test_pid_and_status():
    transport = spawn_helper("exit", "3")
    pid = transport.get_pid()
    assert pid > 0
    assert transport.get_status() is None
    checked = []

    def exited_cb(transport, status):
        checked.append(isinstance(status, Tpx.ProcessStatus) and
                       transport.get_status() is status)

    transport.connect("process-exited", exited_cb)
    rec = Recorder(transport)
    rec.wait()
    assert checked == [True]
    assert transport.get_pid() == pid
    assert transport.get_status() is rec.exit_status
    rec.assert_exit_code(3)
    assert not rec.end_status.is_success()
    with pytest.raises(GLib.Error) as info:
        rec.end_status.check()
    assert_error(info.value, *process_error(Tpx.ProcessError.TERMINATED))


def test_pid_is_the_child():
    transport, rec = record("pgrp")
    rec.wait()
    assert rec.text(1).startswith("pid %d " % transport.get_pid())
    assert rec.end_status.is_success()


# -- Main contexts ------------------------------------------------------------

SIGNAL_NAMES = ("child-data", "child-connection-lost", "write-drained",
                "process-exited", "process-ended")


class ContextCheck:
    def __init__(self, expected):
        self.expected = expected
        self.thread = threading.get_ident()
        self.n_calls = 0
        self.n_wrong = 0

    def connect(self, transport):
        for name in SIGNAL_NAMES:
            transport.connect(name, self._check_cb)

    def _check_cb(self, *args):
        self.n_calls += 1
        if threading.get_ident() != self.thread:
            self.n_wrong += 1
        elif not self.expected.is_owner():
            self.n_wrong += 1


def test_context_thread_default():
    context = GLib.MainContext.new()
    context.push_thread_default()
    try:
        transport = spawn_helper("write-both")
    finally:
        context.pop_thread_default()

    check = ContextCheck(context)
    check.connect(transport)
    rec = Recorder(transport)
    pid = transport.get_pid()

    # The child writes and exits while only the global default context
    # runs: nothing may be emitted there.
    run_until(lambda: is_zombie(pid), poll=True, context=GLib.MainContext.default(),
              what="the child to exit")
    drain(GLib.MainContext.default())
    assert check.n_calls == 0
    assert rec.events == []

    context.push_thread_default()
    try:
        rec.wait()
        rec.assert_well_formed()
        assert rec.text(1) == "out"
        assert rec.text(2) == "err"
        assert check.n_calls >= 7
        assert check.n_wrong == 0
        gone = Finalized(transport)
        rec.release()
        del transport
        gone.wait()
    finally:
        context.pop_thread_default()


def test_context_other_thread():
    results = {}

    def spawner():
        try:
            context = GLib.MainContext.new()
            context.push_thread_default()
            check = ContextCheck(context)
            transport = spawn_helper("echo")
            check.connect(transport)
            rec = Recorder(transport)
            transport.write(b"thread")
            transport.close_stdin()
            rec.wait()
            rec.assert_well_formed()
            results["text"] = rec.text(1)
            results["calls"] = check.n_calls
            results["wrong"] = check.n_wrong
            gone = Finalized(transport)
            rec.release()
            del transport
            gone.wait()
            context.pop_thread_default()
        except BaseException as error:  # reported in the main thread
            results["error"] = error

    thread = threading.Thread(target=spawner, name="tpx-test-spawner")
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    if "error" in results:
        raise results["error"]
    assert results["text"] == "thread"
    assert results["calls"] >= 5
    assert results["wrong"] == 0


# -- Nothing left behind --------------------------------------------------------

def run_echo_to_the_end(counts=None):
    transport = spawn_helper("echo")
    rec = Recorder(transport)
    gone = Finalized(transport)
    if counts is not None:
        counts["fds_during"] = count_fds()
        counts["pipes_during"] = count_pipe_fds()
        transport.connect("process-ended", lambda t, s: counts.update(
            pipes_at_end=count_pipe_fds()))
    transport.write(b"abc")
    transport.close_stdin()
    rec.wait()
    rec.assert_well_formed()
    assert rec.text(1) == "abc"
    rec.release()
    del transport
    gone.wait()


def test_no_fd_leak():
    # A first run creates whatever lives as long as the process.
    run_echo_to_the_end()
    before = count_fds()
    pipes_before = count_pipe_fds()
    counts = {}
    run_echo_to_the_end(counts)
    # Three pipes while it runs, none left at process-ended, nothing at all
    # once the transport is gone.
    assert counts["pipes_during"] == pipes_before + 3
    assert counts["pipes_at_end"] == pipes_before
    assert count_fds() == before
    assert_no_children()


def test_data_received_signal_gives_bytes():
    transport = spawn_helper("write-out", "as bytes")
    chunks = []
    ended = []
    transport.connect("data-received",
                      lambda t, fd, data, *length: chunks.append((fd, data)))
    transport.connect("process-ended", lambda *args: ended.append(True))
    run_until(lambda: ended, what="process-ended")
    assert all(fd == 1 and isinstance(data, bytes) for fd, data in chunks)
    assert b"".join(data for _, data in chunks) == b"as bytes"
