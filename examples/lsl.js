// SPDX-License-Identifier: LGPL-2.1-or-later
//
// lsl: list a directory with `ls -l` and read what it prints line by line,
// with Tpx.LineProtocol.
//
//   gjs -m examples/lsl.js [DIRECTORY]
//
// A Tpx.LineProtocol subclass overrides vfunc_line_received, which gets one
// line at a time (a string without its newline) and the fd it came from,
// however the reads cut ls's output. Each entry is printed as its kind, its
// size and its name, then a summary. ls runs with an empty environment
// (Twisted's default): found in /bin:/usr/bin, it prints in the C locale,
// so the layout of its lines is known.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const KINDS = {'-': 'file', 'd': 'dir', 'l': 'link'};

const LsProtocol = GObject.registerClass(
class LsProtocol extends Tpx.LineProtocol {
    _init(loop) {
        super._init();
        this._loop = loop;
        this._entries = 0;
        this._fileBytes = 0;
        this.ok = false;
    }

    vfunc_line_received(fd, line) {
        if (fd === 2) {
            printerr(`ls says: ${line}`);
            return;
        }
        if (line.startsWith('total '))
            return;
        // mode, links, owner, group, size, month, day, time or year, name
        const match = /^(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+(.*)$/.exec(line);
        if (!match)
            return;
        const [, mode, size, name] = match;
        const kind = KINDS[mode[0]] ?? 'other';
        this._entries++;
        if (kind === 'file') {
            this._fileBytes += Number(size);
            print(`${kind} ${size} ${name}`);
        } else if (kind === 'link') {
            print(`${kind} ${size} ${name.split(' -> ')[0]}`);
        } else {
            print(`${kind} - ${name}`);
        }
    }

    vfunc_process_ended(status) {
        try {
            status.check();
            this.ok = true;
            print(`${this._entries} entries, ${this._fileBytes} bytes in files`);
        } catch (e) {
            printerr(`lsl: ${e.message}`);
        }
        this._loop.quit();
    }
});

const loop = new GLib.MainLoop(null, false);
const protocol = new LsProtocol(loop);
const directory = System.programArgs[0] ?? '.';

try {
    Tpx.spawn_process(protocol, 'ls', ['ls', '-l', '--', directory], null, null);
} catch (e) {
    printerr(`lsl: ${e.message}`);
    System.exit(1);
}
loop.run();
System.exit(protocol.ok ? 0 : 1);
