// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Issue 19: gjs must never lose a vfunc call under load. 200,000 64-byte
// round trips between a Tpx.ProcessProtocol subclass (vfunc_data_received,
// the byte-array data path) and the helper child in echo mode, parent and
// child on one CPU.
//
// meson runs this file under `taskset -c CPU` (the first CPU this process
// may use); the test checks that it and the child are both pinned to one
// CPU. gjs 1.74 refuses to run a JS callback while it is sweeping ("Attempting
// to run a JS callback during garbage collection"), so a dropped vfunc call
// means no reply is written and the ping-pong stops. The test runs a
// GLib.MainLoop, as a user's program does, instead of tpxtest.js's
// runUntil(), which forces a full collection before every main-context
// iteration: here the collector runs whenever gjs decides. A stall
// (no reply for STALL_MS) fails the test instead of hanging it, and
// G_DEBUG=fatal-criticals (the meson test environment) turns the critical
// itself into a failure.
//
// Usage: gjs -m test-pingpong-load.js [ROUNDS]

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const ROUNDS = Number(ARGV[0] ?? 200000);
const PING = 64;
const STALL_MS = 30000;

const decoder = new TextDecoder();

function statusField(pid, field) {
    const [, contents] = GLib.file_get_contents(`/proc/${pid}/status`);
    const match = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(decoder.decode(contents));
    return match ? match[1].trim() : null;
}

// "3" or "0-1,3" → the number of CPUs in the list.
function countCpus(list) {
    let n = 0;
    for (const range of list.split(',')) {
        const [first, last = first] = range.split('-').map(Number);
        n += last - first + 1;
    }
    return n;
}

const PingPong = GObject.registerClass(
class PingPong extends Tpx.ProcessProtocol {
    _init(rounds) {
        super._init();
        this.rounds = rounds;
        this.done = 0;
        this.pending = 0;     // bytes of the current reply received so far
        this.bytes = 0;
        this.badByte = -1;
        this.childCpus = null;
        this.status = null;
        // Each message is 64 copies of one byte that changes every round,
        // so a lost, repeated or reordered reply shows.
        this.message = new Uint8Array(PING);
    }

    _send() {
        this.message.fill(this.done & 0xff);
        this.get_transport().write(this.message);
    }

    vfunc_connection_made(transport) {
        this.childCpus = statusField(transport.get_pid(), 'Cpus_allowed_list');
        this._send();
    }

    vfunc_data_received(childFd, data) {
        if (childFd !== 1)
            return;
        this.bytes += data.length;
        for (let i = 0; i < data.length; i++) {
            if (data[i] !== (this.done & 0xff) && this.badByte < 0)
                this.badByte = this.bytes - data.length + i;
            if (++this.pending < PING)
                continue;
            this.pending = 0;
            this.done++;
            if (this.done === this.rounds)
                this.get_transport().close_stdin();
            else
                this._send();
        }
    }

    vfunc_process_ended(status) {
        this.status = status;
        this.loop?.quit();
    }
});

function runPingPong() {
    const cpus = statusField('self', 'Cpus_allowed_list');
    if (countCpus(cpus) !== 1)
        throw new Error(`not pinned to one CPU (allowed: ${cpus}): run under taskset -c N, as meson does`);

    const helper = GLib.build_filenamev([GLib.getenv('G_TEST_BUILDDIR'), 'helpers', 'tpx-test-child']);
    const protocol = new PingPong(ROUNDS);
    const loop = new GLib.MainLoop(null, false);
    protocol.loop = loop;
    const started = GLib.get_monotonic_time();
    Tpx.ProcessLauncher.new().spawn(protocol, helper, [helper, 'echo']);

    // The watchdog: a reply must come at least every STALL_MS.
    let lastDone = -1;
    let stalled = false;
    const watchdog = GLib.timeout_add(GLib.PRIORITY_DEFAULT, STALL_MS, () => {
        if (protocol.done === lastDone) {
            stalled = true;
            loop.quit();
            return GLib.SOURCE_REMOVE;
        }
        lastDone = protocol.done;
        return GLib.SOURCE_CONTINUE;
    });
    if (protocol.status === null)
        loop.run();
    if (!stalled)
        GLib.source_remove(watchdog);
    const seconds = (GLib.get_monotonic_time() - started) / 1e6;

    if (stalled) {
        throw new Error(`no reply for ${STALL_MS} ms after ${protocol.done} of ${ROUNDS} ` +
            'round trips: a vfunc call was lost');
    }
    if (protocol.childCpus !== cpus)
        throw new Error(`the child may run on CPUs ${protocol.childCpus}, the parent on ${cpus}`);
    if (protocol.badByte >= 0)
        throw new Error(`reply byte ${protocol.badByte} is not the one sent`);
    if (protocol.done !== ROUNDS || protocol.bytes !== ROUNDS * PING)
        throw new Error(`${protocol.done} round trips, ${protocol.bytes} bytes back; expected ${ROUNDS}`);
    if (!protocol.status.is_success())
        throw new Error(`the echo child failed: wait status ${protocol.status.get_raw_status()}`);
    return `${ROUNDS} round trips on CPU ${cpus} in ${seconds.toFixed(1)} s ` +
        `(${Math.round(ROUNDS / seconds)}/s)`;
}

print('1..1');
try {
    print(`# ${runPingPong()}`);
    print('ok 1 - ping-pong through vfunc_data_received on one CPU, no forced GC');
} catch (e) {
    print('not ok 1 - ping-pong through vfunc_data_received on one CPU, no forced GC');
    for (const line of `${e}\n${e.stack ?? ''}`.trimEnd().split('\n'))
        print(`# ${line}`);
    System.exit(1);
}
