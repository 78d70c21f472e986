// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.ProcessLauncher from gjs: the environment, the working directory,
// the child fd map, Tpx.spawn_process and the executable lookup (the
// parity of tests/test-process-launcher.c), reported as TAP.

import {
    GLib, Gio, Tpx, Recorder, assert, assertEqual, assertLinesUnordered,
    assertNoChildren, assertThrowsError, bytes, countFds, helperArgv,
    helperPath, readToEof, runArgv, runHelper, runTests, socketPair,
    spawnHelper,
} from './tpxtest.js';

const MARKER_NAME = 'TPX_TEST_LAUNCHER_MARKER';
const MARKER_VALUE = 'inherited value';
GLib.setenv(MARKER_NAME, MARKER_VALUE, true);

function realCwd() {
    return GLib.canonicalize_filename(GLib.file_read_link('/proc/self/cwd'), null);
}

function testEnvEmptyByDefault() {
    const launcher = Tpx.ProcessLauncher.new();
    assertEqual(launcher.getenv('PATH'), null, 'PATH');
    assertEqual(launcher.getenv('HOME'), null, 'HOME');
    assertEqual(launcher.getenv(MARKER_NAME), null, 'marker');
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '', 'stdout');
    assertEqual(rec.text(2), '', 'stderr');
}

function testEnvSetEnviron() {
    const launcher = Tpx.ProcessLauncher.new();
    const env = ['TPX_A=1', 'TPX_B=two words', 'TPX_C=x=y', 'TPX_EMPTY='];
    launcher.set_environ(env);
    assertEqual(launcher.getenv('TPX_A'), '1');
    assertEqual(launcher.getenv('TPX_B'), 'two words');
    assertEqual(launcher.getenv('TPX_C'), 'x=y');
    assertEqual(launcher.getenv('TPX_EMPTY'), '');
    assertEqual(launcher.getenv('TPX_D'), null);
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertLinesUnordered(rec.text(1), env);
}

function testEnvSetEnvironReplaces() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_environ(['TPX_A=1', 'TPX_B=2']);
    launcher.set_environ(['TPX_C=3']);
    assertEqual(launcher.getenv('TPX_A'), null);
    assertEqual(launcher.getenv('TPX_C'), '3');
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'TPX_C=3\n');
}

function testEnvSetEnvironNull() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_environ(['TPX_A=1', 'PATH=/bin']);
    assertEqual(launcher.getenv('TPX_A'), '1');
    launcher.set_environ(null);
    assertEqual(launcher.getenv('TPX_A'), null);
    assertEqual(launcher.getenv('PATH'), null);
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '');
}

function testEnvSetenvOverwrite() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv('TPX_A', 'first', true);
    assertEqual(launcher.getenv('TPX_A'), 'first');
    launcher.setenv('TPX_A', 'second', true);
    assertEqual(launcher.getenv('TPX_A'), 'second');
    launcher.setenv('TPX_A', 'third', false);
    assertEqual(launcher.getenv('TPX_A'), 'second');
    launcher.setenv('TPX_B', 'kept', false);
    assertEqual(launcher.getenv('TPX_B'), 'kept');
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertLinesUnordered(rec.text(1), ['TPX_A=second', 'TPX_B=kept']);
}

function testEnvUnsetenv() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_environ(['TPX_A=1', 'TPX_B=2', 'TPX_C=3']);
    launcher.unsetenv('TPX_B');
    assertEqual(launcher.getenv('TPX_B'), null);
    assertEqual(launcher.getenv('TPX_A'), '1');
    launcher.unsetenv('TPX_NOT_THERE');
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertLinesUnordered(rec.text(1), ['TPX_A=1', 'TPX_C=3']);
}

