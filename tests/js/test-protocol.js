// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.ProcessProtocol subclassed in gjs with GObject.registerClass and
// vfunc_* overrides: their default dispatch, when they run relative to the
// transport's signals, and the protocol's lifetime (the parity of
// tests/test-process-protocol.c), reported as TAP.

import {
    GLib, GObject, Tpx, System, Finalized, Recorder, assert, assertEqual,
    assertExpectedMessages, bytes, concat, expectCritical, helperArgv,
    runTests, runUntil, spawnHelper, text,
} from './tpxtest.js';

const SIGTERM = 15;
const NAMED_METHODS = ['out_received', 'err_received', 'in_connection_lost',
    'out_connection_lost', 'err_connection_lost'];

// Writes down every virtual method call.
const CallLog = GObject.registerClass(
class CallLog extends Tpx.ProcessProtocol {
    _init(chainUp = true) {
        super._init();
        this.calls = [];
        this.out = [];
        this.err = [];
        this.fdData = new Map();
        this.madeWith = null;
        this.transportOkInMade = false;
        this.pidInMade = 0;
        this.exitStatus = null;
        this.endStatus = null;
        this.chainUp = chainUp;
    }

    vfunc_connection_made(transport) {
        this.calls.push('connection_made');
        this.madeWith = transport;
        this.pidInMade = transport.get_pid();
        this.transportOkInMade = this.get_transport() === transport &&
            this.transport === transport && transport.get_protocol() === this;
    }

    vfunc_child_data_received(fd, data) {
        this.calls.push(`child_data_received:${fd}`);
        if (!this.fdData.has(fd))
            this.fdData.set(fd, []);
        this.fdData.get(fd).push(data.toArray());
        if (this.chainUp)
            super.vfunc_child_data_received(fd, data);
    }

    vfunc_child_connection_lost(fd) {
        this.calls.push(`child_connection_lost:${fd}`);
        if (this.chainUp)
            super.vfunc_child_connection_lost(fd);
    }

    vfunc_out_received(data) {
        this.calls.push('out_received');
        this.out.push(data.toArray());
    }

    vfunc_err_received(data) {
        this.calls.push('err_received');
        this.err.push(data.toArray());
    }

    vfunc_in_connection_lost() {
        this.calls.push('in_connection_lost');
    }

    vfunc_out_connection_lost() {
        this.calls.push('out_connection_lost');
    }

    vfunc_err_connection_lost() {
        this.calls.push('err_connection_lost');
    }

    vfunc_process_exited(status) {
        this.calls.push('process_exited');
        this.exitStatus = status;
    }

    vfunc_process_ended(status) {
        this.calls.push('process_ended');
        this.endStatus = status;
    }

    get ended() {
        return this.endStatus !== null;
    }

    wait() {
        runUntil(() => this.ended, {what: `process_ended (calls: ${this.calls})`});
    }

    count(name) {
        return this.calls.filter(c => c === name).length;
    }

    fdText(fd) {
        return text(concat(this.fdData.get(fd) ?? []));
    }

    assertFirstAndLast() {
        assertEqual(this.calls[0], 'connection_made', `first call in ${this.calls}`);
        assertEqual(this.count('connection_made'), 1, 'connection_made calls');
        assertEqual(this.count('process_exited'), 1, 'process_exited calls');
        assertEqual(this.count('process_ended'), 1, 'process_ended calls');
        assertEqual(this.calls[this.calls.length - 1], 'process_ended', `last call in ${this.calls}`);
    }

    // Every @first is right before @then (null: before none of the named
    // methods); returns how many @first there are.
    assertAlwaysFollowedBy(first, then) {
        let n = 0;
        this.calls.forEach((call, i) => {
            if (call !== first)
                return;
            n++;
            const next = this.calls[i + 1];
            if (then !== null)
                assertEqual(next, then, `after ${first} in ${this.calls}`);
            else
                assert(!NAMED_METHODS.includes(next), `after ${first} in ${this.calls}`);
        });
        return n;
    }
});

function testDispatchDefault() {
    const protocol = new CallLog();
    const transport = spawnHelper('write-both', [], {protocol});
    protocol.wait();
    protocol.assertFirstAndLast();
    assert(protocol.assertAlwaysFollowedBy('child_data_received:1', 'out_received') >= 1, 'out');
    assert(protocol.assertAlwaysFollowedBy('child_data_received:2', 'err_received') >= 1, 'err');
    assertEqual(protocol.assertAlwaysFollowedBy('child_connection_lost:0', 'in_connection_lost'), 1);
    assertEqual(protocol.assertAlwaysFollowedBy('child_connection_lost:1', 'out_connection_lost'), 1);
    assertEqual(protocol.assertAlwaysFollowedBy('child_connection_lost:2', 'err_connection_lost'), 1);
    assertEqual(protocol.count('out_received'), protocol.count('child_data_received:1'));
    assertEqual(protocol.count('err_received'), protocol.count('child_data_received:2'));
    assertEqual(text(concat(protocol.out)), 'out');
    assertEqual(text(concat(protocol.err)), 'err');
    assert(protocol.exitStatus === protocol.endStatus, 'one status');
    assert(protocol.endStatus.is_success(), 'success');
    assert(transport.get_status() === protocol.endStatus, 'the transport has it');
}

