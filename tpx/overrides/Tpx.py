# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override for Tpx: Twisted's process API on the GLib main loop.

Everything of the introspected API stays as it is (``Tpx.ProcessLauncher``,
``launcher.spawn()``, the ``do_*`` virtual methods, the signals, the
``*_async``/``*_finish`` helpers). This module adds the names and shapes a
Twisted user knows, so that process code ports by changing its imports and
its main loop:

``Tpx.spawn_process(protocol, executable, args=(), env={}, path=None,
uid=None, gid=None, use_pty=False, child_fds=None)``
    ``reactor.spawnProcess`` (also spelled ``Tpx.spawnProcess``, with
    Twisted's keyword names ``usePTY`` and ``childFDs``). ``env`` is a
    mapping (the default ``{}`` is an empty environment, as in Twisted),
    ``None`` to inherit this process's environment, or a sequence of
    ``"NAME=value"`` strings. ``child_fds`` maps a child fd to ``'r'`` (a
    pipe the parent reads), ``'w'`` (a pipe the parent writes), ``'p'``
    (the pseudo-terminal, one for every fd mapped so: ``{0: 'p', 1: 'p',
    2: 'r'}`` keeps standard error apart), ``'s'`` (a socket the parent
    reads and writes) or a parent fd the child gets a copy of; ``None`` is
    ``{0: 'w', 1: 'r', 2: 'r'}``.
    ``args`` is the whole argv, ``args[0]`` included; an empty ``args``
    runs the child with ``[executable]``. Returns the
    ``Tpx.ProcessTransport``; a spawn failure raises ``GLib.Error``
    (``Gio.IOErrorEnum`` codes), never a child that exits 1.

``Tpx.ProcessProtocol``
    Subclasses override either the GObject virtual methods
    (``do_out_received(self, data: GLib.Bytes)`` ...) or Twisted's methods
    (``connectionMade``, ``childDataReceived``, ``outReceived``,
    ``errReceived``, ``childConnectionLost``, ``inConnectionLost``,
    ``outConnectionLost``, ``errConnectionLost``, ``processExited``,
    ``processEnded``), which get ``bytes``. ``self.transport`` is the
    transport (``None`` before the spawn and once the transport is gone).
    Twisted's methods may also be set on the instance (``self.outReceived
    = buffer.write``), except ``childDataReceived`` and
    ``childConnectionLost``, which must be methods of the class. A subclass
    need not call ``super().__init__()``: the GObject is created before its
    ``__init__`` runs. An exception raised by any of these methods is
    printed by PyGObject, and the transport carries on.

``Tpx.ProcessTransport``
    Adds Twisted's ``write(data)``, ``writeSequence(seq)``,
    ``writeToChild(childFD, data)``, ``closeStdin()``, ``closeStdout()``,
    ``closeStderr()``, ``closeChildFD(childFD)``, ``loseConnection()``,
    ``signalProcess(signalID)`` (a name such as ``'KILL'`` or a number),
    ``pauseProducing()``, ``resumeProducing()``, ``stopProducing()`` and
    ``pid`` (``None`` once the child has been reaped, as in Twisted;
    ``get_pid()`` still tells it). Data is ``bytes`` (or any bytes-like
    object); ``str`` raises ``TypeError``, as in Twisted. Errors raise
    ``GLib.Error``: ``writeToChild`` on an fd that is not an open write pipe
    is ``Gio.IOErrorEnum.NOT_FOUND`` or ``CLOSED``; ``signalProcess`` after
    the child was reaped is ``Tpx.ProcessError.EXITED_ALREADY``.

