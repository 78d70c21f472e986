// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.ProcessTransport from gjs: the signals and their order, writing and
// closing pipes, signalling the child, flow control, lifetime and main
// contexts (the parity of tests/test-process-transport.c), reported as TAP.

import {
    GLib, Gio, Tpx, System, MIB, Finalized, Recorder, assert, assertBytesEqual,
    assertEqual, assertNoChildren, assertThrowsError, blockedInPipeWrite, bytes,
    concat, countFds, countPipeFds, digits, drain, finishGarbageCollection,
    isZombie, kill, pattern,
    readToEof, recordHelper, runTests, runUntil, socketPair, spawnHelper,
} from './tpxtest.js';

const SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15;

function pipeMaxSize() {
    try {
        const [, contents] = GLib.file_get_contents('/proc/sys/fs/pipe-max-size');
        return Number(new TextDecoder().decode(contents));
    } catch (e) {
        return MIB;
    }
}

// -- Signals ---------------------------------------------------------------

function testSignalsOrder() {
    const [transport, rec] = recordHelper('echo');
    const payload = pattern(4 * MIB, 1);
    transport.write_bytes(new GLib.Bytes(payload));
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.count('drained:0'), 1, 'drained:0');
    assert(rec.first('drained:0') < rec.first('lost:0'), rec.trace());
    assert(rec.first('data:1') >= 0, rec.trace());
    assertEqual(rec.first('data:2'), -1, 'no data:2');
    assertBytesEqual(rec.bytes(1), payload, 'echoed');
    rec.assertExitCode(0);
    const nEvents = rec.events.length;
    drain();
    assertEqual(rec.events.length, nEvents, 'nothing more');
}

function testSignalsExitWithoutReading() {
    const [, rec] = recordHelper('exit', ['7']);
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.first('data:1'), -1);
    assertEqual(rec.first('data:2'), -1);
    assertEqual(rec.first('drained:0'), -1);
    rec.assertExitCode(7);
}

function testSignalsStderr() {
    const [, rec] = recordHelper('write-both');
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'out');
    assertEqual(rec.text(2), 'err');
    assert(rec.first('data:1') < rec.first('lost:1'), rec.trace());
    assert(rec.first('data:2') < rec.first('lost:2'), rec.trace());
}

// -- Writing -----------------------------------------------------------------

function checkCountStdin(useBytes) {
    const [transport, rec] = recordHelper('count-stdin');
    const payload = pattern(10 * MIB, 2);
    if (useBytes)
        transport.write_bytes(new GLib.Bytes(payload));
    else
        transport.write(payload);
    const queued = transport.get_write_buffer_size(0);
    assert(queued > 0 && queued <= 10 * MIB, `queued ${queued}`);
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), `${10 * MIB}\n`);
    assertEqual(transport.get_write_buffer_size(0), 0, 'queue');
    rec.assertExitCode(0);
}

function testWriteIdleChild() {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    transport.write_bytes(new GLib.Bytes(pattern(4 * MIB, 3)));
    let queued = transport.get_write_buffer_size(0);
    assert(queued > 0 && queued <= 4 * MIB, `queued ${queued}`);
    assert(4 * MIB - queued <= pipeMaxSize(), 'accepted at most a pipe');
    drain();
    queued = transport.get_write_buffer_size(0);
    assert(queued > 0, 'still queued');
    assert(4 * MIB - queued <= pipeMaxSize(), 'accepted at most a pipe');
    drain();
    assertEqual(transport.get_write_buffer_size(0), queued, 'nothing moves');
    assertEqual(rec.first('drained:0'), -1);
    for (const fd of [1, 2, 9])
        assertEqual(transport.get_write_buffer_size(fd), 0, `queue of ${fd}`);
    assert(transport.signal_process('KILL'));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(SIGKILL);
    assertEqual(transport.get_write_buffer_size(0), 0, 'dropped');
}

