# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override for Tpx: Twisted's process API on the GLib main loop.

Everything of the introspected API stays as it is (``Tpx.ProcessLauncher``,
``launcher.spawn()``, the ``do_*`` virtual methods, the signals, the
``*_async``/``*_finish`` helpers). This module adds the names and shapes a
Twisted user knows, so that process code ports by changing its imports and
its main loop:

``Tpx.spawn_process(protocol, executable, args=(), env={}, path=None,
uid=None, gid=None, use_pty=False, child_fds=None, *, kill_mode=None,
timeout=None, stop_signal=None, stop_timeout=None, drain_timeout=None,
die_with_parent=False, cgroup_parent=None)``
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

    The keyword-only arguments control the child's lifetime (the
    launcher's ``set_*`` of the same names; ``None`` keeps each default):
    ``kill_mode`` is a ``Tpx.KillMode`` (or ``'process'``,
    ``'process-group'``, ``'cgroup'``): what ``stop()`` and
    ``signal_tree()`` reach; ``timeout`` the longest the child may run, in
    seconds (a float, as Twisted's timeouts; then ``stop()``);
    ``stop_signal`` a number or a name (``'TERM'``, ``'SIGINT'``);
    ``stop_timeout`` the seconds between the stop signal and ``SIGKILL``
    (default 5, 0 for ``SIGKILL`` at once); ``drain_timeout`` the seconds
    to wait for pipes something else still holds after the child exited
    (default: for ever, as Twisted; 0 closes them at once);
    ``die_with_parent`` kills the child when the thread that spawned it
    ends; ``cgroup_parent`` is the cgroup v2 directory ``'cgroup'`` mode
    makes the child's cgroup in.

``Tpx.ProcessProtocol``
    Subclasses override either the GObject virtual methods
    (``do_data_received(self, child_fd, data: bytes, length)``, the data
    path for Python; ``do_out_received(self, data: GLib.Bytes)`` ...) or
    Twisted's methods (``connectionMade``, ``childDataReceived``,
    ``outReceived``, ``errReceived``, ``childConnectionLost``,
    ``inConnectionLost``, ``outConnectionLost``, ``errConnectionLost``,
    ``processExited``, ``processEnded``), which get ``bytes`` (through
    ``do_data_received``: no ``GLib.Bytes`` per chunk). A class that only
    overrides ``do_*`` methods gets nothing else: the override adds its
    bridges to Twisted's methods only to a class that defines one of them
    (or a base does), or defines no method of either kind.
    ``self.transport`` is the transport (``None`` before the spawn and once
    the transport is gone; a plain attribute while a Twisted-style
    protocol's child runs). Twisted's methods may also be set on the
    instance of such a class (``self.outReceived = buffer.write``), except
    ``childDataReceived`` and ``childConnectionLost``, which must be
    methods of the class. A subclass need not call ``super().__init__()``:
    the GObject is created before its ``__init__`` runs. An exception
    raised by any of these methods is printed by PyGObject, and the
    transport carries on.

``Tpx.LineProtocol``
    A ``ProcessProtocol`` whose child output arrives as lines (Twisted's
    ``LineReceiver`` paired with a ``ProcessProtocol``). Subclasses
    override Twisted's ``lineReceived(line)``, which gets the lines of
    standard output, or ``do_line_received(self, child_fd, line)``, which
    gets every fd's; ``line`` is a ``str`` without its newline (``\\n`` or
    ``\\r\\n``), invalid bytes replaced by U+FFFD. ``sendLine(line)`` writes
    ``line`` (bytes) and ``b"\\n"`` to standard input. The other methods of
    ``ProcessProtocol`` stay: ``outReceived`` still gets the raw bytes. Where
    Twisted's ``LineReceiver`` drops the connection on a line longer than
    ``MAX_LENGTH``, a long line arrives in pieces of at most
    ``max_line_length`` bytes (``set_max_line_length()``, 65536 by default).

