# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Twisted reactor whose spawnProcess is tpx.

``TpxReactor`` is Twisted's ``GIReactor`` (the GLib main loop, optionally
GTK's) with one difference: ``reactor.spawnProcess()`` starts the child with
tpx (a vfork-class spawn, pidfd reaping, no ``waitpid`` per child on every
SIGCHLD) instead of Twisted's ``fork()`` and ``twisted.internet.process``.
Everything else (timers, sockets, threads, ``registerGApplication``) is
GIReactor's.

Select it like any other reactor::

    twistd --reactor=tpx ...
    trial --reactor=tpx ...

or in a program, before anything imports ``twisted.internet.reactor``::

    import tpxreactor
    tpxreactor.install()              # GLib main loop (gireactor)
    tpxreactor.install(useGtk=True)   # GTK main loop (gtk3reactor)

The transports provide Twisted's ``IProcessTransport`` and behave as
Twisted's ``Process`` and ``PTYProcess`` do, with Twisted's
``Failure(ProcessDone)`` / ``Failure(ProcessTerminated)`` for
``processExited`` and ``processEnded``. What differs, on purpose:

* A spawn that cannot start (no such program, not executable, a bad
  ``path``, a uid/gid that cannot be set) raises ``OSError`` from
  ``spawnProcess``, as Twisted's ``posix_spawnp`` path does, instead of a
  child that prints a traceback and exits 1 (Twisted's ``fork`` path).
* A bare executable name is looked up in the ``PATH`` of the child's
  environment (``/bin:/usr/bin`` without one), and no ``/bin/sh`` runs a
  file the kernel refuses (ENOEXEC), as ``posix_spawnp``.
* With ``uid``/``gid`` the child's supplementary groups are dropped (only
  the new gid remains) instead of being set with ``initgroups()``.
* ``usePTY`` given as a ``(master, slave, ttyname)`` tuple is passed on to
  Twisted's own ``PTYProcess``: tpx opens its terminals itself.
"""

import errno
import operator
import os
import signal

import gi

try:
    gi.require_version("Tpx", "1")
except ValueError:
    pass

from gi.repository import GLib, Gio, Tpx  # noqa: E402
from zope.interface import implementer  # noqa: E402

from twisted.internet import error, gireactor  # noqa: E402
from twisted.internet.interfaces import IProcessTransport  # noqa: E402
from twisted.python import log  # noqa: E402
from twisted.python.failure import Failure  # noqa: E402

__all__ = ["TpxReactor", "install"]

# The signal names Twisted's signalProcess translates; any other value goes
# to kill() as it is.
_SIGNAL_NAMES = {name: getattr(signal, "SIG" + name)
                 for name in ("HUP", "STOP", "INT", "KILL", "TERM")}

# FileDescriptor.bufferSize: a streaming producer is paused beyond it.
_BUFFER_SIZE = 2 ** 16

# Gio.IOErrorEnum of a spawn failure -> the errno posix_spawnp gives.
_SPAWN_ERRNO = {
    Gio.IOErrorEnum.NOT_FOUND: errno.ENOENT,
    Gio.IOErrorEnum.PERMISSION_DENIED: errno.EACCES,
    # execve() of a directory is EACCES; tpx names it more precisely.
    Gio.IOErrorEnum.IS_DIRECTORY: errno.EACCES,
    Gio.IOErrorEnum.NOT_DIRECTORY: errno.ENOTDIR,
    Gio.IOErrorEnum.FILENAME_TOO_LONG: errno.ENAMETOOLONG,
    Gio.IOErrorEnum.INVALID_ARGUMENT: errno.EINVAL,
    Gio.IOErrorEnum.TOO_MANY_OPEN_FILES: errno.EMFILE,
    Gio.IOErrorEnum.NO_SPACE: errno.ENOSPC,
    Gio.IOErrorEnum.NOT_SUPPORTED: errno.ENOTSUP,
    Gio.IOErrorEnum.BUSY: errno.EBUSY,
    Gio.IOErrorEnum.WOULD_BLOCK: errno.EAGAIN,
}


def _spawn_os_error(glib_error, executable):
    """The OSError posix_spawnp would raise for a tpx spawn failure.

    Its str() is posix_spawnp's; tpx's message, which names the step that
    failed (e.g. "chdir to /nope"), is added as a note.
    """
    code = None
    if glib_error.matches(Gio.io_error_quark(), glib_error.code):
        code = _SPAWN_ERRNO.get(glib_error.code)
    if code is None:
        return OSError(glib_error.message)
    exception = OSError(code, os.strerror(code), executable)
    if hasattr(exception, "add_note"):
        exception.add_note(glib_error.message)
    return exception


def _must_be_bytes(data):
    # abstract._dataMustBeBytes: Twisted takes bytes, nothing else.
    if not isinstance(data, bytes):
        raise TypeError("Data must be bytes")


def _reason(status):
    """Twisted's ProcessDone or ProcessTerminated for a Tpx.ProcessStatus."""
    get_lost = getattr(status, "get_lost", None)
    if get_lost is not None and get_lost():
        # The kernel discarded the status: no exit code can be told.
        return error.ProcessTerminated(None, None, None)
    raw = status.get_raw_status()
    signum = status.get_signal()
    if signum:
        return error.ProcessTerminated(None, signum, raw)
    code = status.get_exit_code()
    if code:
        return error.ProcessTerminated(code, None, raw)
    return error.ProcessDone(raw)


