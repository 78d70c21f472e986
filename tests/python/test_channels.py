# SPDX-License-Identifier: LGPL-2.1-or-later
"""Channels from Python (DESIGN §10.4): a pseudo-terminal as one kind of
child fd among pipes, so that standard error can stay apart ('p'), and
duplex sockets ('s'), through Tpx.spawn_process(child_fds=...) and the
launcher's map."""

from tpxtest import (GLib, Gio, Tpx, MIB, Recorder, assert_error,
                     assert_no_children, count_fds, helper_argv, helper_path,
                     io_error, pattern, run_until, warm_up)

import pytest

TTYS_OUTPUT = b"tty0 1 tty1 1 tty2 0\r\nleader 1 ctty 1\r\n"


def spawn(mode, *args, child_fds, protocol=None):
    return Tpx.spawn_process(protocol, helper_path(),
                             helper_argv(mode, *args), env=None,
                             child_fds=child_fds)


class Terminal(Tpx.ProcessProtocol):
    """A Twisted protocol: the terminal is outReceived, stderr apart."""

    def __init__(self):
        self.out = b""
        self.err = b""
        self.lost = []
        self.reason = None

    def outReceived(self, data):
        self.out += data

    def errReceived(self, data):
        self.err += data

    def childConnectionLost(self, childFD):
        self.lost.append(childFD)

    def processEnded(self, reason):
        self.reason = reason


# -- A terminal beside pipes ----------------------------------------------------

def test_pty_with_stderr_apart():
    warm_up()
    n_fds = count_fds()
    protocol = Terminal()
    transport = spawn("ttys", protocol=protocol,
                      child_fds={0: "p", 1: "p", 2: "r"})
    run_until(lambda: protocol.reason is not None, what="processEnded")
    assert protocol.reason.value.exitCode == 0
    # fds 0 and 1 are the terminal (with its \r\n), in a new session whose
    # controlling terminal it is; fd 2 is a pipe.
    assert protocol.out == TTYS_OUTPUT
    assert protocol.err == b"stderr apart\n"
    assert sorted(protocol.lost) == [0, 1, 2]
    del transport
    assert count_fds() == n_fds
    assert_no_children()


def test_pty_map_from_string():
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("0:p,1:p,2:r")
    rec = Recorder(launcher.spawn(None, helper_path(), helper_argv("ttys")))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.bytes(1) == TTYS_OUTPUT
    assert rec.bytes(2) == b"stderr apart\n"
    # The terminal's output comes as fd 1 only.
    assert 0 not in rec.data


def test_pty_writes_and_closes():
    transport = spawn("count-stdin", child_fds={0: "p", 1: "p", 2: "r"})
    rec = Recorder(transport)
    transport.set_window_size(30, 100)
    # close_* on the terminal do nothing; writes to fd 0 or 1 reach it.
    transport.closeStdin()
    transport.closeChildFD(1)
    transport.writeToChild(1, b"ab\n")
    transport.writeToChild(0, b"c\n\x04")
    with pytest.raises(GLib.Error) as info:
        transport.writeToChild(2, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    rec.wait()
    rec.assert_exit_code(0)
    # The terminal echoes both writes, then the child counts 5 bytes.
    assert rec.bytes(1) == b"ab\r\nc\r\n5\r\n"


def test_pty_on_stdin_only():
    transport = spawn("count-stdin", child_fds={0: "p", 1: "r", 2: "r"})
    rec = Recorder(transport)
    transport.write(b"abcd\n\x04")
    rec.wait()
    rec.assert_exit_code(0)
    # Standard output is a pipe; the terminal (its echo) comes as fd 0.
    assert rec.bytes(1) == b"5\n"
    assert rec.bytes(0) == b"abcd\r\n"
    assert rec.count("lost:0") == 1


def test_pty_map_with_use_pty_is_refused():
    with pytest.raises(GLib.Error) as info:
        Tpx.spawn_process(None, helper_path(), helper_argv("exit", "0"),
                          use_pty=True, child_fds={0: "p", 1: "p", 2: "r"})
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    assert_no_children()


# -- Sockets --------------------------------------------------------------------

def test_socket_half_close():
    warm_up()
    n_fds = count_fds()
    transport = spawn("echo-after-eof", "3",
                      child_fds={0: "w", 1: "r", 2: "r", 3: "s"})
    rec = Recorder(transport)
    transport.writeToChild(3, b"hello ")
    transport.writeToChild(3, bytearray(b"socket"))
    # Shuts the writing side down (the child reads end of file once the
    # queue is written); the socket is still read.
    transport.closeChildFD(3)
    with pytest.raises(GLib.Error) as info:
        transport.writeToChild(3, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CLOSED))
    transport.closeStdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.bytes(3) == b"hello socket"
    assert rec.count("lost:3") == 1
    assert rec.last("data:3") < rec.first("lost:3")
    rec.release()
    del transport
    assert count_fds() == n_fds


