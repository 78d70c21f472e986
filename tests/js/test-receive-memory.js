// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Issue 19: receiving through vfunc_data_received keeps gjs's memory
// bounded, with no collection forced by the program. 1 GiB from the helper
// child's stdout (mode big) arrives as Uint8Arrays, which SpiderMonkey
// counts against its heap and collects as it goes; the peak resident set
// (VmHWM) must stay below RSS_BOUND_MIB.
//
// Why 256 MiB: gjs starts at about 25 MiB, one chunk is at most 1 MiB, and
// this path peaks at 83-95 MiB on Debian 12 (gjs 1.74). The same GiB
// received as GLib.Bytes (vfunc_out_received) peaks at about 1,050 MiB:
// gjs keeps every wrapper, and the chunk it holds, until its next
// collection, and does not count the chunks towards starting one. So the
// bound leaves the array path more than twice the room it needs and is a
// quarter of what the GLib.Bytes path takes.
//
// Test 2 checks that no byte was lost. Those collections are incremental,
// and gjs before 1.82 refuses every JS callback from the moment a
// collection starts sweeping until its last slice ("Attempting to run a JS
// callback during garbage collection"; gjs commit 4e53510f fixed it): a
// vfunc call that lands between two slices is dropped, whatever its
// arguments. On a loaded machine that happens in some runs. It is gjs's
// bug, not tpx's, so on gjs < 1.82 a loss is reported as TODO with its
// size; on a fixed gjs it fails the test. For the same reason this test
// drives the main context from JavaScript (JS code between iterations lets
// the collector finish; under GLib.MainLoop.run() nothing would, and every
// later callback would be refused too) and runs without
// G_DEBUG=fatal-criticals (see meson.build).
//
// With --collect-every-mib N, the protocol calls System.gc() after every
// N MiB it received: the way docs/javascript.md tells programs on gjs <
// 1.82 to receive bulk data. A full collection is not incremental, and run
// that often it keeps SpiderMonkey from ever starting one of its own, so
// no callback can be refused: then a lost byte always fails the test, which
// runs a GLib.MainLoop, as such a program does, with fatal criticals.
//
// Usage: gjs -m test-receive-memory.js [--collect-every-mib N] [BYTES]

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const args = [...ARGV];
let collectEvery = 0;
if (args[0] === '--collect-every-mib') {
    collectEvery = Number(args[1]) * 1024 * 1024;
    args.splice(0, 2);
}
const SIZE = Number(args[0] ?? 1024 * 1024 * 1024);
const RSS_BOUND_MIB = 256;
const TIMEOUT_MS = 120000;
// After the child was reaped, how long to wait for the rest of its data
// (or process_ended) before deciding that gjs dropped it.
const GRACE_MS = 3000;
// gjs 1.82 checks JS::RuntimeHeapIsCollecting() instead of its own flag.
const GJS_FIXED = 18200;

function peakRssMib() {
    const [, contents] = GLib.file_get_contents('/proc/self/status');
    const match = /^VmHWM:\s*(\d+) kB$/m.exec(new TextDecoder().decode(contents));
    return Number(match[1]) / 1024;
}

const Counter = GObject.registerClass(
class Counter extends Tpx.ProcessProtocol {
    _init() {
        super._init();
        this.bytes = 0;
        this.chunks = 0;
        this.badByte = -1;
        this.status = null;
        this.uncollected = 0;
        this.loop = null;
    }

    // The child sends '0123456789' over and over: check each chunk's first
    // and last byte against its offset in the stream (cheap, and catches a
    // chunk repeated or reordered).
    vfunc_data_received(childFd, data) {
        if (childFd !== 1 || data.length === 0)
            return;
        const first = this.bytes;
        const last = first + data.length - 1;
        if (this.badByte < 0 && data[0] !== 48 + first % 10)
            this.badByte = first;
        if (this.badByte < 0 && data[data.length - 1] !== 48 + last % 10)
            this.badByte = last;
        this.bytes += data.length;
        this.chunks++;
        if (collectEvery > 0) {
            this.uncollected += data.length;
            if (this.uncollected >= collectEvery) {
                this.uncollected = 0;
                System.gc();
            }
        }
    }

    vfunc_process_ended(status) {
        this.status = status;
        this.loop?.quit();
    }
});

