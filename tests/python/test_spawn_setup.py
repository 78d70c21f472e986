# SPDX-License-Identifier: LGPL-2.1-or-later
"""How the child is set up, from Python: the fd map (defaults, extra fds,
inherited fds, fds moved onto each other), no leaked fds, signal
dispositions, spawn errors, PTY, credentials and process groups (the
parity of tests/test-spawn.c)."""

import errno
import gc
import os
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap

from tpxtest import (GLib, Gio, Tpx, Recorder, assert_error,
                     assert_no_children, assert_spawn_fails, count_fds,
                     drain, fd_is_open, helper_argv, helper_path, io_error,
                     run_helper, run_until, spawn_helper, warm_up)

import pytest

ONLY_STD_FDS = "0 blocking\n1 blocking\n2 blocking\n"
N_SPAWNS_IN_A_ROW = 1000


def read_to_eof(fd):
    """Reads a pipe whose writers should all be gone; nonblocking, so a
    leaked write end fails the test instead of hanging it."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 256)
        except BlockingIOError:
            pytest.fail("no end of file: a copy of the write end is open")
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_isolated(code):
    """Runs @code (which may use tpxtest) in a fresh interpreter, whose
    fds it may rearrange; it prints "ok" when all went well."""
    prologue = "import sys\nsys.path.insert(0, %r)\n" % os.path.dirname(
        os.path.abspath(__file__))
    completed = subprocess.run(
        [sys.executable, "-B", "-c", prologue + textwrap.dedent(code)],
        capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stdout.decode().splitlines()[-1:] == ["ok"], \
        (completed.stdout, completed.stderr)


# -- The fd map ---------------------------------------------------------------

def test_map_default():
    rec = run_helper("fds")
    rec.assert_exit_code(0)
    assert rec.text(1) == ONLY_STD_FDS
    # 0 is a pipe the parent writes, 1 and 2 pipes it reads
    for event in ("lost:0", "lost:1", "lost:2"):
        assert event in rec.events


def test_map_default_directions():
    transport = spawn_helper("echo")
    rec = Recorder(transport)
    for fd in (1, 2):
        with pytest.raises(GLib.Error) as info:
            transport.write_to_child(fd, b"x")
        assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    transport.write(b"in and out")
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "in and out"


def test_map_unmapped_std_fds():
    """An unmapped 0, 1 or 2 is /dev/null, never a closed fd."""
    launcher = Tpx.ProcessLauncher.new()
    launcher.clear_child_fds()
    launcher.set_child_fd(1, Tpx.ChildFdKind.READ, -1)

    rec = run_helper("fds", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ONLY_STD_FDS
    # stdin: end of file at once
    rec = run_helper("count-stdin", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "0\n"
    # stderr: writing succeeds (the helper exits 2 on a failed write)
    rec = run_helper("write-err", "to nowhere", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ""


def test_map_unmapped_stdout():
    launcher = Tpx.ProcessLauncher.new()
    launcher.remove_child_fd(1)
    rec = run_helper("write-both", launcher=launcher)
    rec.assert_exit_code(0)
    assert "data:1" not in rec.events
    assert "lost:1" not in rec.events
    assert rec.text(2) == "err"


def test_map_no_leak_without_cloexec():
    """Parent fds without close-on-exec never reach the child."""
    warm_up()
    n_fds = count_fds()
    leaked = []
    lowest = os.open("/dev/null", os.O_RDONLY)
    os.set_inheritable(lowest, True)
    leaked.append(lowest)
    assert 3 <= lowest < 50
    # A pipe, the way a leak hurts most: its reader would never see EOF.
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)
    os.set_inheritable(write_end, True)
    leaked += [read_end, write_end]
    assert not fd_is_open(50)
    os.dup2(write_end, 50)
    leaked.append(50)
    for fd in range(3, 64):
        if not fd_is_open(fd):
            os.dup2(lowest, fd)
            leaked.append(fd)
    try:
        for fd in leaked:
            assert os.get_inheritable(fd)
        rec = run_helper("fds")
        rec.assert_exit_code(0)
        assert rec.text(1) == ONLY_STD_FDS
        rec.release()
    finally:
        for fd in leaked:
            os.close(fd)
    assert count_fds() == n_fds


def test_map_extra_fds_blocking():
    read_end, write_end = os.pipe()
    try:
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1)
        launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1)
        launcher.set_child_fd(9, Tpx.ChildFdKind.INHERIT, write_end)
        rec = run_helper("fds", launcher=launcher)
        rec.assert_exit_code(0)
        assert rec.text(1) == (ONLY_STD_FDS +
                               "3 blocking\n4 blocking\n9 blocking\n")
    finally:
        os.close(read_end)
        os.close(write_end)


def test_map_pipes_blocking_in_child():
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("0:w,1:r,2:r,5:w,6:r")
    rec = run_helper("fds", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ONLY_STD_FDS + "5 blocking\n6 blocking\n"


def test_map_inherit():
    read_end, write_end = os.pipe()
    try:
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, write_end)
        transport = spawn_helper("cat-fd", "0", "3", launcher=launcher)
        os.close(write_end)
        write_end = -1
        rec = Recorder(transport)
        transport.write(b"inherited")
        transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)
        assert read_to_eof(read_end) == b"inherited"
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def test_map_inherit_same_number():
    """INHERIT onto the same number: the child gets it although the
    parent's fd is close-on-exec."""
    read_end, write_end = os.pipe()
    try:
        assert not os.get_inheritable(write_end)
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(write_end, Tpx.ChildFdKind.INHERIT, write_end)
        transport = spawn_helper("cat-fd", "0", str(write_end),
                                 launcher=launcher)
        os.close(write_end)
        write_end = -1
        rec = Recorder(transport)
        transport.write(b"same fd")
        transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)
        assert rec.text(2) == ""
        assert read_to_eof(read_end) == b"same fd"
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def test_map_swap_std_fds():
    """{0: 1, 1: 0}: the child's stdin is the parent's fd 1, its stdout the
    parent's fd 0 (in a fresh interpreter, whose 0 and 1 it may borrow)."""
    run_isolated("""
        import os
        from tpxtest import Tpx, Recorder, helper_argv
        to_child = os.pipe()
        from_child = os.pipe()
        saved0 = os.dup(0)
        saved1 = os.dup(1)
        os.dup2(to_child[0], 1)
        os.dup2(from_child[1], 0)
        launcher = Tpx.ProcessLauncher.new()
        launcher.clear_child_fds()
        launcher.set_child_fd(0, Tpx.ChildFdKind.INHERIT, 1)
        launcher.set_child_fd(1, Tpx.ChildFdKind.INHERIT, 0)
        launcher.set_child_fd(2, Tpx.ChildFdKind.READ, -1)
        argv = helper_argv("echo")
        try:
            transport = launcher.spawn(None, argv[0], argv)
        finally:
            os.dup2(saved0, 0)
            os.dup2(saved1, 1)
        for fd in (saved0, saved1, to_child[0], from_child[1]):
            os.close(fd)
        rec = Recorder(transport)
        os.write(to_child[1], b"swapped")
        os.close(to_child[1])
        rec.wait()
        rec.assert_exit_code(0)
        assert rec.text(2) == ""
        os.set_blocking(from_child[0], False)
        assert os.read(from_child[0], 64) == b"swapped"
        assert os.read(from_child[0], 64) == b""
        print("ok")
    """)