function testDispatchExtraFds() {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string('0:w,1:r,2:r,3:r'));
    const protocol = new CallLog();
    const transport = spawnHelper('cat-fd', ['0', '3'], {launcher, protocol});
    transport.write(bytes('three'));
    transport.close_stdin();
    protocol.wait();
    protocol.assertFirstAndLast();
    assert(protocol.count('child_data_received:3') >= 1, 'data on 3');
    assertEqual(protocol.count('child_connection_lost:3'), 1);
    assertEqual(protocol.count('out_received'), 0);
    assertEqual(protocol.count('err_received'), 0);
    for (const name of ['in_connection_lost', 'out_connection_lost', 'err_connection_lost'])
        assertEqual(protocol.count(name), 1, name);
    assertEqual(protocol.assertAlwaysFollowedBy('child_connection_lost:3', null), 1);
    assert(protocol.assertAlwaysFollowedBy('child_data_received:3', null) >= 1, 'data on 3');
    assertEqual(protocol.fdText(3), 'three');
    assertEqual(protocol.out.length, 0);
}

function testDispatchNoChainUp() {
    const protocol = new CallLog(false);
    spawnHelper('write-both', [], {protocol});
    protocol.wait();
    protocol.assertFirstAndLast();
    assert(protocol.count('child_data_received:1') >= 1, 'data on 1');
    assertEqual(protocol.count('child_connection_lost:1'), 1);
    for (const name of NAMED_METHODS)
        assertEqual(protocol.count(name), 0, name);
    assertEqual(protocol.fdText(1), 'out');
}

// vfunc_data_received: the byte-array data path (issue 19).
const ArrayLog = GObject.registerClass(
class ArrayLog extends CallLog {
    _init(chainUp = true) {
        super._init(chainUp);
        this.arrayData = new Map();
    }

    vfunc_data_received(fd, data) {
        assert(data instanceof Uint8Array, `a Uint8Array, not ${data?.constructor?.name}`);
        this.calls.push(`data_received:${fd}`);
        if (!this.arrayData.has(fd))
            this.arrayData.set(fd, []);
        this.arrayData.get(fd).push(data);
    }
});

function testDataReceivedReplacesNamedMethods() {
    const protocol = new ArrayLog();
    spawnHelper('write-both', [], {protocol});
    protocol.wait();
    protocol.assertFirstAndLast();
    assert(protocol.assertAlwaysFollowedBy('child_data_received:1', 'data_received:1') >= 1, 'out');
    assert(protocol.assertAlwaysFollowedBy('child_data_received:2', 'data_received:2') >= 1, 'err');
    assertEqual(protocol.count('out_received'), 0, 'out_received calls');
    assertEqual(protocol.count('err_received'), 0, 'err_received calls');
    assertEqual(protocol.count('out_connection_lost'), 1, 'out_connection_lost calls');
    assertEqual(text(concat(protocol.arrayData.get(1))), 'out');
    assertEqual(text(concat(protocol.arrayData.get(2))), 'err');
}

function testDataReceivedNoChainUp() {
    const protocol = new ArrayLog(false);
    spawnHelper('write-both', [], {protocol});
    protocol.wait();
    assert(protocol.count('child_data_received:1') >= 1, 'child_data_received');
    assertEqual(protocol.arrayData.size, 0, 'fds seen by data_received');
}

function testConnectionMadeDuringSpawn() {
    const protocol = new CallLog();
    const transport = spawnHelper('exit', ['0'], {protocol});
    assertEqual(JSON.stringify(protocol.calls), '["connection_made"]', 'calls');
    assert(protocol.madeWith === transport, 'with the transport');
    assert(protocol.transportOkInMade, 'transport set in connection_made');
    assertEqual(protocol.pidInMade, transport.get_pid(), 'pid');
    assert(protocol.pidInMade > 0, 'pid');
    assert(transport.get_protocol() === protocol, 'get_protocol');
    protocol.wait();
    protocol.assertFirstAndLast();
}