``Tpx.ProcessStatus``
    What ``processExited``/``processEnded`` get in place of Twisted's
    ``Failure``. ``status.value`` is the status itself, so Twisted's
    ``status.value.exitCode`` works; ``exitCode`` is ``None`` and
    ``signal`` the signal number when the child was killed, ``signal`` is
    ``None`` when it exited; ``status.status`` is the raw wait status. When
    the status was lost (``get_lost()``: ``SIGCHLD`` ignored, or the child
    reaped elsewhere), ``exitCode`` and ``signal`` are both ``None``.
    ``status.check()`` is Tpx's (it raises ``Tpx.ProcessError.TERMINATED``
    unless the child exited 0), not Failure.check(); there is no trap().

``Tpx.get_process_output(executable, args=(), env={}, path=None,
reactor=None, errortoo=False, *, cancellable=None, callback=None)``,
``Tpx.get_process_value(executable, args=(), env={}, path=None,
reactor=None, *, cancellable=None, callback=None)``,
``Tpx.get_process_output_and_value(executable, args=(), env={}, path=None,
reactor=None, stdinBytes=None, *, cancellable=None, callback=None)``
    ``twisted.internet.utils`` (also spelled ``getProcessOutput`` and so
    on). ``args`` excludes argv[0], as in Twisted. ``reactor`` may be a
    ``GLib.MainContext`` to run the call in (``None``: the thread-default
    context). Twisted returns a ``Deferred``; a GLib program has a main
    loop and a ``Gio.Cancellable`` instead, so these return a
    ``Tpx.ProcessCall``:

    * ``callback(call)`` (or ``call.add_done_callback(callback)``) runs
      once, in that main context, when the call is complete;
      ``call.result()`` then returns the output (``bytes``), the exit code
      (``int``) or ``(out, err, exit_code)``, or raises ``GLib.Error``:
      ``Tpx.ProcessError.UNEXPECTED_STDERR`` (output without ``errortoo``),
      ``Tpx.ProcessError.TERMINATED`` (value or output-and-value of a child
      killed by a signal), ``Gio.IOErrorEnum.CANCELLED``, or the spawn
      error;
    * ``call.cancel()`` (or cancelling ``cancellable``) kills the child;
    * ``await call`` works in a coroutine whose asyncio event loop runs on
      the GLib main context (the call completes when that context is
      iterated; cancelling the awaiting task cancels the call). With an
      asyncio loop that does not iterate GLib, use the callback instead.
"""

import os

from gi.repository import GLib, Gio

from ..module import get_introspection_module
from ..overrides import override

Tpx = get_introspection_module('Tpx')

__all__ = []


def _io_error(code, message):
    return GLib.Error.new_literal(Gio.io_error_quark(), message, code)


def _data_bytes(data, what='data'):
    """@data as bytes; Twisted refuses text, and so do we."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        raise TypeError('%s must be bytes, not str' % what)
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise TypeError('%s must be a bytes-like object, not %s'
                        % (what, type(data).__name__)) from None


def _filename(value):
    return os.fsdecode(value)


def _argv(args):
    if args is None:
        return None
    if isinstance(args, (str, bytes)):
        raise TypeError('args must be a sequence of arguments, not a string')
    argv = [_filename(arg) for arg in args]
    return argv or None


def _apply_environment(launcher, env):
    if env is None:
        launcher.inherit_environ()
        return
    launcher.set_environ(None)
    if hasattr(env, 'items'):
        for name, value in env.items():
            launcher.setenv(_filename(name), _filename(value), True)
        return
    if isinstance(env, (str, bytes)):
        raise TypeError('env must be a mapping, a sequence or None')
    launcher.set_environ([_filename(entry) for entry in env])


# A child fd map's letters, those of set_child_fds_from_string().
_CHILD_FD_LETTERS = {
    'r': Tpx.ChildFdKind.READ,
    'w': Tpx.ChildFdKind.WRITE,
    'p': Tpx.ChildFdKind.PTY,
    's': Tpx.ChildFdKind.SOCKET,
}