def _raw_status(status):
    get_lost = getattr(status, "get_lost", None)
    if get_lost is not None and get_lost():
        return None
    return status.get_raw_status()


def _environ(env):
    """Twisted's env (a mapping, or None to inherit) as b"NAME=value"s."""
    if env is None:
        env = os.environb
    return [os.fsencode(name) + b"=" + os.fsencode(value)
            for name, value in env.items()]


class _TpxProcessBase:
    """What Twisted's Process and PTYProcess share, on a Tpx transport.

    Life: spawned (``pid`` set, ``status`` -1) -> exited (``pid`` None,
    ``status`` the wait status; processExited called) -> ended (every pipe
    closed; processEnded called, the protocol dropped). The Tpx transport
    keeps itself, and through its signal handlers this object, alive until
    it ends; then the handlers are disconnected, which breaks the cycle.
    """

    pid = None
    status = -1
    proto = None
    lostProcess = 0

    def __init__(self, reactor, transport, proto):
        self._reactor = reactor
        self._tpx = transport
        self.proto = proto
        self.pid = transport.get_pid()
        self._handlers = [
            transport.connect("child-data", self._child_data_cb),
            transport.connect("child-connection-lost",
                              self._child_connection_lost_cb),
            transport.connect("process-exited", self._process_exited_cb),
            transport.connect("process-ended", self._process_ended_cb),
        ]
        self._drained_handler = None
        # Standard input as Twisted's FileDescriptor consumer sees it.
        self._stdin_open = True
        self._stdin_disconnecting = False
        self._producer = None
        self._streaming = False
        self._producer_paused = False
        self._drain_call = None

    def _connect(self):
        if self.proto is None:
            return
        try:
            self.proto.makeConnection(self)
        except BaseException:
            log.err()

    def __repr__(self):
        return "<%s pid=%s status=%s>" % (type(self).__name__, self.pid,
                                          self.status)

    # -- signals

    def signalProcess(self, signalID):
        """Twisted's signalProcess: 'HUP', 'STOP', 'INT', 'KILL', 'TERM' or
        a number; ProcessExitedAlready once the child has been reaped."""
        signum = _SIGNAL_NAMES.get(signalID, signalID) \
            if isinstance(signalID, str) else signalID
        if self.pid is None or self._tpx is None:
            raise error.ProcessExitedAlready()
        signum = operator.index(signum)
        try:
            self._tpx.send_signal(signum)
        except GLib.Error as e:
            if e.matches(Tpx.process_error_quark(),
                         Tpx.ProcessError.EXITED_ALREADY):
                raise error.ProcessExitedAlready() from None
            # What os.kill() raises: EINVAL for a bad number, else EPERM.
            code = errno.EPERM
            if e.matches(Gio.io_error_quark(),
                         Gio.IOErrorEnum.INVALID_ARGUMENT):
                code = errno.EINVAL
            raise OSError(code, e.message) from None

    # -- standard input as a consumer (abstract.FileDescriptor's rules)

    def _watch_drained(self):
        if self._drained_handler is None and self._tpx is not None:
            self._drained_handler = self._tpx.connect(
                "write-drained", self._write_drained_cb)

    def _written(self):
        """After a write to standard input: pause or re-arm the producer."""
        if self._producer is None:
            return
        if self._tpx.get_write_buffer_size(0) == 0:
            # Twisted's doWrite comes from the loop, never from write().
            if self._drain_call is None:
                self._drain_call = self._reactor.callLater(0, self._drained)
        elif self._streaming and \
                self._tpx.get_write_buffer_size(0) > _BUFFER_SIZE:
            self._producer_paused = True
            self._producer.pauseProducing()

    def _write_drained_cb(self, transport, child_fd):
        if child_fd != 0:
            return
        try:
            self._drained()
        except BaseException:
            log.err(None, "unexpected error in resumeProducing")

    def _drained(self):
        """Standard input's buffer became empty (FileDescriptor.doWrite)."""
        self._drain_call = None
        if not self._stdin_open:
            return
        if self._producer is not None and \
                (not self._streaming or self._producer_paused):
            self._producer_paused = False
            self._producer.resumeProducing()
        elif self._stdin_disconnecting:
            self._close_stdin_now()

    def _lose_stdin(self):
        """FileDescriptor.loseConnection on standard input."""
        if not self._stdin_open or self._stdin_disconnecting:
            return
        self._stdin_disconnecting = True
        if self._producer is not None and \
                (not self._streaming or self._producer_paused):
            # Closed once the producer is unregistered, as in Twisted.
            return
        self._close_stdin_now()

    def _stdin_lost(self):
        self._stdin_open = False
        if self._drain_call is not None:
            self._drain_call.cancel()
            self._drain_call = None
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.stopProducing()
        except BaseException:
            log.err(None, "unexpected error in stopProducing")

    def registerProducer(self, producer, streaming):
        """Twisted's registerProducer, for the child's standard input."""
        if self._producer is not None:
            raise RuntimeError(
                "Cannot register producer %s, because producer %s was never "
                "unregistered." % (producer, self._producer))
        if not self._stdin_open:
            producer.stopProducing()
            return
        self._watch_drained()
        self._producer = producer
        self._streaming = streaming
        self._producer_paused = False
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self):
        """Twisted's unregisterProducer; a pending close goes ahead."""
        self._producer = None
        if self._stdin_open and self._stdin_disconnecting:
            self._close_stdin_now()

    # -- events

    def _deliver(self, child_fd, data):
        try:
            self.proto.childDataReceived(child_fd, data)
        except BaseException:
            # As Twisted's reactor does for a reader that raises: log, and
            # lose that connection.
            log.err(None, "Error In %r" % (self,))
            self._failed_reading(child_fd)

    def _child_data_cb(self, transport, child_fd, data):
        if self.proto is not None:
            self._deliver(child_fd, data.get_data())

    def _process_exited_cb(self, transport, status):
        self.status = _raw_status(status)
        self.pid = None
        self.lostProcess += 1
        proto = self.proto
        if proto is None:
            return
        default = object()
        process_exited = getattr(proto, "processExited", default)
        if process_exited is default:
            return
        try:
            process_exited(Failure(_reason(status)))
        except BaseException:
            log.err(None, "unexpected error in processExited")

    def _process_ended_cb(self, transport, status):
        proto, self.proto = self.proto, None
        for handler in self._handlers:
            transport.disconnect(handler)
        if self._drained_handler is not None:
            transport.disconnect(self._drained_handler)
        self._handlers = []
        self._drained_handler = None
        if self._drain_call is not None:
            self._drain_call.cancel()
            self._drain_call = None
        self._stdin_open = False
        self._producer = None
        self._tpx = None
        if proto is None:
            return
        try:
            proto.processEnded(Failure(_reason(status)))
        except BaseException:
            log.err(None, "unexpected error in processEnded")

    # -- IProcessTransport

    def getHost(self):
        raise NotImplementedError()

    def getPeer(self):
        raise NotImplementedError()