function testWriteOrder() {
    const [transport, rec] = recordHelper('echo');
    const expected = [];
    const context = GLib.MainContext.default();
    for (let i = 0; i < 40; i++) {
        const chunk = pattern(i % 4 === 3 ? 300000 + i : 1 + i * 13, i);
        switch (i % 4) {
        case 0:
            transport.write(chunk);
            break;
        case 1:
            transport.write_bytes(new GLib.Bytes(chunk));
            break;
        case 2:
            assert(transport.write_to_child(0, chunk));
            break;
        default:
            assert(transport.write_bytes_to_child(0, new GLib.Bytes(chunk)));
        }
        expected.push(chunk);
        if (i % 5 === 0) {
            finishGarbageCollection();
            context.iteration(false);
        }
    }
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertBytesEqual(rec.bytes(1), concat(expected), 'in order');
}

function testWriteFlushOnClose() {
    const [transport, rec] = recordHelper('count-stdin');
    transport.write_bytes(new GLib.Bytes(pattern(3 * MIB + 17, 4)));
    transport.close_stdin();
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), `${3 * MIB + 17}\n`);
}

function testWriteFlushOnCloseChildFd() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1);
    const [transport, rec] = recordHelper('cat-fd', ['3', '1'], {launcher});
    const payload = pattern(2 * MIB + 5, 5);
    assert(transport.write_bytes_to_child(3, new GLib.Bytes(payload)));
    transport.close_child_fd(3);
    transport.close_child_fd(0);
    rec.wait();
    rec.assertWellFormed([0, 1, 2, 3]);
    assertBytesEqual(rec.bytes(1), payload, 'copied');
    assertEqual(rec.count('drained:3'), 1);
    assert(rec.first('drained:3') < rec.first('lost:3'), rec.trace());
    rec.assertExitCode(0);
}

function testWriteFlushOnLoseConnection() {
    const [readSocket, writeSocket] = socketPair();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(1, Tpx.ChildFdKind.INHERIT, writeSocket.get_fd());
    const [transport, rec] = recordHelper('count-stdin', [], {launcher});
    writeSocket.close();
    transport.write_bytes(new GLib.Bytes(pattern(2 * MIB + 3, 6)));
    transport.lose_connection();
    rec.wait();
    rec.assertWellFormed([0, 2]);
    assertEqual(rec.first('lost:1'), -1);
    rec.assertExitCode(0);
    assertEqual(new TextDecoder().decode(readToEof(readSocket)), `${2 * MIB + 3}\n`);
    readSocket.close();
}

function testWriteAfterCloseDropped() {
    const [transport, rec] = recordHelper('count-stdin');
    transport.write(bytes('abc'));
    transport.close_stdin();
    transport.write(bytes('def'));
    transport.write_bytes(new GLib.Bytes(bytes('ghi')));
    assert(transport.get_write_buffer_size(0) <= 3, 'nothing queued');
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), '3\n');
    transport.write(bytes('jkl'));
    assertEqual(transport.get_write_buffer_size(0), 0);
}

function testWriteToChildErrors() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(2, Tpx.ChildFdKind.INHERIT, 2);
    const [transport, rec] = recordHelper('echo', [], {launcher});
    for (const [what, write] of [
        ['a read pipe', () => transport.write_to_child(1, bytes('x'))],
        ['an inherited fd', () => transport.write_to_child(2, bytes('x'))],
        ['an fd not in the map', () => transport.write_bytes_to_child(7, new GLib.Bytes(bytes('zz')))],
    ])
        assertThrowsError(write, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, what);
    assert(transport.write_to_child(0, bytes('hi')));
    transport.close_stdin();
    assertThrowsError(() => transport.write_to_child(0, bytes('x')), Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED);
    assertThrowsError(() => transport.write_bytes_to_child(0, new GLib.Bytes(bytes('zz'))),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED);
    rec.wait();
    rec.assertWellFormed([0, 1]);
    assertEqual(rec.first('lost:2'), -1);
    assertEqual(rec.text(1), 'hi');
    assertThrowsError(() => transport.write_to_child(0, bytes('x')), Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED);
}

