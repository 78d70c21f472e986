# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessStatus from Python: exit codes, signals, the raw wait status,
check() and its GLib.Error, rusage (the parity of
tests/test-process-status.c)."""

import os
import signal

from tpxtest import (GLib, Tpx, Recorder, assert_error, process_error,
                     run_helper, spawn_helper)

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
