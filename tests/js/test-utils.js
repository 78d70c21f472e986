// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The output helpers from gjs (twisted.internet.utils): the *_async /
// *_finish pairs with a callback and through Gio._promisify, cancelling,
// main contexts (the parity of tests/test-utils.c), reported as TAP.

import {
    GLib, Gio, Tpx, assert, assertEqual, assertError, assertNoChildren,
    assertThrowsError, bytes, catPipe, children, drain, haveChildren, helperPath, readToEof, runTests,
    runUntil, socketPair, text, waitNoChildren, writeAll,
} from './tpxtest.js';

const MISSING = '/nonexistent/tpx-no-such-program';

Gio._promisify(Tpx, 'get_process_output_async', 'get_process_output_finish');
Gio._promisify(Tpx, 'get_process_value_async', 'get_process_value_finish');
Gio._promisify(Tpx, 'get_process_output_and_value_async', 'get_process_output_and_value_finish');

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
    runUntil(() => state !== null, {timeoutMs: 20000, what});
    if (state === 'rejected')
        throw value;
    return value;
}

// The callback form: returns the GAsyncResult once the callback ran
// (exactly once, with no source object).
function callAsync(start, context = null) {
    const results = [];
    start((source, result) => {
        assertEqual(source, null, 'no source object');
        results.push(result);
    });
    assertEqual(results.length, 0, 'never called back from inside _async');
    runUntil(() => results.length > 0, {timeoutMs: 20000, context, what: 'the callback'});
    return results;
}

function output(args, launcher = null, flags = Tpx.OutputFlags.NONE) {
    return settle(Tpx.get_process_output_async(helperPath(), args, launcher, flags, null));
}

function value(args, launcher = null) {
    return settle(Tpx.get_process_value_async(helperPath(), args, launcher, null));
}

function outputAndValue(args, stdin = null, executable = helperPath()) {
    return settle(Tpx.get_process_output_and_value_async(executable, args, null, stdin, null));
}

function expectRejection(func, domain, code, what) {
    return assertThrowsError(func, domain, code, what);
}

// -- output -----------------------------------------------------------------

function testOutputStdout() {
    const out = output(['write-out', 'hello, world']);
    assert(out instanceof GLib.Bytes, 'a GLib.Bytes');
    assertEqual(text(out), 'hello, world');
    waitNoChildren();
}

function testOutputArgv() {
    assertEqual(text(output(['argv', 'two words', '', 'x'])), `${helperPath()}\nargv\ntwo words\n\nx\n`);
    waitNoChildren();
}

function testOutputNoArgs() {
    assert(text(output(null, null, Tpx.OutputFlags.ERRORTOO)).startsWith('usage:'), 'usage on stderr');
    waitNoChildren();
}

function testOutputErrortoo() {
    assertEqual(text(output(['write-both'], null, Tpx.OutputFlags.ERRORTOO)), 'outerr');
    assertEqual(text(output(['write-err', 'only error'], null, Tpx.OutputFlags.ERRORTOO)), 'only error');
    waitNoChildren();
}

function testOutputUnexpectedStderr() {
    let error = expectRejection(() => output(['write-err', 'something broke']),
        Tpx.ProcessError, Tpx.ProcessError.UNEXPECTED_STDERR);
    assert(error.message.includes('something broke'), error.message);
    waitNoChildren();

    // Standard output before the error does not save the call; the
    // callback comes once.
    const results = callAsync(cb => Tpx.get_process_output_async(helperPath(), ['write-both'], null,
        Tpx.OutputFlags.NONE, null, cb));
    error = expectRejection(() => Tpx.get_process_output_finish(results[0]),
        Tpx.ProcessError, Tpx.ProcessError.UNEXPECTED_STDERR);
    assert(error.message.includes('err'), error.message);
    waitNoChildren();
    assertEqual(results.length, 1, 'callbacks');
}

