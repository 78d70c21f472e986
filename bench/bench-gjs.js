// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The gjs columns of bench/run: tpx through GObject introspection, and
// Gio.Subprocess.
//
//   gjs -m bench-gjs.js COLUMN WORKLOAD [--n N] [--bytes B] [--seconds S]
//                       [--sleep-ms MS] --child PATH
//
// COLUMN is one of:
//
//   tpx          Tpx.ProcessLauncher and a Tpx.ProcessProtocol subclass
//                written as docs/javascript.md says: vfunc_data_received (a
//                Uint8Array), vfunc_process_ended; W3 queues one GLib.Bytes
//                chunk again and again (write_bytes) and refills on
//                write-drained
//   tpx-socket   the same, with the fd W2 or W3 moves its bytes through a
//                SOCKET (Tpx.ChildFdKind.SOCKET, 's'): the child's stdout in
//                W2 ("0:w,1:s,2:r"), its stdin in W3 ("0:s,1:r,2:r"), as
//                Node's stdio is a socketpair
//   gsubprocess  Gio.SubprocessLauncher with three pipes (empty
//                environment); read_bytes_async() with a 256 KiB buffer on
//                stdout and stderr, write_bytes_async() (one write in flight,
//                as GIO allows), wait_async()
//
// Both run a GLib.MainLoop. Both follow the advice of docs/javascript.md for
// gjs < 1.82 when they receive bulk data (W2): a System.gc() every 32 MiB
// received, so that no incremental collection can drop a callback.
//
// Every column spawns the same child (bench-child, or /bin/true for W1) and
// prints RESULT lines as the C columns do (see bench-common.h).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const CHUNK = 1024 * 1024;
const WINDOW = 4;
const PING = 64;
const PEER_READ = 256 * 1024;
const COLLECT_EVERY = 32 * 1024 * 1024;

function fail(message) {
    printerr(`bench-gjs: ${message}`);
    System.exit(1);
}

function report(key, value, unit) {
    print(`RESULT ${key} ${value.toPrecision(6)} ${unit}`);
}

function now() {
    return GLib.get_monotonic_time() / 1e6;
}

function readProc(path) {
    const [, contents] = GLib.file_get_contents(path);
    return new TextDecoder().decode(contents);
}