``Tpx.ProcessMonitor(reactor=None)``
    Twisted's ``twisted.runner.procmon.ProcessMonitor``: ``addProcess(name,
    args, uid=None, gid=None, env={}, cwd=None)`` (``args[0]`` is the
    program; ``env`` as for ``spawn_process``), ``removeProcess(name)``,
    ``startProcess(name)``, ``stopProcess(name)``, ``restartAll()``,
    ``startService()``, ``stopService()``, the attributes ``threshold``,
    ``killTime``, ``minRestartDelay`` and ``maxRestartDelay`` in seconds
    (``self.props`` has them in milliseconds), ``running`` and
    ``processes``. An unknown or taken name raises ``KeyError``, as in
    Twisted. ``reactor`` may be the ``GLib.MainContext`` the monitor runs
    in (``None``: the thread-default one). Children run only while the
    monitor runs: ``startProcess`` on a stopped monitor does nothing, and
    ``stopProcess`` is a restart (the child is started again at once once
    it has ended, with no restart delay). Output comes through the
    ``line-received`` signal: ``monitor.connect("line-received", lambda
    monitor, name, child_fd, line: ...)``.

``Tpx.ProcessTransport``
    Adds Twisted's ``write(data)``, ``writeSequence(seq)``,
    ``writeToChild(childFD, data)``, ``closeStdin()``, ``closeStdout()``,
    ``closeStderr()``, ``closeChildFD(childFD)``, ``loseConnection()``,
    ``signalProcess(signalID)`` (a name such as ``'KILL'`` or a number),
    ``pauseProducing()``, ``resumeProducing()``, ``stopProducing()`` and
    ``pid`` (``None`` once the child has been reaped, as in Twisted;
    ``get_pid()`` still tells it). ``signal_tree()`` also takes a signal
    number. ``wait_async()`` without a callback returns a
    ``Tpx.ProcessCall`` whose result is the ``Tpx.ProcessStatus`` once
    ``process-ended`` came: ``status = await transport.wait_async()`` (with
    an asyncio loop that iterates GLib, as for the output helpers);
    cancelling that call fails the wait, never the child. With a callback,
    it is the introspected ``wait_async(cancellable, callback, user_data)``
    and ``wait_finish(result)``. Data is ``bytes`` (or any bytes-like
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
reactor=None, errortoo=False, *, cancellable=None, callback=None,
**lifetime)``,
``Tpx.get_process_value(executable, args=(), env={}, path=None,
reactor=None, *, cancellable=None, callback=None, **lifetime)``,
``Tpx.get_process_output_and_value(executable, args=(), env={}, path=None,
reactor=None, stdinBytes=None, *, cancellable=None, callback=None,
**lifetime)``
    ``twisted.internet.utils`` (also spelled ``getProcessOutput`` and so
    on). ``args`` excludes argv[0], as in Twisted. ``**lifetime`` takes
    the keyword-only arguments of ``spawn_process`` (``timeout=2.5``,
    ``kill_mode=``...). ``reactor`` may be a
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
      killed by a signal), ``Gio.IOErrorEnum.TIMED_OUT`` (the ``timeout``
      expired and the child was stopped), ``Gio.IOErrorEnum.CANCELLED``,
      or the spawn error (what a failed call had read is not reachable
      from Python: PyGObject drops the out-arguments of a function that
      raises);
    * ``call.cancel()`` (or cancelling ``cancellable``) stops the child
      (its stop signal, then ``SIGKILL`` after ``stop_timeout``);
    * ``await call`` works in a coroutine whose asyncio event loop runs on
      the GLib main context (the call completes when that context is
      iterated; cancelling the awaiting task cancels the call). With an
      asyncio loop that does not iterate GLib, use the callback instead.
