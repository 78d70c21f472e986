// SPDX-License-Identifier: LGPL-2.1-or-later
//
// gpg-fds: talk to a child on file descriptors other than 0, 1 and 2, the
// way gpg takes a passphrase on one fd and reports its status on another.
//
//   gjs -m examples/gpg-fds.js
//
// The child fd map is {0: w, 1: r, 2: 2, 3: w, 4: r}: pipes for stdin and
// stdout, the child's stderr is our own, and two more pipes, fd 3 from us
// to the child and fd 4 from the child to us. The parent writes a message
// to the child's fd 3 and closes it; the child copies fd 3 to fd 4 and
// says on stdout how much it copied; the parent checks that the message
// came back.
//
// So that nothing needs to be installed, the child is this script again,
// started as `gjs -m gpg-fds.js --child`. It inherits our environment, so
// that it finds the Tpx typelib wherever we found it.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Tpx from 'gi://Tpx?version=1';
import System from 'system';

const MESSAGE = 'a passphrase travels down fd 3 and comes back up fd 4\n';

function withoutNewline(text) {
    return text.endsWith('\n') ? text.slice(0, -1) : text;
}

// ------------------------------------------------------------------
// The child side

function runChild() {
    const input = Gio.UnixInputStream.new(3, true);
    const output = Gio.UnixOutputStream.new(4, true);
    let total = 0;
    for (;;) {
        const chunk = input.read_bytes(4096, null);
        if (chunk.get_size() === 0)
            break;
        output.write_bytes(chunk, null);
        total += chunk.get_size();
    }
    output.close(null);
    print(`child: copied ${total} bytes from fd 3 to fd 4`);
    return 0;
}

// ------------------------------------------------------------------
// The parent side

const FdsProtocol = GObject.registerClass(
class FdsProtocol extends Tpx.ProcessProtocol {
    _init(loop) {
        super._init();
        this._loop = loop;
        this._fromFd4 = '';
        this._fromFd1 = '';
        this.success = false;
    }

    vfunc_connection_made(transport) {
        // The child reads fd 3 to its end: write the message, then close
        // it. It never reads stdin, so close that too.
        try {
            transport.write_to_child(3, new TextEncoder().encode(MESSAGE));
        } catch (e) {
            printerr(`gpg-fds: ${e.message}`);
        }
        transport.close_child_fd(3);
        transport.close_child_fd(0);
    }

    // Every read fd comes here, 1 and 4 alike, as a Uint8Array.
    vfunc_data_received(childFd, data) {
        const text = new TextDecoder().decode(data);
        if (childFd === 4)
            this._fromFd4 += text;
        else if (childFd === 1)
            this._fromFd1 += text;
    }

    vfunc_process_ended(status) {
        print(`sent on fd 3: ${withoutNewline(MESSAGE)}`);
        print(`read on fd 4: ${withoutNewline(this._fromFd4)}`);
        print(`read on fd 1: ${withoutNewline(this._fromFd1)}`);
        try {
            status.check();
            if (this._fromFd4 === MESSAGE)
                this.success = true;
            else
                printerr('gpg-fds: the message did not come back intact');
        } catch (e) {
            printerr(`gpg-fds: ${e.message}`);
        }
        print(this.success ? 'round trip ok' : 'round trip FAILED');
        this._loop.quit();
    }
});

function runParent() {
    const launcher = Tpx.ProcessLauncher.new();
    launcher.set_child_fds_from_string('0:w,1:r,2:2,3:w,4:r');
    launcher.inherit_environ();

    const gjs = GLib.file_read_link('/proc/self/exe');
    const [script] = GLib.filename_from_uri(import.meta.url);
    const loop = new GLib.MainLoop(null, false);
    const protocol = new FdsProtocol(loop);

    try {
        launcher.spawn(protocol, gjs, ['gjs', '-m', script, '--child']);
    } catch (e) {
        printerr(`gpg-fds: ${e.message}`);
        return 1;
    }

    loop.run();
    return protocol.success ? 0 : 1;
}

System.exit(System.programArgs[0] === '--child' ? runChild() : runParent());