function testOutputUnexpectedStderrRunning() {
    // The child copies its standard input, a pipe the test holds, to its
    // standard error: it lives until the test closes that pipe.
    const pipe = catPipe();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(0, Tpx.ChildFdKind.INHERIT, pipe.readFd);
    const results = [];
    Tpx.get_process_output_async(helperPath(), ['echo-stderr'], launcher, Tpx.OutputFlags.NONE, null,
        (_s, result) => results.push(result));
    const child = children().find(pid => pid !== pipe.pid);
    assert(child !== undefined, 'spawned');
    writeAll(pipe.writeFd, bytes('boom'));
    runUntil(() => results.length > 0, {what: 'the callback'});
    const error = expectRejection(() => Tpx.get_process_output_finish(results[0]),
        Tpx.ProcessError, Tpx.ProcessError.UNEXPECTED_STDERR);
    assert(error.message.includes('boom'), error.message);
    assert(children().includes(child), 'the child still runs');

    // Its pipes were closed: the next bytes it copies end it; the
    // transport, that nobody references, still reaps it; no second call.
    writeAll(pipe.writeFd, bytes('more'));
    runUntil(() => !children().includes(child), {poll: true, what: 'the child to be reaped'});
    pipe.close();
    assertNoChildren();
    assertEqual(results.length, 1, 'callbacks');
}

function testOutputLarge() {
    const size = 100000000;
    const data = output(['big', `${size}`]).toArray();
    assertEqual(data.length, size, 'size');
    for (let i = 0; i < size; i += 65521)
        assertEqual(data[i], 48 + i % 10, `byte ${i}`);
    assertEqual(data[size - 1], 57, 'last byte');
    assertEqual(data[size - 10], 48, 'byte -10');
    waitNoChildren();
}

function testOutputEmptyEnvironment() {
    assert(GLib.getenv('G_TEST_SRCDIR') !== null, 'this process has an environment');
    assertEqual(text(output(['env'])), '');
    waitNoChildren();
}

function testOutputLauncherOptions() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv('TPX_UTILS_TEST', 'yes', true);
    launcher.set_cwd('/');
    assertEqual(text(output(['env'], launcher)), 'TPX_UTILS_TEST=yes\n');
    assertEqual(text(output(['cwd'], launcher)), '/\n');
    assertEqual(launcher.getenv('TPX_UTILS_TEST'), 'yes', 'the launcher is left as it was');
    waitNoChildren();
}

function testOutputStdinClosed() {
    assertEqual(text(output(['count-stdin'])), '0\n');
    waitNoChildren();
}

function testOutputKilled() {
    assertEqual(text(output(['kill-self', '9'])), '');
    waitNoChildren();
}

