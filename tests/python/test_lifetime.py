# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lifetime control from Python (the parity of tests/test-lifetime.c): the
override's spawn_process(kill_mode=, timeout=, stop_timeout=,
drain_timeout=, die_with_parent=...), stop(), signal_tree(), timed-out,
n_tree_processes, wait_async() with a callback and awaited, and the output
helpers under a timeout.

This process is a child subreaper, so that the orphans of a tree come back
to it: each one is reaped here and the signal that ended it checked.
Timing is only asserted one way ("not before"). The CGROUP tests need a
writable cgroup v2 and skip, saying why, without one.
"""

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time

from tpxtest import (TIMEOUT_SECONDS, GLib, Gio, Tpx, assert_error,
                     assert_no_children, count_fds, helper_argv, helper_path,
                     io_error, process_error, run_until, spawn_helper,
                     warm_up, Recorder)
import glib_asyncio

import pytest

STOP_TIMEOUT = 0.3
PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(autouse=True, scope="module")
def subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, \
        os.strerror(ctypes.get_errno())
    yield


class Tracked:
    """Processes a test must not leave behind, killed if it fails."""

    def __init__(self):
        self.pids = set()

    def add(self, pid):
        self.pids.add(pid)

    def reaped(self, pid):
        self.pids.discard(pid)


@pytest.fixture
def tracked():
    tracked = Tracked()
    yield tracked
    left = sorted(tracked.pids)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # Every child left, orphans included, is reaped (they all end now).

    def reaped_all():
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return False

    run_until(reaped_all, poll=True, what="every child to end")
    assert not left, "processes left running: %s" % left
    assert_no_children()


def spawn(mode, *args, **kwargs):
    return Recorder(Tpx.spawn_process(None, helper_path(),
                                      helper_argv(mode, *args), **kwargs))


def spawn_ready(mode, **kwargs):
    rec = spawn(mode, **kwargs)
    rec.wait_for_text(1, b"ready\n")
    assert rec.bytes(1) == b"ready\n"
    return rec


def reap_orphan(pid, tracked=None):
    """Waits for @pid, an orphan of ours, to end; returns its wait status."""
    result = []

    def reaped():
        if not result:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                result.append(status)
        return bool(result)

    run_until(reaped, poll=True, what="process %d to end" % pid)
    if tracked is not None:
        tracked.reaped(pid)
    return result[0]


def assert_orphan_killed(pid, signum, tracked=None):
    status = reap_orphan(pid, tracked)
    assert os.WIFSIGNALED(status), status
    assert os.WTERMSIG(status) == signum


def process_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    return stat[stat.rindex(")") + 2]


def assert_alive(pid):
    assert process_state(pid) not in (None, "Z", "X")
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("SigPnd:", "ShdPnd:")):
                assert not int(line.split()[1], 16) & (1 << (signal.SIGKILL - 1))


def wait_exited(rec):
    run_until(lambda: rec.exited, what="process-exited")


# -- cgroup v2 ----------------------------------------------------------------

def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if " - cgroup2 " in line and len(fields) >= 10:
                if fields[3] != "/":
                    return None, "the cgroup2 mount %s has root %s" % (
                        fields[4], fields[3])
                return fields[4].replace("\\040", " "), None
    return None, "no cgroup2 file system is mounted"


def cgroup_dir_of(pid="self"):
    with open("/proc/%s/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                own = line[3:].rstrip("\n")
                break
        else:
            return None, "this process is in no cgroup v2 (cgroup v1 only)"
    mount, reason = cgroup2_mount()
    if mount is None:
        return None, reason
    return (mount if own == "/" else mount + own), None


def skip_without_cgroup():
    own, reason = cgroup_dir_of()
    if own is not None:
        probe = os.path.join(own, "tpx-test-lifetime-py-probe-%d" % os.getpid())
        try:
            os.mkdir(probe)
        except OSError as error:
            reason = "no writable cgroup v2 here: mkdir %s: %s" % (
                probe, error.strerror)
        else:
            os.rmdir(probe)
            return
    pytest.skip("CGROUP mode not tested: %s" % reason)


# -- Trees ----------------------------------------------------------------------

class Tree:
    """The helper's tree: child, middle, leaf, and a setsid daemon."""

    def __init__(self, tracked, ignore_term=False, **kwargs):
        args = ("ignore-term",) if ignore_term else ()
        self.rec = spawn("tree", *args, **kwargs)
        self.transport = self.rec.transport
        # Four "ROLE PID" lines and "ready".
        run_until(lambda: self.rec.bytes(1).count(b"\n") >= 5 or self.rec.ended,
                  what="the tree to say its pids")
        assert not self.rec.ended, self.rec.text(2)
        pids = dict(line.split() for line in self.rec.text(1).splitlines()
                    if line != "ready")
        self.child = int(pids["child"])
        self.middle = int(pids["middle"])
        self.leaf = int(pids["leaf"])
        self.daemon = int(pids["daemon"])
        assert self.child == self.transport.get_pid()
        for pid in (self.middle, self.leaf, self.daemon):
            tracked.add(pid)
        self.cgroup = None

    def check_cgroup(self):
        own, _ = cgroup_dir_of()
        self.cgroup, _ = cgroup_dir_of(self.child)
        assert self.cgroup.startswith(own)
        assert os.path.basename(self.cgroup).startswith("tpx-%d-" % os.getpid())
        for pid in (self.middle, self.leaf, self.daemon):
            assert cgroup_dir_of(pid)[0] == self.cgroup

    def wait_cgroup_removed(self):
        run_until(lambda: not os.path.exists(self.cgroup), poll=True,
                  what="the cgroup %s to be removed" % self.cgroup)