function testWriteReaderGone() {
    const [transport, rec] = recordHelper('close-stdin-wait');
    rec.waitForText(1, 'closed\n');
    transport.write_bytes(new GLib.Bytes(pattern(2 * MIB, 7)));
    rec.waitForEvent('lost:0');
    assertEqual(rec.count('lost:0'), 1);
    assertEqual(transport.get_write_buffer_size(0), 0);
    assertThrowsError(() => transport.write_to_child(0, bytes('x')), Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED);
    transport.write(bytes('x'));
    assert(!rec.exited, 'the child is still there');
    assert(transport.signal_process('TERM'));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(SIGTERM);
}

// -- Closing read pipes --------------------------------------------------------

function closeOnFirstData(transport, childFd) {
    const state = {closed: false, before: 0, after: 0};
    transport.connect('child-data', (t, fd, data) => {
        if (fd !== childFd)
            return;
        if (state.closed) {
            state.after += data.get_size();
            return;
        }
        state.before += data.get_size();
        state.closed = true;
        t.close_child_fd(fd);
    });
    return state;
}

function testCloseStdoutInHandler() {
    const transport = spawnHelper('big', ['20000000']);
    const state = closeOnFirstData(transport, 1);
    const rec = new Recorder(transport);
    rec.wait();
    rec.assertWellFormed();
    assert(state.closed && state.before > 0, 'closed after some data');
    assertEqual(state.after, 0, 'nothing after the close');
    assertEqual(rec.size(1), state.before);
    assert(rec.size(1) < 20000000, 'the child stopped early');
}

function testCloseStdoutAtOnce() {
    const [transport, rec] = recordHelper('big', ['20000000']);
    transport.close_stdout();
    transport.close_stdout();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.first('data:1'), -1);
    assertEqual(rec.size(1), 0);
}

function testCloseStderr() {
    const [transport, rec] = recordHelper('echo-stderr');
    transport.close_stderr();
    rec.waitForEvent('lost:2');
    assert(!rec.exited, 'not exited');
    transport.write_bytes(new GLib.Bytes(pattern(MIB, 8)));
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.first('data:2'), -1);
    assertEqual(rec.size(2), 0);
}

function testCloseChildFdRead() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1);
    const transport = spawnHelper('cat-fd', ['0', '4'], {launcher});
    const state = closeOnFirstData(transport, 4);
    const rec = new Recorder(transport);
    transport.write_bytes(new GLib.Bytes(pattern(MIB, 9)));
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed([0, 1, 2, 4]);
    assert(state.closed, 'closed');
    assertEqual(state.after, 0);
    assertEqual(rec.size(4), state.before);
}

function testCloseChildFdUnknown() {
    const [transport, rec] = recordHelper('echo');
    transport.close_child_fd(9);
    transport.write(bytes('ok'));
    transport.close_child_fd(0);
    transport.close_child_fd(0);
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'ok');
}

// -- lose_connection -----------------------------------------------------------

function testLoseConnection() {
    const [transport, rec] = recordHelper('echo');
    transport.lose_connection();
    transport.lose_connection();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.first('data:1'), -1);
    rec.assertExitCode(0);
}

function testLoseConnectionChildAlive() {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    transport.lose_connection();
    for (const event of ['lost:0', 'lost:1', 'lost:2'])
        rec.waitForEvent(event);
    drain();
    assert(!rec.exited, 'alive');
    assert(transport.signal_process('0'));
    assert(transport.signal_process('USR1'));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(SIGUSR1);
}

// -- Output and the end ----------------------------------------------------------

function testOutputAllBeforeEnded() {
    const [, rec] = recordHelper('big', ['1000000']);
    rec.wait();
    rec.assertWellFormed();
    assertBytesEqual(rec.bytes(1), digits(1000000), 'output');
    rec.assertExitCode(0);
}

function testOutputGrandchild() {
    const [transport, rec] = recordHelper('grandchild');
    runUntil(() => rec.exited, {what: 'process-exited'});
    assertEqual(rec.exitStatus.get_exit_code(), 0);
    assert(transport.get_status() === rec.exitStatus, 'the status is kept');
    drain();
    assert(!rec.ended, 'not ended');
    assertEqual(rec.first('lost:1'), -1);
    assertEqual(rec.first('lost:2'), -1);
    assertThrowsError(() => transport.signal_process('0'), Tpx.ProcessError, Tpx.ProcessError.EXITED_ALREADY);
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'grandchild\n');
    assert(rec.first('exited') < rec.first('lost:1'), rec.trace());
    assert(rec.first('exited') < rec.first('data:1'), rec.trace());
}

