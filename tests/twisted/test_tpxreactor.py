# SPDX-License-Identifier: LGPL-2.1-or-later
"""TpxReactor's own promises, beyond what Twisted's suites exercise.

Run by run-trial.py under `trial --reactor=tpx` (the global reactor is
TpxReactor). Every wait is a Deferred that trial's timeout fails; no sleeps.
"""

import errno
import os
import signal
import stat

from zope.interface import implementer
from zope.interface.verify import verifyObject

from twisted.internet import defer, error, interfaces, process, protocol
from twisted.internet import reactor
from twisted.python.failure import Failure
from twisted.trial import unittest

import tpxreactor

TIMEOUT = 30


def helper(*args):
    """The argv of tests/helpers/tpx-test-child."""
    path = os.path.join(os.environ["G_TEST_BUILDDIR"], "helpers",
                        "tpx-test-child")
    return path, [path] + list(args)


class Recorder(protocol.ProcessProtocol):
    """Records every callback; `ended` fires with (processEnded reason,)."""

    def __init__(self):
        self.events = []
        self.data = {}
        self.connected_transport = None
        self.ended = defer.Deferred()
        self.exited_pid = "not called"
        self.waiting_for = None
        self.lost = {}

    def connectionMade(self):
        self.connected_transport = self.transport
        self.events.append("connectionMade")

    def childDataReceived(self, childFD, data):
        self.data[childFD] = self.data.get(childFD, b"") + data
        if self.waiting_for is not None:
            fd, marker, d = self.waiting_for
            if fd == childFD and marker in self.data[fd]:
                self.waiting_for = None
                d.callback(self.data[fd])

    def wait_for(self, childFD, marker):
        d = defer.Deferred()
        if marker in self.data.get(childFD, b""):
            d.callback(self.data[childFD])
        else:
            self.waiting_for = (childFD, marker, d)
        return d

    def childConnectionLost(self, childFD):
        self.events.append(("childConnectionLost", childFD))
        self.lost_deferred(childFD).callback(None)

    def lost_deferred(self, childFD):
        """A Deferred that fires at childConnectionLost(childFD)."""
        if childFD not in self.lost:
            self.lost[childFD] = defer.Deferred()
        return self.lost[childFD]

    def processExited(self, reason):
        self.exited_pid = self.transport.pid
        self.events.append(("processExited", reason))

    def processEnded(self, reason):
        self.events.append(("processEnded", reason))
        # In a tuple: a Failure given to callback() would go down the
        # errback chain.
        self.ended.callback((reason,))


class ReactorTests(unittest.TestCase):
    timeout = TIMEOUT

    def test_installed(self):
        """--reactor=tpx installed TpxReactor, a GIReactor, found through
        the twisted/plugins entry."""
        from twisted.application.reactors import getReactorTypes
        from twisted.internet import gireactor

        self.assertIsInstance(reactor, tpxreactor.TpxReactor)
        self.assertIsInstance(reactor, gireactor.GIReactor)
        plugins = {r.shortName: r for r in getReactorTypes()}
        self.assertIn("tpx", plugins)
        self.assertEqual(plugins["tpx"].moduleName, "tpxreactor")
        self.assertTrue(interfaces.IReactorProcess.providedBy(reactor))

    def test_transportInterface(self):
        """The transports provide IProcessTransport, pipes and terminal."""
        for use_pty in (False, True):
            proto = Recorder()
            exe, argv = helper("exit", "0")
            transport = reactor.spawnProcess(proto, exe, argv,
                                             usePTY=use_pty)
            self.assertIs(proto.connected_transport, transport)
            verifyObject(interfaces.IProcessTransport, transport)
        return proto.ended.addCallback(lambda r: r[0].trap(error.ProcessDone))


