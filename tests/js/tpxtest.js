// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the gjs parity suites share: a TAP runner, the helper child, a
// recorder of a transport's signals, main-loop waits that fail instead of
// hanging, and the few system calls gjs has no binding for (pipes, the
// list of children) done through GLib, Gio and /proc.
//
// The suites run against the build tree: the meson test environment sets
// GI_TYPELIB_PATH and LD_LIBRARY_PATH to the library just built.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

// Generous, but a hung test still fails well before meson's own timeout.
export const TIMEOUT_MS = 10000;
export const MIB = 1024 * 1024;
export const STD_PIPES = [0, 1, 2];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ------------------------------------------------------------------------
// TAP

// Thrown by a test that cannot run here; the message says why.
export class Skip extends Error {}

// Runs [name, func] pairs, prints TAP, exits 1 if one failed.
export function runTests(tests) {
    print(`1..${tests.length}`);
    let failures = 0;
    tests.forEach(([name, test], i) => {
        System.gc();
        try {
            test();
            print(`ok ${i + 1} - ${name}`);
        } catch (e) {
            if (e instanceof Skip) {
                print(`ok ${i + 1} - ${name} # SKIP ${e.message}`);
                return;
            }
            failures++;
            print(`not ok ${i + 1} - ${name}`);
            for (const line of `${e}\n${e.stack ?? ''}`.trimEnd().split('\n'))
                print(`# ${line}`);
        }
    });
    if (failures > 0)
        System.exit(1);
}

// ------------------------------------------------------------------------
// Assertions

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

