// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The middle process of test-lifetime.js's die-with-parent tests:
//
//   gjs -m lifetime-middle.js HELPER 1|0
//
// spawns HELPER sleep-forever from the main thread, with die_with_parent
// when the second argument is 1, prints "grandchild PID" once the child
// said "ready" (so that the child, still starting, cannot die of SIGPIPE
// instead of the signal under test) and runs its main loop until it is
// killed.

import GLib from 'gi://GLib';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const [helper, die] = ARGV;
const launcher = Tpx.ProcessLauncher.new();
launcher.set_die_with_parent(die === '1');
const transport = launcher.spawn(null, helper, [helper, 'sleep-forever']);
transport.connect('child-data', t => print(`grandchild ${t.get_pid()}`));
new GLib.MainLoop(null, false).run();
System.exit(0);