function testSpawnFailure() {
    const spawnError = assertThrowsError(() => Tpx.ProcessLauncher.new().spawn(null, MISSING, null),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    for (const [what, promise] of [
        ['output', () => Tpx.get_process_output_async(MISSING, null, null, Tpx.OutputFlags.NONE, null)],
        ['value', () => Tpx.get_process_value_async(MISSING, null, Tpx.ProcessLauncher.new(), null)],
        ['output and value', () => Tpx.get_process_output_and_value_async(MISSING, null, null, null, null)],
    ]) {
        const error = expectRejection(() => settle(promise()), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, what);
        assertEqual(error.message, spawnError.message, `${what}: the spawn's message`);
    }
    assertNoChildren();
}

// -- value --------------------------------------------------------------------

function testValueExitCode() {
    assertEqual(value(['exit', '0']), 0);
    assertEqual(value(['exit', '3']), 3);
    assertEqual(value(['exit', '255']), 255);
    waitNoChildren();
}

function testValueKilled() {
    for (const signum of ['9', '15']) {
        expectRejection(() => value(['kill-self', signum]), Tpx.ProcessError, Tpx.ProcessError.TERMINATED,
            `killed by ${signum}`);
    }
    waitNoChildren();
}

function testValueReadsOutput() {
    assertEqual(value(['big', '4000000']), 0);
    waitNoChildren();
}

// -- output and value -------------------------------------------------------------

function testOutputAndValueEcho() {
    const input = new GLib.Bytes(bytes('to and fro\n'));
    let [out, err, code] = outputAndValue(['echo'], input);
    assertEqual(text(out), 'to and fro\n');
    assertEqual(text(err), '');
    assertEqual(code, 0);
    [out, err, code] = outputAndValue(['echo-stderr'], input);
    assertEqual(text(out), '');
    assertEqual(text(err), 'to and fro\n');
    assertEqual(code, 0);
    waitNoChildren();
}

function testOutputAndValueStdin() {
    assertEqual(text(outputAndValue(['count-stdin'])[0]), '0\n', 'no stdin bytes');
    assertEqual(text(outputAndValue(['count-stdin'], new GLib.Bytes(new Uint8Array(0)))[0]), '0\n', 'empty');
    const size = 3 * 1024 * 1024 + 7;
    assertEqual(text(outputAndValue(['count-stdin'], new GLib.Bytes(new Uint8Array(size)))[0]), `${size}\n`);
    waitNoChildren();
}

function testOutputAndValueExitCode() {
    const [out, err, code] = outputAndValue(['exit', '3']);
    assertEqual(code, 3);
    assertEqual(out.get_size() + err.get_size(), 0, 'no output');
    const results = outputAndValue(['write-both']);
    assertEqual(results.map(r => r instanceof GLib.Bytes ? text(r) : r).join('|'), 'out|err|0');
    waitNoChildren();
}

function testOutputAndValueKilled() {
    // TERMINATED; (the partial output that C still gets from the failed
    // _finish is dropped by gjs along with every out-argument).
    expectRejection(() => outputAndValue(['-c', 'printf partial; printf oops >&2; kill -KILL $$'], null, '/bin/sh'),
        Tpx.ProcessError, Tpx.ProcessError.TERMINATED);
    expectRejection(() => outputAndValue(['kill-self', '15']), Tpx.ProcessError, Tpx.ProcessError.TERMINATED);
    waitNoChildren();
}

// -- Cancelling --------------------------------------------------------------------

const KINDS = ['output', 'value', 'output_and_value'];

function startCall(kind, args, launcher, cancellable, callback) {
    switch (kind) {
    case 'output':
        Tpx.get_process_output_async(helperPath(), args, launcher, Tpx.OutputFlags.NONE, cancellable, callback);
        break;
    case 'value':
        Tpx.get_process_value_async(helperPath(), args, launcher, cancellable, callback);
        break;
    default:
        Tpx.get_process_output_and_value_async(helperPath(), args, launcher, null, cancellable, callback);
    }
}

function finish(kind, result) {
    return Tpx[`get_process_${kind}_finish`](result);
}

function assertCancelled(kind, result) {
    assertThrowsError(() => finish(kind, result), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, `${kind} finish`);
}

function testCancelBeforeSpawn(kind) {
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    const results = [];
    startCall(kind, ['sleep-forever'], null, cancellable, (_s, r) => results.push(r));
    assertNoChildren();
    assertEqual(results.length, 0, 'the callback is still to come');
    runUntil(() => results.length > 0, {what: 'the callback'});
    assertCancelled(kind, results[0]);
    assertNoChildren();
}

function testCancelBeforeOutput(kind) {
    const cancellable = new Gio.Cancellable();
    const results = [];
    startCall(kind, ['sleep-forever'], null, cancellable, (_s, r) => results.push(r));
    assert(haveChildren(), 'spawned');
    cancellable.cancel();
    runUntil(() => results.length > 0, {what: 'the callback'});
    assertNoChildren();
    assertCancelled(kind, results[0]);
}

// Starts @mode with its standard output on a socket of ours, and returns
// once it has said "ready" (closing the transport's pipes cannot end it).
// Cancelling stops the child with the launcher's @stopTimeoutMs (null: the
// default).
function startCallReady(kind, mode, cancellable, stopTimeoutMs = null) {
    const [readSocket, writeSocket] = socketPair();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(1, Tpx.ChildFdKind.INHERIT, writeSocket.get_fd());
    if (stopTimeoutMs !== null)
        launcher.set_stop_timeout(stopTimeoutMs);
    const results = [];
    startCall(kind, [mode], launcher, cancellable, (_s, r) => results.push(r));
    assert(haveChildren(), 'spawned');
    writeSocket.close();
    readSocket.set_blocking(false);
    const input = Gio.UnixInputStream.new(readSocket.get_fd(), false);
    let said = '';
    const id = GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, readSocket.get_fd(),
        GLib.IOCondition.IN | GLib.IOCondition.HUP, () => {
            said += text(input.read_bytes(64, null));
            return said.includes('\n') ? GLib.SOURCE_REMOVE : GLib.SOURCE_CONTINUE;
        });
    runUntil(() => said.includes('\n'), {what: 'ready'});
    assertEqual(said, 'ready\n');
    assertEqual(results.length, 0, 'not complete');
    return [readSocket, results, id];
}