// -- Signals to the child ----------------------------------------------------------

const SIGNAL_CASES = [
    ['TERM', SIGTERM], ['SIGTERM', SIGTERM], ['KILL', SIGKILL], ['SIGKILL', SIGKILL],
    ['9', SIGKILL], ['15', SIGTERM], ['INT', SIGINT], ['SIGHUP', SIGHUP],
    ['USR1', SIGUSR1], ['SIGUSR2', SIGUSR2],
];

function testSignalProcessName(name, signum) {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    assert(transport.signal_process('0'));
    assert(transport.signal_process(name));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(signum);
    assert(!rec.endStatus.is_success(), 'not a success');
}

function testSignalStopCont() {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    assert(transport.signal_process('STOP'));
    assert(transport.signal_process('SIGCONT'));
    drain();
    assert(!rec.exited, 'a stopped child has not exited');
    assert(transport.signal_process('SIGINT'));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(SIGINT);
}

function testSignalInvalid() {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    for (const name of ['65', '-1', '64x', 'BOGUS', 'SIGBOGUS', '', 'SIG', '1000000000000', ' 9']) {
        assertThrowsError(() => transport.signal_process(name),
            Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT, `signal "${name}"`);
    }
    drain();
    assert(!rec.exited, 'none reached the child');
    assert(transport.signal_process('KILL'));
    rec.wait();
    rec.assertKilledBy(SIGKILL);
}

function testSignalExitedAlready() {
    const [transport, rec] = recordHelper('exit', ['0']);
    rec.wait();
    assertThrowsError(() => transport.signal_process('TERM'), Tpx.ProcessError, Tpx.ProcessError.EXITED_ALREADY);
    assertThrowsError(() => transport.signal_process('0'), Tpx.ProcessError, Tpx.ProcessError.EXITED_ALREADY);
    assertThrowsError(() => transport.send_signal(SIGKILL), Tpx.ProcessError, Tpx.ProcessError.EXITED_ALREADY);
}

function testSignalIgnoredTerm() {
    const [transport, rec] = recordHelper('ignore-term');
    rec.waitForText(1, 'ready\n');
    assert(transport.signal_process('TERM'));
    assert(transport.signal_process('KILL'));
    rec.wait();
    rec.assertKilledBy(SIGKILL);
}

function testSendSignal() {
    const [transport, rec] = recordHelper('sleep-forever');
    rec.waitForText(1, 'ready\n');
    assert(transport.send_signal(0));
    assert(transport.send_signal(SIGUSR2));
    rec.wait();
    rec.assertWellFormed();
    rec.assertKilledBy(SIGUSR2);
}

// -- Flow control -------------------------------------------------------------------

const BIG_FOR_PAUSE = 6000000;

function checkRestAfterResume(transport, rec) {
    transport.resume_producing();
    rec.wait();
    rec.assertWellFormed();
    rec.assertExitCode(0);
    assertBytesEqual(rec.bytes(1), digits(BIG_FOR_PAUSE), 'all of it');
}

function testPauseResume() {
    const [transport, rec] = recordHelper('big', [`${BIG_FOR_PAUSE}`]);
    const pid = transport.get_pid();
    transport.pause_producing();
    runUntil(() => blockedInPipeWrite(pid), {poll: true, what: 'the child to block'});
    drain();
    assertEqual(rec.size(1), 0, 'nothing read');
    assert(!rec.exited, 'not exited');
    transport.pause_producing();
    checkRestAfterResume(transport, rec);
}