@implementer(IProcessTransport)
class TpxProcess(_TpxProcessBase):
    """Twisted's twisted.internet.process.Process, on tpx pipes."""

    def __init__(self, reactor, transport, proto, child_fds):
        super().__init__(reactor, transport, proto)
        self._pipes = {fd for fd, target in child_fds.items()
                       if target in ("r", "w")}
        self._stdin_open = child_fds.get(0) == "w"
        self._connect()

    def _failed_reading(self, child_fd):
        if self._tpx is not None:
            self._tpx.close_child_fd(child_fd)

    def _close_stdin_now(self):
        self._stdin_disconnecting = False
        if self._tpx is not None:
            self._tpx.close_child_fd(0)

    def _child_connection_lost_cb(self, transport, child_fd):
        self._pipes.discard(child_fd)
        if child_fd == 0:
            self._stdin_lost()
        if self.proto is None:
            return
        try:
            self.proto.childConnectionLost(child_fd)
        except BaseException:
            log.err()

    def write(self, data):
        """Writes to the child's standard input; dropped once it is closed."""
        if 0 in self._pipes:
            self.writeToChild(0, data)

    def writeSequence(self, seq):
        """Writes each bytes of @seq to the child's standard input."""
        if 0 in self._pipes:
            for chunk in seq:
                _must_be_bytes(chunk)
            self.writeToChild(0, b"".join(seq))

    def writeToChild(self, childFD, data):
        """Writes to a pipe of the child; KeyError if there is none."""
        if childFD not in self._pipes or self._tpx is None:
            raise KeyError(childFD)
        _must_be_bytes(data)
        if not data:
            return
        try:
            self._tpx.write_to_child(childFD, data)
        except GLib.Error as e:
            if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED):
                # Being closed: what comes after the close is dropped.
                return
            # A pipe the parent reads: Twisted has no writer for it.
            raise KeyError(childFD) from None
        if childFD == 0:
            self._written()

    def closeChildFD(self, childFD):
        """Closes one pipe; a write pipe once what is queued is written."""
        if childFD not in self._pipes or self._tpx is None:
            return
        if childFD == 0 and self._stdin_open:
            self._lose_stdin()
        else:
            self._tpx.close_child_fd(childFD)

    def closeStdin(self):
        self.closeChildFD(0)

    def closeStdout(self):
        self.closeChildFD(1)

    def closeStderr(self):
        self.closeChildFD(2)

    def loseConnection(self):
        """Closes standard input, error and output (only those, as Twisted)."""
        self.closeStdin()
        self.closeStderr()
        self.closeStdout()

    def pauseProducing(self):
        if self._tpx is not None:
            self._tpx.pause_producing()

    def resumeProducing(self):
        if self._tpx is not None:
            self._tpx.resume_producing()

    def stopProducing(self):
        self.loseConnection()


