// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Node column of bench/run: child_process.spawn() with three pipes
// (libuv makes them socketpairs) and an empty environment, 'data' events,
// stdin.write() with 'drain' for back-pressure, 'close' for the end.
//
//   node bench-node.js WORKLOAD [--n N] [--bytes B] [--seconds S]
//                      [--sleep-ms MS] --child PATH
//
// Spawns the same child as every other column (bench-child, or /bin/true
// for W1) and prints RESULT lines as the C columns do (see bench-common.h).
'use strict';

const {spawn} = require('child_process');
const fs = require('fs');

const CHUNK = 1024 * 1024;
const PING = 64;

function fail(message) {
    console.error(`bench-node: ${message}`);
    process.exit(1);
}

function report(key, value, unit) {
    console.log(`RESULT ${key} ${value.toPrecision(6)} ${unit}`);
}

function now() {
    return Number(process.hrtime.bigint()) / 1e9;
}

function cpuSeconds() {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
}

function rssBytes() {
    return Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
}

function parseOptions(args) {
    const opts = {workload: args[0], n: 1000, bytes: 2 ** 30, seconds: 20,
        sleepMs: 1000, child: null};
    for (let i = 1; i < args.length; i += 2) {
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

// Spawns one child; resolves once it exited and its pipes closed.
function start(argv, onOut = null) {
    const child = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe'], env: {}});
    if (onOut)
        child.stdout.on('data', onOut);
    else
        child.stdout.resume();
    child.stderr.resume();
    child.done = new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', code => code === 0 ? resolve() : reject(new Error(`child exited ${code}`)));
    });
    return child;
}

async function main() {
    const opts = parseOptions(process.argv.slice(2));
    const argv = childArgv(opts);

    switch (opts.workload) {
    case 'W1': {
        const begin = now();
        let done = 0, elapsed;
        do {
            const child = start(argv);
            child.stdin.end();
            await child.done;
            done++;
            elapsed = now() - begin;
        } while (done < opts.n && elapsed < opts.seconds);
        report('W1', done / elapsed, 'spawn/s');
        break;
    }
    case 'W2': {
        const begin = now();
        let out = 0;
        const child = start(argv, data => {
            out += data.length;
        });
        child.stdin.end();
        await child.done;
        if (out !== opts.bytes)
            fail(`read ${out} bytes, expected ${opts.bytes}`);
        report('W2', opts.bytes / (now() - begin) / 1e6, 'MB/s');
        break;
    }
    case 'W3': {
        const chunk = Buffer.alloc(CHUNK);
        const begin = now();
        let text = '';
        const child = start(argv, data => {
            text += data.toString();
        });
        let left = opts.bytes;
        const fill = () => {
            while (left > 0) {
                const n = Math.min(left, CHUNK);
                left -= n;
                if (!child.stdin.write(n === CHUNK ? chunk : chunk.subarray(0, n)))
                    break;
            }
            if (left === 0)
                child.stdin.end();
        };
        child.stdin.on('drain', fill);
        fill();
        await child.done;
        if (Number(text) !== opts.bytes)
            fail(`the child counted "${text.trim()}", expected ${opts.bytes}`);
        report('W3', opts.bytes / (now() - begin) / 1e6, 'MB/s');
        break;
    }
    case 'W4':
    case 'W4s': {
        const ping = Buffer.alloc(PING, 112);
        let out = 0, rounds = 0, end = 0;
        const child = start(argv, data => {
            out += data.length;
            const done = Math.floor(out / PING);
            if (out % PING !== 0 || done === rounds)
                return;
            rounds = done;
            if (rounds === opts.n) {
                end = now();
                child.stdin.end();
            } else {
                child.stdin.write(ping);
            }
        });
        const begin = now();
        child.stdin.write(ping);
        await child.done;
        if (rounds !== opts.n)
            fail(`${rounds} round trips, expected ${opts.n}`);
        report(opts.workload, opts.n / (end - begin), 'round-trips/s');
        break;
    }
    case 'W5': {
        let rss = rssBytes();
        const cpu = cpuSeconds();
        const begin = now();
        const children = [];
        for (let i = 0; i < opts.n; i++) {
            const child = start(argv);
            child.stdin.end();
            children.push(child.done);
        }
        rss = rssBytes() - rss;
        await Promise.all(children);
        const wall = now() - begin;
        const used = cpuSeconds() - cpu;
        const mib = Math.max(rss, 4096) / 1048576;
        console.log(`# ${opts.n} children: wall ${wall.toFixed(3)} s, parent CPU ${used.toFixed(3)} s, RSS +${rss >> 10} KiB`);
        report('W5', opts.n / wall, 'children/s');
        report('W5cpu', opts.n / Math.max(used, 1e-6), 'children/cpu-s');
        report('W5mem', opts.n / mib, 'children/MiB');
        break;
    }
    default:
        fail(`no workload ${opts.workload}`);
    }
}

main().catch(error => fail(error.message));
