// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Lifetime control from gjs (the parity of tests/test-lifetime.c): the
// launcher's kill mode, stop signal and timeout, run-time limit, drain
// timeout and die_with_parent; stop(), signal_tree(), timed-out,
// n_tree_processes; wait_async() through Gio._promisify; the output
// helpers under a timeout. Reported as TAP.
//
// gjs cannot make itself a child subreaper: the orphans of a tree go to
// init, so a test checks that each one is gone (or a zombie), not which
// signal ended it. Timing is only asserted one way ("not before"). The
// CGROUP tests need a writable cgroup v2 and say why they skip without one.

import {
    GLib, Gio, Tpx, Recorder, Skip, assert, assertEqual, assertError, assertNoChildren,
    assertThrowsError, countFds, helperArgv, helperPath, kill, runTests, runUntil,
    text, warmUp,
} from './tpxtest.js';

Gio._promisify(Tpx.ProcessTransport.prototype, 'wait_async', 'wait_finish');
Gio._promisify(Tpx, 'get_process_output_and_value_async', 'get_process_output_and_value_finish');

const STOP_TIMEOUT_MS = 300;
const SIGHUP = 1, SIGKILL = 9, SIGUSR1 = 10, SIGTERM = 15;

// ------------------------------------------------------------------------
// Helpers

function launcher({killMode = null, stopSignal = null, stopTimeoutMs = null, timeoutMs = null,
    drainTimeoutMs = null} = {}) {
    const l = Tpx.ProcessLauncher.new();
    if (killMode !== null)
        l.set_kill_mode(killMode);
    if (stopSignal !== null)
        l.set_stop_signal(stopSignal);
    if (stopTimeoutMs !== null)
        l.set_stop_timeout(stopTimeoutMs);
    if (timeoutMs !== null)
        l.set_timeout(timeoutMs);
    if (drainTimeoutMs !== null)
        l.set_drain_timeout(drainTimeoutMs);
    return l;
}

function record(l, mode, ...args) {
    const argv = helperArgv(mode, ...args);
    return new Recorder(l.spawn(null, argv[0], argv));
}

function recordReady(l, mode) {
    const rec = record(l, mode);
    rec.waitForText(1, 'ready\n');
    assertEqual(rec.text(1), 'ready\n');
    return rec;
}

function now() {
    return GLib.get_monotonic_time() / 1000;
}

function waitExited(rec) {
    runUntil(() => rec.exited, {timeoutMs: 30000, what: 'process-exited'});
}

function procState(pid) {
    try {
        const [, contents] = GLib.file_get_contents(`/proc/${pid}/stat`);
        const stat = text(contents);
        return stat[stat.lastIndexOf(')') + 2];
    } catch (e) {
        return null;
    }
}

function isDead(pid) {
    const state = procState(pid);
    return state === null || state === 'Z' || state === 'X';
}

function waitDead(pid) {
    runUntil(() => isDead(pid), {poll: true, timeoutMs: 30000, what: `process ${pid} to end`});
}

// Alive, and not about to die of SIGKILL.
function assertAlive(pid) {
    assert(!isDead(pid), `process ${pid} is alive`);
    const [, contents] = GLib.file_get_contents(`/proc/${pid}/status`);
    for (const line of text(contents).split('\n')) {
        if (line.startsWith('SigPnd:') || line.startsWith('ShdPnd:')) {
            const mask = BigInt(`0x${line.split(/\s+/)[1]}`);
            assert((mask & (1n << BigInt(SIGKILL - 1))) === 0n, `no SIGKILL pending for ${pid}`);
        }
    }
}

// Settles @promise by iterating the main context; returns its value or
// throws its error.
function settle(promise, what = 'the promise') {
    let state = null;
    let value;
    promise.then(v => {
        state = 'resolved';
        value = v;
    }, e => {
        state = 'rejected';
        value = e;
    });
    runUntil(() => state !== null, {timeoutMs: 30000, what});
    if (state === 'rejected')
        throw value;
    return value;
}

// ------------------------------------------------------------------------
// cgroup v2

function cgroup2Mount() {
    const [, contents] = GLib.file_get_contents('/proc/self/mountinfo');
    for (const line of text(contents).split('\n')) {
        const fields = line.split(' ');
        if (!line.includes(' - cgroup2 ') || fields.length < 10)
            continue;
        if (fields[3] !== '/')
            return [null, `the cgroup2 mount ${fields[4]} has root ${fields[3]}`];
        return [fields[4].replaceAll('\\040', ' '), null];
    }
    return [null, 'no cgroup2 file system is mounted'];
}

