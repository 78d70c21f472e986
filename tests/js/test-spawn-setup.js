// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How the child is set up, from gjs: the fd map (defaults, extra fds,
// inherited fds, fds moved onto each other), signal dispositions, spawn
// errors, PTY, credentials and process groups (the parity of
// tests/test-spawn.c), reported as TAP.
//
// Not here, because gjs cannot make the situation: parent fds without
// close-on-exec, moving this process's own fds 0 and 1, ignored or blocked
// signals in the parent, and a lowered RLIMIT_NOFILE (the C and Python
// suites have them).

import {
    GLib, Gio, Tpx, Recorder, assert, assertEqual, assertNoChildren,
    assertSpawnFails, bytes, catPipe, countFds, drain, fdIsOpen, helperArgv,
    helperPath, readToEof, runHelper, runTests, runUntil, socketPair,
    spawnHelper, text, warmUp, writeAll,
} from './tpxtest.js';

const ONLY_STD_FDS = '0 blocking\n1 blocking\n2 blocking\n';
const N_SPAWNS_IN_A_ROW = 1000;
const SIGTERM = 15;
const IOE = Gio.IOErrorEnum;

function procSelfStat() {
    const [, contents] = GLib.file_get_contents('/proc/self/stat');
    // pid (comm) state ppid pgrp session ...
    const fields = text(contents).split(') ')[1].split(' ');
    return {pgrp: Number(fields[2]), session: Number(fields[3])};
}

function ids() {
    const [, contents] = GLib.file_get_contents('/proc/self/status');
    const lines = text(contents).split('\n');
    const field = name => Number(lines.find(l => l.startsWith(`${name}:`)).split('\t')[1]);
    return {uid: field('Uid'), gid: field('Gid')};
}

function withTmpDir(func) {
    const dir = GLib.dir_make_tmp('tpx-spawn-XXXXXX');
    try {
        func(dir);
    } finally {
        const enumerator = Gio.File.new_for_path(dir).enumerate_children('standard::name',
            Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
        for (let info = enumerator.next_file(null); info !== null; info = enumerator.next_file(null))
            GLib.unlink(GLib.build_filenamev([dir, info.get_name()]));
        enumerator.close(null);
        GLib.rmdir(dir);
    }
}

function writeFile(path, contents, mode) {
    GLib.file_set_contents(path, contents);
    Gio.File.new_for_path(path).set_attribute_uint32('unix::mode', mode, Gio.FileQueryInfoFlags.NONE, null);
}

// -- The fd map ------------------------------------------------------------------

function testMapDefault() {
    const rec = runHelper('fds');
    rec.assertExitCode(0);
    assertEqual(rec.text(1), ONLY_STD_FDS);
    for (const event of ['lost:0', 'lost:1', 'lost:2'])
        assert(rec.events.includes(event), event);
}

function testMapDefaultDirections() {
    const transport = spawnHelper('echo');
    const rec = new Recorder(transport);
    for (const fd of [1, 2]) {
        let threw = false;
        try {
            transport.write_to_child(fd, bytes('x'));
        } catch (e) {
            threw = e.matches(IOE, IOE.NOT_FOUND);
        }
        assert(threw, `fd ${fd} is no write pipe`);
    }
    transport.write(bytes('in and out'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'in and out');
}

function testMapUnmappedStdFds() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.clear_child_fds();
    launcher.set_child_fd(1, Tpx.ChildFdKind.READ, -1);
    let rec = runHelper('fds', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), ONLY_STD_FDS);
    rec = runHelper('count-stdin', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '0\n');
    rec = runHelper('write-err', ['to nowhere'], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '');
}

function testMapUnmappedStdout() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.remove_child_fd(1);
    const rec = runHelper('write-both', [], {launcher});
    rec.assertExitCode(0);
    assert(!rec.events.includes('data:1') && !rec.events.includes('lost:1'), rec.trace());
    assertEqual(rec.text(2), 'err');
}