def test_map_swap_extra_fds():
    """{a: b, b: a}: a cycle among the extra fds."""
    run_isolated("""
        import fcntl, os
        from tpxtest import Tpx, Recorder, fd_is_open, helper_argv

        def high_pipe():
            ends = os.pipe()
            high = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in ends)
            for fd in ends:
                os.close(fd)
            return high

        to_child = high_pipe()
        from_child = high_pipe()
        a = next(fd for fd in range(3, 1000)
                 if not fd_is_open(fd) and not fd_is_open(fd + 1))
        b = a + 1
        os.dup2(to_child[0], b, inheritable=False)
        os.dup2(from_child[1], a, inheritable=False)
        os.close(to_child[0])
        os.close(from_child[1])
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(a, Tpx.ChildFdKind.INHERIT, b)
        launcher.set_child_fd(b, Tpx.ChildFdKind.INHERIT, a)
        argv = helper_argv("cat-fd", str(a), str(b))
        transport = launcher.spawn(None, argv[0], argv)
        os.close(a)
        os.close(b)
        rec = Recorder(transport)
        os.write(to_child[1], b"cycle")
        os.close(to_child[1])
        transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)
        assert rec.text(2) == ""
        os.set_blocking(from_child[0], False)
        assert os.read(from_child[0], 64) == b"cycle"
        assert os.read(from_child[0], 64) == b""
        print("ok")
    """)