# -- spawn_process's lifetime keywords ----------------------------------------

def test_defaults(tracked):
    rec = spawn_ready("sleep-forever")
    transport = rec.transport
    assert not transport.get_timed_out()
    assert not transport.props.timed_out
    assert transport.get_n_tree_processes() == 1
    transport.stop()
    rec.wait()
    rec.assert_killed_by(signal.SIGTERM)
    assert transport.get_n_tree_processes() == 0
    with pytest.raises(GLib.Error) as info:
        transport.signal_tree("TERM")
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))


@pytest.mark.parametrize("stop_signal", [signal.SIGHUP, "HUP", "SIGHUP",
                                         int(signal.SIGHUP)])
def test_stop_signal(tracked, stop_signal):
    rec = spawn_ready("sleep-forever", stop_signal=stop_signal)
    rec.transport.stop()
    rec.wait()
    rec.assert_killed_by(signal.SIGHUP)


def test_stop_escalation(tracked):
    rec = spawn_ready("ignore-term", stop_timeout=STOP_TIMEOUT)
    start = time.monotonic()
    rec.transport.stop()
    rec.transport.stop()  # idempotent
    rec.wait(timeout=30)
    assert time.monotonic() - start >= STOP_TIMEOUT
    rec.assert_killed_by(signal.SIGKILL)
    assert rec.n_ended == 1
    rec.transport.stop()  # after the end: nothing
    assert rec.n_ended == 1


def test_stop_zero_timeout(tracked):
    # SIGKILL at once, and no SIGTERM before it.
    rec = spawn_ready("sleep-forever", stop_timeout=0)
    rec.transport.stop()
    rec.wait()
    rec.assert_killed_by(signal.SIGKILL)


def test_timeout(tracked):
    notified = []
    start = time.monotonic()
    rec = spawn("sleep-forever", timeout=0.2)
    rec.transport.connect("notify::timed-out",
                          lambda *args: notified.append(True))
    rec.wait(timeout=30)
    assert time.monotonic() - start >= 0.2
    assert rec.transport.get_timed_out()
    assert rec.transport.props.timed_out
    assert notified == [True]
    rec.assert_killed_by(signal.SIGTERM)


