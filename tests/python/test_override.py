# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Twisted-shaped Python API of the override (tpx/overrides/Tpx.py):
Tpx.spawn_process/spawnProcess, ProcessProtocol subclasses written with
Twisted's method names, the transport's and the status's Twisted names, and
Twisted code that runs with only its imports and main loop changed."""

import gc
import os
import signal

from tpxtest import (GLib, Gio, Tpx, MIB, Finalized, Recorder, assert_error,
                     assert_no_children, helper_argv, helper_path, io_error,
                     override_loaded, pattern, process_error, run_until)

import pytest


def test_override_is_loaded():
    # From the build tree (PYTHONPATH), not an installed copy.
    assert override_loaded()
    module = __import__("gi.overrides.Tpx", fromlist=["spawn_process"])
    build_root = os.path.dirname(os.environ["G_TEST_BUILDDIR"])
    source = os.path.join(os.environ["G_TEST_SRCDIR"], "..", "tpx",
                          "overrides", "Tpx.py")
    assert module.__file__.startswith(build_root + os.sep), module.__file__
    assert os.path.realpath(module.__file__) == os.path.realpath(source)
    # Everything introspected is still there.
    for name in ("ProcessLauncher", "ChildFdKind", "OutputFlags",
                 "get_process_output_async", "get_process_value_finish",
                 "process_error_quark"):
        assert hasattr(Tpx, name), name


# -- A protocol written the Twisted way -----------------------------------------

class Verbose(Tpx.ProcessProtocol):
    """Every Twisted method, recording its calls (no super().__init__)."""

    def __init__(self, stdin=b""):
        self.stdin = stdin
        self.calls = []
        self.out = b""
        self.err = b""
        self.reasons = []
        self.transport_in_made = None

    def connectionMade(self):
        self.calls.append("connectionMade")
        self.transport_in_made = self.transport
        self.transport.write(self.stdin)
        self.transport.closeStdin()

    def outReceived(self, data):
        assert isinstance(data, bytes)
        self.calls.append("outReceived")
        self.out += data

    def errReceived(self, data):
        assert isinstance(data, bytes)
        self.calls.append("errReceived")
        self.err += data

    def inConnectionLost(self):
        self.calls.append("inConnectionLost")

    def outConnectionLost(self):
        self.calls.append("outConnectionLost")

    def errConnectionLost(self):
        self.calls.append("errConnectionLost")

    def processExited(self, reason):
        self.calls.append("processExited")
        self.reasons.append(reason)

    def processEnded(self, reason):
        self.calls.append("processEnded")
        self.reasons.append(reason)

    @property
    def ended(self):
        return "processEnded" in self.calls

    def wait(self):
        run_until(lambda: self.ended, what="processEnded (%s)" % self.calls)


def test_protocol_twisted_methods():
    protocol = Verbose(b"twisted\n")
    assert protocol.transport is None
    transport = Tpx.spawn_process(protocol, "/bin/sh",
                                  ["sh", "-c", "read l; echo $l; echo e >&2; exit 3"])
    assert protocol.transport_in_made is transport
    assert protocol.transport is transport
    assert protocol.calls[0] == "connectionMade"
    protocol.wait()

    calls = protocol.calls
    assert calls[-1] == "processEnded"
    for name in ("inConnectionLost", "outConnectionLost", "errConnectionLost",
                 "processExited"):
        assert calls.count(name) == 1, calls
    assert calls.index("outReceived") < calls.index("outConnectionLost")
    assert calls.index("errReceived") < calls.index("errConnectionLost")
    assert protocol.out == b"twisted\n"
    assert protocol.err == b"e\n"
    exited, ended = protocol.reasons
    assert exited is ended
    assert isinstance(ended, Tpx.ProcessStatus)
    assert ended.value.exitCode == 3
    assert ended.value.signal is None


def test_protocol_instance_attributes():
    """Twisted's own protocols assign methods in __init__."""

    class Getter(Tpx.ProcessProtocol):
        def __init__(self):
            self.out = bytearray()
            self.err = bytearray()
            self.outReceived = self.out.extend
            self.errReceived = self.err.extend
            self.ended = []

        def processEnded(self, reason):
            self.ended.append(reason)

    protocol = Getter()
    Tpx.spawn_process(protocol, helper_path(), helper_argv("write-both"))
    run_until(lambda: protocol.ended)
    assert protocol.out == b"out"
    assert protocol.err == b"err"