function testEnvInherit() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.inherit_environ();
    assertEqual(launcher.getenv(MARKER_NAME), MARKER_VALUE);
    assertEqual(launcher.getenv('G_TEST_BUILDDIR'), GLib.getenv('G_TEST_BUILDDIR'));
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    const parent = GLib.get_environ().filter(e => !e.startsWith('LD_PRELOAD='));
    const child = rec.text(1).split('\n').filter(l => l !== '' && !l.startsWith('LD_PRELOAD='));
    assertEqual(JSON.stringify(child.sort()), JSON.stringify(parent.sort()), 'inherited environment');

    // The copy can then be edited like any other environment.
    launcher.setenv(MARKER_NAME, 'edited', true);
    launcher.unsetenv('G_TEST_BUILDDIR');
    assertEqual(GLib.getenv(MARKER_NAME), MARKER_VALUE);
    const rec2 = runHelper('env', [], {launcher});
    rec2.assertExitCode(0);
    const lines = rec2.text(1).split('\n');
    assert(lines.includes(`${MARKER_NAME}=edited`), 'edited marker');
    assert(!lines.includes(`${MARKER_NAME}=${MARKER_VALUE}`), 'old marker gone');
    assert(!lines.some(l => l.startsWith('G_TEST_BUILDDIR=')), 'G_TEST_BUILDDIR gone');
}

function testEnvInheritThenSetEnviron() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.inherit_environ();
    launcher.set_environ(null);
    assertEqual(launcher.getenv(MARKER_NAME), null);
    const rec = runHelper('env', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '');
}

function testCwdSet() {
    const dir = GLib.dir_make_tmp('tpx-launcher-cwd-XXXXXX');
    try {
        const canonical = GLib.canonicalize_filename(dir, null);
        const parentCwd = realCwd();
        assert(canonical !== parentCwd, 'another directory');
        const launcher = Tpx.ProcessLauncher.new();
        launcher.set_cwd(dir);
        const rec = runHelper('cwd', [], {launcher});
        rec.assertExitCode(0);
        assertEqual(rec.text(1), `${canonical}\n`);
        assertEqual(realCwd(), parentCwd, 'the parent did not move');
    } finally {
        GLib.rmdir(dir);
    }
}

function testCwdDefault() {
    const expected = `${realCwd()}\n`;
    const launcher = Tpx.ProcessLauncher.new();
    const rec = runHelper('cwd', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), expected);
    launcher.set_cwd('/');
    launcher.set_cwd(null);
    const rec2 = runHelper('cwd', [], {launcher});
    rec2.assertExitCode(0);
    assertEqual(rec2.text(1), expected);
}

function testCwdRoot() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_cwd('/');
    const rec = runHelper('cwd', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '/\n');
}

function testFdsDefault() {
    const launcher = Tpx.ProcessLauncher.new();
    let transport = spawnHelper('echo', [], {launcher});
    const rec = new Recorder(transport);
    assertThrowsError(() => transport.write_to_child(1, bytes('x')),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'write_to_child(1)');
    assert(transport.write_to_child(0, bytes('ping')), 'write_to_child(0)');
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'ping');
    assertEqual(rec.text(2), '');
    for (const event of ['lost:0', 'lost:1', 'lost:2'])
        assert(rec.events.includes(event), event);

    // fd 2 is a pipe the parent reads as well
    transport = spawnHelper('echo-stderr', [], {launcher});
    const rec2 = new Recorder(transport);
    transport.write(bytes('to stderr'));
    transport.close_stdin();
    rec2.wait();
    rec2.assertExitCode(0);
    assertEqual(rec2.text(1), '');
    assertEqual(rec2.text(2), 'to stderr');
}

function testFdsSetChildFd() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(3, Tpx.ChildFdKind.WRITE, -1);
    launcher.set_child_fd(4, Tpx.ChildFdKind.READ, -1);
    const transport = spawnHelper('cat-fd', ['3', '4'], {launcher});
    const rec = new Recorder(transport);
    assert(transport.write_to_child(3, bytes('via fd 3')));
    transport.close_child_fd(3);
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(4), 'via fd 3');
    assertEqual(rec.text(1), '');
    assert(rec.events.includes('lost:3') && rec.events.includes('lost:4'), rec.trace());
}

function testFdsSetChildFdReplaces() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fd(1, Tpx.ChildFdKind.WRITE, -1);
    const transport = spawnHelper('cat-fd', ['1', '2'], {launcher});
    const rec = new Recorder(transport);
    assert(transport.write_to_child(1, bytes('replaced')));
    transport.close_child_fd(1);
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(2), 'replaced');
    assert(!rec.events.includes('data:1'), rec.trace());
}

function testFdsRemove() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.remove_child_fd(2);
    launcher.remove_child_fd(7);
    const rec = runHelper('write-both', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'out');
    assertEqual(rec.text(2), '');
    assert(!rec.trace().includes(':2'), rec.trace());
    assert(rec.events.includes('lost:1'), rec.trace());
}