def test_map_rotate_fds():
    """{a: a+1, a+1: a+2, a+2: a}: a rotation of three."""
    run_isolated("""
        import fcntl, os
        from tpxtest import Tpx, Recorder, fd_is_open, helper_argv, run_helper

        def high_pipe():
            ends = os.pipe()
            high = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in ends)
            for fd in ends:
                os.close(fd)
            return high

        to_child = high_pipe()
        from_child = high_pipe()
        spare = high_pipe()
        a = next(fd for fd in range(3, 1000)
                 if not any(fd_is_open(fd + i) for i in range(3)))
        os.dup2(to_child[0], a + 1, inheritable=False)
        os.dup2(spare[0], a + 2, inheritable=False)
        os.dup2(from_child[1], a, inheritable=False)
        for fd in (to_child[0], from_child[1], spare[0]):
            os.close(fd)
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(a, Tpx.ChildFdKind.INHERIT, a + 1)
        launcher.set_child_fd(a + 1, Tpx.ChildFdKind.INHERIT, a + 2)
        launcher.set_child_fd(a + 2, Tpx.ChildFdKind.INHERIT, a)
        argv = helper_argv("cat-fd", str(a), str(a + 2))
        rec = Recorder(launcher.spawn(None, argv[0], argv))

        # The listing shows exactly the three mapped fds besides 0, 1, 2.
        listing = run_helper("fds", launcher=launcher)
        listing.assert_exit_code(0)
        assert listing.text(1) == ("0 blocking\\n1 blocking\\n2 blocking\\n"
                                   "%d blocking\\n%d blocking\\n%d blocking\\n"
                                   % (a, a + 1, a + 2)), listing.text(1)
        for fd in (a, a + 1, a + 2):
            os.close(fd)
        os.write(to_child[1], b"rotated")
        os.close(to_child[1])
        rec.transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)
        os.set_blocking(from_child[0], False)
        assert os.read(from_child[0], 64) == b"rotated"
        assert os.read(from_child[0], 64) == b""
        os.close(spare[1])
        print("ok")
    """)


@pytest.mark.parametrize("child_fd", [255, 253])
def test_map_fd_limit_target(child_fd):
    """A child fd just below RLIMIT_NOFILE (256 here) is a target like any
    other: no room above it is needed."""
    run_isolated("""
        import os, resource
        from tpxtest import Tpx, Recorder, fd_is_open, helper_argv, run_helper

        child_fd = %d
        assert not any(fd_is_open(fd) for fd in range(256, 1024))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(child_fd, Tpx.ChildFdKind.WRITE, -1)
        listing = run_helper("fds", launcher=launcher)
        listing.assert_exit_code(0)
        assert listing.text(1) == (
            "0 blocking\\n1 blocking\\n2 blocking\\n%%d blocking\\n" %% child_fd)

        argv = helper_argv("cat-fd", str(child_fd), "1")
        transport = launcher.spawn(None, argv[0], argv)
        rec = Recorder(transport)
        transport.write_to_child(child_fd, b"near the limit")
        transport.close_child_fd(child_fd)
        transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)
        assert rec.text(1) == "near the limit"
        print("ok")
    """ % child_fd)


# A seccomp filter under which close_range() fails with ENOSYS, as on a
# kernel before 5.9: installed with prctl() through ctypes.
REFUSE_CLOSE_RANGE = """
    import ctypes, errno, struct

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    SYS_close_range = 436  # the same on every Linux architecture

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    def bpf(code, k, jt=0, jf=0):
        return struct.pack("HBBI", code, jt, jf, k)

    program = b"".join([
        bpf(0x20, 0),                             # ld [nr]
        bpf(0x15, SYS_close_range, 0, 1),         # jeq close_range
        bpf(0x06, 0x00050000 | errno.ENOSYS),     # ret ERRNO(ENOSYS)
        bpf(0x06, 0x7fff0000),                    # ret ALLOW
    ])
    buffer = ctypes.create_string_buffer(program)
    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                       ctypes.byref(fprog), 0, 0) != 0):
        print("skip: cannot install a seccomp filter (%s)"
              % os.strerror(ctypes.get_errno()))
        raise SystemExit(0)
    assert libc.syscall(SYS_close_range, 1000, 1000, 0) == -1
    assert ctypes.get_errno() == errno.ENOSYS
"""