function testPauseMidStream() {
    const [transport, rec] = recordHelper('big', [`${BIG_FOR_PAUSE}`]);
    const pid = transport.get_pid();
    const state = {paused: false, atPause: 0, total: 0, resumed: false, whilePaused: 0};
    transport.connect('child-data', (t, fd, data) => {
        if (state.paused && !state.resumed)
            state.whilePaused += data.get_size();
        state.total += data.get_size();
        if (!state.paused) {
            state.paused = true;
            state.atPause = state.total;
            t.pause_producing();
        }
    });
    runUntil(() => state.paused, {what: 'the first data'});
    runUntil(() => blockedInPipeWrite(pid), {poll: true, what: 'the child to block'});
    drain();
    assertEqual(state.whilePaused, 0, 'nothing while paused');
    assertEqual(rec.size(1), state.atPause);
    assert(state.atPause < BIG_FOR_PAUSE, 'paused mid-stream');
    assert(!rec.exited, 'not exited');
    state.resumed = true;
    checkRestAfterResume(transport, rec);
    assertEqual(state.total, BIG_FOR_PAUSE);
}

// -- Lifetime --------------------------------------------------------------------------

// Handlers that hold no reference to the transport.
function connectUnowned(transport) {
    const u = {trace: [], out: [], ended: false, endSignal: -1, pidInEnded: 0};
    const pid = transport.get_pid();
    transport.connect('child-data', (_t, fd, data) => {
        const event = `data:${fd}`;
        if (u.trace[u.trace.length - 1] !== event)
            u.trace.push(event);
        if (fd === 1)
            u.out.push(data.toArray());
    });
    transport.connect('child-connection-lost', (_t, fd) => u.trace.push(`lost:${fd}`));
    transport.connect('write-drained', (_t, fd) => u.trace.push(`drained:${fd}`));
    transport.connect('process-exited', (_t, status) => u.trace.push(`exited:${status.get_exit_code()}`));
    transport.connect('process-ended', (t, status) => {
        u.trace.push(`ended:${status.get_exit_code()}`);
        u.pidInEnded = t.get_pid();
        u.endSignal = status.get_signal();
        u.ended = true;
    });
    u.pid = pid;
    return u;
}

function testLifetimeDroppedReference() {
    let protocol = new Tpx.ProcessProtocol();
    let transport = spawnHelper('echo', [], {protocol});
    const u = connectUnowned(transport);
    const transportGone = new Finalized(transport, 'protocol');
    const protocolGone = new Finalized(protocol, 'transport');
    transport.write_bytes(new GLib.Bytes(pattern(2 * MIB, 10)));
    transport.write_bytes(new GLib.Bytes(bytes('ping')));
    transport.close_stdin();
    transport = null;
    protocol = null;
    System.gc();
    assert(!transportGone.gone, 'the running transport keeps itself');
    runUntil(() => u.ended, {what: 'process-ended'});
    assertEqual(u.pidInEnded, u.pid, 'the transport is alive in process-ended');
    for (const event of ['drained:0', 'lost:0', 'lost:1', 'lost:2', 'data:1', 'exited:0'])
        assert(u.trace.includes(event), `${event} in ${u.trace}`);
    const out = concat(u.out);
    assertEqual(out.length, 2 * MIB + 4, 'every byte');
    assertEqual(new TextDecoder().decode(out.slice(2 * MIB)), 'ping');
    assert(u.trace.indexOf('data:1') < u.trace.indexOf('lost:1'), `${u.trace}`);
    assertEqual(u.trace[u.trace.length - 1], 'ended:0');
    transportGone.wait();
    protocolGone.wait();
}

function testLifetimeNoImplicitKill() {
    let transport = spawnHelper('sleep-forever');
    const u = connectUnowned(transport);
    const transportGone = new Finalized(transport, 'protocol');
    const pid = transport.get_pid();
    assert(pid > 0, 'pid');
    runUntil(() => concat(u.out).length >= 6, {what: 'ready'});
    assertEqual(new TextDecoder().decode(concat(u.out)), 'ready\n');
    transport = null;
    System.gc();
    drain();
    assert(!transportGone.gone, 'still watched');
    assert(!u.trace.some(e => e.startsWith('exited')), 'still running');
    kill(pid, 0);
    kill(pid, 'USR1');
    runUntil(() => u.ended, {what: 'process-ended'});
    assertEqual(u.endSignal, SIGUSR1, 'killed by our signal');
    transportGone.wait();
}

