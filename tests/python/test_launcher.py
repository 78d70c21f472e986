# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessLauncher from Python: the environment, the working directory,
the child fd map, the spawn_process convenience and the executable lookup
(the parity of tests/test-process-launcher.c)."""

import os
import tempfile

from tpxtest import (GLib, Gio, Tpx, Recorder, assert_error,
                     assert_lines_unordered, assert_no_children, count_fds,
                     helper_argv, helper_path, io_error, run_argv,
                     run_helper, spawn_helper, warm_up)

import pytest

MARKER_NAME = "TPX_TEST_LAUNCHER_MARKER"
MARKER_VALUE = "inherited value"
os.environ[MARKER_NAME] = MARKER_VALUE


def test_env_empty_by_default():
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.getenv("PATH") is None
    assert launcher.getenv("HOME") is None
    assert launcher.getenv(MARKER_NAME) is None

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ""
    assert rec.text(2) == ""


def test_env_set_environ():
    launcher = Tpx.ProcessLauncher.new()
    env = ["TPX_A=1", "TPX_B=two words", "TPX_C=x=y", "TPX_EMPTY="]
    launcher.set_environ(env)
    assert launcher.getenv("TPX_A") == "1"
    assert launcher.getenv("TPX_B") == "two words"
    assert launcher.getenv("TPX_C") == "x=y"
    assert launcher.getenv("TPX_EMPTY") == ""
    assert launcher.getenv("TPX_D") is None

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert_lines_unordered(rec.text(1), env)


def test_env_set_environ_replaces():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_environ(["TPX_A=1", "TPX_B=2"])
    launcher.set_environ(["TPX_C=3"])
    assert launcher.getenv("TPX_A") is None
    assert launcher.getenv("TPX_C") == "3"

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "TPX_C=3\n"


def test_env_set_environ_none():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_environ(["TPX_A=1", "PATH=/bin"])
    assert launcher.getenv("TPX_A") == "1"
    launcher.set_environ(None)
    assert launcher.getenv("TPX_A") is None
    assert launcher.getenv("PATH") is None

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ""


def test_env_setenv_overwrite():
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("TPX_A", "first", True)
    assert launcher.getenv("TPX_A") == "first"
    # overwrite True replaces, in place: the variable is not duplicated
    launcher.setenv("TPX_A", "second", True)
    assert launcher.getenv("TPX_A") == "second"
    # overwrite False keeps an existing value...
    launcher.setenv("TPX_A", "third", False)
    assert launcher.getenv("TPX_A") == "second"
    # ...but still sets a missing one
    launcher.setenv("TPX_B", "kept", False)
    assert launcher.getenv("TPX_B") == "kept"

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert_lines_unordered(rec.text(1), ["TPX_A=second", "TPX_B=kept"])


def test_env_unsetenv():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_environ(["TPX_A=1", "TPX_B=2", "TPX_C=3"])
    launcher.unsetenv("TPX_B")
    assert launcher.getenv("TPX_B") is None
    assert launcher.getenv("TPX_A") == "1"
    # Removing a variable that is not there changes nothing.
    launcher.unsetenv("TPX_NOT_THERE")

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert_lines_unordered(rec.text(1), ["TPX_A=1", "TPX_C=3"])


def test_env_inherit():
    launcher = Tpx.ProcessLauncher.new()
    launcher.inherit_environ()
    assert launcher.getenv(MARKER_NAME) == MARKER_VALUE
    assert launcher.getenv("G_TEST_BUILDDIR") == os.environ["G_TEST_BUILDDIR"]

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    parent = ["%s=%s" % item for item in os.environ.items()
              if item[0] != "LD_PRELOAD"]
    child = [line for line in rec.text(1).splitlines()
             if not line.startswith("LD_PRELOAD=")]
    assert sorted(child) == sorted(parent)

    # The copy can then be edited like any other environment.
    launcher.setenv(MARKER_NAME, "edited", True)
    launcher.unsetenv("G_TEST_BUILDDIR")
    assert os.environ[MARKER_NAME] == MARKER_VALUE

    rec2 = run_helper("env", launcher=launcher)
    rec2.assert_exit_code(0)
    lines = rec2.text(1).splitlines()
    assert MARKER_NAME + "=edited" in lines
    assert MARKER_NAME + "=" + MARKER_VALUE not in lines
    assert not any(line.startswith("G_TEST_BUILDDIR=") for line in lines)


def test_env_inherit_then_set_environ():
    launcher = Tpx.ProcessLauncher.new()
    launcher.inherit_environ()
    launcher.set_environ(None)
    assert launcher.getenv(MARKER_NAME) is None

    rec = run_helper("env", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == ""


def test_cwd_set():
    parent_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="tpx-launcher-cwd-") as directory:
        canonical = os.path.realpath(directory)
        assert canonical != parent_cwd
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_cwd(directory)
        rec = run_helper("cwd", launcher=launcher)
        rec.assert_exit_code(0)
        assert rec.text(1) == canonical + "\n"
        # The parent did not move.
        assert os.getcwd() == parent_cwd


def test_cwd_default():
    expected = os.path.realpath(os.getcwd()) + "\n"
    launcher = Tpx.ProcessLauncher.new()
    rec = run_helper("cwd", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == expected

    # None goes back to the parent's directory.
    launcher.set_cwd("/")
    launcher.set_cwd(None)
    rec2 = run_helper("cwd", launcher=launcher)
    rec2.assert_exit_code(0)
    assert rec2.text(1) == expected


def test_cwd_root():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_cwd("/")
    rec = run_helper("cwd", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "/\n"


def test_fds_default():
    """0 is written by the parent, 1 and 2 read by it."""
    launcher = Tpx.ProcessLauncher.new()
    transport = spawn_helper("echo", launcher=launcher)
    rec = Recorder(transport)

    with pytest.raises(GLib.Error) as info:
        transport.write_to_child(1, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))

    assert transport.write_to_child(0, b"ping")
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "ping"
    assert rec.text(2) == ""
    for event in ("lost:0", "lost:1", "lost:2"):
        assert event in rec.events

    # fd 2 is a pipe the parent reads as well
    transport = spawn_helper("echo-stderr", launcher=launcher)
    rec2 = Recorder(transport)
    transport.write(b"to stderr")
    transport.close_stdin()
    rec2.wait()
    rec2.assert_exit_code(0)
    assert rec2.text(1) == ""
    assert rec2.text(2) == "to stderr"


def test_fds_set_child_fd():
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1)
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1)
    transport = spawn_helper("cat-fd", "3", "4", launcher=launcher)
    rec = Recorder(transport)

    assert transport.write_to_child(3, b"via fd 3")
    transport.close_child_fd(3)
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(4) == "via fd 3"
    assert rec.text(1) == ""
    assert "lost:3" in rec.events
    assert "lost:4" in rec.events


def test_fds_set_child_fd_replaces():
    """Setting an fd that is already in the map replaces its entry."""
    launcher = Tpx.ProcessLauncher.new()
    # fd 1 turns from a pipe the parent reads into one it writes.
    launcher.set_child_fd(1, Tpx.ChildFdKind.WRITE, -1)
    transport = spawn_helper("cat-fd", "1", "2", launcher=launcher)
    rec = Recorder(transport)

    assert transport.write_to_child(1, b"replaced")
    transport.close_child_fd(1)
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(2) == "replaced"
    assert "data:1" not in rec.events


def test_fds_remove():
    launcher = Tpx.ProcessLauncher.new()
    # fd 2 is no pipe any more, but /dev/null: writing it still works.
    launcher.remove_child_fd(2)
    # Removing an fd that is not in the map changes nothing.
    launcher.remove_child_fd(7)

    rec = run_helper("write-both", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "out"
    assert rec.text(2) == ""
    assert ":2" not in rec.trace()
    assert "lost:1" in rec.events


def test_fds_clear():
    launcher = Tpx.ProcessLauncher.new()
    launcher.clear_child_fds()
    launcher.set_child_fd(1, Tpx.ChildFdKind.READ, -1)
    transport = spawn_helper("count-stdin", launcher=launcher)
    rec = Recorder(transport)

    # No stdin pipe any more.
    with pytest.raises(GLib.Error) as info:
        transport.write_to_child(0, b"x")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))

    rec.wait()
    rec.assert_exit_code(0)
    # stdin was /dev/null: end of file at once
    assert rec.text(1) == "0\n"
    assert ":0" not in rec.trace()
    assert ":2" not in rec.trace()


def test_fds_clear_all():
    launcher = Tpx.ProcessLauncher.new()
    launcher.clear_child_fds()
    rec = run_helper("exit", "7", launcher=launcher)
    rec.assert_exit_code(7)
    assert rec.trace() == "exited ended"


def test_fds_from_string():
    launcher = Tpx.ProcessLauncher.new()
    # GPG style, with an inherited parent fd as child fd 5
    read_end, write_end = os.pipe()
    try:
        assert launcher.set_child_fds_from_string("0:w,1:r,3:w,5:%d" % write_end)
        transport = spawn_helper("cat-fd", "3", "5", launcher=launcher)
        os.close(write_end)
        write_end = -1
        rec = Recorder(transport)

        assert transport.write_to_child(3, b"spec")
        transport.close_child_fd(3)
        transport.close_stdin()
        rec.wait()
        rec.assert_exit_code(0)

        # All of it is in the pipe, then end of file (nonblocking: a leaked
        # copy of the write end fails the test instead of hanging it).
        os.set_blocking(read_end, False)
        assert os.read(read_end, 64) == b"spec"
        assert os.read(read_end, 64) == b""
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)

    # 2 was left out of the map: no pipe
    assert ":2" not in rec.trace()
    assert "lost:1" in rec.events
    assert "lost:3" in rec.events


@pytest.mark.parametrize("spec", [
    "0:x", "zero:r", "0", "0:", ":r", "0:w,,1:r", "0:w;1:r", "0:w,1:r,",
    ",0:w", "0:w 1:r", "0:rw", "0:-1", "-1:r", "0:w,0:r", "0:w,1:r,3:4x",
    " 0:w",
])
def test_fds_from_string_malformed(spec):
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("0:w,3:r")

    with pytest.raises(GLib.Error) as info:
        launcher.set_child_fds_from_string(spec)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.INVALID_ARGUMENT))

    # The map is still {0: w, 3: r}.
    transport = spawn_helper("cat-fd", "0", "3", launcher=launcher)
    rec = Recorder(transport)
    transport.write(b"unchanged")
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(3) == "unchanged"
    assert ":1" not in rec.trace()
    assert ":2" not in rec.trace()


def test_fds_from_string_empty():
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.set_child_fds_from_string("")
    rec = run_helper("write-both", launcher=launcher)
    # 1 and 2 are /dev/null: the writes succeed and go nowhere
    rec.assert_exit_code(0)
    assert rec.trace() == "exited ended"


def test_fds_from_string_default():
    launcher = Tpx.ProcessLauncher.new()
    # Back to the default map after an empty one
    assert launcher.set_child_fds_from_string("")
    assert launcher.set_child_fds_from_string("0:w,1:r,2:r")
    rec = run_helper("write-both", launcher=launcher)
    rec.assert_exit_code(0)
    assert rec.text(1) == "out"
    assert rec.text(2) == "err"


# The C-shaped Tpx.spawn_process(protocol, executable, argv, envp, path)
# still works through the override's Twisted-shaped one (a list env).

def test_spawn_process_env():
    envp = ["TPX_ONE=1", "TPX_TWO=2"]
    transport = Tpx.spawn_process(None, helper_path(), helper_argv("env"),
                                  envp, None)
    assert transport.get_pid() > 0
    rec = Recorder(transport)
    rec.wait()
    rec.assert_exit_code(0)
    assert_lines_unordered(rec.text(1), envp)


def test_spawn_process_path():
    rec = Recorder(Tpx.spawn_process(None, helper_path(), helper_argv("cwd"),
                                     {}, "/"))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "/\n"


def test_spawn_process_defaults():
    # No env: an empty environment, not the parent's
    rec = Recorder(Tpx.spawn_process(None, helper_path(), helper_argv("env")))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == ""

    # No path: the parent's directory
    rec2 = Recorder(Tpx.spawn_process(None, helper_path(), helper_argv("cwd")))
    rec2.wait()
    rec2.assert_exit_code(0)
    assert rec2.text(1) == os.path.realpath(os.getcwd()) + "\n"


def test_spawn_process_error():
    n_fds = count_fds()
    with pytest.raises(GLib.Error) as info:
        Tpx.spawn_process(None, "/nonexistent/tpx-no-such-program")
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    assert count_fds() == n_fds
    assert_no_children()


def test_argv_none():
    """argv None: the child's argv is [executable]; /bin/sh shows its $0."""
    launcher = Tpx.ProcessLauncher.new()
    transport = launcher.spawn(None, "/bin/sh", None)
    rec = Recorder(transport)
    transport.write(b'echo "$0|$#"\n')
    transport.close_stdin()
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "/bin/sh|0\n"
    assert rec.text(2) == ""


