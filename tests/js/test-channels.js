// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Channels from gjs (DESIGN §10.4): a pseudo-terminal as one kind of child
// fd among pipes, so that standard error can stay apart (PTY, 'p'), and
// duplex sockets (SOCKET, 's'); data through the protocol's
// vfunc_data_received (a Uint8Array) and through child-data. The parity of
// tests/test-channels.c, reported as TAP.

import {
    GObject, Gio, Tpx, MIB, Recorder, assert, assertBytesEqual,
    assertEqual, assertNoChildren, assertThrowsError, bytes, concat, countFds,
    helperArgv, pattern, runTests, runUntil, spawnHelper, text, warmUp,
} from './tpxtest.js';

const TTYS_OUTPUT = 'tty0 1 tty1 1 tty2 0\r\nleader 1 ctty 1\r\n';

function launcherWithMap(map) {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string(map), `the map ${map}`);
    return launcher;
}

// Collects what vfunc_data_received gets, per fd, and the end.
const DataLog = GObject.registerClass(
class DataLog extends Tpx.ProcessProtocol {
    _init() {
        super._init();
        this.chunks = new Map();
        this.lost = [];
        this.status = null;
    }

    vfunc_data_received(fd, data) {
        assert(data instanceof Uint8Array, 'data is a Uint8Array');
        if (!this.chunks.has(fd))
            this.chunks.set(fd, []);
        // Valid during the call only: keep a copy.
        this.chunks.get(fd).push(data.slice());
    }

    vfunc_child_connection_lost(fd) {
        this.lost.push(fd);
    }

    vfunc_process_ended(status) {
        this.status = status;
    }

    bytes(fd) {
        return concat(this.chunks.get(fd) ?? []);
    }

    text(fd) {
        return text(this.bytes(fd));
    }

    wait(timeoutMs) {
        runUntil(() => this.status !== null, {timeoutMs, what: 'process_ended'});
    }
});

// -- A terminal beside pipes -------------------------------------------------

function testPtyWithStderrApart() {
    warmUp();
    const nFds = countFds();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.clear_child_fds();
    launcher.set_child_fd(0, Tpx.ChildFdKind.PTY, -1);
    launcher.set_child_fd(1, Tpx.ChildFdKind.PTY, -1);
    launcher.set_child_fd(2, Tpx.ChildFdKind.READ, -1);
    let protocol = new DataLog();
    let transport = spawnHelper('ttys', [], {launcher, protocol});
    protocol.wait();
    assertEqual(protocol.status.get_exit_code(), 0, 'exit code');
    // fds 0 and 1 are the terminal (with its \r\n), in a new session whose
    // controlling terminal it is; fd 2 is a pipe.
    assertEqual(protocol.text(1), TTYS_OUTPUT, 'the terminal, as fd 1');
    assertEqual(protocol.text(2), 'stderr apart\n', 'stderr');
    assert(!protocol.chunks.has(0), 'nothing as fd 0');
    assertEqual(JSON.stringify(protocol.lost.sort()), '[0,1,2]', 'fds lost');
    transport = null;
    protocol = null;
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testPtyWritesAndCloses() {
    const transport = spawnHelper('count-stdin', [], {launcher: launcherWithMap('0:p,1:p,2:r')});
    const rec = new Recorder(transport);
    assert(transport.set_window_size(30, 100), 'set_window_size');
    // close_* on the terminal do nothing; writes to fd 0 or 1 reach it.
    transport.close_stdin();
    transport.close_child_fd(1);
    assert(transport.write_to_child(1, bytes('ab\n')), 'write_to_child(1)');
    assert(transport.write_to_child(0, bytes('c\n\x04')), 'write_to_child(0)');
    assertThrowsError(() => transport.write_to_child(2, bytes('x')),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'write_to_child(2)');
    rec.wait();
    rec.assertExitCode(0);
    // The terminal echoes both writes, then the child counts 5 bytes.
    assertEqual(rec.text(1), 'ab\r\nc\r\n5\r\n', 'the terminal');
}

function testPtyOnStdinOnly() {
    const transport = spawnHelper('count-stdin', [], {launcher: launcherWithMap('0:p,1:r,2:r')});
    const rec = new Recorder(transport);
    transport.write(bytes('abcd\n\x04'));
    rec.wait();
    rec.assertExitCode(0);
    // Standard output is a pipe; the terminal (its echo) comes as fd 0.
    assertEqual(rec.text(1), '5\n', 'stdout');
    assertEqual(rec.text(0), 'abcd\r\n', 'the terminal, as fd 0');
    assertEqual(rec.count('lost:0'), 1, 'lost:0');
}

function testPtyMapWithUsePtyRefused() {
    const launcher = launcherWithMap('0:p,1:p,2:r');
    launcher.set_use_pty(true);
    assertThrowsError(() => launcher.spawn(null, helperArgv('exit', '0')[0], helperArgv('exit', '0')),
        Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT, 'use_pty with a map');
    assertNoChildren();
}

// -- Sockets -----------------------------------------------------------------

function testSocketHalfClose() {
    warmUp();
    const nFds = countFds();
    let transport = spawnHelper('echo-after-eof', ['3'], {launcher: launcherWithMap('0:w,1:r,2:r,3:s')});
    let rec = new Recorder(transport);
    assert(transport.write_to_child(3, bytes('hello ')));
    assert(transport.write_to_child(3, bytes('socket')));
    // Shuts the writing side down (the child reads end of file once the
    // queue is written); the socket is still read.
    transport.close_child_fd(3);
    assertThrowsError(() => transport.write_to_child(3, bytes('x')),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CLOSED, 'write_to_child after close');
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(3), 'hello socket', 'the echo');
    assertEqual(rec.count('lost:3'), 1, 'lost:3');
    assert(rec.last('data:3') < rec.first('lost:3'), 'no data after lost:3');
    rec.release();
    rec = null;
    transport = null;
    assertEqual(countFds(), nFds, 'open fds');
}