class ExitTests(unittest.TestCase):
    timeout = TIMEOUT

    @defer.inlineCallbacks
    def test_exitCode(self):
        """processExited and processEnded get Failure(ProcessTerminated)
        with Twisted's fields; pid is None from the exit on."""
        proto = Recorder()
        exe, argv = helper("exit", "3")
        transport = reactor.spawnProcess(proto, exe, argv)
        self.assertIsInstance(transport.pid, int)
        self.assertGreater(transport.pid, 0)
        self.assertEqual(transport.status, -1)
        (reason,) = yield proto.ended
        self.assertIsInstance(reason, Failure)
        reason.trap(error.ProcessTerminated)
        self.assertEqual(reason.value.exitCode, 3)
        self.assertIsNone(reason.value.signal)
        self.assertEqual(reason.value.status, 3 << 8)
        self.assertIsNone(transport.pid)
        self.assertIsNone(proto.exited_pid)
        self.assertEqual(transport.status, 3 << 8)
        names = [e if isinstance(e, str) else e[0] for e in proto.events]
        self.assertEqual(names[0], "connectionMade")
        self.assertEqual(names[-1], "processEnded")
        self.assertEqual(names.count("processExited"), 1)
        self.assertEqual(sorted(e[1] for e in proto.events
                                if e[0] == "childConnectionLost"), [0, 1, 2])
        self.assertRaises(error.ProcessExitedAlready,
                          transport.signalProcess, "KILL")

    @defer.inlineCallbacks
    def test_exitZero(self):
        proto = Recorder()
        exe, argv = helper("write-both")
        reactor.spawnProcess(proto, exe, argv)
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(reason.value.exitCode, 0)
        self.assertEqual(reason.value.status, 0)
        self.assertEqual(proto.data, {1: b"out", 2: b"err"})

    @defer.inlineCallbacks
    def test_signals(self):
        """signalProcess takes Twisted's names and numbers; other strings
        are refused as os.kill refuses them."""
        proto = Recorder()
        exe, argv = helper("sleep-forever")
        transport = reactor.spawnProcess(proto, exe, argv)
        yield proto.wait_for(1, b"ready\n")
        self.assertRaises(TypeError, transport.signalProcess, "USR1")
        self.assertRaises(OSError, transport.signalProcess, 1000)
        transport.signalProcess(0)
        transport.signalProcess("STOP")
        transport.signalProcess(signal.SIGCONT)
        transport.signalProcess("KILL")
        (reason,) = yield proto.ended
        reason.trap(error.ProcessTerminated)
        self.assertIsNone(reason.value.exitCode)
        self.assertEqual(reason.value.signal, signal.SIGKILL)
        self.assertEqual(reason.value.status, signal.SIGKILL)
        self.assertRaises(error.ProcessExitedAlready,
                          transport.signalProcess, "TERM")

    def test_reason(self):
        """The reason for a status: ProcessDone, ProcessTerminated, and no
        made-up exit code for a status the kernel discarded (get_lost)."""

        class Status:
            def __init__(self, code=0, sig=0, raw=0, lost=None):
                self.code, self.sig, self.raw = code, sig, raw
                if lost is not None:
                    self.get_lost = lambda: lost

            def get_exit_code(self):
                return self.code

            def get_signal(self):
                return self.sig

            def get_raw_status(self):
                return self.raw

        done = tpxreactor._reason(Status())
        self.assertIsInstance(done, error.ProcessDone)
        exited = tpxreactor._reason(Status(code=2, raw=2 << 8, lost=False))
        self.assertIsInstance(exited, error.ProcessTerminated)
        self.assertEqual((exited.exitCode, exited.signal, exited.status),
                         (2, None, 2 << 8))
        killed = tpxreactor._reason(Status(code=-1, sig=15, raw=15))
        self.assertEqual((killed.exitCode, killed.signal, killed.status),
                         (None, 15, 15))
        lost = tpxreactor._reason(Status(code=-1, lost=True))
        self.assertIsInstance(lost, error.ProcessTerminated)
        self.assertEqual((lost.exitCode, lost.signal, lost.status),
                         (None, None, None))
        self.assertIsNone(tpxreactor._raw_status(Status(lost=True)))