function cgroupDirOf(pid = 'self') {
    const [, contents] = GLib.file_get_contents(`/proc/${pid}/cgroup`);
    const line = text(contents).split('\n').find(l => l.startsWith('0::'));
    if (line === undefined)
        return [null, 'this process is in no cgroup v2 (cgroup v1 only)'];
    const own = line.slice(3);
    const [mount, reason] = cgroup2Mount();
    if (mount === null)
        return [null, reason];
    return [own === '/' ? mount : mount + own, null];
}

// null when CGROUP mode can be tested here, else why not.
function noCgroupReason() {
    const [own, reason] = cgroupDirOf();
    if (own === null)
        return reason;
    const probe = Gio.File.new_for_path(`${own}/tpx-test-lifetime-js-probe-${new Date().getTime()}`);
    try {
        probe.make_directory(null);
    } catch (e) {
        return `no writable cgroup v2 here: mkdir ${probe.get_path()}: ${e.message}`;
    }
    probe.delete(null);
    return null;
}

// Runs @test unless there is no writable cgroup v2: then skips, saying why.
function withCgroup(test) {
    return () => {
        const reason = noCgroupReason();
        if (reason !== null)
            throw new Skip(`CGROUP mode not tested: ${reason}`);
        test();
    };
}

// ------------------------------------------------------------------------
// Trees: the helper's tree mode (child, middle, leaf, setsid daemon)

class Tree {
    constructor(l, ignoreTerm = false) {
        this.rec = record(l, 'tree', ...ignoreTerm ? ['ignore-term'] : []);
        this.transport = this.rec.transport;
        // Four "ROLE PID" lines and "ready".
        runUntil(() => this.rec.text(1).split('\n').length > 5 || this.rec.ended,
            {timeoutMs: 30000, what: 'the tree to say its pids'});
        assert(!this.rec.ended, `the tree runs (stderr: ${this.rec.text(2)})`);
        const pids = {};
        for (const line of this.rec.text(1).trim().split('\n')) {
            const [role, pid] = line.split(' ');
            if (pid !== undefined)
                pids[role] = Number(pid);
        }
        Object.assign(this, pids);
        assertEqual(this.child, this.transport.get_pid(), 'the child');
        this.cgroup = null;
    }

    checkCgroup() {
        const [own] = cgroupDirOf();
        [this.cgroup] = cgroupDirOf(this.child);
        assert(this.cgroup.startsWith(own), `${this.cgroup} is below ${own}`);
        assert(GLib.path_get_basename(this.cgroup).startsWith('tpx-'), this.cgroup);
        for (const pid of [this.middle, this.leaf, this.daemon])
            assertEqual(cgroupDirOf(pid)[0], this.cgroup, `the cgroup of ${pid}`);
    }

    waitCgroupRemoved() {
        runUntil(() => !GLib.file_test(this.cgroup, GLib.FileTest.EXISTS),
            {poll: true, timeoutMs: 30000, what: `${this.cgroup} to be removed`});
    }

    // Whatever a failed test left.
    killAll() {
        for (const pid of [this.middle, this.leaf, this.daemon]) {
            if (!isDead(pid))
                kill(pid, 'KILL');
        }
    }
}

function withTree(l, ignoreTerm, test) {
    const tree = new Tree(l, ignoreTerm);
    try {
        test(tree);
    } finally {
        tree.killAll();
        tree.rec.release();
    }
}

// ------------------------------------------------------------------------
// stop(), the timeout, the drain

function testDefaults() {
    const rec = recordReady(Tpx.ProcessLauncher.new(), 'sleep-forever');
    const t = rec.transport;
    assertEqual(t.get_timed_out(), false, 'timed out');
    assertEqual(t.timed_out, false, 'the timed-out property');
    assertEqual(t.get_n_tree_processes(), 1, 'tree processes');
    t.stop();
    rec.wait();
    rec.assertKilledBy(SIGTERM);
    assertEqual(t.get_n_tree_processes(), 0, 'tree processes at the end');
    assertThrowsError(() => t.signal_tree('TERM'), Tpx.ProcessError, Tpx.ProcessError.EXITED_ALREADY);
}