"""

import math
import os
import signal as _signal

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


_KILL_MODES = {
    'process': Tpx.KillMode.PROCESS,
    'process-group': Tpx.KillMode.PROCESS_GROUP,
    'process_group': Tpx.KillMode.PROCESS_GROUP,
    'cgroup': Tpx.KillMode.CGROUP,
}

# Milliseconds in a guint, G_MAXUINT excluded (it means "for ever").
_MAX_MS = 0xfffffffe


def _kill_mode(mode):
    if isinstance(mode, Tpx.KillMode):
        return mode
    if isinstance(mode, str) and mode in _KILL_MODES:
        return _KILL_MODES[mode]
    raise ValueError('kill_mode must be a Tpx.KillMode or one of %s, not %r'
                     % (', '.join(repr(m) for m in ('process', 'process-group',
                                                    'cgroup')), mode))


def _milliseconds(seconds, what, positive=False):
    """@seconds (a number) as whole milliseconds, rounded up."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError('%s must be a number of seconds, not %s'
                        % (what, type(seconds).__name__))
    if math.isnan(seconds) or seconds < 0 or (positive and seconds == 0):
        raise ValueError('%s must be %s, not %r'
                         % (what, 'positive' if positive else
                            'zero or positive', seconds))
    if math.isinf(seconds):
        raise ValueError('%s is too long: %r s' % (what, seconds))
    ms = math.ceil(seconds * 1000)
    if ms > _MAX_MS:
        raise ValueError('%s is too long: %r s' % (what, seconds))
    return ms


def _signal_number(signum):
    if isinstance(signum, int) and not isinstance(signum, bool):
        return int(signum)
    if isinstance(signum, str):
        name = signum.upper()
        try:
            return int(_signal.Signals[name if name.startswith('SIG')
                                       else 'SIG' + name])
        except KeyError:
            pass
    raise ValueError('stop_signal must be a signal number or name, not %r'
                     % (signum,))


def _apply_lifetime(launcher, kill_mode=None, timeout=None, stop_signal=None,
                    stop_timeout=None, drain_timeout=None,
                    die_with_parent=False, cgroup_parent=None):
    """The lifetime keywords of spawn_process() onto @launcher."""
    if kill_mode is not None:
        launcher.set_kill_mode(_kill_mode(kill_mode))
    if cgroup_parent is not None:
        launcher.set_cgroup_parent(_filename(cgroup_parent))
    if timeout is not None:
        launcher.set_timeout(_milliseconds(timeout, 'timeout', positive=True))
    if stop_signal is not None:
        launcher.set_stop_signal(_signal_number(stop_signal))
    if stop_timeout is not None:
        launcher.set_stop_timeout(_milliseconds(stop_timeout, 'stop_timeout'))
    if drain_timeout is not None and drain_timeout != math.inf:
        launcher.set_drain_timeout(_milliseconds(drain_timeout,
                                                 'drain_timeout'))
    if die_with_parent:
        launcher.set_die_with_parent(True)


def _make_launcher(env, path, uid=None, gid=None, use_pty=False,
                   child_fds=None, lifetime=None):
    launcher = Tpx.ProcessLauncher.new()
    _apply_lifetime(launcher, **(lifetime or {}))
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
                  uid=None, gid=None, use_pty=False, child_fds=None, *,
                  kill_mode=None, timeout=None, stop_signal=None,
                  stop_timeout=None, drain_timeout=None,
                  die_with_parent=False, cgroup_parent=None):
    """Starts @executable with Twisted's reactor.spawnProcess arguments.

    The keyword-only arguments control the child's lifetime; timeouts are
    in seconds and None keeps the launcher's default. See the module
    documentation; returns the Tpx.ProcessTransport.
    """
    lifetime = dict(kill_mode=kill_mode, timeout=timeout,
                    stop_signal=stop_signal, stop_timeout=stop_timeout,
                    drain_timeout=drain_timeout,
                    die_with_parent=die_with_parent,
                    cgroup_parent=cgroup_parent)
    launcher = _make_launcher(env, path, uid, gid, use_pty, child_fds,
                              lifetime)
    return launcher.spawn(protocol, _filename(executable), _argv(args))