def _apply_child_fds(launcher, child_fds):
    launcher.clear_child_fds()
    for child_fd, target in child_fds.items():
        if isinstance(target, str) and target in _CHILD_FD_LETTERS:
            launcher.set_child_fd(child_fd, _CHILD_FD_LETTERS[target], -1)
        elif isinstance(target, int) and not isinstance(target, bool):
            launcher.set_child_fd(child_fd, Tpx.ChildFdKind.INHERIT, target)
        else:
            raise _io_error(Gio.IOErrorEnum.INVALID_ARGUMENT,
                            'child fd %r: %r is neither "r", "w", "p", "s" '
                            'nor a parent fd' % (child_fd, target))


def _make_launcher(env, path, uid=None, gid=None, use_pty=False,
                   child_fds=None):
    launcher = Tpx.ProcessLauncher.new()
    _apply_environment(launcher, env)
    if path is not None:
        launcher.set_cwd(_filename(path))
    if uid is not None:
        launcher.set_uid(uid)
    if gid is not None:
        launcher.set_gid(gid)
    if use_pty:
        launcher.set_use_pty(True)
    if child_fds is not None:
        _apply_child_fds(launcher, child_fds)
    return launcher


# ---------------------------------------------------------------------------
# Spawning


def spawn_process(protocol, executable, args=(), env={}, path=None,
                  uid=None, gid=None, use_pty=False, child_fds=None):
    """Starts @executable with Twisted's reactor.spawnProcess arguments.

    See the module documentation; returns the Tpx.ProcessTransport.
    """
    launcher = _make_launcher(env, path, uid, gid, use_pty, child_fds)
    return launcher.spawn(protocol, _filename(executable), _argv(args))


def spawnProcess(processProtocol, executable, args=(), env={}, path=None,
                 uid=None, gid=None, usePTY=False, childFDs=None):
    """Tpx.spawn_process() under Twisted's name and keyword names."""
    return spawn_process(processProtocol, executable, args, env, path,
                         uid, gid, usePTY, childFDs)


__all__ += ['spawn_process', 'spawnProcess']


# ---------------------------------------------------------------------------
# The protocol


def _connection_made_cb(self, transport):
    self.connectionMade()


def _child_data_received_cb(self, child_fd, data):
    self.childDataReceived(child_fd, data.get_data())


def _out_received_cb(self, data):
    self.outReceived(data.get_data())


def _err_received_cb(self, data):
    self.errReceived(data.get_data())


def _child_connection_lost_cb(self, child_fd):
    self.childConnectionLost(child_fd)


def _in_connection_lost_cb(self):
    self.inConnectionLost()


def _out_connection_lost_cb(self):
    self.outConnectionLost()


def _err_connection_lost_cb(self):
    self.errConnectionLost()


def _process_exited_cb(self, status):
    self.processExited(status)


def _process_ended_cb(self, status):
    self.processEnded(status)


# (virtual method, Twisted's method, the do_* that calls the latter, whether
# it is a default dispatcher). A dispatcher is only replaced when a class
# defines Twisted's method: its C default calls the other methods.
_TWISTED_METHODS = (
    ('connection_made', 'connectionMade', _connection_made_cb, False),
    ('child_data_received', 'childDataReceived', _child_data_received_cb, True),
    ('out_received', 'outReceived', _out_received_cb, False),
    ('err_received', 'errReceived', _err_received_cb, False),
    ('child_connection_lost', 'childConnectionLost', _child_connection_lost_cb, True),
    ('in_connection_lost', 'inConnectionLost', _in_connection_lost_cb, False),
    ('out_connection_lost', 'outConnectionLost', _out_connection_lost_cb, False),
    ('err_connection_lost', 'errConnectionLost', _err_connection_lost_cb, False),
    ('process_exited', 'processExited', _process_exited_cb, False),
    ('process_ended', 'processEnded', _process_ended_cb, False),
)

for _vfunc, _name, _func, _dispatcher in _TWISTED_METHODS:
    _func.__name__ = 'do_' + _vfunc
    _func.__qualname__ = 'ProcessProtocol.do_' + _vfunc
    _func._tpx_twisted_bridge = True


