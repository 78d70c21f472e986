// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Tpx.LineProtocol from gjs: vfunc_line_received and the line-received
// signal, string lines, "\r\n", invalid UTF-8, overlong lines, the last
// line at end of file (the parity of tests/test-line-protocol.c), as TAP.

import {
    GLib, GObject, Tpx, assert, assertArrayEqual, assertEqual, bytes,
    helperArgv, runTests, runUntil, spawnHelper,
} from './tpxtest.js';

// One read of @data (a Uint8Array) from @fd, as the transport delivers it.
function feed(protocol, fd, data) {
    Tpx.LineProtocol.prototype.vfunc_child_data_received.call(protocol, fd,
        new GLib.Bytes(data));
}

function feedEof(protocol, fd) {
    Tpx.LineProtocol.prototype.vfunc_child_connection_lost.call(protocol, fd);
}

const Lines = GObject.registerClass(
class Lines extends Tpx.LineProtocol {
    _init(params = {}) {
        super._init(params);
        this.lines = [];
        this.calls = [];
        this.ended = false;
    }

    vfunc_line_received(fd, line) {
        this.lines.push(`${fd}:${line}`);
        this.calls.push(`line ${line}`);
    }

    vfunc_out_received(data) {
        this.calls.push(`out ${data.get_size()}`);
    }

    vfunc_out_connection_lost() {
        this.calls.push('out lost');
    }

    vfunc_process_ended(status) {
        this.ended = true;
    }
});

function testSplitAcrossReadsAndFds() {
    const protocol = new Lines();
    feed(protocol, 1, bytes('one\ntw'));
    feed(protocol, 2, bytes('err\r'));
    feed(protocol, 4, bytes('four\n'));
    feed(protocol, 2, bytes('\n'));
    feed(protocol, 1, bytes('o\r\n\n'));
    assertArrayEqual(protocol.lines, ['1:one', '4:four', '2:err', '1:two', '1:'], 'lines');
    assertEqual(typeof protocol.lines[0], 'string');
}

function testInvalidUtf8() {
    const protocol = new Lines();
    feed(protocol, 1, new Uint8Array([0x61, 0xff, 0x62, 0x0a, 0x6e, 0x00, 0x0a]));
    feed(protocol, 1, new Uint8Array([0xe2, 0x82]));
    feed(protocol, 1, new Uint8Array([0xac, 0x0a]));
    assertArrayEqual(protocol.lines, ['1:a\ufffdb', '1:n\ufffd', '1:\u20ac'], 'lines');
}

function testOverlongPieces() {
    const protocol = new Lines({max_line_length: 4});
    assertEqual(protocol.get_max_line_length(), 4, 'max-line-length');
    feed(protocol, 1, bytes('abcdefghij\nab'));
    feed(protocol, 1, bytes('c\u20ac\n'));
    assertArrayEqual(protocol.lines, ['1:abcd', '1:efgh', '1:ij', '1:abc', '1:\u20ac'], 'lines');
}

function testEofPartialLine() {
    const protocol = new Lines();
    feed(protocol, 1, bytes('done\nlast'));
    feedEof(protocol, 1);
    assertArrayEqual(protocol.calls, ['line done', 'out 9', 'line last', 'out lost'], 'calls');
}

function testSignalBeforeVfunc() {
    const order = [];
    const Ordered = GObject.registerClass(
    class Ordered extends Tpx.LineProtocol {
        vfunc_line_received(fd, line) {
            order.push(`vfunc ${line}`);
        }
    });
    const protocol = new Ordered();
    protocol.connect('line-received', (p, fd, line) => order.push(`signal ${line}`));
    feed(protocol, 1, bytes('x\ny\n'));
    assertArrayEqual(order, ['signal x', 'vfunc x', 'signal y', 'vfunc y'], 'order');
}

function testPlainProtocolSignal() {
    const protocol = Tpx.LineProtocol.new();
    const seen = [];
    protocol.connect('line-received', (p, fd, line) => seen.push(`${fd}:${line}`));
    const transport = spawnHelper('write-both', [], {protocol});
    let ended = false;
    transport.connect('process-ended', () => (ended = true));
    runUntil(() => ended, {what: 'process-ended'});
    seen.sort();
    assertArrayEqual(seen, ['1:out', '2:err'], 'lines at end of file');
}

function testChildLines() {
    const protocol = new Lines();
    const transport = spawnHelper('echo', [], {protocol});
    transport.write(bytes('first\nsec'));
    runUntil(() => protocol.lines.length === 1, {what: 'the first line'});
    transport.write(bytes('ond\r\nno newline'));
    runUntil(() => protocol.lines.length === 2, {what: 'the second line'});
    transport.close_stdin();
    runUntil(() => protocol.ended, {what: 'process-ended'});
    assertArrayEqual(protocol.lines, ['1:first', '1:second', '1:no newline'], 'lines');
}

function testTenMegabytes() {
    let count = 0;
    let ok = true;
    let ended = false;
    const protocol = Tpx.LineProtocol.new();
    protocol.connect('line-received', (p, fd, line) => {
        if (fd !== 1 || line.length !== 49 || !line.startsWith(`line ${count}.`))
            ok = false;
        count++;
    });
    const transport = spawnHelper('lines', ['200000'], {protocol});
    transport.connect('process-ended', () => (ended = true));
    runUntil(() => ended, {timeoutMs: 60000, what: 'process-ended'});
    assert(ok, 'every line whole and in order');
    assertEqual(count, 200000, 'lines');
}

runTests([
    ['split across reads and fds', testSplitAcrossReadsAndFds],
    ['invalid UTF-8 becomes U+FFFD', testInvalidUtf8],
    ['overlong lines in pieces', testOverlongPieces],
    ['the last line at end of file', testEofPartialLine],
    ['the signal before the vfunc', testSignalBeforeVfunc],
    ['a plain protocol with a handler', testPlainProtocolSignal],
    ['lines from a child', testChildLines],
    ['10 MB of lines', testTenMegabytes],
]);