function testStopSignal() {
    const rec = recordReady(launcher({stopSignal: SIGHUP}), 'sleep-forever');
    rec.transport.stop();
    rec.wait();
    rec.assertKilledBy(SIGHUP);
}

function testStopEscalation() {
    const rec = recordReady(launcher({stopTimeoutMs: STOP_TIMEOUT_MS}), 'ignore-term');
    const start = now();
    rec.transport.stop();
    rec.transport.stop();
    rec.wait(30000);
    assert(now() - start >= STOP_TIMEOUT_MS, `SIGKILL not before ${STOP_TIMEOUT_MS} ms`);
    rec.assertKilledBy(SIGKILL);
    rec.transport.stop();
    assertEqual(rec.nEnded, 1, 'one end');
}

function testStopZeroTimeout() {
    const rec = recordReady(launcher({stopTimeoutMs: 0}), 'sleep-forever');
    rec.transport.stop();
    rec.wait();
    rec.assertKilledBy(SIGKILL);
}

function testTimeout() {
    const start = now();
    const rec = record(launcher({timeoutMs: 200}), 'sleep-forever');
    let notified = 0;
    rec.transport.connect('notify::timed-out', () => notified++);
    rec.wait(30000);
    assert(now() - start >= 200, 'not before the timeout');
    assert(rec.transport.get_timed_out(), 'timed out');
    assert(rec.transport.timed_out, 'the timed-out property');
    assertEqual(notified, 1, 'notify::timed-out');
    rec.assertKilledBy(SIGTERM);
}

function testTimeoutEscalation() {
    const start = now();
    const rec = record(launcher({timeoutMs: 100, stopTimeoutMs: STOP_TIMEOUT_MS}), 'ignore-term');
    rec.wait(30000);
    assert(now() - start >= 100 + STOP_TIMEOUT_MS, 'not before the timeout and the stop timeout');
    assert(rec.transport.get_timed_out(), 'timed out');
    rec.assertKilledBy(SIGKILL);
}

function testDrainTimeout() {
    const rec = record(launcher({drainTimeoutMs: 200}), 'grandchild');
    waitExited(rec);
    const exitedAt = now();
    rec.wait();
    assert(now() - exitedAt >= 200 - 20, 'not before the drain timeout (the reap came first)');
    rec.assertExitCode(0);
    assertEqual(rec.events[rec.events.length - 1], 'ended', 'ended last');
    for (const fd of [0, 1, 2])
        assertEqual(rec.count(`lost:${fd}`), 1, `lost:${fd} in ${rec.trace()}`);
}

function testDrainZero() {
    const l = launcher({drainTimeoutMs: 0});
    const rec = new Recorder(l.spawn(null, '/bin/sh',
        ['sh', '-c', 'printf early; exec "$0" grandchild', helperPath()]));
    rec.wait();
    rec.assertExitCode(0);
    assert(rec.text(1).startsWith('early'), `read before the close: ${rec.text(1)}`);
}

// ------------------------------------------------------------------------
// Trees

function testTreeProcessGroup() {
    withTree(launcher({killMode: Tpx.KillMode.PROCESS_GROUP}), false, tree => {
        assertEqual(tree.transport.get_n_tree_processes(), 3, 'child, middle and leaf');
        tree.transport.stop();
        tree.rec.wait();
        tree.rec.assertKilledBy(SIGTERM);
        waitDead(tree.middle);
        waitDead(tree.leaf);
        // As expected, the group does not reach a daemon.
        assertAlive(tree.daemon);
    });
}

function testTreeCgroup() {
    withTree(launcher({killMode: Tpx.KillMode.CGROUP}), false, tree => {
        tree.checkCgroup();
        assertEqual(tree.transport.get_n_tree_processes(), 4, 'the whole tree');
        tree.transport.stop();
        tree.rec.wait();
        tree.rec.assertKilledBy(SIGTERM);
        for (const pid of [tree.middle, tree.leaf, tree.daemon])
            waitDead(pid);
        tree.waitCgroupRemoved();
        assertEqual(tree.transport.get_n_tree_processes(), 0, 'nothing left');
        assertThrowsError(() => tree.transport.signal_tree('TERM'), Tpx.ProcessError,
            Tpx.ProcessError.EXITED_ALREADY);
    });
}