def _gobject_created(obj):
    try:
        obj.__grefcount__
    except Exception:
        return False
    return True


class ProcessProtocol(Tpx.ProcessProtocol):
    """Twisted's ProcessProtocol; see the module documentation."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)

        # Twisted's protocols rarely call their base class's __init__: make
        # sure the GObject exists before a subclass's own __init__ runs.
        init = cls.__dict__.get('__init__')
        if init is not None and not getattr(init, '_tpx_creates', False):
            def __init__(self, *args, **kwargs):
                if not _gobject_created(self):
                    ProcessProtocol.__init__(self)
                init(self, *args, **kwargs)

            __init__.__name__ = init.__name__
            __init__.__qualname__ = init.__qualname__
            __init__.__doc__ = init.__doc__
            __init__.__wrapped__ = init
            __init__._tpx_creates = True
            cls.__init__ = __init__

        # Route each virtual method to Twisted's method, unless the nearest
        # class (from this one up) that says anything implements the GObject
        # virtual method itself. A dispatcher (child_data_received,
        # child_connection_lost) is routed only where a class defines
        # Twisted's method: its C default calls the other virtual methods.
        # The metaclass installs whatever do_* is in cls.__dict__ after this.
        for vfunc, name, bridge, dispatcher in _TWISTED_METHODS:
            do_name = 'do_' + vfunc
            if do_name in cls.__dict__:
                continue
            decision = None
            for klass in cls.__mro__:
                if klass is ProcessProtocol:
                    break
                if name in klass.__dict__:
                    decision = 'twisted'
                    break
                own = klass.__dict__.get(do_name)
                if own is not None:
                    decision = ('twisted' if getattr(own, '_tpx_twisted_bridge', False)
                                else 'gobject')
                    break
            if decision == 'twisted' or (decision is None and not dispatcher):
                setattr(cls, do_name, bridge)

    def __init__(self, **properties):
        if _gobject_created(self):
            for name, value in properties.items():
                self.set_property(name, value)
            return
        super().__init__(**properties)

    @property
    def transport(self):
        """The Tpx.ProcessTransport, as Twisted's protocol.transport."""
        return self.get_transport()

    # Twisted's methods, with Twisted's defaults.

    def connectionMade(self):
        """The child runs: called during the spawn, before it returns."""

    def childDataReceived(self, childFD, data):
        """Bytes from a read pipe; 1 and 2 go to outReceived/errReceived."""
        if childFD == 1:
            self.outReceived(data)
        elif childFD == 2:
            self.errReceived(data)

    def outReceived(self, data):
        """Bytes from the child's standard output."""

    def errReceived(self, data):
        """Bytes from the child's standard error."""

    def childConnectionLost(self, childFD):
        """A pipe closed; 0, 1 and 2 go to the in/out/errConnectionLost."""
        if childFD == 0:
            self.inConnectionLost()
        elif childFD == 1:
            self.outConnectionLost()
        elif childFD == 2:
            self.errConnectionLost()

    def inConnectionLost(self):
        """The child's standard input was closed."""

    def outConnectionLost(self):
        """The child's standard output was closed."""

    def errConnectionLost(self):
        """The child's standard error was closed."""

    def processExited(self, reason):
        """The child was reaped; @reason is its Tpx.ProcessStatus."""

    def processEnded(self, reason):
        """Reaped and every pipe closed: the last call, exactly once."""


ProcessProtocol = override(ProcessProtocol)
__all__.append('ProcessProtocol')


# ---------------------------------------------------------------------------
# The transport