class SpawnTests(unittest.TestCase):
    timeout = TIMEOUT

    def test_notFound(self):
        """A missing program raises FileNotFoundError from spawnProcess, as
        posix_spawnp; nothing is called on the protocol."""
        proto = Recorder()
        e = self.assertRaises(OSError, reactor.spawnProcess, proto,
                              "/nonexistent/tpx-program", ["x"])
        self.assertIsInstance(e, FileNotFoundError)
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertEqual(e.filename, "/nonexistent/tpx-program")
        self.assertEqual(proto.events, [])
        e = self.assertRaises(FileNotFoundError, reactor.spawnProcess, proto,
                              "no-such-tpx-program", ["x"],
                              env={"PATH": "/nonexistent"})

    def test_notExecutable(self):
        script = self.mktemp()
        with open(script, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(script, stat.S_IRUSR)
        e = self.assertRaises(OSError, reactor.spawnProcess, Recorder(),
                              os.path.abspath(script), ["x"])
        # As root, execve() still wants one x bit.
        self.assertEqual(e.errno, errno.EACCES)
        self.assertIsInstance(e, PermissionError)

    def test_badPath(self):
        exe, argv = helper("exit", "0")
        e = self.assertRaises(FileNotFoundError, reactor.spawnProcess,
                              Recorder(), exe, argv, path="/nonexistent")
        self.assertEqual(e.errno, errno.ENOENT)

    def test_badArguments(self):
        exe, argv = helper("exit", "0")
        self.assertRaises(ValueError, reactor.spawnProcess, Recorder(), exe,
                          argv, usePTY=True, childFDs={1: "r"})
        self.assertRaises(AssertionError, reactor.spawnProcess, Recorder(),
                          exe, argv, childFDs={1: "x"})

    @defer.inlineCallbacks
    def test_environment(self):
        """env is the whole environment ({} by default); None inherits."""
        exe, argv = helper("env")
        proto = Recorder()
        reactor.spawnProcess(proto, exe, argv)
        yield proto.ended
        self.assertEqual(proto.data.get(1, b""), b"")

        proto = Recorder()
        reactor.spawnProcess(proto, exe, argv,
                             env={"A": "1", b"B": b"\xff"})
        yield proto.ended
        self.assertEqual(sorted(proto.data[1].splitlines()),
                         [b"A=1", b"B=\xff"])

        os.environ["TPXREACTOR_TEST"] = "inherited"
        self.addCleanup(os.environ.pop, "TPXREACTOR_TEST")
        proto = Recorder()
        reactor.spawnProcess(proto, exe, argv, env=None)
        yield proto.ended
        self.assertIn(b"TPXREACTOR_TEST=inherited", proto.data[1].splitlines())

    @defer.inlineCallbacks
    def test_argvAndPath(self):
        """args is the whole argv (bytes or str); path is the cwd."""
        exe, argv = helper("argv", "\N{SNOWMAN}", b"\xfe")
        proto = Recorder()
        reactor.spawnProcess(proto, exe.encode(), argv)
        yield proto.ended
        self.assertEqual(proto.data[1].splitlines(),
                         [exe.encode(), b"argv", "\N{SNOWMAN}".encode(),
                          b"\xfe"])

        exe, argv = helper("cwd")
        proto = Recorder()
        reactor.spawnProcess(proto, exe, argv, path="/")
        yield proto.ended
        self.assertEqual(proto.data[1], b"/\n")

    @defer.inlineCallbacks
    def test_childFDs(self):
        """childFDs: 'r' and 'w' pipes beyond 0-2 and inherited fds."""
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        exe, argv = helper("cat-fd", "3", "4")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv,
                                         childFDs={3: "w", 4: "r", 5: w})
        os.close(w)
        transport.writeToChild(3, b"to fd 3")
        self.assertRaises(KeyError, transport.writeToChild, 4, b"x")
        self.assertRaises(KeyError, transport.writeToChild, 0, b"x")
        transport.write(b"no stdin: dropped")
        transport.closeChildFD(3)
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(proto.data, {4: b"to fd 3"})
        self.assertEqual(sorted(e[1] for e in proto.events
                                if e[0] == "childConnectionLost"), [3, 4])

    @defer.inlineCallbacks
    def test_terminalTupleFallsBack(self):
        """usePTY=(master, slave, name) is Twisted's own PTYProcess."""
        master, slave = os.openpty()
        exe, argv = helper("write-out", "through twisted")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv,
                                         usePTY=(master, slave,
                                                 os.ttyname(slave)))
        self.assertIsInstance(transport, process.PTYProcess)
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(proto.data[1], b"through twisted")


