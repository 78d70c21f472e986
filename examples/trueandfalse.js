// SPDX-License-Identifier: LGPL-2.1-or-later
//
// trueandfalse: get the exit codes of `true` and then `false` with
// Tpx.get_process_value_async() (Twisted's getProcessValue), made
// awaitable with Gio._promisify().
//
//   gjs -m examples/trueandfalse.js
//
// The child's environment is empty, so the bare names are looked up in
// /bin:/usr/bin.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

Gio._promisify(Tpx, 'get_process_value_async', 'get_process_value_finish');

async function main() {
    for (const program of ['true', 'false']) {
        let value;
        try {
            value = await Tpx.get_process_value_async(program, null, null, null);
        } catch (e) {
            printerr(`trueandfalse: ${program}: ${e.message}`);
            return 1;
        }
        print(`${program} exited with ${value}`);
    }
    return 0;
}

const loop = new GLib.MainLoop(null, false);
let exitStatus = 1;
main().then(status => {
    exitStatus = status;
}).finally(() => loop.quit());
loop.run();
System.exit(exitStatus);