function testMapExtraFdsBlocking() {
    const pipe = catPipe();
    try {
        const launcher = Tpx.ProcessLauncher.new();
        launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1);
        launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1);
        launcher.set_child_fd(9, Tpx.ChildFdKind.INHERIT, pipe.writeFd);
        const rec = runHelper('fds', [], {launcher});
        rec.assertExitCode(0);
        assertEqual(rec.text(1), `${ONLY_STD_FDS}3 blocking\n4 blocking\n9 blocking\n`);
    } finally {
        pipe.close();
    }
}

function testMapPipesBlockingInChild() {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string('0:w,1:r,2:r,5:w,6:r'));
    const rec = runHelper('fds', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), `${ONLY_STD_FDS}5 blocking\n6 blocking\n`);
}

function testMapInherit() {
    const [readSocket, writeSocket] = socketPair();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, writeSocket.get_fd());
    const transport = spawnHelper('cat-fd', ['0', '3'], {launcher});
    writeSocket.close();
    const rec = new Recorder(transport);
    transport.write(bytes('inherited'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(text(readToEof(readSocket)), 'inherited');
    readSocket.close();
}

function testMapInheritSameNumber() {
    const [readSocket, writeSocket] = socketPair();
    const fd = writeSocket.get_fd();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(fd, Tpx.ChildFdKind.INHERIT, fd);
    const transport = spawnHelper('cat-fd', ['0', `${fd}`], {launcher});
    writeSocket.close();
    const rec = new Recorder(transport);
    transport.write(bytes('same fd'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(2), '');
    assertEqual(text(readToEof(readSocket)), 'same fd');
    readSocket.close();
}

// {a: b, b: a}, with a and b this process's own fds: a cycle. The input is
// in the socket (with its end) before the child starts.
function testMapSwapExtraFds() {
    const [toRead, toWrite] = socketPair();
    const [fromRead, fromWrite] = socketPair();
    writeAll(toWrite.get_fd(), bytes('cycle'));
    toWrite.close();
    const a = fromWrite.get_fd();
    const b = toRead.get_fd();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(a, Tpx.ChildFdKind.INHERIT, b);
    launcher.set_child_fd(b, Tpx.ChildFdKind.INHERIT, a);
    const transport = spawnHelper('cat-fd', [`${a}`, `${b}`], {launcher});
    toRead.close();
    fromWrite.close();
    const rec = new Recorder(transport);
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(2), '');
    assertEqual(text(readToEof(fromRead)), 'cycle');
    fromRead.close();
}

// {a: b, b: c, c: a}: a rotation of three.
function testMapRotateFds() {
    const [toRead, toWrite] = socketPair();
    const [fromRead, fromWrite] = socketPair();
    const [spareRead, spareWrite] = socketPair();
    writeAll(toWrite.get_fd(), bytes('rotated'));
    toWrite.close();
    const a = fromWrite.get_fd(), b = toRead.get_fd(), c = spareRead.get_fd();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(a, Tpx.ChildFdKind.INHERIT, b);
    launcher.set_child_fd(b, Tpx.ChildFdKind.INHERIT, c);
    launcher.set_child_fd(c, Tpx.ChildFdKind.INHERIT, a);
    // The child reads its fd a (our b) and writes its fd c (our a).
    const rec = new Recorder(spawnHelper('cat-fd', [`${a}`, `${c}`], {launcher}));
    const listing = runHelper('fds', [], {launcher});
    listing.assertExitCode(0);
    const mapped = [a, b, c].sort((x, y) => x - y);
    const lines = listing.text(1).split('\n').filter(l => l !== '');
    assertEqual(lines.slice(0, 3).join('\n') + '\n', ONLY_STD_FDS, 'std fds');
    assertEqual(JSON.stringify(lines.slice(3).map(l => Number(l.split(' ')[0]))), JSON.stringify(mapped),
        'exactly the three mapped fds');
    for (const socket of [toRead, fromWrite, spareRead])
        socket.close();
    rec.transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(text(readToEof(fromRead)), 'rotated');
    fromRead.close();
    spareWrite.close();
}

function testSignalsReset() {
    // GLib's own handlers in this process; the child starts with none
    // and with an empty mask.
    const ids = [10, 12, 1].map(signum => GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, () => GLib.SOURCE_CONTINUE));
    try {
        const rec = runHelper('signals');
        rec.assertExitCode(0);
        assertEqual(rec.text(1), 'mask 0\nignored 0\n');
    } finally {
        ids.forEach(id => GLib.source_remove(id));
    }
}