class WriteTests(unittest.TestCase):
    timeout = TIMEOUT

    @defer.inlineCallbacks
    def test_writeSequence(self):
        exe, argv = helper("echo")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv)
        self.assertRaises(TypeError, transport.write, "text")
        self.assertRaises(TypeError, transport.writeSequence, [b"a", "b"])
        transport.writeSequence([b"one ", b"two ", b"three"])
        transport.write(b"")
        transport.write(b" four")
        transport.closeStdin()
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(proto.data[1], b"one two three four")

    @defer.inlineCallbacks
    def test_exceptionClosesPipe(self):
        """A childDataReceived that raises is logged and its pipe closed,
        as Twisted's reactor does for a reader that raises."""

        class Raiser(Recorder):
            def childDataReceived(self, childFD, data):
                Recorder.childDataReceived(self, childFD, data)
                raise ZeroDivisionError("deliberate")

        exe, argv = helper("big", str(16 << 20))
        proto = Raiser()
        reactor.spawnProcess(proto, exe, argv)
        (reason,) = yield proto.ended
        # The child got SIGPIPE long before 16 MiB.
        reason.trap(error.ProcessTerminated)
        self.assertEqual(reason.value.signal, signal.SIGPIPE)
        self.assertLess(len(proto.data[1]), 16 << 20)
        self.assertEqual(len(self.flushLoggedErrors(ZeroDivisionError)), 1)
        self.assertIn(("childConnectionLost", 1), proto.events)

    @defer.inlineCallbacks
    def test_callbackExceptionsLogged(self):
        """Exceptions of the other callbacks are logged; the process still
        ends."""

        class Raiser(Recorder):
            def connectionMade(self):
                raise KeyError("connectionMade")

            def childConnectionLost(self, childFD):
                raise KeyError("childConnectionLost")

            def processExited(self, reason):
                raise KeyError("processExited")

        exe, argv = helper("exit", "0")
        proto = Raiser()
        reactor.spawnProcess(proto, exe, argv)
        yield proto.ended
        self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1 + 3 + 1)


@implementer(interfaces.IPullProducer)
class PullProducer:
    """Writes @chunks chunks of @size bytes, one per resumeProducing."""

    def __init__(self, transport, chunks, size):
        self.transport = transport
        self.left = chunks
        self.size = size
        self.resumed = 0
        self.stopped = False

    def resumeProducing(self):
        self.resumed += 1
        if self.left == 0:
            self.transport.unregisterProducer()
            return
        self.left -= 1
        self.transport.write(b"x" * self.size)

    def stopProducing(self):
        self.stopped = True


@implementer(interfaces.IPushProducer)
class PushProducer:
    """Writes @total bytes in chunks while not paused."""

    def __init__(self, transport, total, chunk, close):
        self.transport = transport
        self.left = total
        self.chunk = chunk
        self.close = close
        self.paused = False
        self.pauses = 0
        self.stopped = False

    def pauseProducing(self):
        self.paused = True
        self.pauses += 1

    def resumeProducing(self):
        self.paused = False
        while not self.paused and self.left > 0:
            n = min(self.chunk, self.left)
            self.left -= n
            self.transport.write(b"y" * n)
        if self.left == 0 and self.close:
            self.close = False
            self.transport.unregisterProducer()
            self.transport.closeStdin()

    def stopProducing(self):
        self.stopped = True


