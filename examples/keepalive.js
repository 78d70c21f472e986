// SPDX-License-Identifier: LGPL-2.1-or-later
//
// keepalive: keep two programs running with Tpx.ProcessMonitor (Twisted's
// procmon), one of which crashes each time it starts.
//
//   gjs -m examples/keepalive.js
//
// "ticker" prints a line and then stays up; "crasher" prints a line and
// exits with code 3 at once, so the monitor starts it again after a delay
// that doubles each time (100, 200, 400 ms here: the delays are properties,
// in milliseconds). Every line either writes is printed with its name. When
// the crasher has crashed three times, the monitor is stopped: the ticker
// gets SIGTERM, and the program ends once every child has ended.

import GLib from 'gi://GLib';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const CRASHES = 3;

const loop = new GLib.MainLoop(null, false);
// Short delays, to see the back-off in a second: Twisted's are 1 s to 1 hour.
const monitor = new Tpx.ProcessMonitor({min_restart_delay: 100, max_restart_delay: 400});
let running = 0;
let crashes = 0;

monitor.connect('process-started', (m, name) => {
    running++;
    print(`started ${name}`);
});

monitor.connect('line-received', (m, name, fd, line) => {
    print(`${name}: ${line}`);
});

monitor.connect('process-ended', (m, name, status) => {
    running--;
    if (status.get_signal() !== 0)
        print(`ended ${name}: killed by signal ${status.get_signal()}`);
    else
        print(`ended ${name}: exit code ${status.get_exit_code()}`);
    if (name === 'crasher' && ++crashes === CRASHES) {
        print(`crasher crashed ${CRASHES} times: stopping`);
        monitor.stop();
    }
    if (running === 0 && !monitor.running)
        loop.quit();
});

// exec: the monitor's SIGTERM then reaches sleep itself.
monitor.add_process('ticker', null, '/bin/sh', ['sh', '-c', 'echo up; exec sleep 1000']);
monitor.add_process('crasher', null, '/bin/sh', ['sh', '-c', 'echo starting; exit 3']);

monitor.start();
loop.run();
System.exit(0);