function receive() {
    const helper = GLib.build_filenamev([GLib.getenv('G_TEST_BUILDDIR'), 'helpers', 'tpx-test-child']);
    const before = peakRssMib();
    const protocol = new Counter();
    const context = GLib.MainContext.ref_thread_default();
    const started = GLib.get_monotonic_time();
    const transport = Tpx.ProcessLauncher.new().spawn(protocol, helper, [helper, 'big', `${SIZE}`]);

    if (collectEvery > 0) {
        protocol.loop = new GLib.MainLoop(null, false);
        const timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, TIMEOUT_MS, () => {
            protocol.loop.quit();
            return GLib.SOURCE_REMOVE;
        });
        protocol.loop.run();
        if (protocol.status === null)
            throw new Error(`timed out after ${TIMEOUT_MS} ms with ${protocol.bytes} of ${SIZE} bytes`);
        GLib.source_remove(timer);
        return finish(protocol, transport, before, started);
    }

    // While gjs refuses callbacks, a refused GSourceFunc returns garbage
    // and may remove its source: a fresh one-shot timer per iteration wakes
    // the loop once the child's events are all consumed.
    let reapedAt = null;
    while (protocol.status === null) {
        const wakeUp = GLib.timeout_source_new(100);
        wakeUp.set_callback(() => GLib.SOURCE_REMOVE);
        wakeUp.attach(context);
        context.iteration(true);
        wakeUp.destroy();
        const now = GLib.get_monotonic_time();
        if (reapedAt === null && transport.get_status() !== null)
            reapedAt = now;
        if (reapedAt !== null && now - reapedAt > GRACE_MS * 1000)
            break;
        if (now - started > TIMEOUT_MS * 1000)
            throw new Error(`timed out after ${TIMEOUT_MS} ms with ${protocol.bytes} of ${SIZE} bytes`);
    }
    return finish(protocol, transport, before, started);
}

function finish(protocol, transport, before, started) {
    const seconds = (GLib.get_monotonic_time() - started) / 1e6;
    const peak = peakRssMib();
    const status = transport.get_status();

    print(`# ${protocol.bytes} of ${SIZE} bytes in ${protocol.chunks} chunks, ${seconds.toFixed(1)} s; ` +
        `peak RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB after`);
    if (status === null || !status.is_success())
        throw new Error(`the child failed: ${status === null ? 'not reaped' : `wait status ${status.get_raw_status()}`}`);
    if (protocol.badByte >= 0)
        throw new Error(`byte ${protocol.badByte} of the stream is wrong`);
    if (peak >= RSS_BOUND_MIB)
        throw new Error(`peak RSS ${peak.toFixed(0)} MiB, bound ${RSS_BOUND_MIB} MiB`);
    return protocol;
}

function versionText(version) {
    return `${Math.floor(version / 10000)}.${Math.floor(version / 100) % 100}.${version % 100}`;
}

const how = collectEvery > 0 ? `, System.gc() every ${collectEvery / 1024 / 1024} MiB` : ', no forced GC';
print('1..2');
let protocol;
try {
    protocol = receive();
    print(`ok 1 - 1 GiB through vfunc_data_received${how}, peak RSS below ${RSS_BOUND_MIB} MiB`);
} catch (e) {
    print(`not ok 1 - 1 GiB through vfunc_data_received${how}, peak RSS below ${RSS_BOUND_MIB} MiB`);
    for (const line of `${e}\n${e.stack ?? ''}`.trimEnd().split('\n'))
        print(`# ${line}`);
    print('not ok 2 - no byte lost # SKIP test 1 failed');
    System.exit(1);
}

const lost = SIZE - protocol.bytes;
if (lost === 0 && protocol.status !== null) {
    print('ok 2 - no byte lost, process_ended called');
} else {
    const what = `${lost} bytes lost, process_ended ${protocol.status === null ? 'not ' : ''}called`;
    if (System.version < GJS_FIXED && collectEvery === 0) {
        print(`not ok 2 - no byte lost # TODO gjs ${versionText(System.version)} refuses callbacks ` +
            `while an incremental collection sweeps (fixed in gjs 1.82): ${what}`);
    } else {
        print(`not ok 2 - no byte lost: ${what}`);
        System.exit(1);
    }
}