// -- pid and status ------------------------------------------------------------------------

function testPidAndStatus() {
    const transport = spawnHelper('exit', ['3']);
    const pid = transport.get_pid();
    assert(pid > 0, 'pid');
    assertEqual(transport.get_status(), null, 'no status yet');
    const checked = [];
    transport.connect('process-exited', (t, status) => {
        checked.push(status instanceof Tpx.ProcessStatus && t.get_status() === status);
    });
    const rec = new Recorder(transport);
    rec.wait();
    assertEqual(JSON.stringify(checked), '[true]', 'status in process-exited');
    assertEqual(transport.get_pid(), pid, 'pid after exit');
    assertEqual(transport.pid, pid, 'pid property');
    assert(transport.get_status() === rec.exitStatus, 'status kept');
    assert(transport.status === rec.exitStatus, 'status property');
    rec.assertExitCode(3);
    assert(!rec.endStatus.is_success(), 'not a success');
    assertThrowsError(() => rec.endStatus.check(), Tpx.ProcessError, Tpx.ProcessError.TERMINATED);
}

function testPidIsTheChild() {
    const [transport, rec] = recordHelper('pgrp');
    rec.wait();
    assert(rec.text(1).startsWith(`pid ${transport.get_pid()} `), rec.text(1));
    assert(rec.endStatus.is_success(), 'success');
}

// -- Main contexts ---------------------------------------------------------------------------

const SIGNAL_NAMES = ['child-data', 'child-connection-lost', 'write-drained', 'process-exited', 'process-ended'];

function connectContextCheck(transport, expected) {
    const check = {calls: 0, wrong: 0};
    for (const name of SIGNAL_NAMES) {
        transport.connect(name, () => {
            check.calls++;
            if (!expected.is_owner())
                check.wrong++;
        });
    }
    return check;
}

function testContextThreadDefault() {
    const context = GLib.MainContext.new();
    context.push_thread_default();
    let transport;
    try {
        transport = spawnHelper('write-both');
    } finally {
        context.pop_thread_default();
    }
    const check = connectContextCheck(transport, context);
    const rec = new Recorder(transport);
    const pid = transport.get_pid();
    runUntil(() => isZombie(pid), {poll: true, context: GLib.MainContext.default(), what: 'the child to exit'});
    drain(GLib.MainContext.default());
    assertEqual(check.calls, 0, 'nothing in the global default context');
    assertEqual(rec.events.length, 0, 'no events yet');
    context.push_thread_default();
    try {
        rec.wait();
        rec.assertWellFormed();
        assertEqual(rec.text(1), 'out');
        assertEqual(rec.text(2), 'err');
        assert(check.calls >= 7, `calls: ${check.calls}`);
        assertEqual(check.wrong, 0, 'calls in another context');
        const gone = new Finalized(transport, 'protocol');
        rec.release();
        transport = null;
        gone.wait();
    } finally {
        context.pop_thread_default();
    }
}

// gjs has no threads: instead of another thread, a context that another
// main loop runs (a nested one) while the default context stays still.
function testContextNestedLoop() {
    const context = GLib.MainContext.new();
    const loop = new GLib.MainLoop(context, false);
    context.push_thread_default();
    let rec, check;
    try {
        const transport = spawnHelper('echo');
        check = connectContextCheck(transport, context);
        rec = new Recorder(transport);
        transport.write(bytes('nested'));
        transport.close_stdin();
        transport.connect('process-ended', () => loop.quit());
        const timeout = GLib.timeout_source_new(10000);
        timeout.set_callback(() => {
            loop.quit();
            return GLib.SOURCE_REMOVE;
        });
        timeout.attach(context);
        loop.run();
        timeout.destroy();
    } finally {
        context.pop_thread_default();
    }
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'nested');
    assert(check.calls >= 5, `calls: ${check.calls}`);
    assertEqual(check.wrong, 0, 'calls in another context');
}

// -- Nothing left behind --------------------------------------------------------------------

