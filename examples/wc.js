// SPDX-License-Identifier: LGPL-2.1-or-later
//
// wc: count the lines, words and characters of a text with wc(1).
//
//   gjs -m examples/wc.js [TEXT]
//
// A Tpx.ProcessProtocol subclass overrides the virtual methods it needs:
// connection_made writes the text to the child's standard input and closes
// it, so that wc sees the end of its input; data_received collects what
// wc prints (it may come in several pieces); out_connection_lost reads the
// three numbers once standard output is closed; process_ended stops the
// main loop.
//
// Data arrives through vfunc_data_received, as a Uint8Array: the path tpx
// makes for gjs. (vfunc_out_received would get a GLib.Bytes per chunk,
// which gjs keeps, with the bytes it holds, until its next garbage
// collection.)

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const DEFAULT_TEXT = 'tpx runs child processes\non the GLib main loop.\n';

const WcProtocol = GObject.registerClass(
class WcProtocol extends Tpx.ProcessProtocol {
    _init(text, loop) {
        super._init();
        this._text = new TextEncoder().encode(text);
        this._loop = loop;
        this._output = [];
        this.counted = false;
    }

    // The child is running: feed it, then tell it there is no more.
    vfunc_connection_made(transport) {
        transport.write(this._text);
        transport.close_stdin();
    }

    // Bytes from a pipe of the child's: wc only writes to stdout (fd 1).
    vfunc_data_received(childFd, data) {
        if (childFd === 1)
            this._output.push(data);
    }

    // wc closed its standard output: everything it had to say is here.
    vfunc_out_connection_lost() {
        const output = this._output.map(chunk => new TextDecoder().decode(chunk)).join('');
        const counts = output.trim().split(/\s+/).map(Number);
        if (counts.length !== 3 || counts.some(Number.isNaN)) {
            printerr(`wc: cannot read the counts in "${output}"`);
            return;
        }
        const [lines, words, chars] = counts;
        this.counted = true;
        print(`lines ${lines} words ${words} chars ${chars}`);
    }

    vfunc_process_ended(status) {
        try {
            status.check();
        } catch (e) {
            printerr(`wc: ${e.message}`);
            this.counted = false;
        }
        this._loop.quit();
    }
});

const loop = new GLib.MainLoop(null, false);
const protocol = new WcProtocol(System.programArgs[0] ?? DEFAULT_TEXT, loop);

try {
    // No environment: "wc" is looked up in /bin:/usr/bin, and runs in the
    // C locale, so characters are bytes.
    Tpx.spawn_process(protocol, 'wc', ['wc'], null, null);
} catch (e) {
    printerr(`wc: ${e.message}`);
    System.exit(1);
}

loop.run();
System.exit(protocol.counted ? 0 : 1);