function testFdsClear() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.clear_child_fds();
    launcher.set_child_fd(1, Tpx.ChildFdKind.READ, -1);
    const transport = spawnHelper('count-stdin', [], {launcher});
    const rec = new Recorder(transport);
    assertThrowsError(() => transport.write_to_child(0, bytes('x')),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '0\n');
    assert(!rec.trace().includes(':0') && !rec.trace().includes(':2'), rec.trace());
}

function testFdsClearAll() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.clear_child_fds();
    const rec = runHelper('exit', ['7'], {launcher});
    rec.assertExitCode(7);
    assertEqual(rec.trace(), 'exited ended');
}

function testFdsFromString() {
    const [readSocket, writeSocket] = socketPair();
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string(`0:w,1:r,3:w,5:${writeSocket.get_fd()}`));
    const transport = spawnHelper('cat-fd', ['3', '5'], {launcher});
    writeSocket.close();
    const rec = new Recorder(transport);
    assert(transport.write_to_child(3, bytes('spec')));
    transport.close_child_fd(3);
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(new TextDecoder().decode(readToEof(readSocket)), 'spec');
    readSocket.close();
    assert(!rec.trace().includes(':2'), rec.trace());
    assert(rec.events.includes('lost:1') && rec.events.includes('lost:3'), rec.trace());
}

function testFdsFromStringMalformed(spec) {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string('0:w,3:r'));
    assertThrowsError(() => launcher.set_child_fds_from_string(spec),
        Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT, `spec "${spec}"`);
    const transport = spawnHelper('cat-fd', ['0', '3'], {launcher});
    const rec = new Recorder(transport);
    transport.write(bytes('unchanged'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(3), 'unchanged');
    assert(!rec.trace().includes(':1') && !rec.trace().includes(':2'), rec.trace());
}

function testFdsFromStringEmpty() {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string(''));
    const rec = runHelper('write-both', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.trace(), 'exited ended');
}

function testFdsFromStringDefault() {
    const launcher = Tpx.ProcessLauncher.new();
    assert(launcher.set_child_fds_from_string(''));
    assert(launcher.set_child_fds_from_string('0:w,1:r,2:r'));
    const rec = runHelper('write-both', [], {launcher});
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'out');
    assertEqual(rec.text(2), 'err');
}

function testSpawnProcessEnv() {
    const envp = ['TPX_ONE=1', 'TPX_TWO=2'];
    const transport = Tpx.spawn_process(null, helperPath(), helperArgv('env'), envp, null);
    assert(transport.get_pid() > 0, 'pid');
    const rec = new Recorder(transport);
    rec.wait();
    rec.assertExitCode(0);
    assertLinesUnordered(rec.text(1), envp);
}

function testSpawnProcessPath() {
    const rec = new Recorder(Tpx.spawn_process(null, helperPath(), helperArgv('cwd'), null, '/'));
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '/\n');
}

function testSpawnProcessDefaults() {
    const rec = new Recorder(Tpx.spawn_process(null, helperPath(), helperArgv('env'), null, null));
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '', 'an empty environment');
    const rec2 = new Recorder(Tpx.spawn_process(null, helperPath(), helperArgv('cwd'), null, null));
    rec2.wait();
    rec2.assertExitCode(0);
    assertEqual(rec2.text(1), `${realCwd()}\n`, 'the parent directory');
}

function testSpawnProcessError() {
    const nFds = countFds();
    assertThrowsError(() => Tpx.spawn_process(null, '/nonexistent/tpx-no-such-program', null, null, null),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testArgvNull() {
    const transport = Tpx.ProcessLauncher.new().spawn(null, '/bin/sh', null);
    const rec = new Recorder(transport);
    transport.write(bytes('echo "$0|$#"\n'));
    transport.close_stdin();
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), '/bin/sh|0\n');
    assertEqual(rec.text(2), '');
}

// An empty argv is [executable], never argc 0 (CVE-2021-4034); the helper
// without a mode prints argc and argv[0] on stderr.
function testArgvEmpty() {
    const rec = runArgv([]);
    rec.assertExitCode(1);
    assertEqual(rec.text(2),
        `usage: tpx-test-child MODE [ARGS...] (argc 1, argv[0] ${helperPath()})\n`);
}

