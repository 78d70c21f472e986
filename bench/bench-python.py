#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python columns of bench/run: tpx through PyGObject, asyncio, Twisted.

    bench-python.py COLUMN WORKLOAD [--n N] [--bytes B] [--seconds S]
                    [--sleep-ms MS] --child PATH

COLUMN is one of:

  tpx      Tpx.ProcessLauncher and a Tpx.ProcessProtocol subclass written
           as docs/python.md says: do_data_received (bytes), do_process_ended;
           W3 queues one GLib.Bytes chunk again and again (write_bytes) and
           refills on write-drained; a GLib.MainLoop
  twisted  Twisted's reactor.spawnProcess and a ProcessProtocol (the default
           epoll reactor); W3 through a streaming producer registered on the
           transport
  asyncio  loop.subprocess_exec and an asyncio.SubprocessProtocol (the
           low-level API, no StreamReader in between), with the pidfd child
           watcher; W3 through pause_writing/resume_writing with a 4 MiB
           high-water mark

Every column spawns the same child (bench-child, or /bin/true for W1) with an
empty environment and three pipes, and prints RESULT lines as the C columns
do (see bench-common.h). Run by bench/run with the build tree's typelib and
override on GI_TYPELIB_PATH, LD_LIBRARY_PATH and PYTHONPATH.
"""

import argparse
import os
import resource
import sys
import time

CHUNK = 1024 * 1024      # W3 chunk
WINDOW = 4               # W3 chunks queued ahead at most
PING = 64                # W4 message


def fail(message):
    print("bench-python: %s" % message, file=sys.stderr)
    sys.exit(1)


def report(key, value, unit):
    print("RESULT %s %.6g %s" % (key, value, unit), flush=True)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def report_w5(opts, wall, cpu, rss_delta):
    mib = max(rss_delta, 4096) / 1048576.0
    print("# %d children: wall %.3f s, parent CPU %.3f s, RSS +%d KiB"
          % (opts.n, wall, cpu, rss_delta // 1024))
    report("W5", opts.n / wall, "children/s")
    report("W5cpu", opts.n / max(cpu, 1e-6), "children/cpu-s")
    report("W5mem", opts.n / mib, "children/MiB")


def child_argv(opts):
    if opts.workload == "W1":
        return ["/bin/true"]
    if opts.workload == "W2":
        return [opts.child, "source", str(opts.bytes)]
    if opts.workload == "W3":
        return [opts.child, "sink"]
    if opts.workload in ("W4", "W4s"):
        return [opts.child, "pong", "-1"]
    if opts.workload == "W5":
        return [opts.child, "sleep", str(opts.sleep_ms)]
    fail("no workload %s" % opts.workload)


def check_count(text, expected):
    try:
        count = int(text)
    except ValueError:
        fail("the child counted %r" % text)
    if count != expected:
        fail("the child counted %d bytes, expected %d" % (count, expected))


# ---------------------------------------------------------------- tpx

def run_tpx(opts):
    import gi
    gi.require_version("Tpx", "1")
    from gi.repository import GLib, Tpx

    loop = GLib.MainLoop()
    launcher = Tpx.ProcessLauncher.new()
    argv = child_argv(opts)
    state = {"live": 0}

    class Child(Tpx.ProcessProtocol):
        def __init__(self):
            super().__init__()
            self.out = 0
            self.text = b""
            self.rounds = 0
            self.transport = None
            self.ended = False

        def do_connection_made(self, transport):
            self.transport = transport

        def do_process_ended(self, status):
            if not status.is_success():
                fail("child failed (wait status %d)" % status.get_raw_status())
            self.ended = True
            self.transport = None
            state["live"] -= 1
            if state["live"] == 0:
                loop.quit()

    class Counter(Child):
        def do_data_received(self, child_fd, data, length=None):
            if child_fd == 1:
                self.out += len(data)

    class Texter(Child):
        def do_data_received(self, child_fd, data, length=None):
            if child_fd == 1:
                self.text += data

    ping = b"p" * PING

    class Ponger(Child):
        def do_data_received(self, child_fd, data, length=None):
            self.out += len(data)
            rounds = self.out // PING
            if self.out % PING or rounds == self.rounds:
                return
            self.rounds = rounds
            if rounds == opts.n:
                state["end"] = time.monotonic()
                self.transport.close_stdin()
            else:
                self.transport.write(ping)

    def spawn(cls):
        protocol = cls()
        state["live"] += 1
        launcher.spawn(protocol, argv[0], argv)
        return protocol

    if opts.workload == "W1":
        # PyGObject's GLib.MainLoop.run() sets up its SIGINT handling (a
        # socketpair, a watch, signal handlers) at every call: iterate the
        # context instead, as the C column does.
        context = GLib.MainContext.default()
        start = time.monotonic()
        done = 0
        while True:
            spawn(Child).transport.close_stdin()
            while state["live"] > 0:
                context.iteration(True)
            done += 1
            elapsed = time.monotonic() - start
            if done >= opts.n or elapsed >= opts.seconds:
                break
        report("W1", done / elapsed, "spawn/s")
    elif opts.workload == "W2":
        start = time.monotonic()
        child = spawn(Counter)
        child.transport.close_stdin()
        loop.run()
        if child.out != opts.bytes:
            fail("read %d bytes, expected %d" % (child.out, opts.bytes))
        report("W2", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
    elif opts.workload == "W3":
        chunk = GLib.Bytes.new(b"\0" * CHUNK)
        start = time.monotonic()
        child = spawn(Texter)
        transport = child.transport
        left = [opts.bytes]

        def fill():
            while left[0] > 0 and \
                    transport.get_write_buffer_size(0) < WINDOW * CHUNK:
                if left[0] >= CHUNK:
                    transport.write_bytes(chunk)
                else:
                    transport.write_bytes(GLib.Bytes.new(b"\0" * left[0]))
                left[0] -= min(left[0], CHUNK)
            if left[0] == 0:
                transport.close_stdin()

        def drained_cb(transport, child_fd):
            if child_fd == 0 and left[0] > 0:
                fill()

        transport.connect("write-drained", drained_cb)
        fill()
        loop.run()
        check_count(child.text, opts.bytes)
        report("W3", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
    elif opts.workload in ("W4", "W4s"):
        child = spawn(Ponger)
        start = time.monotonic()
        child.transport.write(ping)
        loop.run()
        if child.rounds != opts.n:
            fail("%d round trips, expected %d" % (child.rounds, opts.n))
        report(opts.workload, opts.n / (state["end"] - start), "round-trips/s")
    elif opts.workload == "W5":
        rss = rss_bytes()
        cpu = cpu_seconds()
        start = time.monotonic()
        for _ in range(opts.n):
            spawn(Child).transport.close_stdin()
        rss = rss_bytes() - rss
        loop.run()
        report_w5(opts, time.monotonic() - start, cpu_seconds() - cpu, rss)


# ---------------------------------------------------------------- Twisted

def run_twisted(opts):
    from twisted.internet import reactor, protocol
    from zope.interface import implementer
    from twisted.internet.interfaces import IPushProducer

    argv = child_argv(opts)
    state = {"live": 0, "failure": None}

    class Child(protocol.ProcessProtocol):
        def __init__(self):
            self.out = 0
            self.text = b""
            self.rounds = 0

        def processEnded(self, reason):
            if reason.value.exitCode != 0:
                state["failure"] = "child failed: %s" % reason.value
            state["live"] -= 1
            if state["live"] == 0:
                reactor.stop()

    class Counter(Child):
        def outReceived(self, data):
            self.out += len(data)

    class Texter(Child):
        def outReceived(self, data):
            self.text += data

    ping = b"p" * PING

    class Ponger(Child):
        def outReceived(self, data):
            self.out += len(data)
            rounds = self.out // PING
            if self.out % PING or rounds == self.rounds:
                return
            self.rounds = rounds
            if rounds == opts.n:
                state["end"] = time.monotonic()
                self.transport.closeStdin()
            else:
                self.transport.write(ping)

    def spawn(cls):
        child = cls()
        state["live"] += 1
        reactor.spawnProcess(child, argv[0], argv, env={})
        return child

    def run():
        if state["live"] > 0:
            reactor.run(installSignalHandlers=True)
        if state["failure"]:
            fail(state["failure"])

    if opts.workload == "W1":
        # One at a time: each processEnded starts the next.
        progress = {"done": 0, "start": time.monotonic()}

        class Sequential(Child):
            def connectionMade(self):
                self.transport.closeStdin()

            def processEnded(self, reason):
                if reason.value.exitCode != 0:
                    state["failure"] = "child failed: %s" % reason.value
                progress["done"] += 1
                progress["elapsed"] = time.monotonic() - progress["start"]
                if progress["done"] >= opts.n or progress["elapsed"] >= opts.seconds:
                    reactor.stop()
                else:
                    reactor.spawnProcess(Sequential(), argv[0], argv, env={})

        reactor.callWhenRunning(reactor.spawnProcess, Sequential(), argv[0], argv, env={})
        reactor.run()
        if state["failure"]:
            fail(state["failure"])
        report("W1", progress["done"] / progress["elapsed"], "spawn/s")
    elif opts.workload == "W2":
        start = time.monotonic()
        child = spawn(Counter)
        child.transport.closeStdin()
        run()
        if child.out != opts.bytes:
            fail("read %d bytes, expected %d" % (child.out, opts.bytes))
        report("W2", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
    elif opts.workload == "W3":
        chunk = b"\0" * CHUNK
        start = time.monotonic()
        child = spawn(Texter)

        @implementer(IPushProducer)
        class Producer(object):
            def __init__(self, transport):
                self.transport = transport
                self.left = opts.bytes
                self.paused = False

            def resumeProducing(self):
                self.paused = False
                while not self.paused and self.left > 0:
                    n = min(self.left, CHUNK)
                    self.left -= n
                    self.transport.write(chunk if n == CHUNK else chunk[:n])
                if self.left == 0 and not self.paused:
                    self.transport.unregisterProducer()
                    self.transport.closeStdin()
                    self.left = -1

            def pauseProducing(self):
                self.paused = True

            def stopProducing(self):
                self.left = -1

        producer = Producer(child.transport)
        child.transport.registerProducer(producer, True)
        reactor.callWhenRunning(producer.resumeProducing)
        run()
        check_count(child.text, opts.bytes)
        report("W3", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
    elif opts.workload in ("W4", "W4s"):
        child = spawn(Ponger)
        start = time.monotonic()
        child.transport.write(ping)
        run()
        if child.rounds != opts.n:
            fail("%d round trips, expected %d" % (child.rounds, opts.n))
        report(opts.workload, opts.n / (state["end"] - start), "round-trips/s")
    elif opts.workload == "W5":
        rss = rss_bytes()
        cpu = cpu_seconds()
        start = time.monotonic()
        for _ in range(opts.n):
            spawn(Child).transport.closeStdin()
        rss = rss_bytes() - rss
        run()
        report_w5(opts, time.monotonic() - start, cpu_seconds() - cpu, rss)


# ---------------------------------------------------------------- asyncio

def run_asyncio(opts):
    import asyncio

    argv = child_argv(opts)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    watcher = asyncio.PidfdChildWatcher()
    asyncio.set_child_watcher(watcher)
    watcher.attach_loop(loop)
    state = {}
    ping = b"p" * PING

    class Child(asyncio.SubprocessProtocol):
        def __init__(self):
            self.out = 0
            self.text = b""
            self.rounds = 0
            self.transport = None
            self.done = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport

        def pipe_data_received(self, fd, data):
            if fd == 1:
                self.received(data)

        def received(self, data):
            pass

        def connection_lost(self, exc):
            # The process exited and every pipe is closed.
            code = self.transport.get_returncode()
            if code != 0:
                self.done.set_exception(RuntimeError("child exited %r" % code))
            else:
                self.done.set_result(None)

    class Counter(Child):
        def received(self, data):
            self.out += len(data)

    class Texter(Child):
        def received(self, data):
            self.text += data

    class Ponger(Child):
        def received(self, data):
            self.out += len(data)
            rounds = self.out // PING
            if self.out % PING or rounds == self.rounds:
                return
            self.rounds = rounds
            stdin = self.transport.get_pipe_transport(0)
            if rounds == opts.n:
                state["end"] = time.monotonic()
                stdin.close()
            else:
                stdin.write(ping)

    async def spawn(cls):
        transport, child = await loop.subprocess_exec(
            cls, *argv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={})
        return child

    async def main():
        if opts.workload == "W1":
            start = time.monotonic()
            done = 0
            while True:
                child = await spawn(Child)
                child.transport.get_pipe_transport(0).close()
                await child.done
                done += 1
                elapsed = time.monotonic() - start
                if done >= opts.n or elapsed >= opts.seconds:
                    break
            report("W1", done / elapsed, "spawn/s")
        elif opts.workload == "W2":
            start = time.monotonic()
            child = await spawn(Counter)
            child.transport.get_pipe_transport(0).close()
            await child.done
            if child.out != opts.bytes:
                fail("read %d bytes, expected %d" % (child.out, opts.bytes))
            report("W2", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
        elif opts.workload == "W3":
            chunk = b"\0" * CHUNK
            start = time.monotonic()

            class Writer(Texter):
                def connection_made(self, transport):
                    super().connection_made(transport)
                    self.left = opts.bytes
                    self.paused = False
                    self.stdin = transport.get_pipe_transport(0)
                    self.stdin.set_write_buffer_limits(high=WINDOW * CHUNK)

                def fill(self):
                    while not self.paused and self.left > 0:
                        n = min(self.left, CHUNK)
                        self.left -= n
                        self.stdin.write(chunk if n == CHUNK else chunk[:n])
                    if self.left == 0:
                        # Not from inside resume_writing: Python 3.11's pipe
                        # transport then closes the pipe with the chunks
                        # just written still in its buffer (_write_ready).
                        self.left = -1
                        loop.call_soon(self.stdin.close)

                def pause_writing(self):
                    self.paused = True

                def resume_writing(self):
                    self.paused = False
                    self.fill()

            child = await spawn(Writer)
            child.fill()
            await child.done
            check_count(child.text, opts.bytes)
            report("W3", opts.bytes / (time.monotonic() - start) / 1e6, "MB/s")
        elif opts.workload in ("W4", "W4s"):
            child = await spawn(Ponger)
            start = time.monotonic()
            child.transport.get_pipe_transport(0).write(ping)
            await child.done
            if child.rounds != opts.n:
                fail("%d round trips, expected %d" % (child.rounds, opts.n))
            report(opts.workload, opts.n / (state["end"] - start), "round-trips/s")
        elif opts.workload == "W5":
            rss = rss_bytes()
            cpu = cpu_seconds()
            start = time.monotonic()
            children = []
            for _ in range(opts.n):
                child = await spawn(Child)
                child.transport.get_pipe_transport(0).close()
                children.append(child)
            rss = rss_bytes() - rss
            await asyncio.gather(*(child.done for child in children))
            report_w5(opts, time.monotonic() - start, cpu_seconds() - cpu, rss)

    try:
        loop.run_until_complete(main())
    except RuntimeError as error:
        fail(str(error))
    finally:
        watcher.close()
        loop.close()


COLUMNS = {"tpx": run_tpx, "twisted": run_twisted, "asyncio": run_asyncio}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("column", choices=sorted(COLUMNS))
    # W4s is W4 run under taskset by bench/run: parent and child on one CPU.
    parser.add_argument("workload", choices=["W1", "W2", "W3", "W4", "W4s", "W5"])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--bytes", type=int, default=1 << 30)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sleep-ms", type=int, default=1000)
    parser.add_argument("--child", required=True, help="path of bench-child")
    opts = parser.parse_args()
    COLUMNS[opts.column](opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