function treeEscalation(mode) {
    withTree(launcher({killMode: mode, stopTimeoutMs: STOP_TIMEOUT_MS}), true, tree => {
        if (mode === Tpx.KillMode.CGROUP)
            tree.checkCgroup();
        const start = now();
        tree.transport.stop();
        tree.rec.wait(30000);
        assert(now() - start >= STOP_TIMEOUT_MS, 'SIGKILL not before the stop timeout');
        tree.rec.assertKilledBy(SIGKILL);
        waitDead(tree.middle);
        waitDead(tree.leaf);
        if (mode === Tpx.KillMode.CGROUP) {
            waitDead(tree.daemon);
            tree.waitCgroupRemoved();
        } else {
            assertAlive(tree.daemon);
        }
    });
}

function signalTreeAfterReap(mode) {
    withTree(launcher({killMode: mode}), false, tree => {
        if (mode === Tpx.KillMode.CGROUP)
            tree.checkCgroup();
        tree.transport.signal_process('KILL');
        waitExited(tree.rec);
        assert(!tree.rec.ended, 'the rest of the tree holds the pipes');
        assertEqual(tree.transport.get_n_tree_processes(), mode === Tpx.KillMode.CGROUP ? 3 : 2,
            'what is left');
        tree.transport.signal_tree('USR1');
        tree.rec.wait();
        waitDead(tree.middle);
        waitDead(tree.leaf);
        if (mode === Tpx.KillMode.CGROUP) {
            waitDead(tree.daemon);
            tree.waitCgroupRemoved();
        } else {
            kill(tree.daemon, 'KILL');
            waitDead(tree.daemon);
        }
        runUntil(() => tree.transport.get_n_tree_processes() === 0,
            {poll: true, what: 'the tree to be empty'});
        assertThrowsError(() => tree.transport.signal_tree('USR1'), Tpx.ProcessError,
            Tpx.ProcessError.EXITED_ALREADY);
    });
}

function testSignalTreeProcess() {
    const rec = recordReady(Tpx.ProcessLauncher.new(), 'sleep-forever');
    assertThrowsError(() => rec.transport.signal_tree('NOSUCHSIGNAL'), Gio.IOErrorEnum,
        Gio.IOErrorEnum.INVALID_ARGUMENT);
    assert(rec.transport.signal_tree('0'), 'signal 0');
    assert(rec.transport.signal_tree('USR1'), 'USR1');
    rec.wait();
    rec.assertKilledBy(SIGUSR1);
}

function testCgroupNotSupported() {
    warmUp();
    const nFds = countFds();
    for (const parent of ['/tmp', '/nonexistent/tpx-no-such-cgroup']) {
        const l = launcher({killMode: Tpx.KillMode.CGROUP});
        l.set_cgroup_parent(parent);
        const argv = helperArgv('sleep-forever');
        const error = assertThrowsError(() => l.spawn(null, argv[0], argv), Gio.IOErrorEnum,
            Gio.IOErrorEnum.NOT_SUPPORTED);
        assert(error.message.includes(parent), error.message);
        assert(error.message.includes(argv[0]), error.message);
    }
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

// ------------------------------------------------------------------------
// die_with_parent

// Runs lifetime-middle.js, which spawns with die_with_parent (or not)
// from its main thread, kills it; returns its child's pid.
function killMiddle(dieWithParent) {
    const script = GLib.build_filenamev([GLib.getenv('G_TEST_SRCDIR'), 'js', 'lifetime-middle.js']);
    const middle = Gio.Subprocess.new(['gjs', '-m', script, helperPath(), dieWithParent ? '1' : '0'],
        Gio.SubprocessFlags.STDOUT_PIPE);
    const stdout = new Gio.DataInputStream({base_stream: middle.get_stdout_pipe()});
    let line = null;
    stdout.read_line_async(GLib.PRIORITY_DEFAULT, null, (s, r) => {
        [line] = s.read_line_finish_utf8(r);
    });
    runUntil(() => line !== null, {timeoutMs: 30000, what: 'the middle process to say its child'});
    assert(line.startsWith('grandchild '), line);
    const grandchild = Number(line.split(' ')[1]);

    let waited = false;
    middle.force_exit();
    middle.wait_async(null, () => {
        waited = true;
    });
    runUntil(() => waited, {what: 'the middle process to end'});
    return grandchild;
}

function testDieWithParent() {
    const grandchild = killMiddle(true);
    try {
        waitDead(grandchild);
    } finally {
        if (!isDead(grandchild))
            kill(grandchild, 'KILL');
    }
}

function testDieWithParentOff() {
    const grandchild = killMiddle(false);
    try {
        assertAlive(grandchild);
    } finally {
        kill(grandchild, 'KILL');
    }
    waitDead(grandchild);
}

// ------------------------------------------------------------------------
// wait_async

function testWaitAsync() {
    const rec = recordReady(Tpx.ProcessLauncher.new(), 'sleep-forever');
    let endedFirst = null;
    const promise = rec.transport.wait_async(null).then(status => {
        endedFirst = rec.ended;
        return status;
    });
    rec.transport.stop();
    const status = settle(promise, 'the wait');
    assert(endedFirst, 'after process-ended');
    assertEqual(status, rec.endStatus, 'the status of process-ended');
    assertEqual(status.get_signal(), SIGTERM, 'signal');
}

function testWaitAsyncAfterEnd() {
    const rec = record(Tpx.ProcessLauncher.new(), 'exit', '3');
    rec.wait();
    let status = null;
    rec.transport.wait_async(null).then(s => {
        status = s;
    });
    // Never inside the call.
    assertEqual(status, null, 'not complete yet');
    runUntil(() => status !== null, {what: 'the wait'});
    assertEqual(status, rec.endStatus, 'the status');
    assertEqual(status.get_exit_code(), 3, 'exit code');
}

function testWaitAsyncCancel() {
    const rec = recordReady(Tpx.ProcessLauncher.new(), 'sleep-forever');
    const cancellable = new Gio.Cancellable();
    const cancelled = rec.transport.wait_async(cancellable);
    const other = rec.transport.wait_async(null);
    cancellable.cancel();
    let error = null;
    try {
        settle(cancelled, 'the cancelled wait');
    } catch (e) {
        error = e;
    }
    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'the cancelled wait');
    // Nothing happened to the child.
    assert(!rec.exited, 'the child runs on');
    assertAlive(rec.transport.get_pid());
    rec.transport.stop();
    const status = settle(other, 'the other wait');
    assertEqual(status, rec.endStatus, 'the other wait completes');
}