class ProcessTransport(Tpx.ProcessTransport):
    """Twisted's IProcessTransport; see the module documentation."""

    def write(self, data):
        """Queues @data (bytes) for the child's standard input.

        Dropped when standard input is closed, as in Twisted.
        """
        super().write(_data_bytes(data))

    def writeSequence(self, seq):
        """Queues each bytes object of @seq, in order."""
        self.write(b''.join(_data_bytes(chunk) for chunk in seq))

    def writeToChild(self, childFD, data):
        """Queues @data for the child's fd @childFD ('w', 'p' or 's')."""
        self.write_to_child(childFD, _data_bytes(data))

    def closeStdin(self):
        self.close_stdin()

    def closeStdout(self):
        self.close_stdout()

    def closeStderr(self):
        self.close_stderr()

    def closeChildFD(self, childFD):
        self.close_child_fd(childFD)

    def loseConnection(self):
        self.lose_connection()

    def signalProcess(self, signalID):
        """Sends a signal: a name ('KILL', 'SIGTERM', ...) or a number."""
        if isinstance(signalID, int) and not isinstance(signalID, bool):
            self.send_signal(signalID)
        else:
            self.signal_process(signalID)

    def pauseProducing(self):
        self.pause_producing()

    def resumeProducing(self):
        self.resume_producing()

    def stopProducing(self):
        self.lose_connection()

    @property
    def pid(self):
        """The child's pid while it runs, None once it has been reaped."""
        if self.get_status() is not None:
            return None
        return self.get_pid()


ProcessTransport = override(ProcessTransport)
__all__.append('ProcessTransport')


# ---------------------------------------------------------------------------
# The status


class ProcessStatus(Tpx.ProcessStatus):
    """How the child ended, with Twisted's ProcessDone/Terminated fields."""

    @property
    def value(self):
        """The status itself, for Twisted's reason.value.exitCode."""
        return self

    @property
    def exitCode(self):
        """The exit code, or None when a signal killed the child or the
        status was lost (get_lost())."""
        if self.get_signal() != 0 or self.get_lost():
            return None
        return self.get_exit_code()

    @property
    def signal(self):
        """The signal that killed the child, or None when it exited."""
        return self.get_signal() or None

    @property
    def status(self):
        """The raw wait status."""
        return self.get_raw_status()

    def __repr__(self):
        if self.get_lost():
            how = 'status lost'
        elif self.get_signal() != 0:
            how = 'killed by signal %d' % self.get_signal()
        else:
            how = 'exit code %d' % self.get_exit_code()
        return '<Tpx.ProcessStatus %s>' % how


ProcessStatus = override(ProcessStatus)
__all__.append('ProcessStatus')


# ---------------------------------------------------------------------------
# The output helpers


class ProcessCall(object):
    """One call of an output helper: its result, when it has one.

    Returned by Tpx.get_process_output(), get_process_value() and
    get_process_output_and_value(); see the module documentation.
    """

    def __init__(self, cancellable=None):
        self.cancellable = cancellable if cancellable is not None \
            else Gio.Cancellable()
        self._done = False
        self._value = None
        self._error = None
        self._callbacks = []

    def __repr__(self):
        if not self._done:
            state = 'running'
        elif self._error is not None:
            state = 'failed: %s' % self._error.message
        else:
            state = 'done'
        return '<Tpx.ProcessCall %s>' % state

    def done(self):
        """Whether the call is complete (with a result or an error)."""
        return self._done

    def cancelled(self):
        """Whether the call was complete because it was cancelled."""
        return self._done and self._error is not None and \
            self._error.matches(Gio.io_error_quark(),
                                Gio.IOErrorEnum.CANCELLED)

    def cancel(self):
        """Kills the child; the call completes with G_IO_ERROR_CANCELLED.

        Returns False when the call was already complete.
        """
        if self._done:
            return False
        self.cancellable.cancel()
        return True

    def result(self):
        """The result; raises the GLib.Error the call failed with."""
        if not self._done:
            raise RuntimeError('the process call is not complete yet: '
                               'run the main loop (or use a callback)')
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self):
        """The GLib.Error the call failed with, or None."""
        if not self._done:
            raise RuntimeError('the process call is not complete yet')
        return self._error

    def add_done_callback(self, callback):
        """Calls callback(call) once the call is complete (now if it is)."""
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def _complete(self, finish):
        try:
            self._value = finish()
        except GLib.Error as error:
            self._error = error
        self._done = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def __await__(self):
        if not self._done:
            import asyncio

            loop = asyncio.get_running_loop()
            waiter = loop.create_future()

            def wake_cb(call):
                loop.call_soon_threadsafe(
                    lambda: waiter.done() or waiter.set_result(None))

            self.add_done_callback(wake_cb)
            try:
                yield from waiter.__await__()
            except asyncio.CancelledError:
                self.cancel()
                raise
        return self.result()