def test_timeout_escalation(tracked):
    start = time.monotonic()
    rec = spawn("ignore-term", timeout=0.1, stop_timeout=STOP_TIMEOUT)
    rec.wait(timeout=30)
    assert time.monotonic() - start >= 0.1 + STOP_TIMEOUT
    assert rec.transport.get_timed_out()
    rec.assert_killed_by(signal.SIGKILL)


def test_timeout_not_reached(tracked):
    rec = spawn("exit", "0", timeout=300.0)
    rec.wait()
    rec.assert_exit_code(0)
    assert not rec.transport.get_timed_out()


def test_drain_timeout(tracked):
    # The grandchild holds the pipes until its stdin ends: process-ended
    # comes anyway, once the drain timeout passed after the reap.
    rec = spawn("grandchild", drain_timeout=0.2)
    wait_exited(rec)
    exited_at = time.monotonic()
    rec.wait()
    assert time.monotonic() - exited_at >= 0.2 - 0.02  # the reap came first
    rec.assert_exit_code(0)
    assert rec.events[-1] == "ended"
    for fd in (0, 1, 2):
        assert rec.count("lost:%d" % fd) == 1, rec.trace()


def test_drain_zero(tracked):
    transport = Tpx.spawn_process(
        None, "/bin/sh",
        ["sh", "-c", 'printf early; exec "$0" grandchild', helper_path()],
        drain_timeout=0)
    rec = Recorder(transport)
    rec.wait()
    rec.assert_exit_code(0)
    # Read before the pipes closed (the grandchild may add its line).
    assert rec.bytes(1).startswith(b"early")


@pytest.mark.parametrize("drain_timeout", [None, float("inf")])
def test_drain_forever(tracked, drain_timeout):
    # The default (None, or math.inf): wait for the pipes, as Twisted. The
    # grandchild's line, written after the child exited, arrives.
    rec = spawn("grandchild", drain_timeout=drain_timeout)
    wait_exited(rec)
    rec.transport.closeStdin()
    rec.wait()
    assert rec.bytes(1) == b"grandchild\n"


@pytest.mark.parametrize("kwargs, error", [
    ({"timeout": 0}, ValueError),
    ({"timeout": -1}, ValueError),
    ({"timeout": "1"}, TypeError),
    ({"timeout": True}, TypeError),
    ({"stop_timeout": -0.5}, ValueError),
    ({"drain_timeout": float("nan")}, ValueError),
    ({"drain_timeout": 1e12}, ValueError),
    ({"timeout": float("inf")}, ValueError),
    ({"kill_mode": "tree"}, ValueError),
    ({"kill_mode": 7}, ValueError),
    ({"stop_signal": "NOSUCHSIGNAL"}, ValueError),
    ({"no_such_option": 1}, TypeError),
])
def test_invalid_arguments(tracked, kwargs, error):
    with pytest.raises(error):
        Tpx.spawn_process(None, helper_path(), helper_argv("exit", "0"),
                          **kwargs)
    assert_no_children()


def test_spawn_process_twisted_name(tracked):
    transport = Tpx.spawnProcess(None, helper_path(),
                                 helper_argv("sleep-forever"), timeout=0.1,
                                 kill_mode="process-group")
    rec = Recorder(transport)
    rec.wait(timeout=30)
    assert transport.get_timed_out()
    rec.assert_killed_by(signal.SIGTERM)


# -- Trees in each kill mode -----------------------------------------------------

def test_tree_process(tracked):
    tree = Tree(tracked, kill_mode=Tpx.KillMode.PROCESS)
    assert tree.transport.get_n_tree_processes() == 1
    tree.transport.stop()
    wait_exited(tree.rec)
    assert tree.rec.exit_status.get_signal() == signal.SIGTERM
    assert_alive(tree.middle)
    assert_alive(tree.leaf)
    assert not tree.rec.ended
    for pid in (tree.middle, tree.leaf, tree.daemon):
        os.kill(pid, signal.SIGKILL)
        assert_orphan_killed(pid, signal.SIGKILL, tracked)
    tree.rec.wait()