function runEchoToTheEnd(counts = null) {
    let transport = spawnHelper('echo');
    const rec = new Recorder(transport);
    const gone = new Finalized(transport, 'protocol');
    if (counts !== null) {
        counts.fdsDuring = countFds();
        counts.pipesDuring = countPipeFds();
        transport.connect('process-ended', () => {
            counts.pipesAtEnd = countPipeFds();
        });
    }
    transport.write(bytes('abc'));
    transport.close_stdin();
    rec.wait();
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'abc');
    rec.release();
    transport = null;
    gone.wait();
}

function testNoFdLeak() {
    runEchoToTheEnd();
    const before = countFds();
    const pipesBefore = countPipeFds();
    const counts = {};
    runEchoToTheEnd(counts);
    assertEqual(counts.pipesDuring, pipesBefore + 3, 'three pipes while it runs');
    assertEqual(counts.pipesAtEnd, pipesBefore, 'none at process-ended');
    assertEqual(countFds(), before, 'no fd left');
    assertNoChildren();
}

// data-received: a Uint8Array per chunk, no GLib.Bytes.
function testDataReceivedSignal() {
    const transport = spawnHelper('write-out', ['as an array']);
    const chunks = [];
    let ended = false;
    transport.connect('data-received', (_t, fd, data) => {
        assert(data instanceof Uint8Array, 'a Uint8Array');
        chunks.push([fd, new TextDecoder().decode(data)]);
    });
    transport.connect('process-ended', () => (ended = true));
    runUntil(() => ended, {what: 'process-ended'});
    assertEqual(chunks.map(c => c[1]).join(''), 'as an array', 'the bytes');
    assert(chunks.every(c => c[0] === 1), 'all from fd 1');
}

runTests([
    ['signals/order', testSignalsOrder],
    ['signals/exit-without-reading', testSignalsExitWithoutReading],
    ['signals/stderr', testSignalsStderr],
    ['write/no-block', () => checkCountStdin(false)],
    ['write/bytes-no-block', () => checkCountStdin(true)],
    ['write/idle-child', testWriteIdleChild],
    ['write/order', testWriteOrder],
    ['write/flush-on-close', testWriteFlushOnClose],
    ['write/flush-on-close-child-fd', testWriteFlushOnCloseChildFd],
    ['write/flush-on-lose-connection', testWriteFlushOnLoseConnection],
    ['write/after-close-dropped', testWriteAfterCloseDropped],
    ['write/to-child-errors', testWriteToChildErrors],
    ['write/reader-gone', testWriteReaderGone],
    ['close/stdout-in-handler', testCloseStdoutInHandler],
    ['close/stdout-at-once', testCloseStdoutAtOnce],
    ['close/stderr', testCloseStderr],
    ['close/child-fd-read', testCloseChildFdRead],
    ['close/child-fd-unknown', testCloseChildFdUnknown],
    ['lose-connection/basic', testLoseConnection],
    ['lose-connection/child-alive', testLoseConnectionChildAlive],
    ['output/all-before-ended', testOutputAllBeforeEnded],
    ['output/grandchild', testOutputGrandchild],
    ...SIGNAL_CASES.map(([name, signum]) => [`signal/name/${name}`, () => testSignalProcessName(name, signum)]),
    ['signal/stop-cont', testSignalStopCont],
    ['signal/invalid', testSignalInvalid],
    ['signal/exited-already', testSignalExitedAlready],
    ['signal/ignored-term', testSignalIgnoredTerm],
    ['signal/send-signal', testSendSignal],
    ['producer/pause-resume', testPauseResume],
    ['producer/pause-mid-stream', testPauseMidStream],
    ['lifetime/dropped-reference', testLifetimeDroppedReference],
    ['lifetime/no-implicit-kill', testLifetimeNoImplicitKill],
    ['status/pid-and-status', testPidAndStatus],
    ['status/pid-is-the-child', testPidIsTheChild],
    ['context/thread-default', testContextThreadDefault],
    ['context/nested-loop', testContextNestedLoop],
    ['no-fd-leak', testNoFdLeak],
    ['signals/data-received', testDataReceivedSignal],
]);