def test_protocol_child_fds():
    """childDataReceived and childConnectionLost replace the dispatch."""

    class Fds(Tpx.ProcessProtocol):
        def __init__(self):
            self.data = {}
            self.lost = []
            self.named = []
            self.ended = False

        def connectionMade(self):
            self.transport.writeToChild(3, b"via three")
            self.transport.closeChildFD(3)
            self.transport.closeStdin()

        def childDataReceived(self, childFD, data):
            assert isinstance(data, bytes)
            self.data[childFD] = self.data.get(childFD, b"") + data

        def childConnectionLost(self, childFD):
            self.lost.append(childFD)

        def outReceived(self, data):
            self.named.append("outReceived")

        def outConnectionLost(self):
            self.named.append("outConnectionLost")

        def processEnded(self, reason):
            self.ended = True

    protocol = Fds()
    Tpx.spawn_process(protocol, helper_path(), helper_argv("cat-fd", "3", "4"),
                      child_fds={0: "w", 1: "r", 2: "r", 3: "w", 4: "r"})
    run_until(lambda: protocol.ended)
    assert protocol.data == {4: b"via three"}
    assert sorted(protocol.lost) == [0, 1, 2, 3, 4]
    # Not chained up: the named methods are not called.
    assert protocol.named == []


def test_protocol_chain_up_to_twisted_default():
    class Chained(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            self.fds = []
            self.out = b""
            self.lost = []
            self.ended = False

        def childDataReceived(self, childFD, data):
            self.fds.append(childFD)
            super().childDataReceived(childFD, data)

        def childConnectionLost(self, childFD):
            super().childConnectionLost(childFD)

        def outReceived(self, data):
            self.out += data

        def inConnectionLost(self):
            self.lost.append("in")

        def errConnectionLost(self):
            self.lost.append("err")

        def processEnded(self, reason):
            self.ended = True

    protocol = Chained()
    Tpx.spawn_process(protocol, helper_path(), helper_argv("write-both"))
    run_until(lambda: protocol.ended)
    assert protocol.out == b"out"
    assert set(protocol.fds) == {1, 2}
    assert sorted(protocol.lost) == ["err", "in"]


def test_protocol_mixed_subclasses():
    """A Twisted-style subclass of a GObject-style protocol and back."""

    class GObjectStyle(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            self.seen = []

        def do_out_received(self, data):
            self.seen.append(("do_out_received", data.get_data()))

        def do_process_ended(self, status):
            self.seen.append(("do_process_ended", status.get_exit_code()))

    class TwistedChild(GObjectStyle):
        def outReceived(self, data):
            self.seen.append(("outReceived", data))

    class GObjectGrandchild(TwistedChild):
        def do_out_received(self, data):
            self.seen.append(("grandchild", data.get_data()))

    for cls, expected in ((GObjectStyle, "do_out_received"),
                          (TwistedChild, "outReceived"),
                          (GObjectGrandchild, "grandchild")):
        protocol = cls()
        Tpx.spawn_process(protocol, helper_path(),
                          helper_argv("write-out", "x"))
        run_until(lambda: ("do_process_ended", 0) in protocol.seen)
        assert protocol.seen == [(expected, b"x"), ("do_process_ended", 0)]


def bridges(cls):
    """The do_* bridges the override installed on @cls itself."""
    return sorted(name for name, value in vars(cls).items()
                  if getattr(value, "_tpx_twisted_bridge", False))


def test_protocol_gobject_style_has_no_bridges():
    """A subclass that only overrides do_* methods gets nothing else: the
    library calls none of Twisted's methods for it (issue 19)."""

    class DoOnly(Tpx.ProcessProtocol):
        def do_out_received(self, data):
            self.out = data.get_data()

        def do_process_ended(self, status):
            self.ended = True

    assert bridges(DoOnly) == []
    assert sorted(n for n in vars(DoOnly) if n.startswith("do_")) == \
        ["do_out_received", "do_process_ended"]
    protocol = DoOnly()
    protocol.ended = False
    Tpx.spawn_process(protocol, helper_path(), helper_argv("write-out", "x"))
    run_until(lambda: protocol.ended)
    assert protocol.out == b"x"


def test_protocol_twisted_data_rides_on_data_received():
    """Twisted's data methods are reached through do_data_received (bytes,
    no GLib.Bytes), not through do_out_received/do_err_received."""
    assert "do_data_received" in bridges(Verbose)
    for name in ("do_out_received", "do_err_received",
                 "do_child_data_received"):
        assert name not in vars(Verbose), name
    protocol = Verbose(pattern(3 * MIB, 5))
    Tpx.spawn_process(protocol, helper_path(), helper_argv("echo"))
    protocol.wait()
    assert protocol.out == pattern(3 * MIB, 5)


def test_protocol_undefined_methods_look_at_the_instance():
    """A Twisted method no class defines is looked up on the instance
    only, at every call (it may be set at any time)."""
    seen = []

    class Late(Tpx.ProcessProtocol):
        def connectionMade(self):
            self.inConnectionLost = lambda: seen.append("in")

        def processEnded(self, reason):
            seen.append("ended")

    protocol = Late()
    Tpx.spawn_process(protocol, helper_path(), helper_argv("exit", "0"))
    run_until(lambda: "ended" in seen)
    assert seen == ["in", "ended"]


def test_protocol_reroutes_inherited_bridges():
    """do_* methods of a subclass win over the bridges a base got."""
    seen = []

    class Empty(Tpx.ProcessProtocol):
        pass

    class GObjectChild(Empty):
        def do_out_received(self, data):
            seen.append(("do_out_received", data.get_data()))

        def do_err_received(self, data):
            seen.append(("do_err_received", data.get_data()))

        def do_process_ended(self, status):
            seen.append("ended")

    class TwistedParent(Tpx.ProcessProtocol):
        def outReceived(self, data):
            seen.append(("outReceived", data))

        def errReceived(self, data):
            seen.append(("errReceived", data))

        def processEnded(self, reason):
            seen.append("ended")

    class ErrChild(TwistedParent):
        def do_err_received(self, data):
            assert isinstance(data, GLib.Bytes)
            seen.append(("do_err_received", data.get_data()))

    for cls, expected in (
            (GObjectChild, {("do_out_received", b"out"), ("do_err_received", b"err")}),
            (ErrChild, {("outReceived", b"out"), ("do_err_received", b"err")})):
        del seen[:]
        Tpx.spawn_process(cls(), helper_path(), helper_argv("write-both"))
        run_until(lambda: "ended" in seen)
        assert set(seen[:-1]) == expected, cls
        assert seen[-1] == "ended"


def test_protocol_transport_attribute():
    """self.transport while the child runs, after processEnded (while the
    transport exists) and once it is gone."""
    seen = {}

    class Watch(Tpx.ProcessProtocol):
        def connectionMade(self):
            seen["made"] = self.transport

        def outReceived(self, data):
            seen["data"] = self.transport

        def processEnded(self, reason):
            seen["ended"] = self.transport

    class DoWatch(Tpx.ProcessProtocol):
        def do_connection_made(self, transport):
            seen["do_made"] = self.transport is transport

    protocol = Watch()
    assert protocol.transport is None
    transport = Tpx.spawn_process(protocol, helper_path(),
                                  helper_argv("write-out", "x"))
    assert protocol.transport is transport
    run_until(lambda: "ended" in seen)
    assert seen["made"] is seen["data"] is seen["ended"] is transport
    assert protocol.transport is transport
    gone = Finalized(transport)
    del transport, seen["made"], seen["data"], seen["ended"]
    gc.collect()
    gone.wait()
    assert protocol.transport is None

    do_protocol = DoWatch()
    transport = Tpx.spawn_process(do_protocol, helper_path(), helper_argv("exit", "0"))
    assert seen["do_made"]
    assert do_protocol.transport is transport
    Recorder(transport).wait()


def test_protocol_transport_not_kept_by_gobject_end():
    """A Twisted-style class whose end is a do_process_ended does not keep
    its transport in the instance (nothing would drop it): both go."""
    ended = []

    class Mixed(Tpx.ProcessProtocol):
        def connectionMade(self):
            self.seen = self.transport

        def do_process_ended(self, status):
            ended.append(status.get_exit_code())

    protocol = Mixed()
    transport = Tpx.spawn_process(protocol, helper_path(), helper_argv("exit", "0"))
    run_until(lambda: ended)
    assert protocol.seen is transport
    assert "transport" not in vars(protocol)
    del protocol.seen
    protocol_gone = Finalized(protocol)
    transport_gone = Finalized(transport)
    del protocol, transport
    gc.collect()
    transport_gone.wait()
    protocol_gone.wait()


def test_protocol_init_chains():
    """super().__init__() is optional, and harmless twice; GObject
    properties may still be given."""

    class Explicit(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            super().__init__()
            self.ok = True

    class Implicit(Tpx.ProcessProtocol):
        def __init__(self, value):
            self.value = value

    class Derived(Implicit):
        def __init__(self):
            super().__init__(42)

    for protocol in (Explicit(), Implicit(1), Derived()):
        assert protocol.get_transport() is None
        assert protocol.__grefcount__ >= 1
    assert Derived().value == 42


def test_protocol_exception_logged(capfd):
    class Raising(Verbose):
        def outReceived(self, data):
            Verbose.outReceived(self, data)
            raise ValueError("raised by outReceived")

    protocol = Raising(b"hello\n")
    Tpx.spawn_process(protocol, helper_path(), helper_argv("echo"))
    protocol.wait()
    assert protocol.out == b"hello\n"
    assert protocol.calls.count("outConnectionLost") == 1
    assert protocol.calls[-1] == "processEnded"
    assert "raised by outReceived" in capfd.readouterr().err


def test_protocol_dropped_references():
    """Drop the protocol and the transport right after spawning: every
    Twisted method is still called, and both go after processEnded."""
    seen = []

    class Unowned(Tpx.ProcessProtocol):
        def connectionMade(self):
            self.transport.write(pattern(2 * MIB, 1) + b"ping")
            self.transport.closeStdin()

        def outReceived(self, data):
            seen.append(len(data))

        def processEnded(self, reason):
            seen.append(reason.value.exitCode)

    protocol = Unowned()
    transport = Tpx.spawn_process(protocol, helper_path(), helper_argv("echo"))
    protocol_gone = Finalized(protocol)
    transport_gone = Finalized(transport)
    del protocol, transport
    gc.collect()
    run_until(lambda: seen and seen[-1] == 0, what="processEnded")
    assert sum(seen[:-1]) == 2 * MIB + 4
    transport_gone.wait()
    protocol_gone.wait()


# -- spawn_process ------------------------------------------------------------------

def run_spawn(*args, **kwargs):
    transport = Tpx.spawn_process(None, *args, **kwargs)
    rec = Recorder(transport)
    rec.wait()
    return rec


def test_spawn_process_env_mapping():
    rec = run_spawn(helper_path(), helper_argv("env"),
                    env={"TPX_A": "1", b"TPX_B": b"two words"})
    rec.assert_exit_code(0)
    assert sorted(rec.text(1).splitlines()) == ["TPX_A=1", "TPX_B=two words"]
    # The default, as in Twisted: an empty environment.
    assert run_spawn(helper_path(), helper_argv("env")).text(1) == ""


def test_spawn_process_env_none_inherits():
    os.environ["TPX_OVERRIDE_MARKER"] = "inherited"
    try:
        rec = run_spawn(helper_path(), helper_argv("env"), env=None)
    finally:
        del os.environ["TPX_OVERRIDE_MARKER"]
    assert "TPX_OVERRIDE_MARKER=inherited" in rec.text(1).splitlines()


def test_spawn_process_env_bad_name():
    with pytest.raises(GLib.Error) as info:
        Tpx.spawn_process(None, helper_path(), helper_argv("env"),
                          env={"A=B": "c"})
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    assert_no_children()


def test_spawn_process_path_and_args():
    rec = run_spawn(helper_path(), helper_argv("cwd"), path="/")
    assert rec.text(1) == "/\n"
    rec = run_spawn(helper_path().encode(), [b"name", b"argv", "text"])
    assert rec.text(1) == "name\nargv\ntext\n"
    # No args: the child's argv is [executable] (here: no mode, so the
    # helper prints its usage and exits 1).
    rec = run_spawn(helper_path())
    rec.assert_exit_code(1)
    assert rec.text(2).startswith("usage:")
    with pytest.raises(TypeError):
        Tpx.spawn_process(None, helper_path(), "a string is not an argv")


def test_spawn_process_uid_gid():
    rec = run_spawn(helper_path(), helper_argv("id"), uid=os.getuid(),
                    gid=os.getgid())
    rec.assert_exit_code(0)
    assert rec.text(1).startswith("uid %d gid %d " % (os.getuid(), os.getgid()))
    if os.geteuid() != 0:
        with pytest.raises(GLib.Error) as info:
            Tpx.spawn_process(None, helper_path(), helper_argv("id"), uid=0)
        assert_error(info.value,
                     *io_error(Gio.IOErrorEnum.PERMISSION_DENIED))


def test_spawn_process_use_pty():
    rec = run_spawn(helper_path(), helper_argv("write-both"), use_pty=True)
    rec.assert_exit_code(0)
    # A terminal has one output, read as fd 1.
    assert rec.text(1) == "outerr"
    assert 2 not in rec.data
    with pytest.raises(GLib.Error) as info:
        Tpx.spawn_process(None, helper_path(), helper_argv("exit", "0"),
                          use_pty=True, child_fds={0: "w", 3: "r"})
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


def test_spawn_process_child_fds():
    read_end, write_end = os.pipe()
    try:
        transport = Tpx.spawn_process(
            None, helper_path(), helper_argv("cat-fd", "3", "5"),
            child_fds={0: "w", 1: "r", 3: "w", 5: write_end})
        os.close(write_end)
        write_end = -1
        rec = Recorder(transport)
        transport.writeToChild(3, b"gpg style")
        transport.closeChildFD(3)
        transport.closeStdin()
        rec.wait()
        rec.assert_well_formed((0, 1, 3))
        assert 2 not in rec.data and "lost:2" not in rec.events
        os.set_blocking(read_end, False)
        assert os.read(read_end, 64) == b"gpg style"
        assert os.read(read_end, 64) == b""
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


@pytest.mark.parametrize("child_fds", [{0: "x"}, {0: "rw"}, {3: 1.5},
                                       {3: None}, {1: True}])
def test_spawn_process_child_fds_invalid(child_fds):
    with pytest.raises(GLib.Error) as info:
        Tpx.spawn_process(None, helper_path(), helper_argv("exit", "0"),
                          child_fds=child_fds)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    assert_no_children()


def test_spawn_process_twisted_keywords():
    assert Tpx.spawnProcess is not Tpx.spawn_process
    protocol = Verbose()
    transport = Tpx.spawnProcess(protocol, helper_path(),
                                 helper_argv("cat-fd", "0", "4"), env=None,
                                 path="/", usePTY=0,
                                 childFDs={0: "w", 1: "r", 2: 2, 4: "r"})
    assert transport.get_protocol() is protocol
    protocol.wait()
    assert protocol.reasons[-1].exitCode == 0


# -- The transport's Twisted names ---------------------------------------------------

def test_transport_write_names():
    transport = Tpx.spawn_process(None, helper_path(), helper_argv("echo"))
    rec = Recorder(transport)
    transport.write(b"bytes ")
    transport.write(bytearray(b"bytearray "))
    transport.write(memoryview(b"memoryview "))
    transport.writeSequence([b"one ", b"two "])
    transport.writeToChild(0, b"to child 0")
    for wrong in ("text", 42, ["x"]):
        with pytest.raises(TypeError):
            transport.write(wrong)
    with pytest.raises(TypeError):
        transport.writeToChild(0, "text")
    with pytest.raises(GLib.Error) as info:
        transport.writeToChild(1, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    transport.closeStdin()
    with pytest.raises(GLib.Error) as info:
        transport.writeToChild(0, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CLOSED))
    # Dropped after the close, as in Twisted.
    transport.write(b"dropped")
    rec.wait()
    assert rec.text(1) == "bytes bytearray memoryview one two to child 0"


def test_transport_close_names():
    transport = Tpx.spawn_process(None, helper_path(),
                                  helper_argv("sleep-forever"))
    rec = Recorder(transport)
    rec.wait_for_text(1, b"ready\n")
    transport.closeStdout()
    rec.wait_for_event("lost:1")
    transport.closeStderr()
    rec.wait_for_event("lost:2")
    transport.closeStdin()
    rec.wait_for_event("lost:0")
    assert not rec.exited
    transport.signalProcess("KILL")
    rec.wait()
    rec.assert_well_formed()
    rec.assert_killed_by(signal.SIGKILL)


@pytest.mark.parametrize("how", ["loseConnection", "stopProducing"])
def test_transport_lose_connection(how):
    # The count goes to a pipe of ours (the child's fd 1 is a copy of it):
    # losing the connection closes the transport's pipes only.
    read_end, write_end = os.pipe()
    try:
        transport = Tpx.spawn_process(None, helper_path(),
                                      helper_argv("count-stdin"),
                                      child_fds={0: "w", 1: write_end, 2: "r"})
        os.close(write_end)
        write_end = -1
        rec = Recorder(transport)
        transport.write(b"12345")
        getattr(transport, how)()
        rec.wait()
        rec.assert_well_formed((0, 2))
        # What was queued went first, then end of file.
        rec.assert_exit_code(0)
        assert os.read(read_end, 64) == b"5\n"
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


@pytest.mark.parametrize("signal_id,signum", [
    ("TERM", signal.SIGTERM), ("KILL", signal.SIGKILL), ("INT", signal.SIGINT),
    ("HUP", signal.SIGHUP), (signal.SIGUSR1, signal.SIGUSR1), (10, 10),
])
def test_transport_signal_process(signal_id, signum):
    transport = Tpx.spawn_process(None, helper_path(),
                                  helper_argv("sleep-forever"))
    rec = Recorder(transport)
    pid = transport.get_pid()
    assert transport.pid == pid
    rec.wait_for_text(1, b"ready\n")
    assert transport.signalProcess(signal_id) is None
    rec.wait()
    rec.assert_killed_by(signum)
    # As in Twisted: no pid once reaped, and no more signals.
    assert transport.pid is None
    assert transport.get_pid() == pid
    with pytest.raises(GLib.Error) as info:
        transport.signalProcess("TERM")
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))
    with pytest.raises(GLib.Error) as info:
        transport.signalProcess(signal.SIGTERM)
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))


