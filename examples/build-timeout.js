// SPDX-License-Identifier: LGPL-2.1-or-later
//
// build-timeout: run a build with a time limit, and when it runs out stop
// the build's whole tree, not just the process we started.
//
//   gjs -m examples/build-timeout.js [--timeout MS] [COMMAND [ARG...]]
//
// Without a command it runs a pretend build that never finishes in time: a
// shell that starts two compilers and a linker, each a shell running
// `sleep`, the linker ignoring SIGTERM. With one (`make -j8`), it runs
// that, with this program's environment.
//
// The launcher's kill mode CGROUP puts the whole tree in a cgroup of its
// own (double-forked daemons included); where no cgroup can be made
// (Flatpak, containers) the spawn throws Gio.IOErrorEnum.NOT_SUPPORTED or
// PERMISSION_DENIED and this falls back to PROCESS_GROUP. When the time
// limit runs out the transport stops the tree: SIGTERM to all of it, then
// SIGKILL to whatever still runs after the stop timeout (the linker,
// here). The end is awaited with wait_async(), made a promise by
// Gio._promisify().

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

Gio._promisify(Tpx.ProcessTransport.prototype, 'wait_async', 'wait_finish');

const DEFAULT_TIMEOUT_MS = 1000;
const STOP_TIMEOUT_MS = 500;

const PRETEND_BUILD = `echo 'build: 2 compilers and a linker, for 60 s'
sh -c 'sleep 60; echo cc parser.c' &
sh -c 'sleep 60; echo cc lexer.c' &
sh -c 'trap "" TERM; sleep 60; echo ld' &
wait
`;

const decoder = new TextDecoder();

// CGROUP mode where this system lets us make a cgroup, else a process
// group (which does not reach a process that leaves it, a daemon).
function spawnBuild(launcher, command) {
    launcher.set_kill_mode(Tpx.KillMode.CGROUP);
    try {
        const transport = launcher.spawn(null, command[0], command);
        print('kill mode: cgroup');
        return transport;
    } catch (e) {
        if (!e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_SUPPORTED) &&
            !e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED))
            throw e;
    }
    launcher.set_kill_mode(Tpx.KillMode.PROCESS_GROUP);
    const transport = launcher.spawn(null, command[0], command);
    print('kill mode: process-group');
    return transport;
}

async function main(args) {
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (args.length > 1 && args[0] === '--timeout') {
        timeoutMs = Number(args[1]);
        args = args.slice(2);
    }
    const command = args.length > 0 ? args : ['/bin/sh', '-c', PRETEND_BUILD];

    const launcher = Tpx.ProcessLauncher.new();
    // A build needs PATH, HOME and the rest.
    launcher.inherit_environ();
    launcher.set_timeout(timeoutMs);
    launcher.set_stop_timeout(STOP_TIMEOUT_MS);

    let transport;
    try {
        transport = spawnBuild(launcher, command);
    } catch (e) {
        printerr(`build-timeout: ${e.message}`);
        return 1;
    }
    transport.connect('child-data', (_t, fd, data) => {
        const text = decoder.decode(data.toArray());
        if (fd === 2)
            printerr(text.replace(/\n$/, ''));
        else
            print(text.replace(/\n$/, ''));
    });
    // The transport calls stop() right after this.
    transport.connect('notify::timed-out', t => {
        print(`time limit of ${timeoutMs} ms reached, ${t.get_n_tree_processes()} ` +
            "processes in the build's tree: stopping it");
    });
    transport.close_stdin();

    const status = await transport.wait_async(null);
    if (status.get_signal() !== 0)
        print(`the build ended: killed by signal ${status.get_signal()}`);
    else
        print(`the build ended: exit code ${status.get_exit_code()}`);
    print(`processes left in its tree: ${transport.get_n_tree_processes()}`);
    return 0;
}

const loop = new GLib.MainLoop(null, false);
let exitStatus = 1;
main(ARGV).then(status => {
    exitStatus = status;
}).catch(e => {
    printerr(`build-timeout: ${e.message}`);
}).finally(() => loop.quit());
loop.run();
System.exit(exitStatus);