@implementer(IProcessTransport)
class TpxPTYProcess(_TpxProcessBase):
    """Twisted's twisted.internet.process.PTYProcess, on a tpx terminal.

    As in Twisted, the protocol never gets childConnectionLost: the terminal
    is one connection, whose loss (with the reap) ends the process.
    """

    def __init__(self, reactor, transport, proto):
        super().__init__(reactor, transport, proto)
        self.connected = True
        self.disconnected = False
        self.disconnecting = False
        self._connect()

    def _failed_reading(self, child_fd):
        if self._tpx is not None:
            self._tpx.lose_connection()

    def _close_stdin_now(self):
        # The terminal is closed once what is queued was written; tpx's own
        # lose_connection would drop it (a hang-up), Twisted's flushes it.
        self._stdin_disconnecting = False
        if self._tpx is None:
            return
        if self._tpx.get_write_buffer_size(0) > 0:
            self._watch_drained()
            self._stdin_disconnecting = True
            return
        self._tpx.lose_connection()

    def _child_connection_lost_cb(self, transport, child_fd):
        # tpx reports the terminal's two directions; it is one connection.
        if self.disconnected:
            return
        self.connected = False
        self.disconnected = True
        self._stdin_lost()

    def write(self, data):
        """Writes to the terminal."""
        _must_be_bytes(data)
        if not self.connected or self._tpx is None or not data:
            return
        self._tpx.write(data)
        self._written()

    def writeSequence(self, seq):
        for chunk in seq:
            _must_be_bytes(chunk)
        self.write(b"".join(seq))

    def loseConnection(self):
        """Closes the terminal once what is queued has been written."""
        if self.connected and not self.disconnecting:
            self.disconnecting = True
            # Twisted stops reading at once, and closes after the flush.
            self._tpx.pause_producing()
            self._lose_stdin()

    def closeStdin(self):
        # One cannot close one direction of a terminal (as Twisted).
        pass

    def closeStdout(self):
        pass

    def closeStderr(self):
        pass

    def closeChildFD(self, descriptor):
        raise NotImplementedError()

    def writeToChild(self, childFD, data):
        raise NotImplementedError()

    def pauseProducing(self):
        if self._tpx is not None:
            self._tpx.pause_producing()

    def resumeProducing(self):
        if self._tpx is not None and self.connected and \
                not self.disconnecting:
            self._tpx.resume_producing()

    def stopProducing(self):
        self.loseConnection()


