# SPDX-License-Identifier: LGPL-2.1-or-later
"""DESIGN §4a from Python: worker threads, nested main loops inside
handlers and vfuncs, dispose of a running transport, a transport without
a child, SIGPIPE set back to its default."""

import signal
import threading

from tpxtest import (GLib, Tpx, Recorder, Finalized, assert_error,
                     assert_no_children, count_fds, drain, helper_argv,
                     helper_path, io_error, run_until)

import gi.repository.Gio as Gio


def test_workers_spawn_into_default_context():
    """Three threads spawn while the main thread runs the default context;
    every child ends exactly once, in the main thread, in order."""
    fds_before = count_fds()
    main_thread = threading.get_ident()
    lock = threading.Lock()
    records = []

    class Proto(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            self.out = b""
            self.events = []
            self.threads = set()

        def do_out_received(self, data):
            self.threads.add(threading.get_ident())
            self.out += data.get_data()

        def do_process_exited(self, status):
            self.threads.add(threading.get_ident())
            self.events.append("exited")

        def do_process_ended(self, status):
            self.threads.add(threading.get_ident())
            self.events.append("ended")

    def worker(index):
        launcher = Tpx.ProcessLauncher.new()
        for i in range(40):
            text = "worker %d child %d" % (index, i)
            proto = Proto()
            launcher.spawn(proto, helper_path(),
                           [helper_path(), "write-out", text])
            with lock:
                records.append((proto, text.encode()))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()

    def all_ended():
        with lock:
            return (len(records) == 120 and
                    all("ended" in proto.events for proto, _ in records))

    run_until(all_ended, timeout=60, poll=True, what="120 children to end")
    for thread in threads:
        thread.join()

    for proto, text in records:
        assert proto.events == ["exited", "ended"]
        assert proto.out == text
        assert proto.threads == {main_thread}
    drain()
    assert count_fds() == fds_before
    assert_no_children()


def test_nested_loop_in_vfunc_holds_back_own_events():
    """A vfunc iterates the context: the transport's own events wait,
    another transport flows, and the order holds."""
    events = []

    class Nesting(Tpx.ProcessProtocol):
        depth = 0
        nested = False
        inside = 0

        def record(self, what):
            if self.depth:
                self.inside += 1
            events.append(what)

        def do_out_received(self, data):
            self.record("data")
            if not self.nested:
                self.nested = True
                self.depth += 1
                other = Recorder(Tpx.spawn_process(None, helper_path(),
                                 [helper_path(), "write-out", "x"]))
                other.wait()
                self.depth -= 1

        def do_process_exited(self, status):
            self.record("exited")

        def do_process_ended(self, status):
            self.record("ended")

    proto = Nesting()
    Tpx.spawn_process(proto, helper_path(),
                      [helper_path(), "big", "1000000"])
    run_until(lambda: "ended" in events, what="process-ended")
    assert proto.nested
    assert proto.inside == 0
    assert events[-1] == "ended" and events.count("ended") == 1
    assert events.count("exited") == 1
    assert events.index("exited") < events.index("ended")


def test_nested_loop_in_signal_handler():
    transport = Tpx.spawn_process(None, helper_path(),
                                  [helper_path(), "big", "300000"])
    rec = Recorder(transport)
    state = {"nested": False, "inside": 0, "depth": 0}

    def any_cb(*args):
        if state["depth"]:
            state["inside"] += 1

    def exited_cb(transport, status):
        if not state["nested"]:
            state["nested"] = True
            state["depth"] += 1
            other = Recorder(Tpx.spawn_process(None, helper_path(),
                             [helper_path(), "write-out", "x"]))
            other.wait()
            state["depth"] -= 1

    for name in ("child-data", "child-connection-lost", "process-ended"):
        transport.connect(name, any_cb)
    transport.connect("process-exited", exited_cb)
    rec.wait()
    assert state["nested"] and state["inside"] == 0
    assert len(rec.bytes(1)) == 300000
    assert rec.events[-1] == "ended"


def test_run_dispose_on_running_transport_still_reaps():
    fds_before = count_fds()
    transport = Tpx.spawn_process(None, helper_path(),
                                  [helper_path(), "wait-stdin"])
    transport.run_dispose()
    finalized = Finalized(transport)
    transport.close_stdin()
    del transport
    finalized.wait()
    assert count_fds() == fds_before
    assert_no_children()


def test_transport_without_child():
    transport = Tpx.ProcessTransport()
    fired = []
    for name in ("child-data", "child-connection-lost", "write-drained",
                 "process-exited", "process-ended"):
        transport.connect(name, lambda *args: fired.append(args))

    assert transport.get_pid() == 0
    assert transport.get_status() is None
    old = signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    try:
        for call in (lambda: transport.signal_process("USR1"),
                     lambda: transport.send_signal(signal.SIGUSR1),
                     lambda: transport.signal_process_group("USR1"),
                     lambda: transport.write_to_child(0, b"x"),
                     lambda: transport.set_window_size(24, 80)):
            try:
                call()
            except GLib.Error as error:
                assert_error(error, *io_error(Gio.IOErrorEnum.NOT_INITIALIZED))
            else:
                raise AssertionError("no error")
    finally:
        signal.signal(signal.SIGUSR1, old)
    Tpx.ProcessTransport.write(transport, b"x")
    transport.close_stdin()
    transport.lose_connection()
    transport.pause_producing()
    transport.resume_producing()
    drain()
    assert fired == []


def test_sigpipe_restored_to_default_is_survived():
    old = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        transport = Tpx.spawn_process(None, helper_path(),
                                      [helper_path(), "close-stdin-wait"])
        rec = Recorder(transport)
        rec.wait_for_text(1, b"closed")
        chunk = b"x" * 65536
        for _ in range(64):
            Tpx.ProcessTransport.write(transport, chunk)
            drain()
            if "lost:0" in rec.events:
                break
        assert "lost:0" in rec.events
        assert signal.SIGPIPE not in signal.sigpending()
    finally:
        signal.signal(signal.SIGPIPE, old)
    transport.signal_process("TERM")
    rec.wait()


def test_traced_child_does_not_spin_the_loop():
    """A tracer holds the child's zombie: the loop rests, and the exit is
    reported once the tracer lets go."""
    import ctypes
    import os
    import time

    PTRACE_SEIZE = 0x4206
    libc = ctypes.CDLL(None, use_errno=True)
    transport = Tpx.spawn_process(None, helper_path(),
                                  [helper_path(), "wait-stdin"])
    rec = Recorder(transport)
    child = transport.get_pid()
    ready_r, ready_w = os.pipe()
    release_r, release_w = os.pipe()
    tracer = os.fork()
    if tracer == 0:
        os.close(ready_r)
        os.close(release_w)
        if libc.ptrace(PTRACE_SEIZE, child, None, None) != 0:
            os._exit(1)
        os.write(ready_w, b"x")
        os.read(release_r, 1)
        os._exit(0)
    os.close(ready_w)
    os.close(release_r)
    assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)

    transport.close_stdin()
    context = GLib.MainContext.default()
    done = []
    GLib.timeout_add(300, lambda: done.append(True) or GLib.SOURCE_REMOVE)
    wakeups = 0
    start = time.monotonic()
    while not done:
        context.iteration(True)
        wakeups += 1
    assert time.monotonic() - start >= 0.29
    assert wakeups < 200, wakeups
    assert not rec.exited

    os.write(release_w, b"x")
    os.close(release_w)
    assert os.waitpid(tracer, 0)[1] == 0
    rec.wait()
    rec.assert_exit_code(0)
    assert rec.n_ended == 1


def test_resume_needs_no_new_fd():
    """Paused with many pipes while no fd is left: resuming loses nothing."""
    import os
    import resource

    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fds_from_string("0:w,1:r,2:r,3:r,4:r,5:r,6:r,7:r,8:r")
    transport = launcher.spawn(None, helper_path(),
                               [helper_path(), "write-out", "all of it"])
    rec = Recorder(transport)
    transport.pause_producing()
    run_until(lambda: rec.exited, what="process-exited")
    assert rec.bytes(1) == b""

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 512), hard))
    dups = []
    try:
        while True:
            try:
                dups.append(os.dup(0))
            except OSError:
                break
        transport.resume_producing()
        rec.wait()
    finally:
        for fd in dups:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert rec.bytes(1) == b"all of it"
    rec.assert_exit_code(0)