// With ignore-term, SIGTERM would not end the child and it does not notice
// its pipes closing: only SIGKILL lets the cancel finish, here at once (a
// stop timeout of 0; test-lifetime.js checks the escalation).
function testCancelRunning(kind, mode) {
    const cancellable = new Gio.Cancellable();
    const [readSocket, results] = startCallReady(kind, mode, cancellable,
        mode === 'ignore-term' ? 0 : null);
    cancellable.cancel();
    runUntil(() => results.length > 0, {what: 'the callback'});
    assertNoChildren();
    assertCancelled(kind, results[0]);
    assertEqual(readToEof(readSocket).length, 0, 'the child is gone');
    readSocket.close();
}

// gjs has no threads: the cancel comes from another main-loop source.
function testCancelFromAnotherSource() {
    const cancellable = new Gio.Cancellable();
    const [readSocket, results] = startCallReady('output', 'sleep-forever', cancellable);
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });
    runUntil(() => results.length > 0, {what: 'the callback'});
    assertNoChildren();
    assertCancelled('output', results[0]);
    assertEqual(readToEof(readSocket).length, 0, 'the child is gone');
    readSocket.close();
}

function testCancelAfterExit() {
    const cancellable = new Gio.Cancellable();
    let results = callAsync(cb => Tpx.get_process_output_async(helperPath(), ['write-out', 'done'], null,
        Tpx.OutputFlags.NONE, cancellable, (s, r) => {
            cancellable.cancel();
            cb(s, r);
        }));
    assert(cancellable.is_cancelled(), 'cancelled in the callback');
    assertEqual(text(Tpx.get_process_output_finish(results[0])), 'done', 'the result stands');
    assertNoChildren();

    cancellable.reset();
    results = callAsync(cb => Tpx.get_process_value_async(helperPath(), ['exit', '7'], null, cancellable, cb));
    assertEqual(Tpx.get_process_value_finish(results[0]), 7);
    cancellable.cancel();
    drain(GLib.MainContext.default());
    assertEqual(results.length, 1, 'no second callback');
    assertNoChildren();
}