function testConnectionMadeSpawnProcess() {
    const protocol = new CallLog();
    const argv = helperArgv('write-out', 'hi');
    const transport = Tpx.spawn_process(protocol, argv[0], argv, null, null);
    assertEqual(protocol.calls[0], 'connection_made');
    assert(protocol.madeWith === transport, 'with the transport');
    protocol.wait();
    protocol.assertFirstAndLast();
    assertEqual(text(concat(protocol.out)), 'hi');
}

function testOrderAfterHandlers() {
    const protocol = new CallLog();
    const transport = spawnHelper('write-both', [], {protocol});
    const calls = protocol.calls;
    transport.connect('child-data', (_t, fd) => calls.push(`signal:child-data:${fd}`));
    transport.connect('child-connection-lost', (_t, fd) => calls.push(`signal:child-connection-lost:${fd}`));
    transport.connect('process-exited', () => calls.push('signal:process-exited'));
    transport.connect('process-ended', () => calls.push('signal:process-ended'));
    protocol.wait();
    let nChecked = 0;
    calls.forEach((call, i) => {
        let expected;
        let match;
        if ((match = /^child_data_received:(\d+)$/.exec(call)))
            expected = `signal:child-data:${match[1]}`;
        else if ((match = /^child_connection_lost:(\d+)$/.exec(call)))
            expected = `signal:child-connection-lost:${match[1]}`;
        else if (call === 'process_exited')
            expected = 'signal:process-exited';
        else if (call === 'process_ended')
            expected = 'signal:process-ended';
        else
            return;
        assertEqual(calls[i - 1], expected, `before ${call} in ${calls}`);
        nChecked++;
    });
    assert(nChecked >= 7, `checked ${nChecked} in ${calls}`);
    assertEqual(calls.filter(c => c === 'signal:process-ended').length, 1);
    assertEqual(calls[calls.length - 1], 'process_ended');
}

function testTransportProperty() {
    const protocol = new CallLog();
    assertEqual(protocol.get_transport(), null, 'no transport yet');
    assertEqual(protocol.transport, null, 'no transport property yet');
    let notified = 0;
    protocol.connect('notify::transport', () => notified++);
    let transport = spawnHelper('write-out', ['x'], {protocol});
    assert(notified >= 1, 'notify::transport');
    assert(protocol.get_transport() === transport, 'get_transport');
    assert(protocol.transport === transport, 'transport property');
    const gone = new Finalized(transport, 'protocol');
    protocol.madeWith = null;
    transport = null;
    protocol.wait();
    gone.wait();
    assertEqual(protocol.get_transport(), null, 'not kept alive by the protocol');
    assertEqual(protocol.transport, null, 'property cleared');
}

function testLifetimeProtocolDropped() {
    let protocol = new CallLog();
    const calls = protocol.calls;
    const out = protocol.out;
    const protocolGone = new Finalized(protocol, 'transport');
    let transport = spawnHelper('echo', [], {protocol});
    const transportGone = new Finalized(transport, 'protocol');
    protocol.madeWith = null;
    protocol = null;
    System.gc();
    assert(!protocolGone.gone, 'the transport keeps the protocol');
    transport.write(bytes('ping'));
    transport.close_stdin();
    transport = null;
    System.gc();
    assert(!protocolGone.gone, 'the running transport keeps the protocol');
    transportGone.wait();
    protocolGone.wait();
    assertEqual(calls[0], 'connection_made');
    assertEqual(calls.filter(c => c === 'process_ended').length, 1);
    assertEqual(calls[calls.length - 1], 'process_ended');
    assertEqual(text(concat(out)), 'ping');
}

function testLifetimeProtocolOutlives() {
    const protocol = new CallLog();
    const protocolGone = new Finalized(protocol, 'transport');
    let transport = spawnHelper('exit', ['0'], {protocol});
    const transportGone = new Finalized(transport, 'protocol');
    protocol.madeWith = null;
    transport = null;
    protocol.wait();
    transportGone.wait();
    assert(!protocolGone.gone, 'ours is the only reference, and it holds');
    assert(protocol.ended, 'still usable');
}

function testBaseInstance() {
    const protocol = new Tpx.ProcessProtocol();
    assert(protocol instanceof Tpx.ProcessProtocol, 'instance');
    assertEqual(protocol.constructor.$gtype.name, 'TpxProcessProtocol', 'the base type');
    const transport = spawnHelper('echo', [], {protocol});
    const rec = new Recorder(transport);
    assert(protocol.get_transport() === transport, 'get_transport');
    assert(transport.get_protocol() === protocol, 'get_protocol');
    transport.write(bytes('base'));
    transport.close_stdin();
    rec.wait();
    assertEqual(rec.text(1), 'base');
    assertEqual(rec.nEnded, 1);
    assert(rec.endStatus.is_success(), 'success');
}