class ProducerTests(unittest.TestCase):
    """registerProducer on the child's standard input, with Twisted's
    FileDescriptor rules."""

    timeout = TIMEOUT

    @defer.inlineCallbacks
    def test_pullProducer(self):
        """A pull producer is resumed each time standard input drained;
        closing standard input waits for it to be unregistered."""
        exe, argv = helper("count-stdin")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv)
        producer = PullProducer(transport, chunks=40, size=100000)
        transport.registerProducer(producer, False)
        self.assertRaises(RuntimeError, transport.registerProducer,
                          PullProducer(transport, 1, 1), False)
        transport.closeStdin()
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(proto.data[1], b"%d\n" % (40 * 100000))
        self.assertEqual(producer.resumed, 41)
        self.assertFalse(producer.stopped)

    @defer.inlineCallbacks
    def test_pushProducer(self):
        """A streaming producer is paused beyond 64 KiB queued, resumed once
        standard input drained."""
        exe, argv = helper("count-stdin")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv)
        total = 8 << 20
        producer = PushProducer(transport, total, 1 << 20, close=True)
        transport.registerProducer(producer, True)
        producer.resumeProducing()
        (reason,) = yield proto.ended
        reason.trap(error.ProcessDone)
        self.assertEqual(proto.data[1], b"%d\n" % total)
        self.assertGreater(producer.pauses, 0)
        self.assertFalse(producer.stopped)

    @defer.inlineCallbacks
    def test_stdinLostStopsProducer(self):
        """When the child closes standard input, the producer is stopped;
        one registered after that is stopped at once."""
        exe, argv = helper("close-stdin-wait")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv)
        producer = PushProducer(transport, 0, 1, close=False)
        transport.registerProducer(producer, True)
        yield proto.wait_for(1, b"closed\n")
        transport.write(b"into a closed pipe")  # EPIPE: standard input lost
        yield proto.lost_deferred(0)
        self.assertTrue(producer.stopped)
        late = PullProducer(transport, 1, 1)
        transport.registerProducer(late, False)
        self.assertTrue(late.stopped)
        self.assertEqual(late.resumed, 0)
        transport.signalProcess("TERM")
        (reason,) = yield proto.ended
        reason.trap(error.ProcessTerminated)

    def test_noStdin(self):
        exe, argv = helper("exit", "0")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv,
                                         childFDs={1: "r"})
        producer = PullProducer(transport, 1, 1)
        transport.registerProducer(producer, False)
        self.assertTrue(producer.stopped)
        return proto.ended.addCallback(lambda r: r[0].trap(error.ProcessDone))


class TerminalTests(unittest.TestCase):
    """usePTY: Twisted's PTYProcess semantics."""

    timeout = TIMEOUT

    @defer.inlineCallbacks
    def test_noChildConnectionLost(self):
        """Output comes as childDataReceived(1, ...); childConnectionLost is
        never called (twisted.conch protocols lack it)."""
        exe, argv = helper("pty-info")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv, usePTY=True)
        self.assertRaises(NotImplementedError, transport.writeToChild, 0, b"")
        self.assertRaises(NotImplementedError, transport.closeChildFD, 0)
        transport.closeStdin()
        transport.closeStdout()
        transport.closeStderr()
        yield proto.wait_for(1, b"size")
        self.assertIn(b"tty0 1 tty1 1 tty2 1", proto.data[1])
        self.assertIn(b"leader 1", proto.data[1])
        self.assertIn(b"ctty 1", proto.data[1])
        transport.signalProcess("KILL")
        (reason,) = yield proto.ended
        reason.trap(error.ProcessTerminated)
        self.assertEqual(reason.value.signal, signal.SIGKILL)
        self.assertEqual(list(proto.data), [1])
        self.assertEqual([e for e in proto.events
                          if e[0] == "childConnectionLost"], [])

    @defer.inlineCallbacks
    def test_loseConnectionFlushes(self):
        """loseConnection closes the terminal only once what is queued was
        written (tpx's own lose_connection would drop it: a hang-up)."""
        exe, argv = helper("wait-stdin")
        proto = Recorder()
        transport = reactor.spawnProcess(proto, exe, argv, usePTY=True)
        transport.write((b"z" * 99 + b"\n") * 10000)
        self.assertGreater(transport._tpx.get_write_buffer_size(0), 0)
        transport.loseConnection()
        self.assertGreater(transport._tpx.get_write_buffer_size(0), 0)
        self.assertTrue(transport.connected)
        # wait-stdin reads until the hang-up, which comes after the queue.
        (reason,) = yield proto.ended
        self.assertFalse(transport.connected)
        self.assertEqual([e for e in proto.events
                          if e[0] == "childConnectionLost"], [])
        self.assertIsInstance(reason, Failure)
