# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the Python parity suites share: the helper child, a recorder of a
transport's signals, and main-loop waits that fail instead of hanging.

The suites run against the build tree: the meson test environment sets
GI_TYPELIB_PATH and LD_LIBRARY_PATH to the library just built and puts the
Tpx override (tpx/overrides/Tpx.py) on PYTHONPATH.
"""

import gc
import os
import random

import gi

gi.require_version("GLib", "2.0")
gi.require_version("GObject", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Gio, Tpx  # noqa: E402

import pytest  # noqa: E402

# Generous, but a hung test still fails well before meson's own timeout.
TIMEOUT_SECONDS = 10
MIB = 1024 * 1024
STD_PIPES = (0, 1, 2)


def override_loaded():
    """Whether gi.repository.Tpx is the override of tpx/overrides/Tpx.py."""
    return hasattr(Tpx, "spawnProcess") and hasattr(Tpx, "ProcessCall")


def helper_path():
    return os.path.join(os.environ["G_TEST_BUILDDIR"], "helpers",
                        "tpx-test-child")


def helper_argv(mode, *args):
    return [helper_path(), mode, *args]


def example_dir():
    return os.path.join(os.environ["G_TEST_SRCDIR"], "..", "examples")


def pattern(size, seed):
    """@size reproducible bytes that do not repeat with a short period."""
    return random.Random(seed).randbytes(size)


def count_fds():
    # The default main context keeps a wake-up fd once created: create it
    # first, so that it never counts as a leak.
    GLib.MainContext.default()
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own fd


def count_pipe_fds():
    n = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(os.path.join("/proc/self/fd", name)).startswith("pipe:"):
                n += 1
        except OSError:
            pass
    return n


def have_children():
    """Whether this process has a child, running or zombie (not reaped)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def assert_no_children():
    assert not have_children(), "a child is left (running or not reaped)"


def fd_is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def run_until(done, timeout=TIMEOUT_SECONDS, poll=False, context=None,
              what="an event"):
    """Iterates the thread-default main context until done() is true.

    Fails the test after @timeout seconds. With @poll, a short timer makes
    the loop look again, for conditions that change outside of it (the
    state of a child in /proc).
    """
    if context is None:
        context = GLib.MainContext.ref_thread_default()
    if done():
        return
    timed_out = []

    def timeout_cb(*args):
        timed_out.append(True)
        return GLib.SOURCE_REMOVE

    timer = GLib.timeout_source_new(int(timeout * 1000))
    timer.set_callback(timeout_cb)
    timer.attach(context)
    recheck = None
    if poll:
        recheck = GLib.timeout_source_new(5)
        recheck.set_callback(lambda *args: GLib.SOURCE_CONTINUE)
        recheck.attach(context)
    try:
        while not done() and not timed_out:
            context.iteration(True)
    finally:
        timer.destroy()
        if recheck is not None:
            recheck.destroy()
    assert done(), "timed out after %s s waiting for %s" % (timeout, what)


def drain(context=None):
    """Dispatches everything that is ready now, without blocking."""
    if context is None:
        context = GLib.MainContext.ref_thread_default()
    for _ in range(1000):
        if not context.iteration(False):
            break


def assert_error(error, domain, code):
    __tracebackhide__ = True
    assert isinstance(error, GLib.Error), error
    assert error.matches(domain, code), (error.domain, error.code,
                                         error.message)


def io_error(code):
    return (Gio.io_error_quark(), code)


def process_error(code):
    return (Tpx.process_error_quark(), code)


class Finalized:
    """Tells when a GObject has been finalized (a C-level weak reference)."""

    def __init__(self, obj):
        self.gone = False
        self._ref = obj.weak_ref(self._notify_cb)

    def _notify_cb(self, *args):
        self.gone = True

    def wait(self):
        def collected():
            gc.collect()
            return self.gone

        run_until(collected, what="the object to be finalized")


