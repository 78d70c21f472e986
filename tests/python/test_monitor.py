# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.ProcessMonitor from Python: Twisted's procmon names (addProcess,
removeProcess, startProcess, stopProcess, restartAll, startService,
stopService, the attributes in seconds), the signals in order, the
restart back-off, stopping a child that ignores SIGTERM (the parity of
tests/test-process-monitor.c)."""

import signal
import time

import pytest

from tpxtest import (GLib, Gio, Tpx, assert_error, assert_no_children, helper_argv,
                     io_error, run_until)


class Events:
    """Records what a monitor emits, with the time of each event."""

    def __init__(self, monitor):
        self.monitor = monitor
        self.events = []
        self.started_at = []
        self.ended_at = []
        self.statuses = []
        monitor.connect("process-started", self._started_cb)
        monitor.connect("process-ended", self._ended_cb)
        monitor.connect("line-received", self._line_cb)

    def _started_cb(self, monitor, name, transport):
        assert monitor.get_transport(name) is transport
        self.events.append("started:%s" % name)
        self.started_at.append(time.monotonic())

    def _ended_cb(self, monitor, name, status):
        self.events.append("ended:%s:%s" % (name, status.signal or status.exitCode))
        self.ended_at.append(time.monotonic())
        self.statuses.append(status)

    def _line_cb(self, monitor, name, child_fd, line):
        self.events.append("line:%s:%d:%s" % (name, child_fd, line))

    def count(self, prefix):
        return sum(1 for event in self.events if event.startswith(prefix))

    def wait(self, prefix, n, timeout=20):
        run_until(lambda: self.count(prefix) >= n, timeout=timeout,
                  what="%d %s events" % (n, prefix))

    def finish(self):
        """Stops the monitor and waits until every child has ended."""
        self.monitor.stopService()
        self.wait("ended", self.count("started"))
        assert_no_children()


@pytest.fixture
def monitor():
    monitor = Tpx.ProcessMonitor()
    events = Events(monitor)
    yield monitor, events
    events.finish()


def run_for(seconds):
    done = []
    GLib.timeout_add(int(seconds * 1000), lambda: done.append(True))
    run_until(lambda: done, timeout=seconds + 20)


def test_twisted_defaults_in_seconds():
    monitor = Tpx.ProcessMonitor()
    assert monitor.threshold == 1
    assert monitor.killTime == 5
    assert monitor.minRestartDelay == 1
    assert monitor.maxRestartDelay == 3600
    assert monitor.running is False
    assert monitor.props.threshold == 1000
    monitor.threshold = 0.25
    monitor.killTime = 2
    assert monitor.props.threshold == 250
    assert monitor.get_kill_time() == 2000
    with pytest.raises(ValueError):
        monitor.minRestartDelay = -1
    with pytest.raises(TypeError):
        monitor.maxRestartDelay = "1"


def test_made_by_new():
    monitor = Tpx.ProcessMonitor.new()
    monitor.addProcess("one", ["/bin/true"])
    assert monitor.processes == {"one": (["/bin/true"], None, None, {}, None)}
    monitor.removeProcess("one")
    assert monitor.processes == {}


def test_names_and_key_errors(monitor):
    monitor, events = monitor
    monitor.addProcess("one", ["/bin/true"])
    monitor.addProcess("two", ["/bin/true", "ignored"], env={"A": "1"},
                       cwd="/")
    with pytest.raises(KeyError):
        monitor.addProcess("one", ["/bin/false"])
    assert monitor.dup_names() == ["one", "two"]
    assert monitor.processes == {
        "one": (["/bin/true"], None, None, {}, None),
        "two": (["/bin/true", "ignored"], None, None, {"A": "1"}, "/"),
    }
    for method in (monitor.removeProcess, monitor.startProcess,
                   monitor.stopProcess):
        with pytest.raises(KeyError):
            method("nobody")

    # The introspected call reports a taken name as G_IO_ERROR_EXISTS.
    with pytest.raises(GLib.Error) as info:
        monitor.add_process("two", None, "/bin/true", None)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.EXISTS))

    monitor.removeProcess("one")
    assert monitor.dup_names() == ["two"]
    assert "one" not in monitor.processes
    # Stopped: startProcess starts nothing.
    monitor.startProcess("two")
    assert monitor.get_transport("two") is None
    assert events.events == []


def test_signals_in_order(monitor):
    monitor, events = monitor
    monitor.addProcess("sleeper", helper_argv("sleep-forever"))
    monitor.startService()
    assert monitor.running
    assert events.events == ["started:sleeper"]
    events.wait("line", 1)
    monitor.stopService()
    assert not monitor.running
    events.wait("ended", 1)
    assert events.events == ["started:sleeper", "line:sleeper:1:ready",
                             "ended:sleeper:%d" % signal.SIGTERM]
    run_for(0.3)
    assert events.count("started") == 1


def test_backoff(monitor):
    monitor, events = monitor
    monitor.minRestartDelay = 0.1
    monitor.maxRestartDelay = 0.4
    monitor.addProcess("crasher", helper_argv("exit", "3"))
    monitor.startService()
    events.wait("started", 5)
    monitor.stopService()
    waits = [start - end for end, start in
             zip(events.ended_at, events.started_at[1:])]
    for waited, expected in zip(waits, (0.1, 0.2, 0.4, 0.4)):
        assert waited >= expected - 0.001, waits
        assert waited < expected + 2, waits
    assert events.statuses[0].exitCode == 3


def test_stop_process_restarts_at_once(monitor):
    monitor, events = monitor
    monitor.minRestartDelay = 60
    monitor.addProcess("a", helper_argv("sleep-forever"))
    monitor.startService()
    events.wait("line", 1)
    monitor.stopProcess("a")
    events.wait("line", 2)
    assert events.events[:5] == ["started:a", "line:a:1:ready",
                                 "ended:a:%d" % signal.SIGTERM, "started:a",
                                 "line:a:1:ready"]
    monitor.restartAll()
    events.wait("line", 3)
    assert events.count("started") == 3


def test_start_process_cuts_the_delay_short(monitor):
    monitor, events = monitor
    monitor.minRestartDelay = 60
    monitor.addProcess("crasher", helper_argv("exit", "1"))
    monitor.startService()
    events.wait("ended", 1)
    assert monitor.get_transport("crasher") is None
    monitor.startProcess("crasher")
    assert events.count("started") == 2
    events.wait("ended", 2)


def test_stop_child_ignoring_term(monitor):
    monitor, events = monitor
    monitor.killTime = 0.3
    monitor.addProcess("stubborn", helper_argv("ignore-term"))
    monitor.startService()
    events.wait("line", 1)
    stopped = time.monotonic()
    monitor.stopService()
    events.wait("ended", 1)
    assert events.statuses[0].signal == signal.SIGKILL
    assert events.ended_at[0] - stopped >= 0.3


def test_remove_during_delay(monitor):
    monitor, events = monitor
    monitor.minRestartDelay = 0.2
    monitor.addProcess("crasher", helper_argv("exit", "1"))
    monitor.startService()
    events.wait("ended", 1)
    monitor.removeProcess("crasher")
    run_for(0.6)
    assert events.count("started") == 1
    assert monitor.dup_names() == []


def test_add_while_running_with_env(monitor):
    monitor, events = monitor
    monitor.minRestartDelay = 60
    monitor.startService()
    monitor.addProcess("env", helper_argv("env"), env={"TPX_NAME": "value"})
    assert events.count("started") == 1
    events.wait("ended", 1)
    assert "line:env:1:TPX_NAME=value" in events.events


def test_dropping_the_monitor_stops_its_children():
    monitor = Tpx.ProcessMonitor()
    transports = []
    ended = []
    monitor.connect("process-started",
                    lambda m, name, transport: transports.append(transport))
    monitor.addProcess("sleeper", helper_argv("sleep-forever"))
    monitor.startService()
    transport = transports.pop()
    transport.connect("process-ended", lambda t, status: ended.append(status))
    del monitor
    run_until(lambda: ended, what="the child to end")
    assert ended[0].signal == signal.SIGTERM
    assert_no_children()
