// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs each JavaScript example of examples/ with gjs and checks what it
// prints: the same as the C examples print (the parity of
// tests/test-examples.c), reported as TAP.

import {
    GLib, Gio, assert, assertEqual, exampleDir, runTests, runUntil,
} from './tpxtest.js';

const EXAMPLE_TIMEOUT_MS = 20000;
const MESSAGE = 'a passphrase travels down fd 3 and comes back up fd 4\n';

// Runs examples/NAME.js to its end, without standard input; asserts it
// exited 0 and returns [stdout, stderr].
function runExample(name, ...args) {
    const path = GLib.build_filenamev([exampleDir(), `${name}.js`]);
    assert(GLib.file_test(path, GLib.FileTest.IS_REGULAR), `${path} exists`);
    const process = Gio.Subprocess.new(['gjs', '-m', path, ...args],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    let result = null;
    process.communicate_utf8_async(null, null, (p, res) => {
        try {
            result = p.communicate_utf8_finish(res);
        } catch (e) {
            result = e;
        }
    });
    const timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, EXAMPLE_TIMEOUT_MS, () => {
        process.force_exit();
        return GLib.SOURCE_REMOVE;
    });
    try {
        runUntil(() => result !== null, {timeoutMs: EXAMPLE_TIMEOUT_MS * 2, what: `the ${name} example`});
    } finally {
        GLib.source_remove(timer);
    }
    if (result instanceof Error)
        throw result;
    process.wait(null);
    const [, out, err] = result;
    assert(process.get_if_exited(), `${name} exited (stderr: ${err})`);
    assertEqual(process.get_exit_status(), 0, `${name} exit status (stderr: ${err})`);
    return [out ?? '', err ?? ''];
}

function testExampleWc() {
    const [out, err] = runExample('wc', 'one two three\nfour five\n');
    assertEqual(out, 'lines 2 words 5 chars 24\n');
    assertEqual(err, '');
}

function testExampleWcDefaultText() {
    const [out, err] = runExample('wc');
    assertEqual(out, 'lines 2 words 9 chars 48\n');
    assertEqual(err, '');
}

function testExampleVerbose() {
    const expected = [
        'connection made',
        'in connection lost',
        'out received: got: hello',
        'err received: something went wrong',
        'out connection lost',
        'err connection lost',
        'process exited: exit code 3',
        'process ended: exit code 3',
        'main loop done',
    ];
    const [out, err] = runExample('verbose');
    assertEqual(err, '');
    assert(out.endsWith('\n'), 'ends with a newline');
    const lines = out.slice(0, -1).split('\n');
    // The same lines, each once, in an order that timing may vary only
    // where it is allowed to.
    assertEqual(JSON.stringify([...lines].sort()), JSON.stringify([...expected].sort()), 'lines');
    assertEqual(lines[0], 'connection made');
    assertEqual(lines[lines.length - 2], 'process ended: exit code 3');
    assertEqual(lines[lines.length - 1], 'main loop done');
    const at = line => lines.indexOf(line);
    assert(at('out received: got: hello') < at('out connection lost'), out);
    assert(at('err received: something went wrong') < at('err connection lost'), out);
    assert(at('process exited: exit code 3') < at('process ended: exit code 3'), out);
}

function testExampleGpgFds() {
    const [out, err] = runExample('gpg-fds');
    assertEqual(out, `sent on fd 3: ${MESSAGE}read on fd 4: ${MESSAGE}` +
        `read on fd 1: child: copied ${MESSAGE.length} bytes from fd 3 to fd 4\nround trip ok\n`);
    assertEqual(err, '');
}

function testExampleQuotes() {
    const [quote] = runExample('quotes', '--quote');
    assert(quote !== '', 'a quotation');
    const [out, err] = runExample('quotes');
    assertEqual(out, quote);
    assertEqual(err, '');
}

function testExampleTrueAndFalse() {
    const [out, err] = runExample('trueandfalse');
    assertEqual(out, 'true exited with 0\nfalse exited with 1\n');
    assertEqual(err, '');
}