class TpxReactor(gireactor.GIReactor):
    """Twisted's GIReactor whose spawnProcess is tpx.

    @param useGtk: run GTK's main loop (as gtk3reactor) rather than GLib's.
    """

    def spawnProcess(self, processProtocol, executable, args=(), env={},
                     path=None, uid=None, gid=None, usePTY=0,
                     childFDs=None):
        if usePTY:
            if childFDs is not None:
                raise ValueError(
                    "Using childFDs is not supported with usePTY=True.")
            if isinstance(usePTY, (tuple, list)):
                # A terminal the caller opened: Twisted's own PTYProcess.
                return super().spawnProcess(processProtocol, executable,
                                            args, env, path, uid, gid,
                                            usePTY, childFDs)
        elif childFDs is None:
            childFDs = {0: "w", 1: "r", 2: "r"}

        executable = os.fsencode(executable)
        launcher = Tpx.ProcessLauncher.new()
        launcher.set_environ(_environ(env))
        if path is not None:
            launcher.set_cwd(os.fsencode(path))
        if uid is not None or gid is not None:
            launcher.set_uid(os.geteuid() if uid is None else uid)
            launcher.set_gid(os.getegid() if gid is None else gid)
        if usePTY:
            launcher.set_use_pty(True)
        elif childFDs != {0: "w", 1: "r", 2: "r"}:
            launcher.clear_child_fds()
            for child_fd, target in childFDs.items():
                if target == "r":
                    launcher.set_child_fd(child_fd, Tpx.ChildFdKind.READ, -1)
                elif target == "w":
                    launcher.set_child_fd(child_fd, Tpx.ChildFdKind.WRITE, -1)
                else:
                    if type(target) != int:
                        raise AssertionError(f"{target!r} should be an int")
                    launcher.set_child_fd(child_fd, Tpx.ChildFdKind.INHERIT,
                                          target)
        try:
            transport = launcher.spawn(
                None, executable,
                [os.fsencode(arg) for arg in args] or None)
        except GLib.Error as e:
            raise _spawn_os_error(e, os.fsdecode(executable)) from None

        if usePTY:
            return TpxPTYProcess(self, transport, processProtocol)
        return TpxProcess(self, transport, processProtocol, childFDs)


def install(useGtk=False):
    """Installs TpxReactor as Twisted's reactor.

    @param useGtk: run GTK's main loop (as gtk3reactor) rather than GLib's.
    """
    reactor = TpxReactor(useGtk=useGtk)
    from twisted.internet.main import installReactor

    installReactor(reactor)
    return reactor
