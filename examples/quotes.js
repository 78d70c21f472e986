// SPDX-License-Identifier: LGPL-2.1-or-later
//
// quotes: run a program that prints a quotation and show what it printed,
// with Tpx.get_process_output_async() (Twisted's getProcessOutput), made
// awaitable with Gio._promisify().
//
//   gjs -m examples/quotes.js
//
// To need nothing installed, this script is also the quotation program:
// started as `gjs -m quotes.js --quote`, it prints one and exits. It
// inherits our environment, so that it finds the Tpx typelib wherever we
// found it.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const QUOTE = 'Simple things should be simple, complex things should be possible.\n' +
    '    -- Alan Kay\n';

Gio._promisify(Tpx, 'get_process_output_async', 'get_process_output_finish');

async function main() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.inherit_environ();
    const gjs = GLib.file_read_link('/proc/self/exe');
    const [script] = GLib.filename_from_uri(import.meta.url);

    const output = await Tpx.get_process_output_async(gjs, ['-m', script, '--quote'], launcher,
        Tpx.OutputFlags.NONE, null);
    const stdout = Gio.UnixOutputStream.new(1, false);
    stdout.write_all(output.toArray(), null);
}

if (System.programArgs[0] === '--quote') {
    Gio.UnixOutputStream.new(1, false).write_all(new TextEncoder().encode(QUOTE), null);
    System.exit(0);
}

const loop = new GLib.MainLoop(null, false);
let exitStatus = 0;
main().catch(e => {
    printerr(`quotes: ${e.message}`);
    exitStatus = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(exitStatus);