function testExampleLsl() {
    const dir = GLib.dir_make_tmp('tpx-lsl-XXXXXX');
    const path = name => GLib.build_filenamev([dir, name]);
    GLib.file_set_contents(path('a.txt'), 'hello');
    GLib.file_set_contents(path('with space'), '');
    GLib.mkdir_with_parents(path('sub'), 0o700);
    Gio.File.new_for_path(path('link')).make_symbolic_link('a.txt', null);
    try {
        const [out, err] = runExample('lsl', dir);
        assertEqual(out, 'file 5 a.txt\nlink 5 link\ndir - sub\nfile 0 with space\n' +
            '4 entries, 5 bytes in files\n');
        assertEqual(err, '');
    } finally {
        for (const name of ['a.txt', 'with space', 'sub', 'link', ''])
            Gio.File.new_for_path(path(name)).delete(null);
    }
}

function testExampleKeepalive() {
    const [out, err] = runExample('keepalive');
    assertEqual(err, '');
    const lines = out.split('\n').filter(line => line !== '');
    // The two children's lines interleave as timing has it; each one's own
    // lines come in order.
    assertEqual(lines.filter(l => l.includes('ticker')).join('|'),
        'started ticker|ticker: up|ended ticker: killed by signal 15');
    const crash = 'started crasher|crasher: starting|ended crasher: exit code 3';
    assertEqual(lines.filter(l => l.includes('crasher')).join('|'),
        `${crash}|${crash}|${crash}|crasher crashed 3 times: stopping`);
    assertEqual(lines[lines.length - 1], 'ended ticker: killed by signal 15');
}

function testExampleBuildTimeout() {
    // The pretend build never ends in time: its whole tree is stopped (the
    // linker, which ignores SIGTERM, after the stop timeout), in a cgroup
    // where the system allows one, else in a process group.
    const [out, err] = runExample('build-timeout');
    assertEqual(err, '');
    const [first, ...rest] = out.split('\n');
    assert(first === 'kill mode: cgroup' || first === 'kill mode: process-group', out);
    assertEqual(rest.join('\n'), 'build: 2 compilers and a linker, for 60 s\n' +
        "time limit of 1000 ms reached, 7 processes in the build's tree: stopping it\n" +
        'the build ended: killed by signal 15\n' +
        'processes left in its tree: 0\n');
}

const PTY_STDERR_COMMAND = "if [ -t 1 ]; then printf '\\033[1mbold\\033[0m\\n'; " +
    'else echo plain; fi; echo oops >&2; exit 3';

// The child's fds 0 and 1 on a terminal, its stderr apart.
function testExamplePtyStderr() {
    const [out, err] = runExample('pty-stderr');
    assertEqual(out, 'terminal: fd 0: a terminal\n' +
        'terminal: fd 1: a terminal\n' +
        'terminal: fd 2: not a terminal\n' +
        'stderr: this line went to stderr\n' +
        'exit code 0\n');
    assertEqual(err, '');
}

// A program given on the command line: it colours its output only on a
// terminal, as ls --color=auto does.
function testExamplePtyStderrCommand() {
    const [out, err] = runExample('pty-stderr', '/bin/sh', '-c', PTY_STDERR_COMMAND);
    assertEqual(out, 'terminal: \x1b[1mbold\x1b[0m\nstderr: oops\nexit code 3\n');
    assertEqual(err, '');
}

runTests([
    ['examples/wc', testExampleWc],
    ['examples/wc-default-text', testExampleWcDefaultText],
    ['examples/verbose', testExampleVerbose],
    ['examples/gpg-fds', testExampleGpgFds],
    ['examples/quotes', testExampleQuotes],
    ['examples/trueandfalse', testExampleTrueAndFalse],
    ['examples/lsl', testExampleLsl],
    ['examples/keepalive', testExampleKeepalive],
    ['examples/build-timeout', testExampleBuildTimeout],
    ['examples/pty-stderr', testExamplePtyStderr],
    ['examples/pty-stderr-command', testExamplePtyStderrCommand],
]);