def spawnProcess(processProtocol, executable, args=(), env={}, path=None,
                 uid=None, gid=None, usePTY=False, childFDs=None,
                 **lifetime):
    """Tpx.spawn_process() under Twisted's name and keyword names."""
    return spawn_process(processProtocol, executable, args, env, path,
                         uid, gid, usePTY, childFDs, **lifetime)


__all__ += ['spawn_process', 'spawnProcess']


# ---------------------------------------------------------------------------
# The protocol
#
# A subclass that speaks Twisted (it or a base defines one of Twisted's
# method names, or it defines no method of either kind, so that instance
# attributes such as self.outReceived = f can supply them) gets do_*
# bridges from the GObject virtual methods to Twisted's methods. Data rides
# on do_data_received, which PyGObject calls with bytes: no GLib.Bytes and
# no copy out of it per chunk. A subclass that only overrides do_* methods
# gets no bridge at all: the library calls nothing it did not define.
#
# Bridges for a method no class defines (its Twisted default does nothing)
# only look for an instance attribute, instead of calling the no-op.


def _connection_made_cb(self, transport):
    # While the child runs, self.transport is a plain attribute, where a
    # bridge of process_ended drops it again (_tpx_keeps_transport).
    if self._tpx_keeps_transport:
        self.__dict__['transport'] = transport
    self.connectionMade()


def _connection_made_attr_cb(self, transport):
    if self._tpx_keeps_transport:
        self.__dict__['transport'] = transport
    method = self.__dict__.get('connectionMade')
    if method is not None:
        method()


def _process_ended_cb(self, status):
    try:
        self.processEnded(status)
    finally:
        self.__dict__.pop('transport', None)


def _process_ended_attr_cb(self, status):
    try:
        method = self.__dict__.get('processEnded')
        if method is not None:
            method(status)
    finally:
        self.__dict__.pop('transport', None)


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


def _attr_bridge(name, n_args):
    if n_args == 0:
        def bridge(self):
            method = self.__dict__.get(name)
            if method is not None:
                method()
    else:
        def bridge(self, arg):
            method = self.__dict__.get(name)
            if method is not None:
                method(arg)
    return bridge


# Data. PyGObject 3.42 passes do_data_received the length after the bytes;
# later versions may not.

def _data_to_child_cb(self, child_fd, data, length=None):
    self.childDataReceived(child_fd, data)


def _data_to_out_err_cb(self, child_fd, data, length=None):
    if child_fd == 1:
        self.outReceived(data)
    elif child_fd == 2:
        self.errReceived(data)


def _data_route_bridge(out, err):
    """fd 1 and 2 each to Twisted's method ('twisted'), to the do_* method
    of a class that overrides it with a GLib.Bytes ('gobject'), or nowhere
    (None: the C default does nothing)."""
    def deliver(self, route, twisted_name, do_name, data):
        if route == 'twisted':
            getattr(self, twisted_name)(data)
        elif route == 'gobject':
            getattr(self, do_name)(GLib.Bytes.new(data))

    def bridge(self, child_fd, data, length=None):
        if child_fd == 1:
            deliver(self, out, 'outReceived', 'do_out_received', data)
        elif child_fd == 2:
            deliver(self, err, 'errReceived', 'do_err_received', data)
    return bridge


# (virtual method, Twisted's method, bridge when a class defines Twisted's
# method, bridge when none does (None: leave the C default, a dispatcher))
_TWISTED_METHODS = (
    ('connection_made', 'connectionMade', _connection_made_cb, _connection_made_attr_cb),
    ('child_connection_lost', 'childConnectionLost', _child_connection_lost_cb, None),
    ('in_connection_lost', 'inConnectionLost', _in_connection_lost_cb,
     _attr_bridge('inConnectionLost', 0)),
    ('out_connection_lost', 'outConnectionLost', _out_connection_lost_cb,
     _attr_bridge('outConnectionLost', 0)),
    ('err_connection_lost', 'errConnectionLost', _err_connection_lost_cb,
     _attr_bridge('errConnectionLost', 0)),
    ('process_exited', 'processExited', _process_exited_cb,
     _attr_bridge('processExited', 1)),
    ('process_ended', 'processEnded', _process_ended_cb, _process_ended_attr_cb),
)
_DATA_METHODS = (
    ('child_data_received', 'childDataReceived'),
    ('out_received', 'outReceived'),
    ('err_received', 'errReceived'),
)
_TWISTED_NAMES = frozenset([name for _, name, _, _ in _TWISTED_METHODS] +
                           [name for _, name in _DATA_METHODS])