@pytest.mark.parametrize("kill_mode", [Tpx.KillMode.PROCESS_GROUP, "process-group"])
def test_tree_process_group(tracked, kill_mode):
    tree = Tree(tracked, kill_mode=kill_mode)
    assert os.getpgid(tree.leaf) == tree.child
    assert os.getpgid(tree.daemon) != tree.child
    assert tree.transport.get_n_tree_processes() == 3

    tree.transport.stop()
    tree.rec.wait()
    tree.rec.assert_killed_by(signal.SIGTERM)
    assert_orphan_killed(tree.middle, signal.SIGTERM, tracked)
    assert_orphan_killed(tree.leaf, signal.SIGTERM, tracked)

    # As expected, a process group does not reach a daemon.
    assert_alive(tree.daemon)
    assert tree.transport.get_n_tree_processes() == 0
    with pytest.raises(GLib.Error) as info:
        tree.transport.signal_tree(signal.SIGTERM)
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))
    os.kill(tree.daemon, signal.SIGKILL)
    assert_orphan_killed(tree.daemon, signal.SIGKILL, tracked)


def test_tree_cgroup(tracked):
    skip_without_cgroup()
    tree = Tree(tracked, kill_mode="cgroup")
    tree.check_cgroup()
    assert tree.transport.get_n_tree_processes() == 4

    tree.transport.stop()
    tree.rec.wait()
    tree.rec.assert_killed_by(signal.SIGTERM)
    for pid in (tree.middle, tree.leaf, tree.daemon):
        assert_orphan_killed(pid, signal.SIGTERM, tracked)
    tree.wait_cgroup_removed()
    assert tree.transport.get_n_tree_processes() == 0
    with pytest.raises(GLib.Error) as info:
        tree.transport.signal_tree("TERM")
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))


@pytest.mark.parametrize("kill_mode", ["process-group", "cgroup"])
def test_tree_escalation(tracked, kill_mode):
    if kill_mode == "cgroup":
        skip_without_cgroup()
    tree = Tree(tracked, ignore_term=True, kill_mode=kill_mode,
                stop_timeout=STOP_TIMEOUT)
    if kill_mode == "cgroup":
        tree.check_cgroup()
    start = time.monotonic()
    tree.transport.stop()
    tree.rec.wait(timeout=30)
    assert time.monotonic() - start >= STOP_TIMEOUT
    tree.rec.assert_killed_by(signal.SIGKILL)
    assert_orphan_killed(tree.middle, signal.SIGKILL, tracked)
    assert_orphan_killed(tree.leaf, signal.SIGKILL, tracked)
    if kill_mode == "cgroup":
        assert_orphan_killed(tree.daemon, signal.SIGKILL, tracked)
        tree.wait_cgroup_removed()
    else:
        assert_alive(tree.daemon)
        os.kill(tree.daemon, signal.SIGKILL)
        assert_orphan_killed(tree.daemon, signal.SIGKILL, tracked)


@pytest.mark.parametrize("kill_mode", ["process-group", "cgroup"])
def test_signal_tree_after_reap(tracked, kill_mode):
    if kill_mode == "cgroup":
        skip_without_cgroup()
    tree = Tree(tracked, kill_mode=kill_mode)
    if kill_mode == "cgroup":
        tree.check_cgroup()
    # The child alone; the rest of the tree holds the pipes.
    tree.transport.signalProcess("KILL")
    wait_exited(tree.rec)
    assert not tree.rec.ended
    assert tree.transport.get_n_tree_processes() == (3 if kill_mode == "cgroup" else 2)

    tree.transport.signal_tree("USR1")
    tree.rec.wait()
    assert_orphan_killed(tree.middle, signal.SIGUSR1, tracked)
    assert_orphan_killed(tree.leaf, signal.SIGUSR1, tracked)
    if kill_mode == "cgroup":
        assert_orphan_killed(tree.daemon, signal.SIGUSR1, tracked)
        tree.wait_cgroup_removed()
    else:
        os.kill(tree.daemon, signal.SIGKILL)
        assert_orphan_killed(tree.daemon, signal.SIGKILL, tracked)
    assert tree.transport.get_n_tree_processes() == 0
    with pytest.raises(GLib.Error) as info:
        tree.transport.signal_tree(signal.SIGUSR1)
    assert_error(info.value, *process_error(Tpx.ProcessError.EXITED_ALREADY))


