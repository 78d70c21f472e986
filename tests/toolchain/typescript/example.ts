// SPDX-License-Identifier: LGPL-2.1-or-later
// A gjs program in TypeScript against types/ as shipped: unversioned
// gi://GLib imports, a protocol subclass, and the output helpers both with
// a callback and with await. check-typescript.py type-checks it with tsc
// (strict), then runs what tsc emits with gjs against the build tree.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

Gio._promisify(Tpx, 'get_process_output_async', 'get_process_output_finish');
Gio._promisify(Tpx, 'get_process_value_async', 'get_process_value_finish');
Gio._promisify(Tpx, 'get_process_output_and_value_async',
    'get_process_output_and_value_finish');

const decoder = new TextDecoder();

function text(bytes: GLib.Bytes | null): string {
    return decoder.decode(bytes?.get_data() ?? new Uint8Array());
}

function check(ok: boolean, what: string): void {
    if (!ok)
        throw new Error(`failed: ${what}`);
    print(`ok - ${what}`);
}

const Echo = GObject.registerClass(
class Echo extends Tpx.ProcessProtocol {
    output = '';
    ended: Tpx.ProcessStatus | null = null;

    vfunc_out_received(data: GLib.Bytes): void {
        this.output += text(data);
    }

    vfunc_process_ended(status: Tpx.ProcessStatus): void {
        this.ended = status;
        loop.quit();
    }
});

const loop = new GLib.MainLoop(null, false);
const timeout = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 20, () => {
    printerr('timed out');
    System.exit(1);
    return GLib.SOURCE_REMOVE;
});

const echo = new Echo();
const launcher: Tpx.ProcessLauncher = Tpx.ProcessLauncher.new();
const transport: Tpx.ProcessTransport = launcher.spawn(echo, '/bin/echo', ['echo', 'hello']);
loop.run();
check(echo.output === 'hello\n' && echo.ended?.get_exit_code() === 0 &&
      transport.get_status() === echo.ended, 'a protocol subclass');

Tpx.get_process_output_async('/bin/echo', ['callback'], null, Tpx.OutputFlags.NONE, null,
    (_source: GObject.Object | null, result: Gio.AsyncResult) => {
        const output: GLib.Bytes = Tpx.get_process_output_finish(result);
        check(text(output) === 'callback\n', 'get_process_output_async with a callback');
        loop.quit();
    });
loop.run();

const output: GLib.Bytes = await Tpx.get_process_output_async('/bin/echo', ['await'], null,
    Tpx.OutputFlags.ERRORTOO, null);
check(text(output) === 'await\n', 'await get_process_output_async');
const code: number = await Tpx.get_process_value_async('/bin/sh', ['-c', 'exit 3'], null, null);
check(code === 3, 'await get_process_value_async');
const [out, err, exitCode] = await Tpx.get_process_output_and_value_async('/bin/cat', null, null,
    new GLib.Bytes(new TextEncoder().encode('in')), null);
check(text(out) === 'in' && text(err) === '' && exitCode === 0,
      'await get_process_output_and_value_async');
GLib.source_remove(timeout);
