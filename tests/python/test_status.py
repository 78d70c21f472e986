# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessStatus from Python: exit codes, signals, the raw wait status,
check() and its GLib.Error, rusage (the parity of
tests/test-process-status.c)."""

import os
import signal

from tpxtest import (GLib, Tpx, Recorder, assert_error, assert_no_children,
                     helper_path, process_error, run_helper, run_until,
                     spawn_helper)

import pytest


def run_to_status(mode, *args):
    rec = run_helper(mode, *args)
    # One status, told twice (process-exited and process-ended) and kept by
    # the transport.
    assert rec.exited
    assert rec.n_ended == 1
    assert isinstance(rec.exit_status, Tpx.ProcessStatus)
    assert isinstance(rec.end_status, Tpx.ProcessStatus)
    assert rec.exit_status.get_raw_status() == rec.end_status.get_raw_status()
    kept = rec.transport.get_status()
    assert isinstance(kept, Tpx.ProcessStatus)
    assert kept.get_raw_status() == rec.end_status.get_raw_status()
    return rec


def assert_terminated(status, text):
    with pytest.raises(GLib.Error) as info:
        status.check()
    assert_error(info.value, *process_error(Tpx.ProcessError.TERMINATED))
    assert text in info.value.message, info.value.message


def assert_rusage_sane(status):
    assert status.get_user_time_us() >= 0
    assert status.get_system_time_us() >= 0
    assert status.get_max_rss_kb() >= 0


def test_exit_success():
    status = run_to_status("exit", "0").end_status
    assert status.get_exit_code() == 0
    assert status.get_signal() == 0
    assert status.is_success()
    assert not status.get_core_dumped()
    raw = status.get_raw_status()
    assert os.WIFEXITED(raw)
    assert os.WEXITSTATUS(raw) == 0
    assert status.check()
    # The properties say the same.
    assert status.props.exit_code == 0
    assert status.props.signal == 0
    assert status.props.raw_status == raw


def test_exit_code():
    status = run_to_status("exit", "3").end_status
    assert status.get_exit_code() == 3
    assert status.get_signal() == 0
    assert not status.is_success()
    assert not status.get_core_dumped()
    raw = status.get_raw_status()
    assert os.WIFEXITED(raw)
    assert os.WEXITSTATUS(raw) == 3
    assert_terminated(status, "exited with code 3")


def test_exit_code_extremes():
    status = run_to_status("exit", "1").end_status
    assert status.get_exit_code() == 1
    assert not status.is_success()

    status = run_to_status("exit", "255").end_status
    assert status.get_exit_code() == 255
    assert status.get_signal() == 0
    assert_terminated(status, "exited with code 255")


def test_signal_kill():
    status = run_to_status("kill-self", "9").end_status
    assert status.get_exit_code() == -1
    assert status.get_signal() == signal.SIGKILL
    assert not status.is_success()
    assert not status.get_core_dumped()
    raw = status.get_raw_status()
    assert os.WIFSIGNALED(raw)
    assert os.WTERMSIG(raw) == signal.SIGKILL
    assert_terminated(status, "killed by signal 9")


def test_signal_term():
    status = run_to_status("kill-self", "15").end_status
    assert status.get_exit_code() == -1
    assert status.get_signal() == signal.SIGTERM
    assert_terminated(status, "killed by signal 15")


def test_signal_from_parent():
    transport = spawn_helper("wait-stdin")
    rec = Recorder(transport)
    assert transport.get_status() is None
    assert transport.send_signal(signal.SIGKILL)
    rec.wait()
    status = rec.end_status
    assert status.get_signal() == signal.SIGKILL
    assert status.get_exit_code() == -1
    assert not status.is_success()
    assert os.WIFSIGNALED(status.get_raw_status())


def test_signal_abort():
    status = run_to_status("abort").end_status
    # The core flag depends on the system's core settings: not asserted.
    assert status.get_signal() == signal.SIGABRT
    assert status.get_exit_code() == -1
    assert not status.is_success()
    assert_terminated(status, "killed by signal 6")


def test_rusage():
    quick = run_to_status("exit", "0")
    killed = run_to_status("kill-self", "9")
    busy = run_to_status("big", "4000000")
    for rec in (quick, killed, busy):
        assert_rusage_sane(rec.end_status)
    assert len(busy.bytes(1)) == 4000000
    # Every process that ran has touched some memory.
    assert quick.end_status.get_max_rss_kb() > 0
    assert busy.end_status.get_max_rss_kb() > 0


def test_error_quark():
    assert GLib.quark_to_string(Tpx.process_error_quark()) == \
        "tpx-process-error-quark"
    assert Tpx.process_error_quark() == Tpx.process_error_quark()
    # The codes come through the enum, as bindings see them.
    assert int(Tpx.ProcessError.FAILED) == 0
    assert int(Tpx.ProcessError.EXITED_ALREADY) == 1
    assert int(Tpx.ProcessError.TERMINATED) == 2
    assert int(Tpx.ProcessError.UNEXPECTED_STDERR) == 3


# Lost statuses (DESIGN §4a): the kernel discarded the status, or other
# code reaped the child first.

def assert_lost(rec):
    __tracebackhide__ = True
    assert rec.count("exited") == 1, rec.trace()
    assert rec.count("ended") == 1, rec.trace()
    assert rec.n_ended == 1
    assert rec.events[-1] == "ended", rec.trace()
    assert rec.exit_status is rec.end_status
    status = rec.end_status
    assert status.get_lost()
    assert status.props.lost
    assert status.get_exit_code() == -1
    assert status.props.exit_code == -1
    assert status.get_signal() == 0
    assert status.get_raw_status() == -1
    assert not status.is_success()
    assert not status.get_core_dumped()
    assert status.get_user_time_us() == 0
    assert status.get_max_rss_kb() == 0
    assert_terminated(status, "unknown status")
    # The override's Twisted fields say "unknown", not a made-up code.
    assert status.exitCode is None
    assert status.signal is None


@pytest.fixture
def sigchld_ignored():
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGCHLD, old)


def test_lost_sigchld_ignored(sigchld_ignored):
    rec = run_helper("exit", "3")
    assert_lost(rec)
    assert_no_children()


def test_lost_foreign_waitpid():
    transport = spawn_helper("exit", "3")
    rec = Recorder(transport)
    # tpx reaps only from the main loop, which has not run yet.
    pid, wait_status = os.waitpid(transport.get_pid(), 0)
    assert pid == transport.get_pid()
    assert os.waitstatus_to_exitcode(wait_status) == 3
    rec.wait()
    assert_lost(rec)
    assert transport.get_status() is rec.end_status
    assert_no_children()


def test_lost_value(sigchld_ignored):
    """get_process_value fails with TERMINATED rather than give -1."""
    results = []

    def ready_cb(source, result):
        try:
            results.append(Tpx.get_process_value_finish(result))
        except GLib.Error as error:
            results.append(error)

    Tpx.get_process_value_async(helper_path(), ["exit", "3"], None, None,
                                ready_cb)
    run_until(lambda: results, what="the value")
    assert_error(results[0], *process_error(Tpx.ProcessError.TERMINATED))
    assert_no_children()