function testSocketBothWays() {
    const protocol = new DataLog();
    const transport = spawnHelper('cat-fd', ['3', '3'],
        {launcher: launcherWithMap('0:w,1:r,2:r,3:s'), protocol});
    assert(transport.write_to_child(3, bytes('ping')));
    runUntil(() => protocol.text(3) === 'ping', {what: 'the echo of ping on fd 3'});
    assert(transport.write_to_child(3, bytes('pong')));
    transport.close_child_fd(3);
    transport.close_stdin();
    protocol.wait();
    assertEqual(protocol.status.get_exit_code(), 0, 'exit code');
    assertEqual(protocol.text(3), 'pingpong', 'both echoes');
}

// The size of the C test: about 3 s here (making the pattern included) and
// 230 MB of memory at its peak.
const BULK_SIZE = 64 * MIB;

function testSocketBulk() {
    const data = pattern(BULK_SIZE, 17);
    const protocol = new DataLog();
    const transport = spawnHelper('cat-fd', ['3', '3'],
        {launcher: launcherWithMap('0:w,1:r,2:r,3:s'), protocol});
    for (let offset = 0; offset < BULK_SIZE; offset += MIB)
        assert(transport.write_to_child(3, data.subarray(offset, offset + MIB)));
    transport.close_child_fd(3);
    transport.close_stdin();
    protocol.wait(30000);
    assertEqual(protocol.status.get_exit_code(), 0, 'exit code');
    assertBytesEqual(protocol.bytes(3), data, 'the echo');
}

function testSocketOnStdio() {
    const transport = spawnHelper('echo', [], {launcher: launcherWithMap('0:s,1:s,2:r')});
    const rec = new Recorder(transport);
    transport.write(bytes('through sockets\n'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'through sockets\n', 'the echo');
    assertEqual(rec.count('lost:0'), 1, 'lost:0');
    assertEqual(rec.count('lost:1'), 1, 'lost:1');
}

// Why 'r' and 'w' stay pipes: splice() needs a pipe on one side, and a
// program that splices its stdin to its stdout fails on sockets.
function testSocketStdioBreaksSplice() {
    let transport = spawnHelper('splice-echo', [], {launcher: launcherWithMap('0:s,1:s,2:r')});
    let rec = new Recorder(transport);
    transport.write(bytes('spliced'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(1);
    assert(rec.text(2).includes('splice: '), `stderr: ${rec.text(2)}`);
    assertEqual(rec.text(1), '', 'stdout');

    transport = spawnHelper('splice-echo', [], {launcher: launcherWithMap('0:w,1:r,2:r')});
    rec = new Recorder(transport);
    transport.write(bytes('spliced'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'spliced', 'stdout');
}

runTests([
    ['pty/stderr-apart', testPtyWithStderrApart],
    ['pty/writes-and-closes', testPtyWritesAndCloses],
    ['pty/stdin-only', testPtyOnStdinOnly],
    ['pty/use-pty-with-map', testPtyMapWithUsePtyRefused],
    ['socket/half-close', testSocketHalfClose],
    ['socket/both-ways', testSocketBothWays],
    ['socket/bulk', testSocketBulk],
    ['socket/stdio', testSocketOnStdio],
    ['socket/stdio-breaks-splice', testSocketStdioBreaksSplice],
]);