def test_signal_tree_process(tracked):
    rec = spawn_ready("sleep-forever")
    with pytest.raises(GLib.Error) as info:
        rec.transport.signal_tree("NOSUCHSIGNAL")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    assert rec.transport.signal_tree(0)
    assert rec.transport.signal_tree(signal.SIGUSR1)
    rec.wait()
    rec.assert_killed_by(signal.SIGUSR1)


def test_cgroup_not_supported(tracked):
    warm_up()
    n_fds = count_fds()
    for parent in ("/tmp", "/nonexistent/tpx-no-such-cgroup"):
        with pytest.raises(GLib.Error) as info:
            Tpx.spawn_process(None, helper_path(), helper_argv("sleep-forever"),
                              kill_mode=Tpx.KillMode.CGROUP,
                              cgroup_parent=parent)
        assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_SUPPORTED))
        assert parent in info.value.message
        assert helper_path() in info.value.message
    assert count_fds() == n_fds
    assert_no_children()
    assert not [name for name in os.listdir("/tmp")
                if name.startswith("tpx-%d-" % os.getpid())]


# -- die_with_parent -------------------------------------------------------------

# Says its child's pid once the child said "ready" (so that the child,
# still starting, cannot die of SIGPIPE instead of the signal under test).
MIDDLE = textwrap.dedent("""
    import sys
    import gi
    gi.require_version("Tpx", "1")
    from gi.repository import GLib, Tpx

    class Ready(Tpx.ProcessProtocol):
        def outReceived(self, data):
            print("grandchild %d" % self.transport.get_pid(), flush=True)

    Tpx.spawn_process(Ready(), sys.argv[1], [sys.argv[1], "sleep-forever"],
                      die_with_parent=sys.argv[2] == "1")
    GLib.MainLoop().run()
""")


def kill_middle(tracked, die_with_parent):
    """Runs a Python middle process that spawns with die_with_parent from
    its main thread, kills it; returns its child's pid (ours now)."""
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, helper_path(),
         "1" if die_with_parent else "0"],
        stdout=subprocess.PIPE, env=os.environ)
    try:
        line = middle.stdout.readline().decode()
        assert line.startswith("grandchild "), line
        grandchild = int(line.split()[1])
        tracked.add(grandchild)
    finally:
        middle.kill()
        middle.wait(timeout=TIMEOUT_SECONDS)
        middle.stdout.close()
    return grandchild


def test_die_with_parent(tracked):
    grandchild = kill_middle(tracked, True)
    assert_orphan_killed(grandchild, signal.SIGKILL, tracked)


def test_die_with_parent_off(tracked):
    grandchild = kill_middle(tracked, False)
    assert_alive(grandchild)
    os.kill(grandchild, signal.SIGTERM)
    assert_orphan_killed(grandchild, signal.SIGTERM, tracked)


# -- wait_async ------------------------------------------------------------------

def test_wait_async_callback(tracked):
    rec = spawn_ready("sleep-forever")
    results = []

    def done_cb(transport, result, data):
        results.append((rec.ended, transport.wait_finish(result), data))

    rec.transport.wait_async(None, done_cb, "data")
    rec.transport.stop()
    run_until(lambda: results, what="the wait")
    ended_first, status, data = results[0]
    assert ended_first
    assert status is rec.end_status
    assert data == "data"
    assert status.signal == signal.SIGTERM