// Any direction on any fd: the parent reads the child's fd 0 and writes
// its fd 3.
function testMapReversedDirections() {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string('0:r,2:r,3:w'));
    const transport = spawnHelper('cat-fd', ['3', '0'], {launcher});
    const rec = new Recorder(transport);
    assert(transport.write_to_child(3, bytes('upstream')), 'write_to_child(3)');
    transport.close_child_fd(3);
    rec.wait();
    rec.assertWellFormed([0, 2, 3]);
    rec.assertExitCode(0);
    assertEqual(rec.text(0), 'upstream');
    assertEqual(rec.first('lost:1'), -1, 'no pipe on 1');
}

// -- Spawn errors ------------------------------------------------------------------

function testErrorEnoexec() {
    withTmpDir(dir => {
        const script = GLib.build_filenamev([dir, 'not-a-program']);
        const marker = GLib.build_filenamev([dir, 'marker']);
        writeFile(script, `/usr/bin/touch ${marker}\n/bin/touch ${marker}\n`, 0o755);
        const error = assertSpawnFails(Tpx.ProcessLauncher.new(), script, null, IOE,
            Gio.io_error_from_errno(8 /* ENOEXEC */));
        assert(error instanceof GLib.Error, 'an error');
        assert(!GLib.file_test(marker, GLib.FileTest.EXISTS), 'no shell ran it');
    });
}

function testErrorNotFound() {
    const launcher = Tpx.ProcessLauncher.new();
    assertSpawnFails(launcher, '/nonexistent-tpx-dir/program', null, IOE, IOE.NOT_FOUND);
    assertSpawnFails(launcher, 'tpx-no-such-program', null, IOE, IOE.NOT_FOUND);
}

function testErrorNotExecutable() {
    withTmpDir(dir => {
        const path = GLib.build_filenamev([dir, 'not-executable']);
        writeFile(path, '#!/bin/sh\nexit 0\n', 0o644);
        assertSpawnFails(Tpx.ProcessLauncher.new(), path, null, IOE, IOE.PERMISSION_DENIED);
    });
}

function testErrorDirectory() {
    withTmpDir(dir => assertSpawnFails(Tpx.ProcessLauncher.new(), dir, null, IOE, IOE.IS_DIRECTORY));
}

function testErrorBadCwd() {
    const launcher = Tpx.ProcessLauncher.new();
    const argv = helperArgv('exit', '0');
    launcher.set_cwd('/nonexistent-tpx-cwd');
    const error = assertSpawnFails(launcher, helperPath(), argv, IOE, IOE.NOT_FOUND, 'chdir');
    assert(error.message.includes('/nonexistent-tpx-cwd'), error.message);
    launcher.set_cwd(helperPath());
    assertSpawnFails(launcher, helperPath(), argv, IOE, IOE.NOT_DIRECTORY, 'chdir');
}

function testErrorNegativeChildFd() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(-1, Tpx.ChildFdKind.READ, -1);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
}

function testErrorNegativeParentFd() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, -2);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
}

function testErrorInheritClosedFd() {
    let closedFd = 100;
    while (fdIsOpen(closedFd))
        closedFd++;
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(3, Tpx.ChildFdKind.INHERIT, closedFd);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1);
    launcher.set_child_fd(2, Tpx.ChildFdKind.INHERIT, closedFd);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
}

function testErrorEnvName(name) {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv(name, 'value', true);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
}