def test_transport_signal_process_invalid():
    transport = Tpx.spawn_process(None, helper_path(),
                                  helper_argv("sleep-forever"))
    rec = Recorder(transport)
    for signal_id in ("BOGUS", "", 65, -1):
        with pytest.raises(GLib.Error) as info:
            transport.signalProcess(signal_id)
        assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    transport.signalProcess("KILL")
    rec.wait()
    rec.assert_killed_by(signal.SIGKILL)


def test_transport_pause_resume_producing():
    transport = Tpx.spawn_process(None, helper_path(),
                                  helper_argv("big", "3000000"))
    rec = Recorder(transport)
    transport.pauseProducing()
    pid = transport.get_pid()

    def blocked():
        try:
            with open("/proc/%d/wchan" % pid) as f:
                return "pipe_write" in f.read()
        except OSError:
            return False

    run_until(blocked, poll=True, what="the child to block")
    assert rec.bytes(1) == b""
    transport.resumeProducing()
    rec.wait()
    rec.assert_exit_code(0)
    assert len(rec.bytes(1)) == 3000000


# -- The status's Twisted names ---------------------------------------------------

@pytest.mark.parametrize("args,exit_code,signum", [
    (("exit", "0"), 0, None), (("exit", "3"), 3, None),
    (("kill-self", "9"), None, 9),
])
def test_status_twisted_fields(args, exit_code, signum):
    rec = run_spawn(helper_path(), helper_argv(*args))
    status = rec.end_status
    assert status.value is status
    assert status.exitCode == exit_code
    assert status.signal == signum
    assert status.status == status.get_raw_status()
    assert ("signal %d" % signum if signum else "exit code %d" % exit_code) \
        in repr(status)


