# SPDX-License-Identifier: LGPL-2.1-or-later
"""Terminals and credentials from PyGObject.

A child on a pseudo-terminal sees a terminal and the window size the parent
sets; a child switched to uid/gid 65534 reports those ids; an unprivileged
parent (a Python snippet run under setpriv) gets a synchronous
PERMISSION_DENIED naming the setuid step, and keeps no fd and no child.
"""

import gc
import json
import os
import re
import subprocess
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("Tpx", "1")

from gi.repository import GLib, Gio, Tpx  # noqa: E402

import pytest  # noqa: E402

TIMEOUT_SECONDS = 10
NOBODY = 65534
SETPRIV = "/usr/bin/setpriv"
ID_PROGRAM = "/usr/bin/id"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="switching to another uid needs root")


def helper_path():
    return os.path.join(os.environ["G_TEST_BUILDDIR"], "helpers",
                        "tpx-test-child")


def count_fds():
    # The default main context keeps a wake-up fd once created: create it
    # first, so that it never counts as a leak.
    GLib.MainContext.default()
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own fd


def assert_no_children():
    with pytest.raises(ChildProcessError):
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)


class Run:
    """Records one child's output per fd and its end."""

    def __init__(self, transport):
        self.transport = transport
        self.data = {}
        self.status = None
        self.handlers = [
            transport.connect("child-data", self._child_data_cb),
            transport.connect("process-ended", self._process_ended_cb),
        ]

    def release(self):
        """Drop the transport (the handlers hold it in a cycle)."""
        for handler in self.handlers:
            self.transport.disconnect(handler)
        self.handlers = []
        self.transport = None
        gc.collect()

    def _child_data_cb(self, transport, child_fd, data):
        self.data[child_fd] = self.data.get(child_fd, b"") + data.get_data()

    def _process_ended_cb(self, transport, status):
        self.status = status

    def text(self, child_fd=1):
        return self.data.get(child_fd, b"").decode()

    def run_until(self, done):
        """Iterate the main context until done(); fail on timeout."""
        context = GLib.MainContext.default()
        timed_out = []

        def timeout_cb():
            timed_out.append(True)
            return GLib.SOURCE_REMOVE

        source_id = GLib.timeout_add_seconds(TIMEOUT_SECONDS, timeout_cb)
        while not done() and not timed_out:
            context.iteration(True)
        if not timed_out:
            GLib.source_remove(source_id)
        assert not timed_out, "timed out; output so far: %r" % self.data

    def wait(self):
        self.run_until(lambda: self.status is not None)


def spawn(launcher, executable, argv):
    return Run(launcher.spawn(None, executable, argv))


def test_pty_isatty_and_window_size():
    fds_before = count_fds()
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_use_pty(True)
    launcher.set_window_size(30, 100)
    run = spawn(launcher, helper_path(), [helper_path(), "pty-info"])

    # The helper blocks SIGWINCH before printing, so a resize made after
    # the first size is out cannot be lost.
    run.run_until(lambda: "size 30 100\r\n" in run.text())
    assert run.transport.set_window_size(50, 132)
    run.wait()

    assert run.text().replace("\r\n", "\n") == (
        "tty0 1 tty1 1 tty2 1\n"
        "leader 1\n"
        "ctty 1\n"
        "size 30 100\n"
        "size 50 132\n")
    # A terminal has one output: everything came as fd 1.
    assert list(run.data) == [1]
    assert run.status.is_success()

    run.release()
    assert count_fds() == fds_before
    assert_no_children()


def test_pipe_window_size_not_supported():
    launcher = Tpx.ProcessLauncher.new()
    run = spawn(launcher, helper_path(), [helper_path(), "wait-stdin"])

    with pytest.raises(GLib.Error) as info:
        run.transport.set_window_size(24, 80)
    assert info.value.matches(Gio.io_error_quark(),
                              Gio.IOErrorEnum.NOT_SUPPORTED), info.value

    run.transport.close_stdin()
    run.wait()
    assert run.status.is_success()