def test_argv_empty():
    """An empty argv through the plain GI call is [executable], never argc
    0 (CVE-2021-4034); the helper without a mode prints argc and argv[0]
    on stderr."""
    expected = ("usage: tpx-test-child MODE [ARGS...] (argc 1, argv[0] %s)\n"
                % helper_path())
    launcher = Tpx.ProcessLauncher.new()
    rec = Recorder(Tpx.ProcessLauncher.spawn(launcher, None, helper_path(),
                                             []))
    rec.wait()
    rec.assert_exit_code(1)
    assert rec.text(2) == expected

    # The override's Twisted signature, args=() by default.
    rec = Recorder(Tpx.spawn_process(None, helper_path()))
    rec.wait()
    assert rec.text(2) == expected


def test_argv_zero_differs():
    rec = run_argv(["not-the-executable", "argv", "two words", "", "last"])
    rec.assert_exit_code(0)
    assert rec.text(1) == "not-the-executable\nargv\ntwo words\n\nlast\n"


def test_argv_zero_is_executable():
    # No shell: $HOME and * reach the child as they are.
    rec = run_argv(helper_argv("argv", "$HOME", "*"))
    rec.assert_exit_code(0)
    assert rec.text(1) == "%s\nargv\n$HOME\n*\n" % helper_path()


