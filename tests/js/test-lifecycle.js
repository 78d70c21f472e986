// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DESIGN §4a from gjs: a transport without a child, nested main-loop
// iterations inside a vfunc and a signal handler, g_object_run_dispose()
// on a running transport. Reported as TAP.

import {
    Gio, GLib, GObject, Tpx, Recorder, assert, assertEqual, assertNoChildren,
    countFds, drain, helperArgv, runTests, runUntil, spawnHelper,
} from './tpxtest.js';

function testNoChild() {
    const transport = new Tpx.ProcessTransport();
    const fired = [];
    for (const name of ['child-data', 'child-connection-lost', 'write-drained',
        'process-exited', 'process-ended'])
        transport.connect(name, () => fired.push(name));

    assertEqual(transport.get_pid(), 0, 'pid');
    assertEqual(transport.get_status(), null, 'status');
    for (const call of [
        () => transport.signal_process('USR1'),
        () => transport.send_signal(10),
        () => transport.signal_process_group('USR1'),
        () => transport.write_to_child(0, new TextEncoder().encode('x')),
        () => transport.set_window_size(24, 80),
    ]) {
        let error = null;
        try {
            call();
        } catch (e) {
            error = e;
        }
        assert(error !== null && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_INITIALIZED),
            `NOT_INITIALIZED, got ${error}`);
    }
    transport.write(new TextEncoder().encode('x'));
    transport.close_stdin();
    transport.lose_connection();
    transport.pause_producing();
    transport.resume_producing();
    drain();
    assertEqual(fired.length, 0, 'signals of a transport without a child');
}

const Nesting = GObject.registerClass(
class Nesting extends Tpx.ProcessProtocol {
    _init() {
        super._init();
        this.events = [];
        this.depth = 0;
        this.inside = 0;
        this.nested = false;
        this.bytes = 0;
    }

    _record(what) {
        if (this.depth > 0)
            this.inside++;
        this.events.push(what);
    }

    vfunc_out_received(data) {
        this._record('data');
        this.bytes += data.get_size();
        if (!this.nested) {
            this.nested = true;
            this.depth++;
            const other = new Recorder(spawnHelper('write-out', ['other']));
            other.wait();
            this.depth--;
        }
    }

    vfunc_process_exited() {
        this._record('exited');
    }

    vfunc_process_ended() {
        this._record('ended');
    }
});

function testNestedLoopInVfunc() {
    const proto = new Nesting();
    const argv = helperArgv('big', '1000000');
    Tpx.spawn_process(proto, argv[0], argv, null, null);
    runUntil(() => proto.events.includes('ended'), {what: 'process-ended'});
    assert(proto.nested, 'nested');
    assertEqual(proto.inside, 0, 'own events delivered inside the vfunc');
    assertEqual(proto.bytes, 1000000, 'bytes');
    assertEqual(proto.events[proto.events.length - 1], 'ended', 'last event');
    assertEqual(proto.events.filter(e => e === 'exited').length, 1, 'exited once');
    assert(proto.events.indexOf('exited') < proto.events.indexOf('ended'), 'exited before ended');
}

function testNestedLoopInHandler() {
    const transport = spawnHelper('big', ['300000']);
    const rec = new Recorder(transport);
    let depth = 0, inside = 0, nested = false;
    for (const name of ['child-data', 'child-connection-lost', 'process-ended']) {
        transport.connect(name, () => {
            if (depth > 0)
                inside++;
        });
    }
    transport.connect('process-exited', () => {
        if (nested)
            return;
        nested = true;
        depth++;
        new Recorder(spawnHelper('write-out', ['x'])).wait();
        depth--;
    });
    rec.wait();
    assert(nested, 'nested');
    assertEqual(inside, 0, 'own events delivered inside the handler');
    assertEqual(rec.events[rec.events.length - 1], 'ended', 'last event');
}

function testRunDisposeStillReaps() {
    const before = countFds();
    let transport = spawnHelper('wait-stdin');
    const pid = transport.get_pid();
    // gjs refuses every call on a disposed object: close first. The child
    // is not reaped before the main loop runs, so it is still running.
    transport.close_stdin();
    transport.run_dispose();
    transport = null;
    runUntil(() => {
        drain();
        return countFds() === before && !GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);
    }, {poll: true, what: 'the child reaped and its fds closed'});
    assertNoChildren();
}

runTests([
    ['a transport without a child fails every call and never signals', testNoChild],
    ['a nested loop in a vfunc holds back the transport\'s own events', testNestedLoopInVfunc],
    ['a nested loop in a signal handler holds back the transport\'s own events', testNestedLoopInHandler],
    ['run_dispose on a running transport still reaps the child', testRunDisposeStillReaps],
]);
