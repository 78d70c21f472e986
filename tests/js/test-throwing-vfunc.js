// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gjs callbacks that throw. An exception cannot travel up through the C
// library: gjs logs it ("JS ERROR", a critical message, expected here so
// that G_DEBUG=fatal-criticals does not abort) and returns. The transport
// must carry on: every byte still arrives, process-ended comes exactly
// once, and afterwards the transport is finalized with no fd and no child
// left behind.

import {
    GLib, GObject, Tpx,
    runTests, assert, assertEqual, runUntil, drain,
    helperPath, helperArgv, countFds, assertNoChildren, warmUp,
    Finalized, Recorder, expectCritical, assertExpectedMessages, text,
} from './tpxtest.js';

const ThrowingProtocol = GObject.registerClass(
class ThrowingProtocol extends Tpx.ProcessProtocol {
    _init() {
        super._init();
        this.out = '';
        this.nOut = 0;
        this.nEnded = 0;
        this.status = null;
    }

    vfunc_out_received(data) {
        this.out += text(data);
        this.nOut++;
        throw new Error(`out_received ${this.nOut}`);
    }

    vfunc_process_ended(status) {
        this.nEnded++;
        this.status = status;
        throw new Error('process_ended');
    }
});

function digitsText(size) {
    return '0123456789'.repeat(size / 10 + 1).slice(0, size);
}

// The caller drops its last reference first: then the transport must go.
function waitFinalized(finalized) {
    finalized.wait();
    assert(finalized.gone, 'the transport is finalized');
}

function testProcessEndedThrows() {
    warmUp();
    const nFds = countFds();
    const protocol = new ThrowingProtocol();

    expectCritical('JS ERROR: Error: out_received 1*');
    expectCritical('JS ERROR: Error: process_ended*');
    let transport = Tpx.ProcessLauncher.new().spawn(protocol, helperPath(),
        helperArgv('write-out', 'thrown'));
    const recorder = new Recorder(transport);
    const finalized = new Finalized(transport, 'protocol');

    runUntil(() => protocol.nEnded > 0, {what: 'process_ended'});
    drain();
    assertExpectedMessages();

    assertEqual(protocol.out, 'thrown', 'out_received data');
    assertEqual(protocol.nOut, 1, 'out_received calls');
    assertEqual(protocol.nEnded, 1, 'process_ended calls');
    assertEqual(recorder.nEnded, 1, 'process-ended emissions');
    assertEqual(recorder.events[recorder.events.length - 1], 'ended', 'the last event');
    assert(protocol.status.is_success(), 'the child exited 0');

    recorder.release();
    transport = null;
    waitFinalized(finalized);
    assertEqual(protocol.get_transport(), null, 'the protocol lets go of the transport');
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testEveryChunkThrows() {
    warmUp();
    const nFds = countFds();
    const size = 1024 * 1024;
    const protocol = new ThrowingProtocol();

    // One critical per chunk; how many chunks there are is up to the pipe.
    const logged = [];
    const handler = GLib.log_set_handler('Gjs', GLib.LogLevelFlags.LEVEL_CRITICAL,
        (domain, level, message) => logged.push(message));
    const oldFatal = GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR);
    let transport;
    try {
        transport = Tpx.ProcessLauncher.new().spawn(protocol, helperPath(),
            helperArgv('big', `${size}`));
        runUntil(() => protocol.nEnded > 0, {what: 'process_ended'});
        drain();
    } finally {
        GLib.log_set_always_fatal(oldFatal);
        GLib.log_remove_handler('Gjs', handler);
    }

    assertEqual(protocol.out.length, size, 'bytes received');
    assert(protocol.out === digitsText(size), 'every byte, in order');
    assert(protocol.nOut > 1, `several chunks (${protocol.nOut})`);
    assertEqual(protocol.nEnded, 1, 'process_ended calls');
    assertEqual(logged.length, protocol.nOut + 1, 'one logged error per throw');
    assert(logged.every(m => m.startsWith('JS ERROR: Error: ')), 'logged as JS errors');

    const finalized = new Finalized(transport, 'protocol');
    transport = null;
    waitFinalized(finalized);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testSignalHandlerThrows() {
    warmUp();
    const nFds = countFds();

    expectCritical('JS ERROR: Error: child-data*');
    expectCritical('JS ERROR: Error: process-ended*');
    let transport = Tpx.ProcessLauncher.new().spawn(null, helperPath(),
        helperArgv('write-out', 'handled'));
    transport.connect('child-data', () => {
        throw new Error('child-data');
    });
    transport.connect('process-ended', () => {
        throw new Error('process-ended');
    });
    // Connected after the throwing handlers: still called.
    const recorder = new Recorder(transport);
    const finalized = new Finalized(transport, 'protocol');

    recorder.wait();
    drain();
    assertExpectedMessages();

    assertEqual(recorder.text(1), 'handled', 'stdout');
    assertEqual(recorder.nEnded, 1, 'process-ended emissions');
    assert(recorder.endStatus.is_success(), 'the child exited 0');

    recorder.release();
    transport = null;
    waitFinalized(finalized);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

runTests([
    ['vfunc_process_ended that throws: logged, ends once, finalized', testProcessEndedThrows],
    ['vfunc_out_received that throws on every chunk: no byte lost', testEveryChunkThrows],
    ['signal handlers that throw: logged, later handlers run', testSignalHandlerThrows],
]);