function testPromiseCancelled() {
    const cancellable = new Gio.Cancellable();
    const promise = Tpx.get_process_output_async(helperPath(), ['sleep-forever'], null,
        Tpx.OutputFlags.NONE, cancellable);
    assert(haveChildren(), 'spawned');
    cancellable.cancel();
    expectRejection(() => settle(promise), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertNoChildren();
}

// -- Main contexts --------------------------------------------------------------------

function testContextThreadDefault() {
    const context = GLib.MainContext.new();
    context.push_thread_default();
    try {
        const results = [];
        Tpx.get_process_output_async(helperPath(), ['write-out', 'ctx'], null, Tpx.OutputFlags.NONE, null,
            (_s, r) => results.push([r, GLib.MainContext.get_thread_default()]));
        drain(GLib.MainContext.default());
        assertEqual(results.length, 0, 'nothing in the global default context');
        runUntil(() => results.length > 0, {context, what: 'the callback'});
        assert(results[0][1] === context || results[0][1].is_owner(), 'in the pushed context');
        assertEqual(text(Tpx.get_process_output_finish(results[0][0])), 'ctx');
        runUntil(() => !haveChildren(), {context, poll: true, what: 'the child to be reaped'});
    } finally {
        context.pop_thread_default();
    }
}

// gjs has no threads: several calls at once through promises instead.
function testConcurrentPromises() {
    const values = settle(Promise.all([0, 1, 2, 3, 4].map(n =>
        Tpx.get_process_value_async(helperPath(), ['exit', `${n}`], null, null))));
    assertEqual(JSON.stringify(values), '[0,1,2,3,4]');
    waitNoChildren();
}

function testAsyncAwait() {
    async function main() {
        const out = await Tpx.get_process_output_async(helperPath(), ['write-out', 'awaited'], null,
            Tpx.OutputFlags.NONE, null);
        const code = await Tpx.get_process_value_async(helperPath(), ['exit', '4'], null, null);
        const [o, e, c] = await Tpx.get_process_output_and_value_async(helperPath(), ['echo'], null,
            new GLib.Bytes(bytes('in')), null);
        let error = null;
        try {
            await Tpx.get_process_value_async(helperPath(), ['kill-self', '9'], null, null);
        } catch (e2) {
            error = e2;
        }
        return [text(out), code, text(o), text(e), c, error];
    }
    const [out, code, o, e, c, error] = settle(main());
    assertEqual(out, 'awaited');
    assertEqual(code, 4);
    assertEqual(`${o}|${e}|${c}`, 'in||0');
    assertError(error, Tpx.ProcessError, Tpx.ProcessError.TERMINATED);
    waitNoChildren();
}

runTests([
    ['output/stdout', testOutputStdout],
    ['output/argv', testOutputArgv],
    ['output/no-args', testOutputNoArgs],
    ['output/errortoo', testOutputErrortoo],
    ['output/unexpected-stderr', testOutputUnexpectedStderr],
    ['output/unexpected-stderr-running', testOutputUnexpectedStderrRunning],
    ['output/large', testOutputLarge],
    ['output/empty-environment', testOutputEmptyEnvironment],
    ['output/launcher-options', testOutputLauncherOptions],
    ['output/stdin-closed', testOutputStdinClosed],
    ['output/killed', testOutputKilled],
    ['spawn-failure', testSpawnFailure],
    ['value/exit-code', testValueExitCode],
    ['value/killed', testValueKilled],
    ['value/reads-output', testValueReadsOutput],
    ['output-and-value/echo', testOutputAndValueEcho],
    ['output-and-value/stdin', testOutputAndValueStdin],
    ['output-and-value/exit-code', testOutputAndValueExitCode],
    ['output-and-value/killed', testOutputAndValueKilled],
    ...KINDS.map(kind => [`cancel/before-spawn/${kind}`, () => testCancelBeforeSpawn(kind)]),
    ...KINDS.map(kind => [`cancel/before-output/${kind}`, () => testCancelBeforeOutput(kind)]),
    ...KINDS.map(kind => [`cancel/running/${kind}`, () => testCancelRunning(kind, 'sleep-forever')]),
    ...KINDS.map(kind => [`cancel/ignore-term/${kind}`, () => testCancelRunning(kind, 'ignore-term')]),
    ['cancel/from-another-source', testCancelFromAnotherSource],
    ['cancel/after-exit', testCancelAfterExit],
    ['cancel/promise', testPromiseCancelled],
    ['context/thread-default', testContextThreadDefault],
    ['promise/concurrent', testConcurrentPromises],
    ['promise/async-await', testAsyncAwait],
]);