function testErrorThenSuccess() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_cwd('/nonexistent-tpx-cwd');
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.NOT_FOUND, 'chdir');
    launcher.set_cwd('/');
    const rec = runHelper('cwd', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '/\n');
}

function testManyInARow() {
    warmUp();
    const nFds = countFds();
    const launcher = Tpx.ProcessLauncher.new();
    for (let i = 0; i < N_SPAWNS_IN_A_ROW; i++) {
        const ended = [];
        launcher.spawn(null, '/bin/true', null).connect('process-ended', (_t, status) => ended.push(status));
        runUntil(() => ended.length > 0, {what: 'process-ended'});
        assertEqual(ended.length, 1, 'one process-ended');
        assert(ended[0].is_success(), 'success');
    }
    drain();
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

// -- PTY -------------------------------------------------------------------------

function testPtyInfo() {
    warmUp();
    const nFds = countFds();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_use_pty(true);
    launcher.set_window_size(24, 80);
    let transport = spawnHelper('pty-info', [], {launcher});
    const rec = new Recorder(transport);
    runUntil(() => rec.text(1).includes('size 24 80'), {what: 'the first size'});
    assert(transport.set_window_size(40, 100), 'set_window_size');
    rec.wait();
    rec.assertExitCode(0);
    const out = rec.text(1).replace(/\r/g, '\n');
    for (const line of ['tty0 1 tty1 1 tty2 1\n', 'leader 1\n', 'ctty 1\n', 'size 24 80\n', 'size 40 100\n'])
        assert(out.includes(line), `${JSON.stringify(line)} in ${JSON.stringify(out)}`);
    assertEqual(rec.text(2), '');
    assert(!rec.events.includes('data:2'), rec.trace());
    rec.release();
    transport = null;
    drain();
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testPtyFds() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_use_pty(true);
    const rec = runHelper('fds', [], {launcher});
    rec.assertExitCode(0);
    const lines = rec.text(1).split('\r\n').filter(l => l !== '');
    assertEqual(lines.map(l => `${l}\n`).join(''), ONLY_STD_FDS);
}

function testPtyWithFdMap() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_use_pty(true);
    launcher.set_child_fd(3, Tpx.ChildFdKind.READ, -1);
    assertSpawnFails(launcher, helperPath(), null, IOE, IOE.INVALID_ARGUMENT);
}

// As in Twisted, one direction of a terminal cannot be closed:
// close_stdin() does nothing, and the child still reads what we write.
function testPtyCloseStdinIgnored() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_use_pty(true);
    const transport = spawnHelper('echo', [], {launcher});
    const rec = new Recorder(transport);
    transport.close_stdin();
    transport.write(bytes('still open\n'));
    runUntil(() => rec.text(1).split('still open').length > 2, {what: 'the echo'});
    assertEqual(rec.first('lost:0'), -1, 'fd 0 not lost');
    transport.lose_connection();
    rec.wait();
    assertEqual(rec.nEnded, 1, 'ended');
}

// -- Credentials ---------------------------------------------------------------------

function testIdOwn() {
    const {uid, gid} = ids();
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_uid(uid);
    launcher.set_gid(gid);
    const rec = runHelper('id', [], {launcher});
    rec.assertExitCode(0);
    assert(rec.text(1).startsWith(`uid ${uid} gid ${gid} groups `), rec.text(1));
}

function testIdOther() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_uid(65534);
    launcher.set_gid(65534);
    if (ids().uid === 0) {
        const rec = runHelper('id', [], {launcher});
        rec.assertExitCode(0);
        assert(['uid 65534 gid 65534 groups 0\n', 'uid 65534 gid 65534 groups 1\n'].includes(rec.text(1)),
            rec.text(1));
    } else {
        assertSpawnFails(launcher, helperPath(), null, IOE, IOE.PERMISSION_DENIED);
    }
}

function testIdGidOnly() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_gid(65534);
    if (ids().uid !== 0) {
        assertSpawnFails(launcher, helperPath(), null, IOE, IOE.PERMISSION_DENIED);
        return;
    }
    const rec = runHelper('id', [], {launcher});
    rec.assertExitCode(0);
    assert(rec.text(1).startsWith(`uid ${ids().uid} gid 65534 groups `), rec.text(1));
}