__all__.append('ProcessCall')


class _ThreadDefault(object):
    """Makes @context the thread-default one for a with-block."""

    def __init__(self, context):
        self.context = context

    def __enter__(self):
        if self.context is not None:
            self.context.push_thread_default()

    def __exit__(self, *exc_info):
        if self.context is not None:
            self.context.pop_thread_default()


def _start(start, finish, cancellable, callback, reactor):
    if reactor is not None and not isinstance(reactor, GLib.MainContext):
        raise TypeError('reactor must be a GLib.MainContext or None')
    call = ProcessCall(cancellable)
    if callback is not None:
        call.add_done_callback(callback)

    def ready_cb(source, result, user_data):
        call._complete(lambda: finish(result))

    with _ThreadDefault(reactor):
        start(call.cancellable, ready_cb)
    return call


def get_process_output(executable, args=(), env={}, path=None, reactor=None,
                       errortoo=False, *, cancellable=None, callback=None):
    """Twisted's getProcessOutput: the child's standard output, as bytes.

    With @errortoo, its standard error too (in arrival order); without, the
    first byte on standard error fails the call. Returns a Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path)
    flags = Tpx.OutputFlags.ERRORTOO if errortoo else Tpx.OutputFlags.NONE

    def start(cancellable, ready_cb):
        Tpx.get_process_output_async(_filename(executable), _argv(args),
                                     launcher, flags, cancellable,
                                     ready_cb, None)

    def finish(result):
        return Tpx.get_process_output_finish(result).get_data()

    return _start(start, finish, cancellable, callback, reactor)


def get_process_value(executable, args=(), env={}, path=None, reactor=None,
                      *, cancellable=None, callback=None):
    """Twisted's getProcessValue: the child's exit code.

    A child killed by a signal fails the call with TERMINATED. Returns a
    Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path)

    def start(cancellable, ready_cb):
        Tpx.get_process_value_async(_filename(executable), _argv(args),
                                    launcher, cancellable, ready_cb, None)

    return _start(start, Tpx.get_process_value_finish, cancellable,
                  callback, reactor)


def get_process_output_and_value(executable, args=(), env={}, path=None,
                                 reactor=None, stdinBytes=None, *,
                                 cancellable=None, callback=None):
    """Twisted's getProcessOutputAndValue: (out, err, exit_code).

    @stdinBytes, if given, is written to the child's standard input, which
    is then closed (it is closed at once otherwise). A child killed by a
    signal fails the call with TERMINATED. Returns a Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path)
    stdin_bytes = None
    if stdinBytes is not None:
        stdin_bytes = GLib.Bytes.new(_data_bytes(stdinBytes, 'stdinBytes'))

    def start(cancellable, ready_cb):
        Tpx.get_process_output_and_value_async(_filename(executable),
                                               _argv(args), launcher,
                                               stdin_bytes, cancellable,
                                               ready_cb, None)

    def finish(result):
        _, out, err, exit_code = \
            Tpx.get_process_output_and_value_finish(result)
        return (out.get_data(), err.get_data(), exit_code)

    return _start(start, finish, cancellable, callback, reactor)


getProcessOutput = get_process_output
getProcessValue = get_process_value
getProcessOutputAndValue = get_process_output_and_value

__all__ += ['get_process_output', 'get_process_value',
            'get_process_output_and_value', 'getProcessOutput',
            'getProcessValue', 'getProcessOutputAndValue']