export function assertEqual(actual, expected, what = 'value') {
    if (actual !== expected) {
        throw new Error(`assertion failed: ${what}: expected ` +
            `${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
}

export function assertArrayEqual(actual, expected, what = 'array') {
    assertEqual(JSON.stringify(actual), JSON.stringify(expected), what);
}

// Byte arrays, compared without printing megabytes.
export function assertBytesEqual(actual, expected, what = 'bytes') {
    assertEqual(actual.length, expected.length, `${what}: length`);
    for (let i = 0; i < actual.length; i++) {
        if (actual[i] !== expected[i])
            throw new Error(`assertion failed: ${what}: byte ${i} is ${actual[i]}, not ${expected[i]}`);
    }
}

// Calls func(), which must throw a GLib.Error of @domain (an error enum
// such as Gio.IOErrorEnum or Tpx.ProcessError) and @code; returns it.
export function assertThrowsError(func, domain, code, what = 'the call') {
    let error = null;
    try {
        func();
    } catch (e) {
        error = e;
    }
    assert(error !== null, `${what} throws`);
    assertError(error, domain, code, what);
    return error;
}

export function assertError(error, domain, code, what = 'the error') {
    assert(error instanceof GLib.Error, `${what}: a GLib.Error, not ${error}`);
    assert(error.matches(domain, code),
        `${what}: expected code ${code}, got ${error.domain}:${error.code} ${error.message}`);
}

export function assertThrows(func, what = 'the call') {
    let threw = false;
    try {
        func();
    } catch (e) {
        threw = true;
    }
    assert(threw, `${what} throws`);
}

// ------------------------------------------------------------------------
// Bytes and text

export function bytes(text) {
    return encoder.encode(text);
}

export function text(data) {
    if (data instanceof GLib.Bytes)
        data = data.toArray();
    return decoder.decode(data);
}

export function concat(chunks) {
    let size = 0;
    for (const chunk of chunks)
        size += chunk.length;
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
        all.set(chunk, offset);
        offset += chunk.length;
    }
    return all;
}

// @size reproducible bytes that do not repeat with a short period.
export function pattern(size, seed) {
    const data = new Uint8Array(size);
    let x = (seed * 2654435761 + 1) >>> 0 || 1;
    for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        data[i] = x & 0xff;
    }
    return data;
}

export function digits(size) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++)
        data[i] = 48 + i % 10;
    return data;
}

// ------------------------------------------------------------------------
// The helper child and the examples

export function helperPath() {
    return GLib.build_filenamev([GLib.getenv('G_TEST_BUILDDIR'), 'helpers', 'tpx-test-child']);
}

export function helperArgv(mode, ...args) {
    return [helperPath(), mode, ...args];
}

export function exampleDir() {
    return GLib.build_filenamev([GLib.getenv('G_TEST_SRCDIR'), '..', 'examples']);
}

// ------------------------------------------------------------------------
// The main loop

// Iterates @context (the thread-default one) until done(); throws after
// @timeoutMs. With @poll, a short timer makes the loop look again, for
// conditions that change outside of it (the state of a child in /proc).
export function runUntil(done, {timeoutMs = TIMEOUT_MS, poll = false, context = null, what = 'an event'} = {}) {
    context ??= GLib.MainContext.ref_thread_default();
    if (done())
        return;
    let timedOut = false;
    const timer = GLib.timeout_source_new(timeoutMs);
    timer.set_callback(() => {
        timedOut = true;
        return GLib.SOURCE_REMOVE;
    });
    timer.attach(context);
    let recheck = null;
    if (poll) {
        recheck = GLib.timeout_source_new(5);
        recheck.set_callback(() => GLib.SOURCE_CONTINUE);
        recheck.attach(context);
    }
    try {
        while (!done() && !timedOut) {
            finishGarbageCollection();
            context.iteration(true);
        }
    } finally {
        timer.destroy();
        recheck?.destroy();
    }
    assert(done(), `timed out after ${timeoutMs} ms waiting for ${what}`);
}

// gjs 1.74 marks itself "sweeping" from the start to the end of sweeping
// a group of zones, and an incremental collection may hand control back to
// JavaScript in between (sooner on a busy machine): a signal or vfunc
// invoked from C then is refused ("Attempting to call back into JSAPI
// during the sweeping phase of GC"), a critical. A complete collection
// before each dispatch leaves no collection half done when C calls back.
export function finishGarbageCollection() {
    System.gc();
}

// Dispatches everything that is ready now, without blocking.
export function drain(context = null) {
    context ??= GLib.MainContext.ref_thread_default();
    for (let i = 0; i < 1000; i++) {
        finishGarbageCollection();
        if (!context.iteration(false))
            break;
    }
}

// ------------------------------------------------------------------------
// fds and children, from /proc

// The entries of a /proc directory (opening it takes one fd).
function listDir(path) {
    const enumerator = Gio.File.new_for_path(path).enumerate_children('standard::name',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    const names = [];
    for (let info = enumerator.next_file(null); info !== null; info = enumerator.next_file(null))
        names.push(info.get_name());
    enumerator.close(null);
    return names;
}

function fdNames() {
    return listDir('/proc/self/fd');
}

// Open fds, not counting the one that lists them.
export function countFds() {
    GLib.MainContext.default();
    return fdNames().length - 1;
}

export function countPipeFds() {
    let n = 0;
    for (const name of fdNames()) {
        try {
            if (GLib.file_read_link(`/proc/self/fd/${name}`).startsWith('pipe:'))
                n++;
        } catch (e) {
        }
    }
    return n;
}

export function fdIsOpen(fd) {
    return GLib.file_test(`/proc/self/fd/${fd}`, GLib.FileTest.EXISTS);
}

// This process's children, running or zombie (not reaped), from
// /proc/self/task/*/children.
export function children() {
    const pids = [];
    for (const tid of listDir('/proc/self/task')) {
        let contents;
        try {
            [, contents] = GLib.file_get_contents(`/proc/self/task/${tid}/children`);
        } catch (e) {
            continue;  // the thread is gone
        }
        pids.push(...text(contents).split(' ').filter(s => s !== '').map(Number));
    }
    return pids;
}

export function haveChildren() {
    return children().length > 0;
}

export function assertNoChildren() {
    const pids = children();
    assert(pids.length === 0, `no child left, but there are: ${pids}`);
}

export function waitNoChildren() {
    runUntil(() => !haveChildren(), {poll: true, timeoutMs: 20000, what: 'every child to be reaped'});
}

// Whether @pid is asleep in a write to a full pipe.
export function blockedInPipeWrite(pid) {
    try {
        const [, wchan] = GLib.file_get_contents(`/proc/${pid}/wchan`);
        return text(wchan).includes('pipe_write');
    } catch (e) {
        return false;
    }
}

export function isZombie(pid) {
    try {
        const [, contents] = GLib.file_get_contents(`/proc/${pid}/stat`);
        const stat = text(contents);
        return stat[stat.lastIndexOf(')') + 2] === 'Z';
    } catch (e) {
        return false;
    }
}

// gjs has no pipe(): a connected pair of UNIX stream sockets stands in
// for one (close-on-exec, end of file once every copy of the other end is
// closed). Returns [readSocket, writeSocket] (Gio.Socket; get_fd()).
let socketCounter = 0;
export function socketPair() {
    const name = `tpx-test-${GLib.random_int()}-${socketCounter++}`;
    const address = Gio.UnixSocketAddress.new_with_type(name, Gio.UnixSocketAddressType.ABSTRACT);
    const listener = Gio.Socket.new(Gio.SocketFamily.UNIX, Gio.SocketType.STREAM, Gio.SocketProtocol.DEFAULT);
    listener.bind(address, false);
    listener.listen();
    const client = Gio.Socket.new(Gio.SocketFamily.UNIX, Gio.SocketType.STREAM, Gio.SocketProtocol.DEFAULT);
    client.connect(address, null);
    const server = listener.accept(null);
    listener.close();
    return [server, client];
}

// A real pipe, with blocking fds, where a child must block reading one:
// /bin/cat in the middle (GSocket fds are always nonblocking, and a child
// shares that flag). Returns {readFd, writeFd, pid, close()}; close()
// closes both ends and reaps cat.
export function catPipe() {
    const [, pid, writeFd, readFd] = GLib.spawn_async_with_pipes(null, ['/bin/cat'], null,
        GLib.SpawnFlags.DO_NOT_REAP_CHILD, null);
    let reaped = false;
    GLib.child_watch_add(GLib.PRIORITY_DEFAULT, pid, () => {
        reaped = true;
    });
    return {
        readFd, writeFd, pid,
        close() {
            GLib.close(this.writeFd);
            GLib.close(this.readFd);
            runUntil(() => reaped, {what: 'cat to be reaped'});
        },
    };
}

// Reads @socket to its end without blocking: a copy of the other end
// still open somewhere fails the test instead of hanging it.
export function readToEof(socket) {
    socket.set_blocking(false);
    const input = Gio.UnixInputStream.new(socket.get_fd(), false);
    const chunks = [];
    for (;;) {
        let chunk;
        try {
            chunk = input.read_bytes(65536, null);
        } catch (e) {
            throw new Error(`no end of file on the pipe: ${e.message}`);
        }
        if (chunk.get_size() === 0)
            return concat(chunks);
        chunks.push(chunk.toArray());
    }
}

export function writeAll(fd, data) {
    Gio.UnixOutputStream.new(fd, false).write_all(data, null);
}

// Sends @signal to @pid with kill(1), for a child no transport is left for.
export function kill(pid, signal) {
    const [, , , status] = GLib.spawn_sync(null, ['/bin/kill', `-${signal}`, `${pid}`],
        null, GLib.SpawnFlags.DEFAULT, null);
    assert(GLib.spawn_check_wait_status(status), `kill -${signal} ${pid}`);
}

// ------------------------------------------------------------------------
// Lifetimes

// Tells when a GObject is finalized: a GBinding holds only a weak
// reference to its source. @property is one of the object's properties
// whose type is an object; when it changes, the binding passes the new
// value to a GBindingGroup's "source", which holds it weakly too. (No JS
// code runs in all of this: a GObject finalized during a garbage
// collection must not call into JavaScript.)
export class Finalized {
    constructor(obj, property) {
        this._target = new GObject.BindingGroup();
        this._binding = obj.bind_property(property, this._target, 'source', GObject.BindingFlags.DEFAULT);
    }

    get gone() {
        return this._binding.dup_source() === null;
    }

    wait() {
        const context = GLib.MainContext.ref_thread_default();
        runUntil(() => {
            System.gc();
            drain(context);
            return this.gone;
        }, {poll: true, what: 'the object to be finalized'});
    }
}

// ------------------------------------------------------------------------
// Expected critical messages (gjs logs an exception in a callback as one;
// G_DEBUG=fatal-criticals would abort on it otherwise).

export function expectCritical(glob) {
    GLib.test_expect_message('Gjs', GLib.LogLevelFlags.LEVEL_CRITICAL, glob);
}

export function assertExpectedMessages() {
    GLib.test_assert_expected_messages_internal('Gjs', 'tpxtest.js', 0, 'assertExpectedMessages');
}

// ------------------------------------------------------------------------
// Recording a transport

// Records everything a transport emits, in order: "data:N" (consecutive
// chunks on one fd once), "lost:N", "drained:N", "exited", "ended".
export class Recorder {
    constructor(transport) {
        this.transport = transport;
        this.events = [];
        this.chunks = new Map();
        this.exitStatus = null;
        this.endStatus = null;
        this.nEnded = 0;
        this.handlers = [
            transport.connect('child-data', (_t, fd, data) => {
                const event = `data:${fd}`;
                if (this.events[this.events.length - 1] !== event)
                    this.events.push(event);
                if (!this.chunks.has(fd))
                    this.chunks.set(fd, []);
                this.chunks.get(fd).push(data.toArray());
            }),
            transport.connect('child-connection-lost', (_t, fd) => this.events.push(`lost:${fd}`)),
            transport.connect('write-drained', (_t, fd) => this.events.push(`drained:${fd}`)),
            transport.connect('process-exited', (_t, status) => {
                this.events.push('exited');
                this.exitStatus = status;
            }),
            transport.connect('process-ended', (_t, status) => {
                this.events.push('ended');
                this.endStatus = status;
                this.nEnded++;
            }),
        ];
    }

    get exited() {
        return this.exitStatus !== null;
    }

    get ended() {
        return this.nEnded > 0;
    }

    wait(timeoutMs = TIMEOUT_MS) {
        runUntil(() => this.ended, {timeoutMs, what: `process-ended (events: ${this.trace()})`});
    }

    waitForEvent(event) {
        runUntil(() => this.events.includes(event), {what: event});
    }

    waitForText(fd, prefix) {
        runUntil(() => this.text(fd).startsWith(prefix), {what: `"${prefix}" on fd ${fd}`});
    }

    bytes(fd = 1) {
        return concat(this.chunks.get(fd) ?? []);
    }

    size(fd = 1) {
        return (this.chunks.get(fd) ?? []).reduce((n, chunk) => n + chunk.length, 0);
    }

    text(fd = 1) {
        return text(this.bytes(fd));
    }

    trace() {
        return this.events.join(' ');
    }

    count(event) {
        return this.events.filter(e => e === event).length;
    }

    first(event) {
        return this.events.indexOf(event);
    }

    last(event) {
        return this.events.lastIndexOf(event);
    }

    assertExitCode(code) {
        assert(this.endStatus !== null, 'ended');
        assertEqual(this.endStatus.get_signal(), 0, 'signal');
        assertEqual(this.endStatus.get_exit_code(), code, `exit code (stderr: ${this.text(2)})`);
    }

    assertKilledBy(signum) {
        assert(this.endStatus !== null, 'ended');
        assertEqual(this.endStatus.get_signal(), signum, 'signal');
        assertEqual(this.endStatus.get_exit_code(), -1, 'exit code');
    }

    // The invariants of every child's life: one process-exited, one
    // process-ended, last; each pipe lost once, nothing after that.
    assertWellFormed(pipes = STD_PIPES) {
        const trace = this.trace();
        assertEqual(this.nEnded, 1, `process-ended emissions in ${trace}`);
        assertEqual(this.count('exited'), 1, `process-exited in ${trace}`);
        assertEqual(this.last('ended'), this.events.length - 1, `ended last in ${trace}`);
        assert(this.first('exited') < this.last('ended'), `exited before ended in ${trace}`);
        for (const fd of pipes) {
            assertEqual(this.count(`lost:${fd}`), 1, `lost:${fd} in ${trace}`);
            assert(this.last(`data:${fd}`) < this.first(`lost:${fd}`), `no data:${fd} after lost:${fd} in ${trace}`);
        }
        assert(this.exitStatus === this.endStatus, 'one status');
    }

    // Drops the transport (the handlers hold it).
    release() {
        if (this.transport !== null) {
            for (const id of this.handlers)
                this.transport.disconnect(id);
        }
        this.handlers = [];
        this.transport = null;
    }
}

export function spawnHelper(mode, args = [], {launcher = null, protocol = null} = {}) {
    launcher ??= Tpx.ProcessLauncher.new();
    const argv = helperArgv(mode, ...args);
    const transport = launcher.spawn(protocol, argv[0], argv);
    assert(transport instanceof Tpx.ProcessTransport, 'spawn returns a transport');
    return transport;
}

export function recordHelper(mode, args = [], options = {}) {
    const transport = spawnHelper(mode, args, options);
    return [transport, new Recorder(transport)];
}

// Runs the helper to its end; returns the Recorder.
export function runHelper(mode, args = [], options = {}) {
    const [, rec] = recordHelper(mode, args, options);
    rec.wait();
    return rec;
}

export function runArgv(argv, {launcher = null, executable = null} = {}) {
    launcher ??= Tpx.ProcessLauncher.new();
    const rec = new Recorder(launcher.spawn(null, executable ?? helperPath(), argv));
    rec.wait();
    return rec;
}

let warmedUp = false;

// Runs one child to its end, so that what the library keeps per main
// context exists before a test counts fds.
export function warmUp() {
    if (warmedUp)
        return;
    const rec = new Recorder(Tpx.ProcessLauncher.new().spawn(null, '/bin/true', null));
    rec.wait();
    rec.release();
    warmedUp = true;
}

// Spawning fails with @domain/@code, names @executable (and @step) in its
// message, and leaves no fd and no child behind.
export function assertSpawnFails(launcher, executable, argv, domain, code, step = null) {
    warmUp();
    const nFds = countFds();
    const error = assertThrowsError(() => launcher.spawn(null, executable, argv), domain, code, 'the spawn');
    assert(error.message.includes(executable), `the message names ${executable}: ${error.message}`);
    if (step !== null)
        assert(error.message.includes(step), `the message names ${step}: ${error.message}`);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
    return error;
}

export function assertLinesUnordered(actual, expected, what = 'lines') {
    assert(actual === '' || actual.endsWith('\n'), `${what} end with a newline`);
    const lines = actual === '' ? [] : actual.slice(0, -1).split('\n');
    assertArrayEqual([...lines].sort(), [...expected].sort(), what);
}

export {GLib, GObject, Gio, Tpx, System};