def test_map_no_leak_without_close_range():
    """Where close_range() is refused, no parent fd reaches the child, one
    above the soft RLIMIT_NOFILE included."""
    prologue = "import os, sys\nsys.path.insert(0, %r)\n" % os.path.dirname(
        os.path.abspath(__file__))
    code = textwrap.dedent(REFUSE_CLOSE_RANGE) + textwrap.dedent("""
        import resource
        from tpxtest import Tpx, fd_is_open, run_helper

        ONLY_STD_FDS = "0 blocking\\n1 blocking\\n2 blocking\\n"
        read_end, write_end = os.pipe()
        os.set_inheritable(write_end, True)
        assert not fd_is_open(1000)
        os.dup2(write_end, 1000, inheritable=True)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

        rec = run_helper("fds")
        rec.assert_exit_code(0)
        assert rec.text(1) == ONLY_STD_FDS, rec.text(1)

        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1)
        launcher.set_child_fd(200, Tpx.ChildFdKind.INHERIT, write_end)
        rec = run_helper("fds", launcher=launcher)
        rec.assert_exit_code(0)
        assert rec.text(1) == ONLY_STD_FDS + "4 blocking\\n200 blocking\\n", \
            rec.text(1)
        print("ok")
    """)
    completed = subprocess.run(
        [sys.executable, "-B", "-c", prologue + code],
        capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
    last = completed.stdout.decode().splitlines()[-1:]
    if last and last[0].startswith("skip: "):
        pytest.skip(last[0][len("skip: "):])
    assert last == ["ok"], (completed.stdout, completed.stderr)


def test_signals_reset():
    old = {signum: signal.signal(signum, signal.SIG_IGN)
           for signum in (signal.SIGPIPE, signal.SIGINT, signal.SIGHUP)}
    blocked = {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        transport = spawn_helper("signals")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for signum, handler in old.items():
            signal.signal(signum, handler)
    rec = Recorder(transport)
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "mask 0\nignored 0\n"


# -- Spawn errors ---------------------------------------------------------------

def test_error_enoexec():
    """A file without #! the kernel refuses is an error: no shell runs it."""
    with tempfile.TemporaryDirectory(prefix="tpx-spawn-enoexec-") as directory:
        script = os.path.join(directory, "not-a-program")
        marker = os.path.join(directory, "marker")
        with open(script, "w") as f:
            f.write("/usr/bin/touch %s\n/bin/touch %s\n" % (marker, marker))
        os.chmod(script, 0o755)
        code = Gio.io_error_from_errno(errno.ENOEXEC)
        assert_spawn_fails(Tpx.ProcessLauncher.new(), script, None,
                           Gio.io_error_quark(), code)
        assert not os.path.exists(marker)


def test_error_not_found():
    launcher = Tpx.ProcessLauncher.new()
    assert_spawn_fails(launcher, "/nonexistent-tpx-dir/program", None,
                       *io_error(Gio.IOErrorEnum.NOT_FOUND))
    assert_spawn_fails(launcher, "tpx-no-such-program", None,
                       *io_error(Gio.IOErrorEnum.NOT_FOUND))


def test_error_not_executable():
    with tempfile.TemporaryDirectory(prefix="tpx-spawn-noexec-") as directory:
        path = os.path.join(directory, "not-executable")
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        # No x bit at all: refused even to root.
        os.chmod(path, 0o644)
        assert_spawn_fails(Tpx.ProcessLauncher.new(), path, None,
                           *io_error(Gio.IOErrorEnum.PERMISSION_DENIED))


def test_error_directory():
    with tempfile.TemporaryDirectory(prefix="tpx-spawn-dir-") as directory:
        assert_spawn_fails(Tpx.ProcessLauncher.new(), directory, None,
                           *io_error(Gio.IOErrorEnum.IS_DIRECTORY))


def test_error_bad_cwd():
    launcher = Tpx.ProcessLauncher.new()
    argv = helper_argv("exit", "0")
    launcher.set_cwd("/nonexistent-tpx-cwd")
    error = assert_spawn_fails(launcher, helper_path(), argv,
                               *io_error(Gio.IOErrorEnum.NOT_FOUND), "chdir")
    assert "/nonexistent-tpx-cwd" in error.message
    # A file is no directory either.
    launcher.set_cwd(helper_path())
    assert_spawn_fails(launcher, helper_path(), argv,
                       *io_error(Gio.IOErrorEnum.NOT_DIRECTORY), "chdir")


def test_error_negative_child_fd():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(-1, Tpx.ChildFdKind.READ, -1)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


def test_error_negative_parent_fd():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, -2)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


def test_error_inherit_closed_fd():
    closed_fd = next(fd for fd in range(100, 4096) if not fd_is_open(fd))
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, closed_fd)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    # Also with pipes to set up before it in the map.
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1)
    launcher.set_child_fd(2, Tpx.ChildFdKind.INHERIT, closed_fd)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


