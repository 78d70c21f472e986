// SPDX-License-Identifier: LGPL-2.1-or-later
//
// verbose: say when each method of a process protocol is called.
//
//   gjs -m examples/verbose.js
//
// The child is a small shell script that reads one line, answers on its
// standard output, complains on its standard error and exits with code 3.
// Each virtual method of the protocol prints one line, so the output shows
// the order in which a child's life is reported. Standard output and
// standard error are separate pipes: which of them is reported first
// depends on timing, and so does the place of "process exited" among the
// "connection lost" lines; "connection made" always comes first and
// "process ended" always last.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const SCRIPT = `read line
echo "got: $line"
echo 'something went wrong' >&2
exit 3
`;

// Prints @data (a Uint8Array) without its trailing newline.
function show(what, data) {
    const text = new TextDecoder().decode(data);
    print(`${what}: ${text.endsWith('\n') ? text.slice(0, -1) : text}`);
}

function describe(status) {
    if (status.get_signal() !== 0)
        return `killed by signal ${status.get_signal()}`;
    return `exit code ${status.get_exit_code()}`;
}

const VerboseProtocol = GObject.registerClass(
class VerboseProtocol extends Tpx.ProcessProtocol {
    _init(loop) {
        super._init();
        this._loop = loop;
        this.ended = false;
    }

    // child_data_received and child_connection_lost keep their defaults,
    // which call the methods below: data_received (the array path tpx
    // makes for gjs, in place of out_received and err_received) and the
    // stdin/stdout/stderr connection_lost methods.
    vfunc_connection_made(transport) {
        print('connection made');
        // Answer the script's `read`, and let it know nothing else follows.
        transport.write(new TextEncoder().encode('hello\n'));
        transport.close_stdin();
    }

    vfunc_data_received(childFd, data) {
        if (childFd === 1)
            show('out received', data);
        else if (childFd === 2)
            show('err received', data);
    }

    vfunc_in_connection_lost() {
        print('in connection lost');
    }

    vfunc_out_connection_lost() {
        print('out connection lost');
    }

    vfunc_err_connection_lost() {
        print('err connection lost');
    }

    vfunc_process_exited(status) {
        print(`process exited: ${describe(status)}`);
    }

    vfunc_process_ended(status) {
        print(`process ended: ${describe(status)}`);
        this.ended = true;
        this._loop.quit();
    }
});

const loop = new GLib.MainLoop(null, false);
const protocol = new VerboseProtocol(loop);

try {
    Tpx.spawn_process(protocol, '/bin/sh', ['sh', '-c', SCRIPT], null, null);
} catch (e) {
    printerr(`verbose: ${e.message}`);
    System.exit(1);
}

loop.run();
print('main loop done');
System.exit(protocol.ended ? 0 : 1);