def test_wait_async_after_end(tracked):
    rec = spawn("exit", "3")
    rec.wait()
    call = rec.transport.wait_async()
    assert not call.done()  # never inside the call
    GLib.MainContext.default().iteration(False)
    assert call.done()
    assert call.result() is rec.end_status
    assert call.result().exitCode == 3


def run_coroutine(coroutine):
    loop = glib_asyncio.new_event_loop()
    try:
        return loop.run_until_complete(
            asyncio.wait_for(coroutine, TIMEOUT_SECONDS))
    finally:
        loop.close()


def test_wait_async_await(tracked):
    async def main():
        transport = Tpx.spawn_process(None, helper_path(),
                                      helper_argv("exit", "5"))
        status = await transport.wait_async()
        stopped = Tpx.spawn_process(None, helper_path(),
                                    helper_argv("sleep-forever"),
                                    timeout=0.1)
        stopped_status = await stopped.wait_async()
        return status.exitCode, stopped_status.signal, stopped.get_timed_out()

    assert run_coroutine(main()) == (5, signal.SIGTERM, True)
    assert_no_children()


def test_wait_async_cancel(tracked):
    rec = spawn_ready("sleep-forever")
    call = rec.transport.wait_async()
    other = rec.transport.wait_async()
    assert call.cancel()
    run_until(call.done, what="the cancelled wait")
    assert call.cancelled()
    with pytest.raises(GLib.Error) as info:
        call.result()
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CANCELLED))

    # Nothing happened to the child; the other wait still waits.
    assert not rec.exited
    assert not other.done()
    assert_alive(rec.transport.get_pid())
    rec.transport.stop()
    run_until(other.done, what="the other wait")
    assert other.result() is rec.end_status


def test_wait_async_awaiting_task_cancelled(tracked):
    async def main():
        transport = Tpx.spawn_process(None, helper_path(),
                                      helper_argv("sleep-forever"))
        task = asyncio.ensure_future(transport.wait_async())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The child runs on.
        assert transport.get_status() is None
        transport.stop()
        return (await transport.wait_async()).signal

    assert run_coroutine(main()) == signal.SIGTERM
    assert_no_children()


# -- The output helpers ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["output", "value", "output_and_value"])
def test_helper_timeout(tracked, kind):
    function = getattr(Tpx, "get_process_" + kind)
    start = time.monotonic()
    call = function(helper_path(), ["sleep-forever"], timeout=0.2)
    run_until(call.done, timeout=30, what="the call")
    assert time.monotonic() - start >= 0.2
    with pytest.raises(GLib.Error) as info:
        call.result()
    assert_error(info.value, *io_error(Gio.IOErrorEnum.TIMED_OUT))
    assert helper_path() in info.value.message
    assert "200" in info.value.message
    assert_no_children()


def test_helper_timeout_raw(tracked):
    # The introspected functions: the launcher's timeout; (out and err of
    # the failed call are not reachable from Python).
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_timeout(200)
    results = []
    Tpx.get_process_output_and_value_async(
        "/bin/sh", ["-c", 'printf partial; exec "$0" sleep-forever', helper_path()],
        launcher, None, None, lambda s, r, d: results.append(r), None)
    run_until(lambda: results, timeout=30, what="the call")
    with pytest.raises(GLib.Error) as info:
        Tpx.get_process_output_and_value_finish(results[0])
    assert_error(info.value, *io_error(Gio.IOErrorEnum.TIMED_OUT))
    assert "/bin/sh" in info.value.message


def test_helper_timeout_not_reached(tracked):
    call = Tpx.get_process_output(helper_path(), ["write-out", "in time"],
                                  timeout=300)
    run_until(call.done, what="the call")
    assert call.result() == b"in time"


def test_helper_await_timeout(tracked):
    async def main():
        with pytest.raises(GLib.Error) as info:
            await Tpx.get_process_value(helper_path(), ["ignore-term"],
                                        timeout=0.1, stop_timeout=0)
        return info.value

    error = run_coroutine(main())
    assert_error(error, *io_error(Gio.IOErrorEnum.TIMED_OUT))
    assert_no_children()