def test_error_inherit_reused_fd():
    """INHERIT of the lowest free fd, with pipes to make first for the
    lower entries: the first pipe must not pass for the closed fd."""
    warm_up()
    closed_fd = os.open("/dev/null", os.O_RDONLY)
    os.close(closed_fd)
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(5, Tpx.ChildFdKind.INHERIT, closed_fd)
    error = assert_spawn_fails(launcher, helper_path(), None,
                               *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
    assert "fd %d of the parent" % closed_fd in error.message


def test_error_inherit_reused_fd_first_spawn():
    """The same in a fresh interpreter, where the first spawn also makes
    the main context's wakeup fd."""
    run_isolated("""
        import os
        from gi.repository import GLib, Gio
        from tpxtest import Tpx, assert_error, fd_is_open, helper_path, io_error

        closed_fd = next(fd for fd in range(3, 100) if not fd_is_open(fd))
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_child_fds_from_string("1:1,2:2,3:%d" % closed_fd)
        try:
            launcher.spawn(None, helper_path(), None)
        except GLib.Error as error:
            assert_error(error, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))
        else:
            raise AssertionError("the spawn succeeded")
        assert not fd_is_open(closed_fd)
        print("ok")
    """)


@pytest.mark.parametrize("name", ["TPX=BAD", ""])
def test_error_env_name(name):
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv(name, "value", True)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


def test_error_too_many_open_files():
    warm_up()
    n_fds = count_fds()
    launcher = Tpx.ProcessLauncher.new()
    # Fill every hole below the highest fd: then the limit alone decides.
    highest = max(int(name) for name in os.listdir("/proc/self/fd"))
    devnull = os.open("/dev/null", os.O_RDONLY)
    fillers = [devnull]
    for fd in range(3, highest):
        if not fd_is_open(fd):
            os.dup2(devnull, fd, inheritable=False)
            fillers.append(fd)
    highest = max(highest, devnull)
    old_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    error = None
    try:
        # Room for one more fd: not even one pipe can be made.
        resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 2, old_limit[1]))
        try:
            launcher.spawn(None, helper_path(), None)
        except GLib.Error as e:
            error = e
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old_limit)
        for fd in fillers:
            os.close(fd)
    assert error is not None, "the spawn succeeded"
    assert_error(error, *io_error(Gio.IOErrorEnum.TOO_MANY_OPEN_FILES))
    assert helper_path() in error.message
    assert count_fds() == n_fds
    assert_no_children()