def _mark_bridge(func, vfunc, undecided=False):
    func.__name__ = 'do_' + vfunc
    func.__qualname__ = 'ProcessProtocol.do_' + vfunc
    func._tpx_twisted_bridge = True
    # Installed because no class defined Twisted's method: says nothing
    # about the subclasses.
    func._tpx_undecided = undecided
    return func


for _vfunc, _name, _bridge, _attr_bridge_func in _TWISTED_METHODS:
    _mark_bridge(_bridge, _vfunc)
    if _attr_bridge_func is not None:
        _mark_bridge(_attr_bridge_func, _vfunc, undecided=True)


def _written_in_python(cls):
    """Whether @cls is a class of the application, not one PyGObject makes.

    PyGObject makes classes for Tpx's own types (gi.repository.Tpx), for
    this module's overrides (gi.overrides.Tpx), and for C subclasses it
    meets at run time, such as the process monitor's protocol (__gi__).
    Those must get no do_* methods: PyGObject would install them into the
    C class, over its own virtual methods.
    """
    module = getattr(cls, '__module__', None) or ''
    return module != '__gi__' and not module.startswith('gi.')


def _gobject_created(obj):
    try:
        obj.__grefcount__
    except Exception:
        return False
    return True


def _own_classes(cls):
    """cls and its bases, up to (without) the override's ProcessProtocol."""
    for klass in cls.__mro__:
        if klass is ProcessProtocol:
            return
        yield klass


def _is_user_do(klass, do_name):
    own = klass.__dict__.get(do_name)
    return own is not None and not getattr(own, '_tpx_twisted_bridge', False)


def _speaks_twisted(cls):
    if getattr(cls, '_tpx_twisted', False):
        return True     # a base does: its bridges are inherited
    defines_do = False
    for klass in _own_classes(cls):
        if not _TWISTED_NAMES.isdisjoint(klass.__dict__):
            return True
        defines_do = defines_do or any(
            name.startswith('do_') and _is_user_do(klass, name)
            for name in klass.__dict__)
    return not defines_do


def _decide(cls, vfunc, name):
    """Who handles @vfunc for @cls: 'twisted' (the nearest class that says
    anything defines Twisted's @name), 'gobject' (it overrides do_@vfunc)
    or None (no class does)."""
    do_name = 'do_' + vfunc
    for klass in _own_classes(cls):
        if name is not None and name in klass.__dict__:
            return 'twisted'
        own = klass.__dict__.get(do_name)
        if own is None or getattr(own, '_tpx_undecided', False):
            continue
        return 'twisted' if getattr(own, '_tpx_twisted_bridge', False) else 'gobject'
    return None


def _data_bridge(cls):
    child = _decide(cls, 'child_data_received', 'childDataReceived')
    if child == 'twisted':
        return _data_to_child_cb
    # What the C default of child_data_received does (also when a user's
    # do_child_data_received chains up): fd 1 and 2 to the named methods.
    out = _decide(cls, 'out_received', 'outReceived') or 'twisted'
    err = _decide(cls, 'err_received', 'errReceived') or 'twisted'
    if out == 'twisted' and err == 'twisted':
        return _data_to_out_err_cb
    return _data_route_bridge(out, err)


class _TransportAttribute(object):
    """protocol.transport: the Tpx.ProcessTransport, or None (before the
    spawn and once the transport is gone), from get_transport()."""

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj.get_transport()


