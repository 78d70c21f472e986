/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A Vala program built against the generated tpx-1.vapi, run by the
 * vala-example toolchain test: a protocol subclass, then the output
 * helpers with yield. */

class Collect : Tpx.ProcessProtocol {
    public ByteArray output = new ByteArray ();
    public Tpx.ProcessStatus? ended_with = null;
    private MainLoop loop;

    public Collect (MainLoop loop) {
        this.loop = loop;
    }

    public override void out_received (Bytes data) {
        output.append (data.get_data ());
    }

    public override void process_ended (Tpx.ProcessStatus status) {
        ended_with = status;
        loop.quit ();
    }
}

static string text_of (Bytes bytes) {
    return ((string) bytes.get_data ()).substring (0, (long) bytes.get_size ());
}

async void run_helpers (MainLoop loop) {
    try {
        Bytes output = yield Tpx.get_process_output_async ("/bin/echo", { "async" }, null,
                                                           Tpx.OutputFlags.NONE, null);
        assert (text_of (output) == "async\n");
        int code = yield Tpx.get_process_value_async ("/bin/sh", { "-c", "exit 3" }, null, null);
        assert (code == 3);
    } catch (Error e) {
        error ("output helpers: %s", e.message);
    }
    loop.quit ();
}

int main () {
    var loop = new MainLoop ();
    Timeout.add_seconds (20, () => {
        error ("timed out");
    });

    var protocol = new Collect (loop);
    assert (protocol.transport == null);
    Tpx.ProcessTransport transport;
    try {
        transport = new Tpx.ProcessLauncher ().spawn (protocol, "/bin/echo", { "echo", "hello" });
    } catch (Error e) {
        error ("spawn: %s", e.message);
    }
    assert (transport.protocol == protocol);
    loop.run ();

    assert (protocol.ended_with != null && protocol.ended_with.get_exit_code () == 0);
    assert (transport.status == protocol.ended_with);
    assert ((string) protocol.output.data == "hello\n" || protocol.output.len == 6);

    run_helpers.begin (loop);
    loop.run ();

    print ("vala example: ok\n");
    return 0;
}
