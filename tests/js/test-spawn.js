// SPDX-License-Identifier: LGPL-2.1-or-later
//
// End-to-end spawning through the Tpx typelib from gjs, reported as TAP.
// Run against the build tree: the meson test sets GI_TYPELIB_PATH and
// LD_LIBRARY_PATH so that gi://Tpx is the library just built.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

// Generous, but a hung test still fails well before meson's own timeout.
const TIMEOUT_MS = 10000;

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

function assertEqual(actual, expected, what) {
    if (actual !== expected) {
        throw new Error(`assertion failed: ${what}: expected ` +
            `${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

function bytesToString(bytes) {
    return new TextDecoder().decode(bytes.get_data() ?? new Uint8Array());
}

// Runs @loop until done() is true; throws on timeout.
function runUntil(loop, done) {
    let timedOut = false;
    const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, TIMEOUT_MS, () => {
        timedOut = true;
        loop.quit();
        return GLib.SOURCE_REMOVE;
    });
    while (!done() && !timedOut)
        loop.run();
    if (!timedOut)
        GLib.source_remove(id);
    assert(!timedOut, 'timed out waiting for the child');
}

const RecordingProtocol = GObject.registerClass(
class RecordingProtocol extends Tpx.ProcessProtocol {
    _init(loop) {
        super._init();
        this._loop = loop;
        this.events = [];
        this.out = '';
        this.status = null;
    }

    vfunc_out_received(data) {
        this.events.push('out');
        this.out += bytesToString(data);
    }

    vfunc_process_ended(status) {
        this.events.push('ended');
        this.status = status;
        this._loop.quit();
    }
});

function testSignals() {
    const loop = new GLib.MainLoop(null, false);
    const launcher = Tpx.ProcessLauncher.new();
    const chunks = [];
    const ended = [];

    const transport = launcher.spawn(null, '/bin/echo', ['echo', 'hello']);
    assert(transport instanceof Tpx.ProcessTransport, 'spawn returns a transport');
    assert(transport.get_pid() > 0, 'the child has a pid');
    assertEqual(transport.get_status(), null, 'status before exit');
    transport.connect('child-data', (_t, childFd, data) => {
        chunks.push([childFd, bytesToString(data)]);
    });
    transport.connect('process-ended', (_t, status) => {
        ended.push(status);
        loop.quit();
    });

    runUntil(loop, () => ended.length > 0);

    assertEqual(ended.length, 1, 'process-ended emissions');
    assertEqual(chunks.map(([, text]) => text).join(''), 'hello\n', 'stdout');
    assert(chunks.every(([fd]) => fd === 1), 'every chunk came from fd 1');
    const status = ended[0];
    assert(status instanceof Tpx.ProcessStatus, 'status is a Tpx.ProcessStatus');
    assertEqual(status.get_exit_code(), 0, 'exit code');
    assertEqual(status.get_signal(), 0, 'signal');
    assert(status.is_success(), 'is_success()');
    assert(transport.get_status() === status, 'get_status() after exit');
}

function testProtocolSubclass() {
    const loop = new GLib.MainLoop(null, false);
    const protocol = new RecordingProtocol(loop);
    const launcher = Tpx.ProcessLauncher.new();

    const transport = launcher.spawn(protocol, '/bin/echo', ['echo', 'hello']);
    assert(transport.get_protocol() === protocol, 'transport.get_protocol()');
    assert(protocol.get_transport() === transport, 'protocol.get_transport()');

    runUntil(loop, () => protocol.status !== null);

    assertEqual(protocol.out, 'hello\n', 'out_received data');
    // every chunk of output arrives before the one, final process_ended
    assertEqual(protocol.events[protocol.events.length - 1], 'ended', 'last event');
    assertEqual(protocol.events.filter(e => e === 'ended').length, 1,
        'process_ended calls');
    assert(protocol.events.slice(0, -1).every(e => e === 'out'),
        `only out_received before process_ended: ${protocol.events}`);
    assertEqual(protocol.status.get_exit_code(), 0, 'exit code');
    assert(protocol.status.is_success(), 'is_success()');
}

function testMissingExecutable() {
    const launcher = Tpx.ProcessLauncher.new();
    const missing = '/nonexistent/tpx-no-such-program';
    let error = null;

    try {
        launcher.spawn(null, missing, [missing]);
    } catch (e) {
        error = e;
    }

    assert(error !== null, 'spawning a missing executable throws');
    assert(error instanceof GLib.Error, `a GLib.Error, not ${error}`);
    assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND),
        `G_IO_ERROR_NOT_FOUND, not ${error.domain}:${error.code} ${error.message}`);
    assert(error.message.includes(missing), 'the message names the executable');
}

const tests = [
    ['child-data and process-ended signals', testSignals],
    ['ProcessProtocol subclass vfuncs', testProtocolSubclass],
    ['missing executable is G_IO_ERROR_NOT_FOUND', testMissingExecutable],
];

print(`1..${tests.length}`);
let failures = 0;
tests.forEach(([name, test], i) => {
    try {
        test();
        print(`ok ${i + 1} - ${name}`);
    } catch (e) {
        failures++;
        print(`not ok ${i + 1} - ${name}`);
        for (const line of `${e}\n${e.stack ?? ''}`.trimEnd().split('\n'))
            print(`# ${line}`);
    }
});

if (failures > 0)
    System.exit(1);