def test_path_child_env():
    """A bare name is looked up in the PATH of the child's environment."""
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("PATH", "/nonexistent-tpx-dir:" +
                    os.path.dirname(helper_path()), True)
    rec = Recorder(launcher.spawn(None, "tpx-test-child",
                                  ["tpx-test-child", "write-out", "found"]))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "found"


def test_path_not_parent():
    """The child's PATH wins even if it lacks a program the parent finds."""
    assert GLib.find_program_in_path("true") is not None
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("PATH", os.path.dirname(helper_path()), True)
    n_fds = count_fds()
    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, "true", None)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    assert "true" in info.value.message
    assert count_fds() == n_fds
    assert_no_children()


def test_path_default():
    """Without PATH in the child's environment: /bin:/usr/bin."""
    launcher = Tpx.ProcessLauncher.new()
    assert launcher.getenv("PATH") is None
    rec = Recorder(launcher.spawn(None, "echo", ["echo", "default path"]))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "default path\n"

    # The helper's directory is in no default PATH.
    n_fds = count_fds()
    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, "tpx-test-child", ["tpx-test-child", "exit", "0"])
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    assert "tpx-test-child" in info.value.message
    assert count_fds() == n_fds
    assert_no_children()


def assert_path_search_fails(search, name, code):
    """Spawning @name with PATH @search fails with @code, and the message
    names @name as written, not a path that was tried."""
    warm_up()
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("PATH", search, True)
    n_fds = count_fds()
    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, name, None)
    assert_error(info.value, *io_error(code))
    assert ("execute %s:" % name) in info.value.message, info.value.message
    assert ("/" + name) not in info.value.message, info.value.message
    assert count_fds() == n_fds
    assert_no_children()