class SocketEcho(Tpx.ProcessProtocol):
    """The GObject vfunc made for bindings: plain bytes, any fd."""

    def __init__(self):
        self.chunks = {}
        self.ended = False

    # PyGObject 3.42 (Debian 12) passes a vfunc the array's length too,
    # although the array is annotated (array length=len).
    def do_data_received(self, child_fd, data, *length):
        assert isinstance(data, bytes)
        assert length in ((), (len(data),)), length
        self.chunks.setdefault(child_fd, []).append(data)

    def do_process_ended(self, status):
        self.ended = True


def test_socket_both_ways_data_received():
    protocol = SocketEcho()
    transport = spawn("cat-fd", "3", "3", protocol=protocol,
                      child_fds={0: "w", 1: "r", 2: "r", 3: "s"})
    transport.writeToChild(3, b"ping")
    run_until(lambda: b"".join(protocol.chunks.get(3, [])) == b"ping",
              what="the echo of ping on fd 3")
    transport.writeToChild(3, b"pong")
    transport.closeChildFD(3)
    transport.closeStdin()
    run_until(lambda: protocol.ended, what="process-ended")
    assert b"".join(protocol.chunks[3]) == b"pingpong"


# The size of the C test: it takes under a second here, and about 230 MB
# of memory at its peak (the pattern, its slices and what came back).
BULK_SIZE = 64 * MIB


def test_socket_bulk():
    data = pattern(BULK_SIZE, 17)
    transport = spawn("cat-fd", "3", "3",
                      child_fds={0: "w", 1: "r", 2: "r", 3: "s"})
    rec = Recorder(transport)
    for offset in range(0, BULK_SIZE, MIB):
        transport.writeToChild(3, data[offset:offset + MIB])
    transport.closeChildFD(3)
    transport.closeStdin()
    rec.wait(timeout=30)
    rec.assert_exit_code(0)
    assert rec.count("drained:3") >= 1
    assert len(rec.data[3]) == BULK_SIZE
    assert rec.data[3] == data


def test_socket_on_stdio():
    transport = spawn("echo", child_fds={0: "s", 1: "s", 2: "r"})
    rec = Recorder(transport)
    transport.write(b"through sockets\n")
    transport.closeStdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.bytes(1) == b"through sockets\n"
    # Both fds are lost once, each.
    assert rec.count("lost:0") == 1 and rec.count("lost:1") == 1


def test_socket_stdio_breaks_splice():
    # Why 'r' and 'w' stay pipes: splice() needs a pipe on one side, and a
    # program that splices its stdin to its stdout fails on sockets.
    transport = spawn("splice-echo", child_fds={0: "s", 1: "s", 2: "r"})
    rec = Recorder(transport)
    transport.write(b"spliced")
    transport.closeStdin()
    rec.wait()
    rec.assert_exit_code(1)
    assert "splice: " in rec.text(2)
    assert rec.bytes(1) == b""

    transport = spawn("splice-echo", child_fds={0: "w", 1: "r", 2: "r"})
    rec = Recorder(transport)
    transport.write(b"spliced")
    transport.closeStdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.bytes(1) == b"spliced"



@pytest.mark.parametrize("stdin, exit_code, out", [("s", 2, b""),
                                                   ("w", 0, b"by name\n")])
def test_socket_stdin_cannot_be_opened_by_name(stdin, exit_code, out):
    # Why 'w' stays a pipe: opening /dev/stdin (a program that reads its
    # input by name) fails on a socket with ENXIO.
    transport = Tpx.spawn_process(
        None, "/bin/sh",
        ["sh", "-c", 'read line < /dev/stdin && echo "$line"'],
        child_fds={0: stdin, 1: "r", 2: "r"})
    rec = Recorder(transport)
    transport.write(b"by name\n")
    transport.closeStdin()
    rec.wait()
    rec.assert_exit_code(exit_code)
    assert rec.bytes(1) == out
    if stdin == "s":
        assert "No such device or address" in rec.text(2)