# -- Twisted code, ported by changing the imports and the main loop --------------

# The seed's WCProcessProtocol ("Using Processes", Twisted's documentation,
# MIT licence): the class as the guide writes it, except two changes that
# Python 3 needs under Twisted itself: `len(data) // 3` (true division
# gives a float, which cannot slice bytes) and a bytes text (transports
# take bytes). Imports: Twisted's modules become Tpx; the main loop:
# reactor.run(), which the guide never stops, becomes a GLib.MainLoop that
# process-ended stops.
SEED_WC = '''
from gi.repository import GLib
from gi.repository import Tpx as protocol
from gi.repository import Tpx as reactor

class WCProcessProtocol(protocol.ProcessProtocol):

    def __init__(self, text):
        self.text = text

    def connectionMade(self):
        self.transport.write(self.text)
        self.transport.closeStdin()

    def outReceived(self, data):
        fieldLength = len(data) // 3
        lines = int(data[:fieldLength])
        words = int(data[fieldLength:fieldLength*2])
        chars = int(data[fieldLength*2:])
        self.transport.loseConnection()
        self.receiveCounts(lines, words, chars)

    def receiveCounts(self, lines, words, chars):
        print('Received counts from wc.')
        print('Lines:', lines)
        print('Words:', words)
        print('Characters:', chars)

wcProcess = WCProcessProtocol(b"accessing protocols through Twisted is fun!\\n")
transport = reactor.spawnProcess(wcProcess, 'wc', ['wc'])

loop = GLib.MainLoop()
transport.connect('process-ended', lambda transport, status: loop.quit())
loop.run()
'''