def test_pty_with_fd_map_is_invalid():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_use_pty(True)
    launcher.set_child_fd(3, Tpx.ChildFdKind.READ, -1)

    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, helper_path(), [helper_path(), "exit", "0"])
    assert info.value.matches(Gio.io_error_quark(),
                              Gio.IOErrorEnum.INVALID_ARGUMENT), info.value
    assert_no_children()


@needs_root
def test_uid_gid_switch():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_uid(NOBODY)
    launcher.set_gid(NOBODY)

    run = spawn(launcher, ID_PROGRAM, ["id"])
    run.wait()
    assert run.status.is_success(), run.text(2)
    # Names come from the system's databases; the numbers are what counts,
    # and nogroup is the only group left.
    assert re.fullmatch(r"uid=65534(\([^)]*\))? gid=65534(\([^)]*\))? "
                        r"groups=65534(\([^)]*\))?\n", run.text()), run.text()

    run = spawn(launcher, helper_path(), [helper_path(), "id"])
    run.wait()
    assert run.text() == "uid 65534 gid 65534 groups 1\n"

    # The parent's own ids never change.
    assert (os.getuid(), os.geteuid(), os.getgid(), os.getegid()) == (0, 0, 0, 0)


# Runs as nobody, without groups: the refusals and the accepted own ids.
UNPRIVILEGED_SNIPPET = r"""
import json, os, sys
import gi
gi.require_version("Gio", "2.0")
gi.require_version("Tpx", "1")
from gi.repository import GLib, Gio, Tpx

helper = sys.argv[1]
result = {"uid": os.getuid(), "gid": os.getgid()}

def count_fds():
    GLib.MainContext.default()
    return len(os.listdir("/proc/self/fd")) - 1

def no_children():
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False

def attempt(name, uid=None, gid=None, use_pty=False):
    launcher = Tpx.ProcessLauncher.new()
    if uid is not None:
        launcher.set_uid(uid)
    if gid is not None:
        launcher.set_gid(gid)
    launcher.set_use_pty(use_pty)
    before = count_fds()
    try:
        transport = launcher.spawn(None, helper, [helper, "id"])
    except GLib.Error as error:
        result[name] = {
            "denied": error.matches(Gio.io_error_quark(),
                                    Gio.IOErrorEnum.PERMISSION_DENIED),
            "message": error.message,
            "fds_kept": count_fds() == before,
            "no_children": no_children(),
        }
        return
    result[name] = {"spawned": transport.get_pid()}
    out = []
    ended = []
    transport.connect("child-data", lambda t, fd, d: out.append(d.get_data()))
    transport.connect("process-ended", lambda t, s: ended.append(s))
    context = GLib.MainContext.default()
    while not ended:
        context.iteration(True)
    result[name]["out"] = b"".join(out).decode()
    del transport
    result[name]["fds_kept"] = count_fds() == before

attempt("setuid", uid=0)
attempt("setgid", gid=0)
attempt("setuid_pty", uid=0, use_pty=True)
attempt("own", uid=os.getuid(), gid=os.getgid())
print(json.dumps(result))
"""


@needs_root
def test_refusal_under_setpriv():
    completed = subprocess.run(
        [SETPRIV, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
         "--clear-groups", sys.executable, "-B", "-c", UNPRIVILEGED_SNIPPET,
         helper_path()],
        env=os.environ, capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
    result = json.loads(completed.stdout)

    assert (result["uid"], result["gid"]) == (NOBODY, NOBODY)

    for name, step in (("setuid", "setuid to 0"), ("setgid", "setgid to 0"),
                       ("setuid_pty", "setuid to 0")):
        attempt = result[name]
        assert "spawned" not in attempt, (name, attempt)
        assert attempt["denied"], (name, attempt)
        assert step in attempt["message"], (name, attempt)
        assert helper_path() in attempt["message"], (name, attempt)
        assert attempt["fds_kept"], (name, attempt)
        assert attempt["no_children"], (name, attempt)

    # Its own ids need no privilege, and no groups are added.
    assert result["own"]["out"] == "uid 65534 gid 65534 groups 0\n", result
    assert result["own"]["fds_kept"], result
