// SPDX-License-Identifier: LGPL-2.1-or-later
//
// pty-stderr: run a program on a terminal, with its standard error kept
// apart on a pipe.
//
//   gjs -m examples/pty-stderr.js [PROGRAM ARG...]
//
// The child fd map is {0: p, 1: p, 2: r}: the child's stdin and stdout are
// one pseudo-terminal (so it line-buffers, colours its output, and asks
// isatty() with success), its stderr is a pipe of its own. The terminal's
// output arrives as fd 1, with the terminal's \r\n line ends; stderr
// arrives as fd 2, untouched. Both come to vfunc_data_received, as a
// Uint8Array.
//
// Without arguments the child is a shell script that says which of its fds
// are a terminal, then writes a line to stderr. With arguments, it is that
// program: `gjs -m pty-stderr.js ls --color=auto -d / /nonexistent` shows
// ls colouring its output for the terminal, and its complaint apart. The
// child inherits our environment, with TERM set if we have none, since
// programs look there for what the terminal can do.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const SCRIPT = 'for fd in 0 1 2; do ' +
    'if [ -t $fd ]; then echo "fd $fd: a terminal"; ' +
    'else echo "fd $fd: not a terminal"; fi; ' +
    'done; ' +
    "echo 'this line went to stderr' >&2";

// Prints each line of @text after @prefix, without the terminal's \r.
function printLines(prefix, text) {
    text = text.replaceAll('\r\n', '\n');
    if (text.endsWith('\n'))
        text = text.slice(0, -1);
    if (text === '')
        return;
    for (const line of text.split('\n'))
        print(`${prefix}: ${line}`);
}

const PtyProtocol = GObject.registerClass(
class PtyProtocol extends Tpx.ProcessProtocol {
    _init(loop) {
        super._init();
        this._loop = loop;
        this._chunks = new Map([[1, []], [2, []]]);
        this.ran = false;
    }

    // The terminal's output comes as fd 1, its stderr as fd 2. The bytes
    // are only valid during the call: keep a copy.
    vfunc_data_received(childFd, data) {
        this._chunks.get(childFd)?.push(data.slice());
    }

    _text(childFd) {
        const chunks = this._chunks.get(childFd);
        const all = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
        let offset = 0;
        for (const chunk of chunks) {
            all.set(chunk, offset);
            offset += chunk.length;
        }
        return new TextDecoder().decode(all);
    }

    vfunc_process_ended(status) {
        printLines('terminal', this._text(1));
        printLines('stderr', this._text(2));
        if (status.get_signal() !== 0)
            print(`killed by signal ${status.get_signal()}`);
        else
            print(`exit code ${status.get_exit_code()}`);
        this.ran = true;
        this._loop.quit();
    }
});

function main(args) {
    const argv = args.length > 0 ? args : ['/bin/sh', '-c', SCRIPT];
    const launcher = Tpx.ProcessLauncher.new();
    launcher.inherit_environ();
    launcher.setenv('TERM', 'xterm-256color', false);
    // fds 0 and 1 on one terminal, fd 2 a pipe.
    launcher.set_child_fds_from_string('0:p,1:p,2:r');

    const loop = new GLib.MainLoop(null, false);
    const protocol = new PtyProtocol(loop);
    try {
        launcher.spawn(protocol, argv[0], argv);
    } catch (e) {
        printerr(`pty-stderr: ${e.message}`);
        return 1;
    }

    loop.run();
    return protocol.ran ? 0 : 1;
}

System.exit(main(System.programArgs));