function testArgvZeroDiffers() {
    const rec = runArgv(['not-the-executable', 'argv', 'two words', '', 'last']);
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'not-the-executable\nargv\ntwo words\n\nlast\n');
}

function testArgvZeroIsExecutable() {
    const rec = runArgv(helperArgv('argv', '$HOME', '*'));
    rec.assertExitCode(0);
    assertEqual(rec.text(1), `${helperPath()}\nargv\n$HOME\n*\n`);
}

function testPathChildEnv() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv('PATH', `/nonexistent-tpx-dir:${GLib.path_get_dirname(helperPath())}`, true);
    const rec = new Recorder(launcher.spawn(null, 'tpx-test-child', ['tpx-test-child', 'write-out', 'found']));
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'found');
}

function testPathNotParent() {
    assert(GLib.find_program_in_path('true') !== null, 'true in the parent PATH');
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv('PATH', GLib.path_get_dirname(helperPath()), true);
    const nFds = countFds();
    const error = assertThrowsError(() => launcher.spawn(null, 'true', null),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assert(error.message.includes('true'), error.message);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testPathDefault() {
    const launcher = Tpx.ProcessLauncher.new();
    assertEqual(launcher.getenv('PATH'), null);
    const rec = new Recorder(launcher.spawn(null, 'echo', ['echo', 'default path']));
    rec.wait();
    rec.assertExitCode(0);
    assertEqual(rec.text(1), 'default path\n');
    const nFds = countFds();
    const error = assertThrowsError(() => launcher.spawn(null, 'tpx-test-child', ['tpx-test-child', 'exit', '0']),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assert(error.message.includes('tpx-test-child'), error.message);
    assertEqual(countFds(), nFds, 'open fds');
    assertNoChildren();
}

function testPathSlashIsLiteral() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.setenv('PATH', '/bin:/usr/bin', true);
    assertThrowsError(() => launcher.spawn(null, 'nonexistent-tpx-dir/true', null),
        Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND);
    assertNoChildren();
}

const MALFORMED = [
    '0:x', 'zero:r', '0', '0:', ':r', '0:w,,1:r', '0:w;1:r', '0:w,1:r,',
    ',0:w', '0:w 1:r', '0:rw', '0:-1', '-1:r', '0:w,0:r', '0:w,1:r,3:4x', ' 0:w',
];

runTests([
    ['env/empty-by-default', testEnvEmptyByDefault],
    ['env/set-environ', testEnvSetEnviron],
    ['env/set-environ-replaces', testEnvSetEnvironReplaces],
    ['env/set-environ-null', testEnvSetEnvironNull],
    ['env/setenv-overwrite', testEnvSetenvOverwrite],
    ['env/unsetenv', testEnvUnsetenv],
    ['env/inherit', testEnvInherit],
    ['env/inherit-then-set-environ', testEnvInheritThenSetEnviron],
    ['cwd/set', testCwdSet],
    ['cwd/default', testCwdDefault],
    ['cwd/root', testCwdRoot],
    ['fds/default', testFdsDefault],
    ['fds/set-child-fd', testFdsSetChildFd],
    ['fds/set-child-fd-replaces', testFdsSetChildFdReplaces],
    ['fds/remove', testFdsRemove],
    ['fds/clear', testFdsClear],
    ['fds/clear-all', testFdsClearAll],
    ['fds/from-string', testFdsFromString],
    ...MALFORMED.map(spec => [`fds/from-string-malformed "${spec}"`, () => testFdsFromStringMalformed(spec)]),
    ['fds/from-string-empty', testFdsFromStringEmpty],
    ['fds/from-string-default', testFdsFromStringDefault],
    ['spawn-process/env', testSpawnProcessEnv],
    ['spawn-process/path', testSpawnProcessPath],
    ['spawn-process/defaults', testSpawnProcessDefaults],
    ['spawn-process/error', testSpawnProcessError],
    ['argv/null', testArgvNull],
    ['argv/empty', testArgvEmpty],
    ['argv/zero-differs', testArgvZeroDiffers],
    ['argv/zero-is-executable', testArgvZeroIsExecutable],
    ['path/child-env', testPathChildEnv],
    ['path/not-parent', testPathNotParent],
    ['path/default', testPathDefault],
    ['path/slash-is-literal', testPathSlashIsLiteral],
]);