// ------------------------------------------------------------------------
// The output helpers

function testHelperTimeout() {
    const l = launcher({timeoutMs: 200});
    const start = now();
    let error = null;
    try {
        settle(Tpx.get_process_output_and_value_async('/bin/sh',
            ['-c', 'printf partial; exec "$0" sleep-forever', helperPath()], l, null, null),
        'the call');
    } catch (e) {
        error = e;
    }
    assert(now() - start >= 200, 'not before the timeout');
    assertError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT, 'the call');
    assert(error.message.includes('/bin/sh') && error.message.includes('200'), error.message);
    assertNoChildren();
}

runTests([
    ['lifetime/defaults', testDefaults],
    ['lifetime/stop/signal', testStopSignal],
    ['lifetime/stop/escalation', testStopEscalation],
    ['lifetime/stop/zero-timeout', testStopZeroTimeout],
    ['lifetime/timeout/expires', testTimeout],
    ['lifetime/timeout/escalation', testTimeoutEscalation],
    ['lifetime/drain/timeout', testDrainTimeout],
    ['lifetime/drain/zero', testDrainZero],
    ['lifetime/tree/process-group', testTreeProcessGroup],
    ['lifetime/tree/cgroup', withCgroup(testTreeCgroup)],
    ['lifetime/tree/escalation-process-group', () => treeEscalation(Tpx.KillMode.PROCESS_GROUP)],
    ['lifetime/tree/escalation-cgroup', withCgroup(() => treeEscalation(Tpx.KillMode.CGROUP))],
    ['lifetime/signal-tree/process', testSignalTreeProcess],
    ['lifetime/signal-tree/process-group', () => signalTreeAfterReap(Tpx.KillMode.PROCESS_GROUP)],
    ['lifetime/signal-tree/cgroup', withCgroup(() => signalTreeAfterReap(Tpx.KillMode.CGROUP))],
    ['lifetime/cgroup/not-supported', testCgroupNotSupported],
    ['lifetime/die-with-parent/killed', testDieWithParent],
    ['lifetime/die-with-parent/off', testDieWithParentOff],
    ['lifetime/wait/end', testWaitAsync],
    ['lifetime/wait/after-end', testWaitAsyncAfterEnd],
    ['lifetime/wait/cancel', testWaitAsyncCancel],
    ['lifetime/utils/timeout', testHelperTimeout],
]);