class Recorder:
    """Records everything a transport emits, in order.

    events: "data:N" (consecutive chunks on one fd once), "lost:N",
    "drained:N", "exited", "ended"; data: the bytes per child fd.
    """

    def __init__(self, transport):
        self.transport = transport
        self.events = []
        self.data = {}
        self.exit_status = None
        self.end_status = None
        self.n_ended = 0
        self.handlers = [
            transport.connect("child-data", self._child_data_cb),
            transport.connect("child-connection-lost", self._lost_cb),
            transport.connect("write-drained", self._drained_cb),
            transport.connect("process-exited", self._exited_cb),
            transport.connect("process-ended", self._ended_cb),
        ]

    def _child_data_cb(self, transport, child_fd, data):
        event = "data:%d" % child_fd
        if not self.events or self.events[-1] != event:
            self.events.append(event)
        self.data.setdefault(child_fd, bytearray()).extend(data.get_data())

    def _lost_cb(self, transport, child_fd):
        self.events.append("lost:%d" % child_fd)

    def _drained_cb(self, transport, child_fd):
        self.events.append("drained:%d" % child_fd)

    def _exited_cb(self, transport, status):
        self.events.append("exited")
        self.exit_status = status

    def _ended_cb(self, transport, status):
        self.events.append("ended")
        self.end_status = status
        self.n_ended += 1

    @property
    def exited(self):
        return self.exit_status is not None

    @property
    def ended(self):
        return self.n_ended > 0

    def wait(self, timeout=TIMEOUT_SECONDS):
        run_until(lambda: self.ended, timeout,
                  what="process-ended (events so far: %s)" % self.trace())

    def wait_for_event(self, event):
        run_until(lambda: event in self.events, what=event)

    def wait_for_text(self, child_fd, prefix):
        run_until(lambda: self.bytes(child_fd).startswith(prefix),
                  what="%r on fd %d" % (prefix, child_fd))

    def bytes(self, child_fd=1):
        return bytes(self.data.get(child_fd, b""))

    def text(self, child_fd=1):
        return self.bytes(child_fd).decode()

    def trace(self):
        return " ".join(self.events)

    def count(self, event):
        return self.events.count(event)

    def first(self, event):
        return self.events.index(event) if event in self.events else -1

    def last(self, event):
        if event not in self.events:
            return -1
        return len(self.events) - 1 - self.events[::-1].index(event)

    def assert_exit_code(self, code):
        __tracebackhide__ = True
        assert self.end_status is not None
        assert self.end_status.get_signal() == 0, self.end_status.get_signal()
        assert self.end_status.get_exit_code() == code, self.text(2)

    def assert_killed_by(self, signum):
        __tracebackhide__ = True
        assert self.end_status is not None
        assert self.end_status.get_signal() == signum
        assert self.end_status.get_exit_code() == -1

    def assert_well_formed(self, pipes=STD_PIPES):
        """The invariants of every child's life: one process-exited, one
        process-ended, last; each pipe lost once, nothing after that."""
        __tracebackhide__ = True
        trace = self.trace()
        assert self.n_ended == 1, trace
        assert self.count("ended") == 1, trace
        assert self.count("exited") == 1, trace
        assert self.last("ended") == len(self.events) - 1, trace
        assert self.first("exited") < self.last("ended"), trace
        for fd in pipes:
            assert self.count("lost:%d" % fd) == 1, (fd, trace)
            assert self.last("data:%d" % fd) < self.first("lost:%d" % fd), \
                (fd, trace)
        assert self.exit_status is self.end_status

    def release(self):
        """Drops the transport (the handlers hold it in a cycle)."""
        if self.transport is not None:
            for handler in self.handlers:
                self.transport.disconnect(handler)
        self.handlers = []
        self.transport = None
        gc.collect()


def spawn_helper(mode, *args, launcher=None, protocol=None):
    if launcher is None:
        launcher = Tpx.ProcessLauncher.new()
    argv = helper_argv(mode, *args)
    transport = launcher.spawn(protocol, argv[0], argv)
    assert isinstance(transport, Tpx.ProcessTransport)
    return transport


def record_helper(mode, *args, launcher=None, protocol=None):
    return Recorder(spawn_helper(mode, *args, launcher=launcher,
                                 protocol=protocol))


def run_helper(mode, *args, launcher=None):
    """Runs the helper to its end; returns the Recorder."""
    rec = record_helper(mode, *args, launcher=launcher)
    rec.wait()
    return rec


def run_argv(argv, launcher=None, executable=None):
    if launcher is None:
        launcher = Tpx.ProcessLauncher.new()
    rec = Recorder(launcher.spawn(None, executable or helper_path(), argv))
    rec.wait()
    return rec


def assert_spawn_fails(launcher, executable, argv, domain, code, step=None):
    """Spawning fails with @domain/@code, names @executable (and @step) in
    its message, and leaves no fd and no child behind."""
    __tracebackhide__ = True
    warm_up()
    n_fds = count_fds()
    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, executable, argv)
    assert_error(info.value, domain, code)
    assert executable in info.value.message, info.value.message
    if step is not None:
        assert step in info.value.message, info.value.message
    assert count_fds() == n_fds
    assert_no_children()
    return info.value


_warmed_up = []


def warm_up():
    """Runs one child to its end, so that what the library keeps per main
    context exists before a test counts fds."""
    if _warmed_up:
        return
    rec = Recorder(Tpx.ProcessLauncher.new().spawn(None, "/bin/true", None))
    rec.wait()
    rec.release()
    _warmed_up.append(True)


def assert_lines_unordered(text, expected):
    __tracebackhide__ = True
    assert text.endswith("\n") or text == "", text
    assert sorted(text.splitlines()) == sorted(expected)
