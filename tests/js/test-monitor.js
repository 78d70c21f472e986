// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.ProcessMonitor from gjs: names, the signals in order, the restart
// back-off (small delays set through the properties), restart, stopping a
// child that ignores SIGTERM, removing during a restart delay (the parity
// of tests/test-process-monitor.c), as TAP.

import {
    GLib, Gio, Tpx, assert, assertArrayEqual, assertEqual, assertThrowsError,
    helperArgv, runTests, runUntil, waitNoChildren,
} from './tpxtest.js';

const SIGKILL = 9;
const SIGTERM = 15;

// Records what a monitor emits, with the time of each event (ms).
class Events {
    constructor(monitor) {
        this.monitor = monitor;
        this.events = [];
        this.startedAt = [];
        this.endedAt = [];
        this.statuses = [];
        monitor.connect('process-started', (m, name, transport) => {
            assert(m.get_transport(name) === transport, 'get_transport() in process-started');
            this.events.push(`started:${name}`);
            this.startedAt.push(GLib.get_monotonic_time() / 1000);
        });
        monitor.connect('process-ended', (m, name, status) => {
            const how = status.get_signal() ? `signal ${status.get_signal()}` : `exit ${status.get_exit_code()}`;
            this.events.push(`ended:${name}:${how}`);
            this.endedAt.push(GLib.get_monotonic_time() / 1000);
            this.statuses.push(status);
        });
        monitor.connect('line-received', (m, name, fd, line) => {
            this.events.push(`line:${name}:${fd}:${line}`);
        });
    }

    count(prefix) {
        return this.events.filter(e => e.startsWith(prefix)).length;
    }

    wait(prefix, n) {
        runUntil(() => this.count(prefix) >= n, {timeoutMs: 20000, what: `${n} ${prefix} events`});
    }

    finish() {
        this.monitor.stop();
        this.wait('ended', this.count('started'));
        waitNoChildren();
    }
}

function runFor(ms) {
    let done = false;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        done = true;
        return GLib.SOURCE_REMOVE;
    });
    runUntil(() => done, {timeoutMs: ms + 20000});
}

function add(monitor, name, mode, ...args) {
    const argv = helperArgv(mode, ...args);
    monitor.add_process(name, null, argv[0], argv);
}

function testNames() {
    const monitor = Tpx.ProcessMonitor.new();
    assertEqual(monitor.threshold, 1000, 'threshold');
    assertEqual(monitor.min_restart_delay, 1000, 'min-restart-delay');
    assertEqual(monitor.max_restart_delay, 3600000, 'max-restart-delay');
    assertEqual(monitor.kill_time, 5000, 'kill-time');
    assertEqual(monitor.running, false, 'running');
    add(monitor, 'one', 'exit', '0');
    add(monitor, 'two', 'exit', '0');
    assertThrowsError(() => add(monitor, 'one', 'exit', '1'), Gio.IOErrorEnum, Gio.IOErrorEnum.EXISTS,
        'adding a taken name');
    assertArrayEqual(monitor.dup_names(), ['one', 'two'], 'names');
    monitor.remove_process('one');
    assertArrayEqual(monitor.dup_names(), ['two'], 'names after remove');
    assertEqual(monitor.get_transport('two'), null, 'no child while stopped');
}

function testSignalsInOrder() {
    const monitor = Tpx.ProcessMonitor.new();
    const events = new Events(monitor);
    add(monitor, 'sleeper', 'sleep-forever');
    monitor.start();
    assertEqual(monitor.running, true, 'running');
    events.wait('line', 1);
    monitor.stop();
    events.wait('ended', 1);
    assertArrayEqual(events.events, ['started:sleeper', 'line:sleeper:1:ready',
        `ended:sleeper:signal ${SIGTERM}`], 'events');
    runFor(300);
    assertEqual(events.count('started'), 1, 'nothing started again');
    events.finish();
}

function testBackoff() {
    const monitor = new Tpx.ProcessMonitor({min_restart_delay: 100, max_restart_delay: 400});
    const events = new Events(monitor);
    add(monitor, 'crasher', 'exit', '3');
    monitor.start();
    events.wait('started', 5);
    monitor.stop();
    [100, 200, 400, 400].forEach((expected, i) => {
        const waited = events.startedAt[i + 1] - events.endedAt[i];
        assert(waited >= expected - 1 && waited < expected + 2000,
            `restart ${i + 1} after ${waited} ms, expected ${expected}`);
    });
    assertEqual(events.statuses[0].get_exit_code(), 3, 'exit code');
    events.finish();
}

function testRestart() {
    const monitor = new Tpx.ProcessMonitor({min_restart_delay: 60000});
    const events = new Events(monitor);
    add(monitor, 'a', 'sleep-forever');
    monitor.start();
    events.wait('line', 1);
    monitor.restart('a');
    events.wait('line', 2);
    assertArrayEqual(events.events, ['started:a', 'line:a:1:ready', `ended:a:signal ${SIGTERM}`,
        'started:a', 'line:a:1:ready'], 'events');
    monitor.restart_all();
    events.wait('line', 3);
    events.finish();
}

function testStopIgnoringTerm() {
    const monitor = new Tpx.ProcessMonitor({kill_time: 300});
    const events = new Events(monitor);
    add(monitor, 'stubborn', 'ignore-term');
    monitor.start();
    events.wait('line', 1);
    const stopped = GLib.get_monotonic_time() / 1000;
    monitor.stop();
    events.wait('ended', 1);
    assertEqual(events.statuses[0].get_signal(), SIGKILL, 'killed');
    assert(events.endedAt[0] - stopped >= 300, 'SIGKILL after kill-time');
    events.finish();
}

function testRemoveDuringDelay() {
    const monitor = new Tpx.ProcessMonitor({min_restart_delay: 200});
    const events = new Events(monitor);
    add(monitor, 'crasher', 'exit', '1');
    monitor.start();
    events.wait('ended', 1);
    monitor.remove_process('crasher');
    runFor(600);
    assertEqual(events.count('started'), 1, 'not started again');
    assertArrayEqual(monitor.dup_names(), [], 'names');
    events.finish();
}

runTests([
    ['names and properties', testNames],
    ['signals in order', testSignalsInOrder],
    ['the restart back-off', testBackoff],
    ['restart and restart_all', testRestart],
    ['stop a child that ignores SIGTERM', testStopIgnoringTerm],
    ['remove during a restart delay', testRemoveDuringDelay],
]);