class ProcessProtocol(Tpx.ProcessProtocol):
    """Twisted's ProcessProtocol; see the module documentation."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not _written_in_python(cls):
            return

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

        if not _speaks_twisted(cls):
            cls._tpx_twisted = False
            return
        cls._tpx_twisted = True
        # The transport is kept in the instance only where a bridge of
        # process_ended will drop it: else the protocol would keep its
        # transport, and so itself, alive.
        cls._tpx_keeps_transport = \
            _decide(cls, 'process_ended', 'processEnded') != 'gobject'

        # Route each virtual method to Twisted's method, unless the nearest
        # class (from this one up) that says anything implements the GObject
        # virtual method itself. The metaclass installs whatever do_* is in
        # cls.__dict__ after this.
        for vfunc, name, bridge, attr_bridge in _TWISTED_METHODS:
            if 'do_' + vfunc in cls.__dict__:
                continue
            decision = _decide(cls, vfunc, name)
            if decision == 'twisted':
                setattr(cls, 'do_' + vfunc, bridge)
            elif decision is None and attr_bridge is not None:
                setattr(cls, 'do_' + vfunc, attr_bridge)
        if 'do_data_received' not in cls.__dict__ and \
                _decide(cls, 'data_received', None) != 'gobject':
            cls.do_data_received = _mark_bridge(_data_bridge(cls), 'data_received')

    def __init__(self, **properties):
        if _gobject_created(self):
            for name, value in properties.items():
                self.set_property(name, value)
            return
        super().__init__(**properties)

    # A non-data descriptor: while a Twisted-style protocol's child runs,
    # its connection_made bridge stores the transport in the instance, which
    # then wins over this (a plain attribute read).
    transport = _TransportAttribute()

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
# Lines


def _line_received_cb(self, child_fd, line):
    if child_fd == 1:
        self.lineReceived(line)


_line_received_cb.__name__ = 'do_line_received'
_line_received_cb.__qualname__ = 'LineProtocol.do_line_received'
_line_received_cb._tpx_twisted_bridge = True


class LineProtocol(Tpx.LineProtocol):
    """Twisted's LineReceiver on a process protocol; see the module docs."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not _written_in_python(cls):
            return

        # As for ProcessProtocol's methods: lineReceived is called only for
        # a class that defines it (or inherits it from a class that does),
        # unless a class nearer defines do_line_received itself. A class
        # that defines neither costs no Python call per line.
        if 'do_line_received' in cls.__dict__:
            return
        for klass in cls.__mro__:
            if klass is LineProtocol:
                return
            if 'lineReceived' in klass.__dict__:
                break
            own = klass.__dict__.get('do_line_received')
            if own is not None:
                if getattr(own, '_tpx_twisted_bridge', False):
                    break
                return
        cls.do_line_received = _line_received_cb

    def lineReceived(self, line):
        """A line of the child's standard output: str, without its newline.

        Lines of other fds go to do_line_received(child_fd, line).
        """

    def sendLine(self, line):
        """Writes @line (bytes) and a newline to the child's standard input."""
        self.transport.write(_data_bytes(line, 'line') + b'\n')


LineProtocol = override(LineProtocol)
__all__.append('LineProtocol')


# ---------------------------------------------------------------------------
# Supervision


def _seconds_to_ms(seconds, what):
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError('%s must be a number of seconds' % what)
    if seconds < 0:
        raise ValueError('%s must not be negative' % what)
    return min(int(round(seconds * 1000)), GLib.MAXUINT)


def _unknown_process(name):
    return KeyError('Unrecognized process name: %s' % (name,))