function cpuSeconds() {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks.
    const stat = readProc('/proc/self/stat');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes() {
    return Number(readProc('/proc/self/statm').split(' ')[1]) * 4096;
}

function reportW5(opts, wall, cpu, rssDelta) {
    const mib = Math.max(rssDelta, 4096) / 1048576;
    print(`# ${opts.n} children: wall ${wall.toFixed(3)} s, parent CPU ${cpu.toFixed(3)} s, RSS +${rssDelta >> 10} KiB`);
    report('W5', opts.n / wall, 'children/s');
    report('W5cpu', opts.n / Math.max(cpu, 1e-6), 'children/cpu-s');
    report('W5mem', opts.n / mib, 'children/MiB');
}

function parseOptions(args) {
    const opts = {column: args[0], workload: args[1], n: 1000, bytes: 2 ** 30,
        seconds: 20, sleepMs: 1000, child: null};
    for (let i = 2; i < args.length; i += 2) {
        const value = args[i + 1];
        switch (args[i]) {
        case '--n': opts.n = Number(value); break;
        case '--bytes': opts.bytes = Number(value); break;
        case '--seconds': opts.seconds = Number(value); break;
        case '--sleep-ms': opts.sleepMs = Number(value); break;
        case '--child': opts.child = value; break;
        default: fail(`unknown option ${args[i]}`);
        }
    }
    if (!opts.child)
        fail('--child PATH is required');
    return opts;
}

function childArgv(opts) {
    switch (opts.workload) {
    case 'W1': return ['/bin/true'];
    case 'W2': return [opts.child, 'source', `${opts.bytes}`];
    case 'W3': return [opts.child, 'sink'];
    case 'W4':
    case 'W4s':  // W4 under taskset (bench/run): parent and child on one CPU
        return [opts.child, 'pong', '-1'];
    case 'W5': return [opts.child, 'sleep', `${opts.sleepMs}`];
    default: return fail(`no workload ${opts.workload}`);
    }
}

function checkCount(text, expected) {
    if (Number(text) !== expected)
        fail(`the child counted "${text.trim()}", expected ${expected}`);
}

// Counts received bytes and collects every COLLECT_EVERY of them.
class Collector {
    constructor() {
        this.uncollected = 0;
    }

    add(n) {
        this.uncollected += n;
        if (this.uncollected >= COLLECT_EVERY) {
            this.uncollected = 0;
            System.gc();
        }
    }
}

// ---------------------------------------------------------------- tpx

const SOCKET_MAPS = {W2: '0:w,1:s,2:r', W3: '0:s,1:r,2:r'};

function runTpx(opts) {
    const loop = new GLib.MainLoop(null, false);
    const launcher = Tpx.ProcessLauncher.new();
    if (opts.column === 'tpx-socket') {
        if (!(opts.workload in SOCKET_MAPS))
            fail('tpx-socket is for W2 and W3 only');
        launcher.set_child_fds_from_string(SOCKET_MAPS[opts.workload]);
    }
    const argv = childArgv(opts);
    const state = {live: 0, end: 0};
    const ping = new Uint8Array(PING).fill(112);

    const Child = GObject.registerClass(
    class Child extends Tpx.ProcessProtocol {
        _init() {
            super._init();
            this.out = 0;
            this.text = '';
            this.rounds = 0;
            this.child = null;
        }

        vfunc_connection_made(transport) {
            this.child = transport;
        }

        vfunc_process_ended(status) {
            if (!status.is_success())
                fail(`child failed (wait status ${status.get_raw_status()})`);
            this.child = null;
            if (--state.live === 0)
                loop.quit();
        }
    });

    const Counter = GObject.registerClass(
    class Counter extends Child {
        _init() {
            super._init();
            this.collector = new Collector();
        }

        vfunc_data_received(fd, data) {
            if (fd === 1) {
                this.out += data.length;
                this.collector.add(data.length);
            }
        }
    });

    const Texter = GObject.registerClass(
    class Texter extends Child {
        vfunc_data_received(fd, data) {
            if (fd === 1)
                this.text += new TextDecoder().decode(data);
        }
    });

    const Ponger = GObject.registerClass(
    class Ponger extends Child {
        vfunc_data_received(fd, data) {
            this.out += data.length;
            const rounds = Math.floor(this.out / PING);
            if (this.out % PING !== 0 || rounds === this.rounds)
                return;
            this.rounds = rounds;
            if (rounds === opts.n) {
                state.end = now();
                this.child.close_stdin();
            } else {
                this.child.write(ping);
            }
        }
    });

    function spawn(Klass) {
        const protocol = new Klass();
        state.live++;
        launcher.spawn(protocol, argv[0], argv);
        return protocol;
    }

    switch (opts.workload) {
    case 'W1': {
        // One child at a time: iterate the context, as the C column does.
        const context = GLib.MainContext.default();
        const start = now();
        let done = 0, elapsed;
        do {
            spawn(Child).child.close_stdin();
            while (state.live > 0)
                context.iteration(true);
            done++;
            elapsed = now() - start;
        } while (done < opts.n && elapsed < opts.seconds);
        report('W1', done / elapsed, 'spawn/s');
        break;
    }
    case 'W2': {
        const start = now();
        const child = spawn(Counter);
        child.child.close_stdin();
        loop.run();
        if (child.out !== opts.bytes)
            fail(`read ${child.out} bytes, expected ${opts.bytes}`);
        report('W2', opts.bytes / (now() - start) / 1e6, 'MB/s');
        break;
    }
    case 'W3': {
        const chunk = new GLib.Bytes(new Uint8Array(CHUNK));
        const start = now();
        const child = spawn(Texter);
        const transport = child.child;
        let left = opts.bytes;
        const fill = () => {
            while (left > 0 && transport.get_write_buffer_size(0) < WINDOW * CHUNK) {
                transport.write_bytes(left >= CHUNK ? chunk : new GLib.Bytes(new Uint8Array(left)));
                left -= Math.min(left, CHUNK);
            }
            if (left === 0)
                transport.close_stdin();
        };
        transport.connect('write-drained', (_transport, fd) => {
            if (fd === 0 && left > 0)
                fill();
        });
        fill();
        loop.run();
        checkCount(child.text, opts.bytes);
        report('W3', opts.bytes / (now() - start) / 1e6, 'MB/s');
        break;
    }
    case 'W4':
    case 'W4s': {
        const child = spawn(Ponger);
        const start = now();
        child.child.write(ping);
        loop.run();
        if (child.rounds !== opts.n)
            fail(`${child.rounds} round trips, expected ${opts.n}`);
        report(opts.workload, opts.n / (state.end - start), 'round-trips/s');
        break;
    }
    case 'W5': {
        let rss = rssBytes();
        const cpu = cpuSeconds();
        const start = now();
        for (let i = 0; i < opts.n; i++)
            spawn(Child).child.close_stdin();
        rss = rssBytes() - rss;
        loop.run();
        reportW5(opts, now() - start, cpuSeconds() - cpu, rss);
        break;
    }
    }
}

// ---------------------------------------------------------------- Gio.Subprocess

function runGSubprocess(opts) {
    const loop = new GLib.MainLoop(null, false);
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDIN_PIPE | Gio.SubprocessFlags.STDOUT_PIPE |
            Gio.SubprocessFlags.STDERR_PIPE,
    });
    launcher.set_environ([]);
    const argv = childArgv(opts);
    const state = {live: 0, end: 0};
    const ping = new GLib.Bytes(new Uint8Array(PING).fill(112));

    // One child: reads stdout and stderr to their end and waits for it;
    // calls onOut with each stdout chunk (a GLib.Bytes).
    class Child {
        constructor(onOut = null) {
            this.proc = launcher.spawnv(argv);
            this.open = 3;
            this.onOut = onOut;
            state.live++;
            this._read(this.proc.get_stdout_pipe(), true);
            this._read(this.proc.get_stderr_pipe(), false);
            this.proc.wait_async(null, (proc, result) => {
                proc.wait_finish(result);
                if (!proc.get_successful())
                    fail(`child failed (status ${proc.get_status()})`);
                this._done();
            });
        }

        _read(stream, isOut) {
            stream.read_bytes_async(PEER_READ, GLib.PRIORITY_DEFAULT, null, (s, result) => {
                const bytes = s.read_bytes_finish(result);
                if (bytes.get_size() === 0) {
                    this._done();
                    return;
                }
                if (isOut && this.onOut)
                    this.onOut(bytes);
                this._read(s, isOut);
            });
        }

        _done() {
            if (--this.open === 0 && --state.live === 0)
                loop.quit();
        }

        closeStdin() {
            this.proc.get_stdin_pipe().close_async(GLib.PRIORITY_DEFAULT, null, null);
        }
    }

    switch (opts.workload) {
    case 'W1': {
        const start = now();
        let done = 0, elapsed;
        const context = GLib.MainContext.default();
        do {
            new Child().closeStdin();
            while (state.live > 0)
                context.iteration(true);
            done++;
            elapsed = now() - start;
        } while (done < opts.n && elapsed < opts.seconds);
        report('W1', done / elapsed, 'spawn/s');
        break;
    }
    case 'W2': {
        const start = now();
        let out = 0;
        const collector = new Collector();
        new Child(bytes => {
            out += bytes.get_size();
            collector.add(bytes.get_size());
        }).closeStdin();
        loop.run();
        if (out !== opts.bytes)
            fail(`read ${out} bytes, expected ${opts.bytes}`);
        report('W2', opts.bytes / (now() - start) / 1e6, 'MB/s');
        break;
    }
    case 'W3': {
        const chunk = new GLib.Bytes(new Uint8Array(CHUNK));
        const start = now();
        let text = '';
        const child = new Child(bytes => {
            text += new TextDecoder().decode(bytes.toArray());
        });
        const stdin = child.proc.get_stdin_pipe();
        let left = opts.bytes;
        // One write in flight; write_bytes_async may write part of it.
        const writeNext = (data, offset) => {
            if (offset === data.get_size()) {
                left -= data.get_size();
                if (left === 0) {
                    child.closeStdin();
                    return;
                }
                data = left >= CHUNK ? chunk : new GLib.Bytes(new Uint8Array(left));
                offset = 0;
            }
            const rest = offset === 0 ? data : data.new_from_bytes(offset, data.get_size() - offset);
            stdin.write_bytes_async(rest, GLib.PRIORITY_DEFAULT, null, (s, result) => {
                writeNext(data, offset + s.write_bytes_finish(result));
            });
        };
        writeNext(opts.bytes >= CHUNK ? chunk : new GLib.Bytes(new Uint8Array(opts.bytes)), 0);
        loop.run();
        checkCount(text, opts.bytes);
        report('W3', opts.bytes / (now() - start) / 1e6, 'MB/s');
        break;
    }
    case 'W4':
    case 'W4s': {
        let out = 0, rounds = 0;
        let stdin = null, child = null;
        // GIO allows one operation at a time on a stream: a ping (or the
        // close) that comes while a write is in flight waits for it.
        let writing = false, pending = null;
        const send = what => {
            if (writing) {
                pending = what;
                return;
            }
            if (what === 'close') {
                child.closeStdin();
                return;
            }
            writing = true;
            stdin.write_bytes_async(ping, GLib.PRIORITY_DEFAULT, null, (s, result) => {
                s.write_bytes_finish(result);
                writing = false;
                if (pending !== null) {
                    const next = pending;
                    pending = null;
                    send(next);
                }
            });
        };
        child = new Child(bytes => {
            out += bytes.get_size();
            const done = Math.floor(out / PING);
            if (out % PING !== 0 || done === rounds)
                return;
            rounds = done;
            if (rounds === opts.n) {
                state.end = now();
                send('close');
            } else {
                send('ping');
            }
        });
        stdin = child.proc.get_stdin_pipe();
        const start = now();
        send('ping');
        loop.run();
        if (rounds !== opts.n)
            fail(`${rounds} round trips, expected ${opts.n}`);
        report(opts.workload, opts.n / (state.end - start), 'round-trips/s');
        break;
    }
    case 'W5': {
        let rss = rssBytes();
        const cpu = cpuSeconds();
        const start = now();
        for (let i = 0; i < opts.n; i++)
            new Child().closeStdin();
        rss = rssBytes() - rss;
        loop.run();
        reportW5(opts, now() - start, cpuSeconds() - cpu, rss);
        break;
    }
    }
}

const COLUMNS = {'tpx': runTpx, 'tpx-socket': runTpx, 'gsubprocess': runGSubprocess};
const opts = parseOptions(ARGV);
if (!(opts.column in COLUMNS))
    fail(`unknown column ${opts.column}: ${Object.keys(COLUMNS).join(', ')}`);
COLUMNS[opts.column](opts);
