// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.ProcessStatus from gjs: exit codes, signals, the raw wait status,
// check() and its GLib.Error, rusage, the error domain (the parity of
// tests/test-process-status.c), reported as TAP.

import {
    GLib, Tpx, Recorder, assert, assertEqual, assertThrowsError, runHelper,
    runTests, spawnHelper,
} from './tpxtest.js';

const SIGABRT = 6, SIGKILL = 9, SIGTERM = 15;

// The macros of <sys/wait.h>, for Linux.
const WIFEXITED = raw => (raw & 0x7f) === 0;
const WEXITSTATUS = raw => (raw >> 8) & 0xff;
const WIFSIGNALED = raw => ((raw & 0x7f) + 1) >> 1 > 0;
const WTERMSIG = raw => raw & 0x7f;

function runToStatus(mode, args = []) {
    const rec = runHelper(mode, args);
    assert(rec.exited, 'exited');
    assertEqual(rec.nEnded, 1, 'process-ended');
    assert(rec.exitStatus instanceof Tpx.ProcessStatus, 'exit status type');
    assert(rec.endStatus instanceof Tpx.ProcessStatus, 'end status type');
    assertEqual(rec.exitStatus.get_raw_status(), rec.endStatus.get_raw_status(), 'one status');
    const kept = rec.transport.get_status();
    assert(kept instanceof Tpx.ProcessStatus, 'kept status type');
    assertEqual(kept.get_raw_status(), rec.endStatus.get_raw_status(), 'kept status');
    return rec;
}

function assertTerminated(status, message) {
    const error = assertThrowsError(() => status.check(), Tpx.ProcessError, Tpx.ProcessError.TERMINATED, 'check()');
    assert(error.message.includes(message), error.message);
}

function testExitSuccess() {
    const status = runToStatus('exit', ['0']).endStatus;
    assertEqual(status.get_exit_code(), 0);
    assertEqual(status.get_signal(), 0);
    assert(status.is_success(), 'success');
    assert(!status.get_core_dumped(), 'no core');
    const raw = status.get_raw_status();
    assert(WIFEXITED(raw), 'WIFEXITED');
    assertEqual(WEXITSTATUS(raw), 0);
    assertEqual(status.check(), true, 'check()');
    assertEqual(status.exit_code, 0, 'exit-code property');
    assertEqual(status.signal, 0, 'signal property');
    assertEqual(status.raw_status, raw, 'raw-status property');
}

function testExitCode() {
    const status = runToStatus('exit', ['3']).endStatus;
    assertEqual(status.get_exit_code(), 3);
    assertEqual(status.get_signal(), 0);
    assert(!status.is_success(), 'not a success');
    assert(!status.get_core_dumped(), 'no core');
    const raw = status.get_raw_status();
    assert(WIFEXITED(raw), 'WIFEXITED');
    assertEqual(WEXITSTATUS(raw), 3);
    assertTerminated(status, 'exited with code 3');
}

function testExitCodeExtremes() {
    let status = runToStatus('exit', ['1']).endStatus;
    assertEqual(status.get_exit_code(), 1);
    assert(!status.is_success(), 'not a success');
    status = runToStatus('exit', ['255']).endStatus;
    assertEqual(status.get_exit_code(), 255);
    assertEqual(status.get_signal(), 0);
    assertTerminated(status, 'exited with code 255');
}

function testSignalKill() {
    const status = runToStatus('kill-self', ['9']).endStatus;
    assertEqual(status.get_exit_code(), -1);
    assertEqual(status.get_signal(), SIGKILL);
    assert(!status.is_success(), 'not a success');
    assert(!status.get_core_dumped(), 'no core');
    const raw = status.get_raw_status();
    assert(WIFSIGNALED(raw), 'WIFSIGNALED');
    assertEqual(WTERMSIG(raw), SIGKILL);
    assertTerminated(status, 'killed by signal 9');
}

function testSignalTerm() {
    const status = runToStatus('kill-self', ['15']).endStatus;
    assertEqual(status.get_exit_code(), -1);
    assertEqual(status.get_signal(), SIGTERM);
    assertTerminated(status, 'killed by signal 15');
}

function testSignalFromParent() {
    const transport = spawnHelper('wait-stdin');
    const rec = new Recorder(transport);
    assertEqual(transport.get_status(), null, 'no status yet');
    assert(transport.send_signal(SIGKILL), 'send_signal');
    rec.wait();
    const status = rec.endStatus;
    assertEqual(status.get_signal(), SIGKILL);
    assertEqual(status.get_exit_code(), -1);
    assert(!status.is_success(), 'not a success');
    assert(WIFSIGNALED(status.get_raw_status()), 'WIFSIGNALED');
}

function testSignalAbort() {
    const status = runToStatus('abort').endStatus;
    assertEqual(status.get_signal(), SIGABRT);
    assertEqual(status.get_exit_code(), -1);
    assert(!status.is_success(), 'not a success');
    assertTerminated(status, 'killed by signal 6');
}

function testRusage() {
    const quick = runToStatus('exit', ['0']);
    const killed = runToStatus('kill-self', ['9']);
    const busy = runToStatus('big', ['4000000']);
    for (const rec of [quick, killed, busy]) {
        assert(rec.endStatus.get_user_time_us() >= 0, 'user time');
        assert(rec.endStatus.get_system_time_us() >= 0, 'system time');
        assert(rec.endStatus.get_max_rss_kb() >= 0, 'max rss');
    }
    assertEqual(busy.size(1), 4000000);
    assert(quick.endStatus.get_max_rss_kb() > 0, 'memory touched');
    assert(busy.endStatus.get_max_rss_kb() > 0, 'memory touched');
}

function testErrorQuark() {
    assertEqual(GLib.quark_to_string(Tpx.process_error_quark()), 'tpx-process-error-quark');
    assertEqual(Tpx.ProcessError.FAILED, 0);
    assertEqual(Tpx.ProcessError.EXITED_ALREADY, 1);
    assertEqual(Tpx.ProcessError.TERMINATED, 2);
    assertEqual(Tpx.ProcessError.UNEXPECTED_STDERR, 3);
    // The enum is an error domain for gjs: GLib.Error.matches() takes it.
    const error = new GLib.Error(Tpx.process_error_quark(), Tpx.ProcessError.TERMINATED, 'x');
    assert(error.matches(Tpx.ProcessError, Tpx.ProcessError.TERMINATED), 'matches');
}

runTests([
    ['exit/success', testExitSuccess],
    ['exit/code', testExitCode],
    ['exit/code-extremes', testExitCodeExtremes],
    ['signal/kill', testSignalKill],
    ['signal/term', testSignalTerm],
    ['signal/from-parent', testSignalFromParent],
    ['signal/abort', testSignalAbort],
    ['rusage', testRusage],
    ['error-quark', testErrorQuark],
]);