def test_error_then_success():
    """After a failure, the same launcher works once the cause is gone."""
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_cwd("/nonexistent-tpx-cwd")
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.NOT_FOUND), "chdir")
    launcher.set_cwd("/")
    rec = run_helper("cwd", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "/\n"


def test_many_in_a_row():
    warm_up()
    n_fds = count_fds()
    launcher = Tpx.ProcessLauncher.new()
    for _ in range(N_SPAWNS_IN_A_ROW):
        ended = []
        transport = launcher.spawn(None, "/bin/true", None)
        # The handler holds no reference to the transport, and neither do
        # we: the transport keeps itself alive until it has ended.
        transport.connect("process-ended",
                          lambda transport, status: ended.append(status))
        del transport
        run_until(lambda: ended, what="process-ended")
        assert len(ended) == 1
        assert ended[0].is_success()
    gc.collect()
    drain()
    assert count_fds() == n_fds
    assert_no_children()


# -- PTY ------------------------------------------------------------------------

def test_pty_info():
    warm_up()
    n_fds = count_fds()
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_use_pty(True)
    launcher.set_window_size(24, 80)
    transport = spawn_helper("pty-info", launcher=launcher)
    rec = Recorder(transport)
    run_until(lambda: "size 24 80" in rec.text(1), what="the first size")
    assert transport.set_window_size(40, 100)
    rec.wait()
    rec.assert_exit_code(0)
    # The terminal turns "\n" into "\r\n".
    text = rec.text(1).replace("\r", "\n")
    for line in ("tty0 1 tty1 1 tty2 1\n", "leader 1\n", "ctty 1\n",
                 "size 24 80\n", "size 40 100\n"):
        assert line in text, text
    assert rec.text(2) == ""
    assert "data:2" not in rec.events
    rec.release()
    del transport
    gc.collect()
    drain()
    assert count_fds() == n_fds
    assert_no_children()


def test_pty_fds():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_use_pty(True)
    rec = run_helper("fds", launcher=launcher)
    rec.assert_exit_code(0)
    # Only the terminal, on 0, 1 and 2 (with the terminal's "\r\n").
    lines = [line for line in rec.text(1).split("\r\n") if line]
    assert "".join(line + "\n" for line in lines) == ONLY_STD_FDS


def test_pty_with_fd_map():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_use_pty(True)
    launcher.set_child_fd(3, Tpx.ChildFdKind.READ, -1)
    assert_spawn_fails(launcher, helper_path(), None,
                       *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))


# -- Credentials ------------------------------------------------------------------

def test_id_own():
    # The caller's own ids need no privilege.
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_uid(os.getuid())
    launcher.set_gid(os.getgid())
    rec = run_helper("id", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1).startswith("uid %d gid %d groups " % (os.getuid(),
                                                             os.getgid()))


def test_id_other():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_uid(65534)
    launcher.set_gid(65534)
    if os.geteuid() == 0:
        rec = run_helper("id", launcher=launcher)
        rec.assert_exit_code(0)
        # Supplementary groups dropped: at most the new gid remains.
        assert rec.text(1) in ("uid 65534 gid 65534 groups 0\n",
                               "uid 65534 gid 65534 groups 1\n")
    else:
        # Unprivileged: refused, synchronously.
        assert_spawn_fails(launcher, helper_path(), None,
                           *io_error(Gio.IOErrorEnum.PERMISSION_DENIED))


def test_id_gid_only():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_gid(65534)
    if os.geteuid() != 0:
        assert_spawn_fails(launcher, helper_path(), None,
                           *io_error(Gio.IOErrorEnum.PERMISSION_DENIED))
        return
    rec = run_helper("id", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1).startswith("uid %d gid 65534 groups " % os.getuid())


# -- Process groups -----------------------------------------------------------------

def parse_pgrp(rec):
    fields = rec.text(1).split()
    assert fields[0::2] == ["pid", "pgid", "sid"], rec.text(1)
    pid, pgid, sid = (int(field) for field in fields[1::2])
    assert pid == rec.transport.get_pid()
    return pid, pgid, sid


def test_pgrp_default():
    rec = run_helper("pgrp")
    rec.assert_exit_code(0)
    pid, pgid, sid = parse_pgrp(rec)
    assert pgid == os.getpgrp()
    assert sid == os.getsid(0)


def test_pgrp_new_group():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_process_group(True)
    rec = run_helper("pgrp", launcher=launcher)
    rec.assert_exit_code(0)
    pid, pgid, sid = parse_pgrp(rec)
    assert pgid == pid
    assert sid == os.getsid(0)


def test_pgrp_new_session():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_new_session(True)
    rec = run_helper("pgrp", launcher=launcher)
    rec.assert_exit_code(0)
    pid, pgid, sid = parse_pgrp(rec)
    assert pgid == pid
    assert sid == pid


def test_signal_process_group():
    """signal_process_group reaches the child's whole group; it needs a
    new group or session."""
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_process_group(True)
    transport = spawn_helper("sleep-forever", launcher=launcher)
    rec = Recorder(transport)
    rec.wait_for_text(1, b"ready\n")
    assert transport.signal_process_group("TERM")
    rec.wait()
    rec.assert_killed_by(signal.SIGTERM)