class ProcessMonitor(Tpx.ProcessMonitor):
    """Twisted's twisted.runner.procmon.ProcessMonitor; see the module docs."""

    def __init__(self, reactor=None, **properties):
        if reactor is not None and not isinstance(reactor, GLib.MainContext):
            raise TypeError('reactor must be a GLib.MainContext or None')
        # The monitor runs its timers in the thread-default context of the
        # moment it is made.
        with _ThreadDefault(reactor):
            super().__init__(**properties)

    @property
    def _twisted_processes(self):
        # Also for a monitor made by Tpx.ProcessMonitor.new() or in C,
        # whose wrapper never ran __init__.
        return self.__dict__.setdefault('_tpx_twisted_processes', {})

    # Twisted's attributes, in seconds (the GObject properties, under
    # self.props, are in milliseconds).

    @property
    def threshold(self):
        return self.get_threshold() / 1000

    @threshold.setter
    def threshold(self, seconds):
        self.set_threshold(_seconds_to_ms(seconds, 'threshold'))

    @property
    def killTime(self):
        return self.get_kill_time() / 1000

    @killTime.setter
    def killTime(self, seconds):
        self.set_kill_time(_seconds_to_ms(seconds, 'killTime'))

    @property
    def minRestartDelay(self):
        return self.get_min_restart_delay() / 1000

    @minRestartDelay.setter
    def minRestartDelay(self, seconds):
        self.set_min_restart_delay(_seconds_to_ms(seconds, 'minRestartDelay'))

    @property
    def maxRestartDelay(self):
        return self.get_max_restart_delay() / 1000

    @maxRestartDelay.setter
    def maxRestartDelay(self, seconds):
        self.set_max_restart_delay(_seconds_to_ms(seconds, 'maxRestartDelay'))

    @property
    def running(self):
        """Whether the monitor runs (Twisted's Service.running)."""
        return self.get_running()

    @property
    def processes(self):
        """{name: (args, uid, gid, env, cwd)} of the processes added with
        addProcess() (a copy)."""
        return dict(self._twisted_processes)

    def _check_name(self, name):
        if name not in self.dup_names():
            raise _unknown_process(name)

    def addProcess(self, name, args, uid=None, gid=None, env={}, cwd=None):
        """Adds a process to keep running; args[0] is the program.

        Raises KeyError if the name is taken. On a running monitor the
        process starts at once.
        """
        if name in self.dup_names():
            raise KeyError('remove %s first' % (name,))
        argv = _argv(args)
        if not argv:
            raise ValueError('args must name the program to run')
        launcher = _make_launcher(env, cwd, uid, gid)
        self._twisted_processes[name] = (list(args), uid, gid, env, cwd)
        try:
            self.add_process(name, launcher, argv[0], argv)
        except GLib.Error:
            del self._twisted_processes[name]
            raise

    def removeProcess(self, name):
        """Stops the process and forgets it; KeyError if unknown."""
        self._check_name(name)
        self._twisted_processes.pop(name, None)
        self.remove_process(name)

    def startProcess(self, name):
        """Starts the process now if it has no child (a restart delay is
        cut short); KeyError if unknown. Children run only while the
        monitor runs: on a stopped monitor this does nothing."""
        self._check_name(name)
        if self.get_running() and self.get_transport(name) is None:
            self.restart(name)

    def stopProcess(self, name):
        """Stops the child of the process; a running monitor starts it
        again once it has ended (without a restart delay). KeyError if
        unknown."""
        self._check_name(name)
        self.restart(name)

    def restartAll(self):
        """Restarts every process."""
        self.restart_all()

    def startService(self):
        """Starts the monitor and every process."""
        self.start()

    def stopService(self):
        """Stops every child; nothing starts again until startService()."""
        self.stop()


ProcessMonitor = override(ProcessMonitor)
__all__.append('ProcessMonitor')


# ---------------------------------------------------------------------------
# The transport


# The introspected methods, called directly: no super() lookup per call.
_introspected_write = Tpx.ProcessTransport.write
_introspected_write_to_child = Tpx.ProcessTransport.write_to_child


