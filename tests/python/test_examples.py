# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs each Python example of examples/ and checks what it prints: the same
as the C examples print (the parity of tests/test-examples.c)."""

import os
import subprocess
import sys

from tpxtest import example_dir

EXAMPLE_TIMEOUT = 20
MESSAGE = "a passphrase travels down fd 3 and comes back up fd 4\n"


def run_example(name, *args):
    """Runs examples/NAME.py to its end without standard input; asserts it
    exited 0 and returns its output and its error output."""
    path = os.path.join(example_dir(), name + ".py")
    assert os.path.isfile(path), path
    completed = subprocess.run([sys.executable, "-B", path, *args],
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=EXAMPLE_TIMEOUT, check=False)
    out = completed.stdout.decode()
    err = completed.stderr.decode()
    assert completed.returncode == 0, (out, err)
    return out, err


def test_example_wc():
    out, err = run_example("wc", "one two three\nfour five\n")
    assert out == "lines 2 words 5 chars 24\n"
    assert err == ""


def test_example_wc_default_text():
    # "tpx runs child processes\non the GLib main loop.\n"
    out, err = run_example("wc")
    assert out == "lines 2 words 9 chars 48\n"
    assert err == ""


def test_example_verbose():
    expected = [
        "connection made",
        "in connection lost",
        "out received: got: hello",
        "err received: something went wrong",
        "out connection lost",
        "err connection lost",
        "process exited: exit code 3",
        "process ended: exit code 3",
        "main loop done",
    ]
    out, err = run_example("verbose")
    assert err == ""
    assert out.endswith("\n")
    lines = out[:-1].split("\n")
    # The same lines, each once, in an order that timing may vary only
    # where it is allowed to.
    assert sorted(lines) == sorted(expected)
    assert lines[0] == "connection made"
    assert lines[-2] == "process ended: exit code 3"
    assert lines[-1] == "main loop done"
    assert lines.index("out received: got: hello") < \
        lines.index("out connection lost")
    assert lines.index("err received: something went wrong") < \
        lines.index("err connection lost")
    assert lines.index("process exited: exit code 3") < \
        lines.index("process ended: exit code 3")


def test_example_gpg_fds():
    out, err = run_example("gpg-fds")
    assert out == ("sent on fd 3: %s"
                   "read on fd 4: %s"
                   "read on fd 1: child: copied %d bytes from fd 3 to fd 4\n"
                   "round trip ok\n" % (MESSAGE, MESSAGE, len(MESSAGE)))
    assert err == ""


def test_example_quotes():
    # The example runs itself with --quote as the child that prints the
    # quotation: what it shows must be exactly that.
    quote, quote_err = run_example("quotes", "--quote")
    assert quote != ""
    out, err = run_example("quotes")
    assert out == quote
    assert err == ""


def test_example_trueandfalse():
    out, err = run_example("trueandfalse")
    assert out == "true exited with 0\nfalse exited with 1\n"
    assert err == ""


LISTING = ("file 5 a.txt\n"
           "link 5 link\n"
           "dir - sub\n"
           "file 0 with space\n"
           "4 entries, 5 bytes in files\n")


def test_example_lsl(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"hello")
    (tmp_path / "with space").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to("a.txt")
    out, err = run_example("lsl", str(tmp_path))
    assert out == LISTING
    assert err == ""


def test_example_keepalive():
    out, err = run_example("keepalive")
    assert err == ""
    lines = out.splitlines()
    # The two children's lines interleave as timing has it; each one's own
    # lines come in order.
    assert [line for line in lines if "ticker" in line] == [
        "started ticker", "ticker: up", "ended ticker: killed by signal 15"]
    assert [line for line in lines if "crasher" in line] == [
        "started crasher", "crasher: starting",
        "ended crasher: exit code 3"] * 3 + [
        "crasher crashed 3 times: stopping"]
    assert lines[-1] == "ended ticker: killed by signal 15"


BUILD_TIMEOUT_OUTPUT = (
    "build: 2 compilers and a linker, for 60 s\n"
    "time limit of 1000 ms reached, 7 processes in the build's tree: "
    "stopping it\n"
    "the build ended: killed by signal 15\n"
    "processes left in its tree: 0\n")


def test_example_build_timeout():
    # The pretend build never ends in time: its whole tree is stopped (the
    # linker, which ignores SIGTERM, after the stop timeout), in a cgroup
    # where the system allows one, else in a process group.
    out, err = run_example("build-timeout")
    assert err == ""
    first, rest = out.split("\n", 1)
    assert first in ("kill mode: cgroup", "kill mode: process-group"), out
    assert rest == BUILD_TIMEOUT_OUTPUT


PTY_STDERR_COMMAND = ("if [ -t 1 ]; then printf '\\033[1mbold\\033[0m\\n'; "
                      "else echo plain; fi; echo oops >&2; exit 3")


def test_example_pty_stderr():
    # The child's fds 0 and 1 on a terminal, its stderr apart.
    out, err = run_example("pty-stderr")
    assert out == ("terminal: fd 0: a terminal\n"
                   "terminal: fd 1: a terminal\n"
                   "terminal: fd 2: not a terminal\n"
                   "stderr: this line went to stderr\n"
                   "exit code 0\n")
    assert err == ""


def test_example_pty_stderr_command():
    # A program given on the command line: it colours its output only on a
    # terminal, as ls --color=auto does.
    out, err = run_example("pty-stderr", "/bin/sh", "-c", PTY_STDERR_COMMAND)
    assert out == ("terminal: \033[1mbold\033[0m\n"
                   "stderr: oops\n"
                   "exit code 3\n")
    assert err == ""