def test_seed_wc_example(capsys):
    namespace = {}
    exec(compile(SEED_WC, "seed-wc", "exec"), namespace)
    assert capsys.readouterr().out == (
        "Received counts from wc.\n"
        "Lines: 1\n"
        "Words: 6\n"
        "Characters: 44\n")
    assert namespace["transport"].get_status().is_success()


def test_seed_gpg_protocol():
    """The guide's GPGProtocol, with `cat` copying fd 3 to fd 4 in place of
    gpg, and a callback list in place of the Deferred."""

    class GPGProtocol(Tpx.ProcessProtocol):
        def __init__(self, crypttext):
            self.crypttext = crypttext
            self.plaintext = b""
            self.status = b""

        def connectionMade(self):
            self.transport.writeToChild(3, self.passphrase)
            self.transport.closeChildFD(3)
            self.transport.writeToChild(0, self.crypttext)
            self.transport.closeChildFD(0)

        def childDataReceived(self, childFD, data):
            if childFD == 1:
                self.plaintext += data
            if childFD == 4:
                self.status += data

        def processEnded(self, status):
            rc = status.value.exitCode
            self.results.append(rc)

    gp = GPGProtocol(b"crypttext\n")
    gp.passphrase = b"passphrase\n"
    gp.results = []
    cmd = ["/bin/sh", "-c", "cat <&3 >&4; cat"]
    Tpx.spawnProcess(gp, cmd[0], cmd, env=None,
                     childFDs={0: "w", 1: "r", 2: 2, 3: "w", 4: "r"})
    run_until(lambda: gp.results)
    assert gp.results == [0]
    assert gp.plaintext == b"crypttext\n"
    assert gp.status == b"passphrase\n"