class ProcessTransport(Tpx.ProcessTransport):
    """Twisted's IProcessTransport; see the module documentation."""

    def write(self, data):
        """Queues @data (bytes) for the child's standard input.

        Dropped when standard input is closed, as in Twisted.
        """
        if type(data) is not bytes:
            data = _data_bytes(data)
        _introspected_write(self, data)

    def writeSequence(self, seq):
        """Queues each bytes object of @seq, in order."""
        _introspected_write(self, b''.join(_data_bytes(chunk) for chunk in seq))

    def writeToChild(self, childFD, data):
        """Queues @data for the child's fd @childFD ('w', 'p' or 's')."""
        if type(data) is not bytes:
            data = _data_bytes(data)
        _introspected_write_to_child(self, childFD, data)

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

    def signal_tree(self, signal):
        """Sends a signal, a name or a number, to the child's whole tree."""
        if isinstance(signal, int) and not isinstance(signal, bool):
            signal = str(int(signal))
        return super().signal_tree(signal)

    def wait_async(self, cancellable=None, callback=None, *user_data):
        """Waits for process-ended.

        Without @callback, returns a Tpx.ProcessCall (awaitable) whose
        result is the Tpx.ProcessStatus; cancelling it (or @cancellable)
        fails the wait with Gio.IOErrorEnum.CANCELLED and leaves the child
        alone. With @callback, it is the introspected wait_async().
        """
        if callback is not None:
            return super().wait_async(cancellable, callback, *user_data)
        call = ProcessCall(cancellable)

        def ready_cb(transport, result, data):
            call._complete(lambda: transport.wait_finish(result))

        super().wait_async(call.cancellable, ready_cb, None)
        return call

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
    """One call of an output helper, or one wait: its result, when it has
    one.

    Returned by Tpx.get_process_output(), get_process_value(),
    get_process_output_and_value() and ProcessTransport.wait_async()
    without a callback; see the module documentation.
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
        """Cancels the call, which completes with G_IO_ERROR_CANCELLED.

        An output helper then stops its child; a wait leaves the child
        alone. Returns False when the call was already complete.
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
                       errortoo=False, *, cancellable=None, callback=None,
                       **lifetime):
    """Twisted's getProcessOutput: the child's standard output, as bytes.

    With @errortoo, its standard error too (in arrival order); without, the
    first byte on standard error fails the call. @lifetime: the lifetime
    keywords of spawn_process() (timeout=...). Returns a Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path, lifetime=lifetime)
    flags = Tpx.OutputFlags.ERRORTOO if errortoo else Tpx.OutputFlags.NONE

    def start(cancellable, ready_cb):
        Tpx.get_process_output_async(_filename(executable), _argv(args),
                                     launcher, flags, cancellable,
                                     ready_cb, None)

    def finish(result):
        return Tpx.get_process_output_finish(result).get_data()

    return _start(start, finish, cancellable, callback, reactor)


def get_process_value(executable, args=(), env={}, path=None, reactor=None,
                      *, cancellable=None, callback=None, **lifetime):
    """Twisted's getProcessValue: the child's exit code.

    A child killed by a signal fails the call with TERMINATED. @lifetime:
    the lifetime keywords of spawn_process(). Returns a Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path, lifetime=lifetime)

    def start(cancellable, ready_cb):
        Tpx.get_process_value_async(_filename(executable), _argv(args),
                                    launcher, cancellable, ready_cb, None)

    return _start(start, Tpx.get_process_value_finish, cancellable,
                  callback, reactor)


def get_process_output_and_value(executable, args=(), env={}, path=None,
                                 reactor=None, stdinBytes=None, *,
                                 cancellable=None, callback=None,
                                 **lifetime):
    """Twisted's getProcessOutputAndValue: (out, err, exit_code).

    @stdinBytes, if given, is written to the child's standard input, which
    is then closed (it is closed at once otherwise). A child killed by a
    signal fails the call with TERMINATED. @lifetime: the lifetime
    keywords of spawn_process(). Returns a Tpx.ProcessCall.
    """
    launcher = _make_launcher(env, path, lifetime=lifetime)
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