function testStatusPassed() {
    const protocol = new CallLog();
    const transport = spawnHelper('kill-self', ['15'], {protocol});
    protocol.wait();
    protocol.assertFirstAndLast();
    assert(protocol.exitStatus === protocol.endStatus, 'one status');
    assert(transport.get_status() === protocol.endStatus, 'kept');
    assertEqual(protocol.endStatus.get_signal(), SIGTERM);
    assert(!protocol.endStatus.is_success(), 'not a success');
}

// An exception in a vfunc is logged by gjs; the transport goes on.
const Raising = GObject.registerClass(
class Raising extends CallLog {
    vfunc_out_received(data) {
        super.vfunc_out_received(data);
        throw new Error('raised by vfunc_out_received');
    }
});

function testExceptionInVfunc() {
    expectCritical('*raised by vfunc_out_received*');
    const protocol = new Raising();
    const transport = spawnHelper('write-both', [], {protocol});
    const rec = new Recorder(transport);
    protocol.wait();
    assertExpectedMessages();
    protocol.assertFirstAndLast();
    assertEqual(text(concat(protocol.out)), 'out');
    assertEqual(text(concat(protocol.err)), 'err');
    assert(protocol.calls.includes('out_connection_lost'), 'the rest came');
    rec.assertWellFormed();
}

function testExceptionInHandler() {
    expectCritical('*raised by a child-data handler*');
    const transport = spawnHelper('write-out', ['once']);
    transport.connect('child-data', () => {
        throw new Error('raised by a child-data handler');
    });
    const rec = new Recorder(transport);
    rec.wait();
    assertExpectedMessages();
    rec.assertWellFormed();
    assertEqual(rec.text(1), 'once');
}

function testSubclassInAnotherContext() {
    const context = GLib.MainContext.new();
    context.push_thread_default();
    let protocol;
    try {
        protocol = new CallLog();
        spawnHelper('write-out', ['ctx'], {protocol});
        protocol.wait();
    } finally {
        context.pop_thread_default();
    }
    protocol.assertFirstAndLast();
    assertEqual(text(concat(protocol.out)), 'ctx');
}

// A JS class with its own GObject properties and signals, as a gjs
// program would write one, on top of the vfuncs.
const Counting = GObject.registerClass({
    Properties: {
        'bytes-seen': GObject.ParamSpec.uint64('bytes-seen', '', '', GObject.ParamFlags.READABLE, 0, Number.MAX_SAFE_INTEGER, 0),
    },
    Signals: {'done': {param_types: [GObject.TYPE_INT]}},
}, class Counting extends Tpx.ProcessProtocol {
    _init() {
        super._init();
        this._seen = 0;
    }

    get bytes_seen() {
        return this._seen;
    }

    vfunc_child_data_received(fd, data) {
        this._seen += data.get_size();
        this.notify('bytes-seen');
    }

    vfunc_process_ended(status) {
        this.emit('done', status.get_exit_code());
    }
});

function testSubclassWithPropertiesAndSignals() {
    const protocol = new Counting();
    const done = [];
    let notifications = 0;
    protocol.connect('done', (_p, code) => done.push(code));
    protocol.connect('notify::bytes-seen', () => notifications++);
    spawnHelper('big', ['300000'], {protocol});
    runUntil(() => done.length > 0, {what: 'done'});
    assertEqual(JSON.stringify(done), '[0]');
    assertEqual(protocol.bytes_seen, 300000);
    assert(notifications >= 1, 'notify::bytes-seen');
}

runTests([
    ['dispatch/default', testDispatchDefault],
    ['dispatch/extra-fds', testDispatchExtraFds],
    ['dispatch/no-chain-up', testDispatchNoChainUp],
    ['data-received/replaces-named-methods', testDataReceivedReplacesNamedMethods],
    ['data-received/no-chain-up', testDataReceivedNoChainUp],
    ['connection-made/during-spawn', testConnectionMadeDuringSpawn],
    ['connection-made/spawn-process', testConnectionMadeSpawnProcess],
    ['order/after-handlers', testOrderAfterHandlers],
    ['transport-property', testTransportProperty],
    ['lifetime/protocol-dropped', testLifetimeProtocolDropped],
    ['lifetime/protocol-outlives', testLifetimeProtocolOutlives],
    ['base-instance', testBaseInstance],
    ['status', testStatusPassed],
    ['exception/vfunc', testExceptionInVfunc],
    ['exception/handler', testExceptionInHandler],
    ['context/pushed', testSubclassInAnotherContext],
    ['subclass/properties-and-signals', testSubclassWithPropertiesAndSignals],
]);