def run_path_search(search, cwd=None):
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("PATH", search, True)
    launcher.set_cwd(cwd)
    rec = Recorder(launcher.spawn(None, "tpx-test-child",
                                  ["tpx-test-child", "write-out", "found"]))
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.text(1) == "found"


def test_path_not_found_last_entry_file():
    """Found nowhere is NOT_FOUND even when the last PATH entry is a plain
    file (ENOTDIR there): the last entry's errno does not win."""
    assert_path_search_fails("/nonexistent-tpx-dir:" + helper_path(),
                             "tpx-no-such-program", Gio.IOErrorEnum.NOT_FOUND)


def test_path_permission_denied(tmp_path):
    """An entry that refused the program makes a failed search
    PERMISSION_DENIED; a later entry that has it still runs it."""
    refused = tmp_path / "tpx-test-child"
    refused.write_text("#!/bin/sh\nexit 3\n")
    refused.chmod(0o644)
    assert_path_search_fails("%s:/nonexistent-tpx-dir" % tmp_path,
                             "tpx-test-child",
                             Gio.IOErrorEnum.PERMISSION_DENIED)
    run_path_search("%s:%s" % (tmp_path, os.path.dirname(helper_path())))


def test_path_long_entry():
    """An entry too long to join with the name is skipped, as by execvp(),
    not a fatal ENAMETOOLONG."""
    long_entry = "/" + "x" * os.pathconf("/", "PC_PATH_MAX")
    run_path_search(long_entry + ":" + os.path.dirname(helper_path()))
    assert_path_search_fails(long_entry, "tpx-test-child",
                             Gio.IOErrorEnum.NOT_FOUND)


def test_path_empty_entry():
    """An empty PATH is one empty entry: the working directory."""
    run_path_search("", cwd=os.path.dirname(helper_path()))
    run_path_search("/nonexistent-tpx-dir::/bin",
                    cwd=os.path.dirname(helper_path()))


def test_path_slash_is_literal():
    """A slash in the name means no lookup at all, even with PATH set."""
    launcher = Tpx.ProcessLauncher.new()
    launcher.setenv("PATH", "/bin:/usr/bin", True)
    with pytest.raises(GLib.Error) as info:
        launcher.spawn(None, "nonexistent-tpx-dir/true", None)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.NOT_FOUND))
    assert_no_children()