// -- Process groups ------------------------------------------------------------------

function parsePgrp(rec) {
    const match = /^pid (\d+) pgid (\d+) sid (\d+)\n$/.exec(rec.text(1));
    assert(match !== null, rec.text(1));
    const [pid, pgid, sid] = match.slice(1).map(Number);
    assertEqual(pid, rec.transport.get_pid(), 'pid');
    return {pid, pgid, sid};
}

function testPgrpDefault() {
    const rec = runHelper('pgrp');
    rec.assertExitCode(0);
    const {pgid, sid} = parsePgrp(rec);
    const self = procSelfStat();
    assertEqual(pgid, self.pgrp, 'our group');
    assertEqual(sid, self.session, 'our session');
}

function testPgrpNewGroup() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_process_group(true);
    const rec = runHelper('pgrp', [], {launcher});
    rec.assertExitCode(0);
    const {pid, pgid, sid} = parsePgrp(rec);
    assertEqual(pgid, pid, 'a group of its own');
    assertEqual(sid, procSelfStat().session, 'our session');
}

function testPgrpNewSession() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_new_session(true);
    const rec = runHelper('pgrp', [], {launcher});
    rec.assertExitCode(0);
    const {pid, pgid, sid} = parsePgrp(rec);
    assertEqual(pgid, pid, 'a group of its own');
    assertEqual(sid, pid, 'a session of its own');
}

function testSignalProcessGroup() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_process_group(true);
    const transport = spawnHelper('sleep-forever', [], {launcher});
    const rec = new Recorder(transport);
    rec.waitForText(1, 'ready\n');
    assert(transport.signal_process_group('TERM'), 'signal_process_group');
    rec.wait();
    rec.assertKilledBy(SIGTERM);
}

runTests([
    ['map/default', testMapDefault],
    ['map/default-directions', testMapDefaultDirections],
    ['map/unmapped-std-fds', testMapUnmappedStdFds],
    ['map/unmapped-stdout', testMapUnmappedStdout],
    ['map/extra-fds-blocking', testMapExtraFdsBlocking],
    ['map/pipes-blocking-in-child', testMapPipesBlockingInChild],
    ['map/inherit', testMapInherit],
    ['map/inherit-same-number', testMapInheritSameNumber],
    ['map/swap-extra-fds', testMapSwapExtraFds],
    ['map/rotate-fds', testMapRotateFds],
    ['map/reversed-directions', testMapReversedDirections],
    ['signals/reset', testSignalsReset],
    ['error/enoexec', testErrorEnoexec],
    ['error/not-found', testErrorNotFound],
    ['error/not-executable', testErrorNotExecutable],
    ['error/directory', testErrorDirectory],
    ['error/bad-cwd', testErrorBadCwd],
    ['error/negative-child-fd', testErrorNegativeChildFd],
    ['error/negative-parent-fd', testErrorNegativeParentFd],
    ['error/inherit-closed-fd', testErrorInheritClosedFd],
    ['error/env-name "TPX=BAD"', () => testErrorEnvName('TPX=BAD')],
    ['error/env-name ""', () => testErrorEnvName('')],
    ['error/then-success', testErrorThenSuccess],
    ['many-in-a-row', testManyInARow],
    ['pty/info', testPtyInfo],
    ['pty/fds', testPtyFds],
    ['pty/with-fd-map', testPtyWithFdMap],
    ['pty/close-stdin-ignored', testPtyCloseStdinIgnored],
    ['id/own', testIdOwn],
    ['id/other', testIdOther],
    ['id/gid-only', testIdGidOnly],
    ['pgrp/default', testPgrpDefault],
    ['pgrp/new-group', testPgrpNewGroup],
    ['pgrp/new-session', testPgrpNewSession],
    ['pgrp/signal-process-group', testSignalProcessGroup],
]);
