# SPDX-License-Identifier: LGPL-2.1-or-later
"""The output helpers from Python (twisted.internet.utils): the override's
Tpx.get_process_output/value/output_and_value, their callbacks, cancelling
and awaiting them, and the introspected *_async/*_finish functions (the
parity of tests/test-utils.c)."""

import asyncio
import os
import threading

from tpxtest import (TIMEOUT_SECONDS, GLib, Gio, Tpx, assert_error,
                     assert_no_children, have_children, helper_path,
                     io_error, process_error, run_until)
import glib_asyncio

import pytest

MISSING = "/nonexistent/tpx-no-such-program"


class Done:
    """A done-callback that counts its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, call):
        self.calls.append(call)


def wait_call(call, context=None):
    run_until(call.done, timeout=20, context=context, what="the call")
    return call


def wait_no_children():
    run_until(lambda: not have_children(), timeout=20,
              what="every child to be reaped")
    assert_no_children()


def output(args, **kwargs):
    done = Done()
    call = Tpx.get_process_output(helper_path(), args, callback=done,
                                  **kwargs)
    assert not call.done()  # never complete from inside the call
    wait_call(call)
    assert done.calls == [call]
    return call


def value(args, **kwargs):
    done = Done()
    call = Tpx.get_process_value(helper_path(), args, callback=done, **kwargs)
    assert not call.done()
    wait_call(call)
    assert done.calls == [call]
    return call


def output_and_value(args, executable=None, **kwargs):
    done = Done()
    call = Tpx.get_process_output_and_value(executable or helper_path(),
                                            args, callback=done, **kwargs)
    assert not call.done()
    wait_call(call)
    assert done.calls == [call]
    return call


def assert_call_fails(call, domain, code):
    __tracebackhide__ = True
    with pytest.raises(GLib.Error) as info:
        call.result()
    assert_error(info.value, domain, code)
    assert call.exception() is info.value
    return info.value


# -- getProcessOutput -----------------------------------------------------------

def test_output_stdout():
    assert output(["write-out", "hello, world"]).result() == b"hello, world"
    wait_no_children()


def test_output_argv():
    # argv[0] is the executable, then the args as given.
    call = output(["argv", "two words", "", "x"])
    assert call.result() == ("%s\nargv\ntwo words\n\nx\n" % helper_path()).encode()
    wait_no_children()


def test_output_no_args():
    # No args: the child gets only argv[0], so the helper prints its usage
    # on its standard error, which errortoo collects.
    call = output((), errortoo=True)
    assert call.result().startswith(b"usage:")
    wait_no_children()


def test_output_errortoo():
    assert output(["write-both"], errortoo=True).result() == b"outerr"
    assert output(["write-err", "only error"], errortoo=True).result() == \
        b"only error"
    wait_no_children()


def test_output_unexpected_stderr():
    call = output(["write-err", "something broke"])
    error = assert_call_fails(call, *process_error(
        Tpx.ProcessError.UNEXPECTED_STDERR))
    assert "something broke" in error.message
    # The transport still reaps the child after the call completed.
    wait_no_children()

    # Standard output before the error does not save the call.
    done = Done()
    call = output(["write-both"])
    call.add_done_callback(done)  # complete already: called at once
    error = assert_call_fails(call, *process_error(
        Tpx.ProcessError.UNEXPECTED_STDERR))
    assert "err" in error.message
    wait_no_children()
    assert done.calls == [call]


def test_output_unexpected_stderr_running():
    # The child copies its standard input, a pipe the test holds, to its
    # standard error: it lives until the test closes that pipe.
    read_end, write_end = os.pipe()
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(0, Tpx.ChildFdKind.INHERIT, read_end)
    results = []
    Tpx.get_process_output_async(helper_path(), ["echo-stderr"], launcher,
                                 Tpx.OutputFlags.NONE, None,
                                 lambda source, result, data: results.append(result),
                                 None)
    os.close(read_end)
    try:
        os.write(write_end, b"boom")
        # The call fails on the first stderr bytes, while the child runs.
        run_until(lambda: results, what="the callback")
        with pytest.raises(GLib.Error) as info:
            Tpx.get_process_output_finish(results[0])
        assert_error(info.value, *process_error(
            Tpx.ProcessError.UNEXPECTED_STDERR))
        assert "boom" in info.value.message
        assert have_children()

        # Its pipes were closed: the next bytes end it; the transport, that
        # nobody references, still reaps it; no second callback.
        os.write(write_end, b"more")
        wait_no_children()
    finally:
        os.close(write_end)
    assert len(results) == 1


def test_output_large():
    size = 100000000
    data = output(["big", str(size)]).result()
    assert len(data) == size
    # Byte i of the pattern is '0' + i % 10: a sample over the whole
    # buffer (a stride prime to 10), and the very end.
    for i in range(0, size, 65521):
        assert data[i] == ord("0") + i % 10, i
    assert data[-1] == ord("9")
    assert data[-10] == ord("0")
    del data
    wait_no_children()


def test_output_empty_environment():
    # This process has an environment; the default env={} gives none of it.
    assert "G_TEST_SRCDIR" in os.environ
    assert output(["env"]).result() == b""
    wait_no_children()


def test_output_launcher_options():
    # Twisted's env and path.
    assert output(["env"], env={"TPX_UTILS_TEST": "yes"}).result() == \
        b"TPX_UTILS_TEST=yes\n"
    assert output(["cwd"], path="/").result() == b"/\n"
    # env=None: this process's environment.
    lines = output(["env"], env=None).result().decode().splitlines()
    assert "G_TEST_SRCDIR=" + os.environ["G_TEST_SRCDIR"] in lines
    wait_no_children()


def test_output_stdin_closed():
    # A child reading its standard input sees end of file at once.
    assert output(["count-stdin"]).result() == b"0\n"
    wait_no_children()


def test_output_killed():
    # As Twisted's getProcessOutput: the output, however the child ended.
    assert output(["kill-self", "9"]).result() == b""
    wait_no_children()


def test_spawn_failure():
    with pytest.raises(GLib.Error) as info:
        Tpx.ProcessLauncher.new().spawn(None, MISSING, None)
    spawn_error = info.value
    assert_error(spawn_error, *io_error(Gio.IOErrorEnum.NOT_FOUND))

    calls = [Tpx.get_process_output(MISSING),
             Tpx.get_process_value(MISSING),
             Tpx.get_process_output_and_value(MISSING)]
    assert not any(call.done() for call in calls)
    for call in calls:
        wait_call(call)
        error = assert_call_fails(call, *io_error(Gio.IOErrorEnum.NOT_FOUND))
        assert error.message == spawn_error.message
    assert_no_children()


# -- getProcessValue ------------------------------------------------------------

def test_value_exit_code():
    assert value(["exit", "0"]).result() == 0
    assert value(["exit", "3"]).result() == 3
    assert value(["exit", "255"]).result() == 255
    wait_no_children()


def test_value_killed():
    for signum in ("9", "15"):
        assert_call_fails(value(["kill-self", signum]),
                          *process_error(Tpx.ProcessError.TERMINATED))
    wait_no_children()


def test_value_reads_output():
    # Far more than a pipe holds: the child only exits if its output is
    # read (and dropped).
    assert value(["big", "4000000"]).result() == 0
    wait_no_children()


# -- getProcessOutputAndValue ---------------------------------------------------

def test_output_and_value_echo():
    call = output_and_value(["echo"], stdinBytes=b"to and fro\n")
    assert call.result() == (b"to and fro\n", b"", 0)
    call = output_and_value(["echo-stderr"], stdinBytes=b"to and fro\n")
    assert call.result() == (b"", b"to and fro\n", 0)
    wait_no_children()


def test_output_and_value_stdin():
    # No stdinBytes: end of file at once.
    assert output_and_value(["count-stdin"]).result() == (b"0\n", b"", 0)
    assert output_and_value(["count-stdin"], stdinBytes=b"").result()[0] == b"0\n"
    # Many pipe buffers' worth: every byte arrives, then end of file.
    size = 3 * 1024 * 1024 + 7
    call = output_and_value(["count-stdin"], stdinBytes=bytes(size))
    assert call.result()[0] == b"%d\n" % size
    # Any bytes-like object; text is refused, as in Twisted.
    call = output_and_value(["echo"], stdinBytes=bytearray(b"bytearray"))
    assert call.result()[0] == b"bytearray"
    with pytest.raises(TypeError):
        Tpx.get_process_output_and_value(helper_path(), ["echo"],
                                         stdinBytes="text")
    wait_no_children()


def test_output_and_value_exit_code():
    # A non-zero exit is a result, not an error.
    assert output_and_value(["exit", "3"]).result() == (b"", b"", 3)
    assert output_and_value(["write-both"]).result() == (b"out", b"err", 0)
    wait_no_children()


def test_output_and_value_killed():
    # Output on both pipes, then death by SIGKILL: TERMINATED. (The partial
    # output that C gets from the failed _finish is not reachable here:
    # PyGObject drops out-arguments when a function raises.)
    call = output_and_value(
        ["-c", "printf partial; printf oops >&2; kill -KILL $$"],
        executable="/bin/sh")
    assert_call_fails(call, *process_error(Tpx.ProcessError.TERMINATED))
    call = output_and_value(["kill-self", "15"])
    assert_call_fails(call, *process_error(Tpx.ProcessError.TERMINATED))
    wait_no_children()


# -- Cancelling -----------------------------------------------------------------

KINDS = ("output", "value", "output_and_value")


def start_call(kind, args, cancellable=None, **kwargs):
    function = getattr(Tpx, "get_process_" + kind)
    return function(helper_path(), args, cancellable=cancellable, **kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_before_spawn(kind):
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    done = Done()
    call = start_call(kind, ["sleep-forever"], cancellable, callback=done)
    # Nothing was spawned, and the callback is still to come.
    assert_no_children()
    assert not call.done()
    wait_call(call)
    assert done.calls == [call]
    assert call.cancelled()
    assert_call_fails(call, *io_error(Gio.IOErrorEnum.CANCELLED))
    assert_no_children()


@pytest.mark.parametrize("kind", KINDS)
def test_cancel_before_output(kind):
    # Cancelled right after the spawn, before the loop ever ran.
    call = start_call(kind, ["sleep-forever"])
    assert have_children()
    assert call.cancel()
    wait_call(call)
    # The child was reaped before the call completed.
    assert_no_children()
    assert call.cancelled()
    assert_call_fails(call, *io_error(Gio.IOErrorEnum.CANCELLED))
    assert not call.cancel()


def start_call_ready(kind, mode, cancellable, stop_timeout_ms=None):
    """Starts @mode through the introspected *_async function with its
    standard output on a pipe of ours, and returns once the child has said
    "ready" (closing the transport's pipes cannot end it, only a signal).
    Cancelling stops the child with the launcher's @stop_timeout_ms (None:
    the default). Returns the pipe's read end and the list the callback
    appends to."""
    read_end, write_end = os.pipe()
    launcher = Tpx.ProcessLauncher.new()
    launcher.set_child_fd(1, Tpx.ChildFdKind.INHERIT, write_end)
    if stop_timeout_ms is not None:
        launcher.set_stop_timeout(stop_timeout_ms)
    results = []

    def ready_cb(source, result, data):
        results.append(result)

    if kind == "output":
        Tpx.get_process_output_async(helper_path(), [mode], launcher,
                                     Tpx.OutputFlags.NONE, cancellable,
                                     ready_cb, None)
    elif kind == "value":
        Tpx.get_process_value_async(helper_path(), [mode], launcher,
                                    cancellable, ready_cb, None)
    else:
        Tpx.get_process_output_and_value_async(helper_path(), [mode],
                                               launcher, None, cancellable,
                                               ready_cb, None)
    assert have_children()
    os.close(write_end)

    text = bytearray()

    def readable_cb(fd, condition, data):
        text.extend(os.read(fd, 64))
        return GLib.SOURCE_CONTINUE if b"\n" not in text else GLib.SOURCE_REMOVE

    GLib.unix_fd_add_full(GLib.PRIORITY_DEFAULT, read_end,
                          GLib.IOCondition.IN | GLib.IOCondition.HUP,
                          readable_cb, None)
    run_until(lambda: b"\n" in text, what="the ready line")
    assert text == b"ready\n"
    assert not results
    return read_end, results


def finish_fails_cancelled(kind, result):
    finish = getattr(Tpx, "get_process_%s_finish" % kind)
    with pytest.raises(GLib.Error) as info:
        finish(result)
    assert_error(info.value, *io_error(Gio.IOErrorEnum.CANCELLED))


@pytest.mark.parametrize("mode", ["sleep-forever", "ignore-term"])
@pytest.mark.parametrize("kind", KINDS)
def test_cancel_running(kind, mode):
    # With ignore-term, SIGTERM would not end the child and it does not
    # notice its pipes closing: only SIGKILL lets the cancel finish, here at
    # once (a stop timeout of 0; test_lifetime.py checks the escalation).
    cancellable = Gio.Cancellable()
    fd, results = start_call_ready(
        kind, mode, cancellable,
        stop_timeout_ms=0 if mode == "ignore-term" else None)
    try:
        cancellable.cancel()
        run_until(lambda: results, what="the callback")
        # The child was killed and reaped before the call completed.
        assert_no_children()
        finish_fails_cancelled(kind, results[0])
        assert os.read(fd, 1) == b""
    finally:
        os.close(fd)


def test_cancel_from_thread():
    cancellable = Gio.Cancellable()
    fd, results = start_call_ready("output", "sleep-forever", cancellable)
    try:
        thread = threading.Thread(target=cancellable.cancel)
        thread.start()
        run_until(lambda: results, what="the callback")
        thread.join()
        # Completed in this thread, despite the other thread.
        assert_no_children()
        finish_fails_cancelled("output", results[0])
        assert os.read(fd, 1) == b""
    finally:
        os.close(fd)


def test_cancel_after_exit():
    cancellable = Gio.Cancellable()

    # Cancelled once the child has ended (in the callback, before the
    # result is read): the result stands.
    call = Tpx.get_process_output(helper_path(), ["write-out", "done"],
                                  cancellable=cancellable,
                                  callback=lambda call: cancellable.cancel())
    wait_call(call)
    assert cancellable.is_cancelled()
    assert call.result() == b"done"
    assert not call.cancelled()
    assert_no_children()

    # Cancelled after the result: nothing happens, no second callback.
    cancellable.reset()
    done = Done()
    call = Tpx.get_process_value(helper_path(), ["exit", "7"],
                                 cancellable=cancellable, callback=done)
    wait_call(call)
    assert call.result() == 7
    assert not call.cancel()
    cancellable.cancel()
    while GLib.MainContext.default().iteration(False):
        pass
    assert done.calls == [call]
    assert_no_children()


# -- Main contexts --------------------------------------------------------------

def test_context_thread_default():
    context = GLib.MainContext.new()
    context.push_thread_default()
    try:
        done = Done()
        call = Tpx.get_process_output(helper_path(), ["write-out", "ctx"],
                                      callback=done)
        # Nothing happens in the global default context...
        while GLib.MainContext.default().iteration(False):
            pass
        assert not call.done()
        # ...everything in the pushed one.
        wait_call(call, context)
        assert call.result() == b"ctx"
        run_until(lambda: not have_children(), context=context,
                  what="the child to be reaped")
    finally:
        context.pop_thread_default()


def test_context_reactor_argument():
    # Twisted's reactor argument: the GLib.MainContext to run in.
    context = GLib.MainContext.new()
    seen = []
    call = Tpx.get_process_value(
        helper_path(), ["exit", "6"], reactor=context,
        callback=lambda call: seen.append(context.is_owner()))
    while GLib.MainContext.default().iteration(False):
        pass
    assert not call.done()
    wait_call(call, context)
    assert call.result() == 6
    assert seen == [True]
    run_until(lambda: not have_children(), context=context,
              what="the child to be reaped")
    with pytest.raises(TypeError):
        Tpx.get_process_value(helper_path(), ["exit", "0"], reactor=object())


def test_context_other_thread():
    results = {}

    def caller():
        try:
            context = GLib.MainContext.new()
            context.push_thread_default()
            call = Tpx.get_process_value(helper_path(), ["exit", "5"])
            wait_call(call, context)
            results["value"] = call.result()
            context.pop_thread_default()
        except BaseException as error:
            results["error"] = error

    thread = threading.Thread(target=caller)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    if "error" in results:
        raise results["error"]
    assert results["value"] == 5
    assert_no_children()


# -- The Python shapes -----------------------------------------------------------

def test_twisted_names():
    assert Tpx.getProcessOutput is Tpx.get_process_output
    assert Tpx.getProcessValue is Tpx.get_process_value
    assert Tpx.getProcessOutputAndValue is Tpx.get_process_output_and_value
    # Twisted's positional order: executable, args, env, path, reactor,
    # errortoo / stdinBytes.
    call = wait_call(Tpx.getProcessOutput(helper_path(), ["write-both"], {},
                                          "/", None, True))
    assert call.result() == b"outerr"
    call = wait_call(Tpx.getProcessOutputAndValue(
        helper_path(), ["echo"], {}, None, None, b"positional"))
    assert call.result() == (b"positional", b"", 0)
    wait_no_children()


def test_call_state():
    call = Tpx.get_process_value(helper_path(), ["exit", "2"])
    assert isinstance(call, Tpx.ProcessCall)
    assert isinstance(call.cancellable, Gio.Cancellable)
    assert "running" in repr(call)
    with pytest.raises(RuntimeError):
        call.result()
    with pytest.raises(RuntimeError):
        call.exception()
    wait_call(call)
    assert call.done()
    assert call.exception() is None
    assert call.result() == 2
    assert not call.cancelled()
    wait_no_children()


def test_raw_async_finish():
    """The introspected GTask pair, as a GLib program without the override
    shapes would call it."""
    results = []
    Tpx.get_process_output_and_value_async(
        helper_path(), ["write-both"], None, GLib.Bytes.new(b""), None,
        lambda source, result, data: results.append((source, result, data)),
        "user data")
    run_until(lambda: results, what="the callback")
    source, result, data = results[0]
    assert source is None
    assert data == "user data"
    ok, out, err, exit_code = Tpx.get_process_output_and_value_finish(result)
    assert ok
    assert (out.get_data(), err.get_data(), exit_code) == (b"out", b"err", 0)
    wait_no_children()


# -- Awaiting --------------------------------------------------------------------

def run_coroutine(coroutine):
    loop = glib_asyncio.new_event_loop()
    try:
        return loop.run_until_complete(
            asyncio.wait_for(coroutine, TIMEOUT_SECONDS))
    finally:
        loop.close()


def test_await():
    async def main():
        out = await Tpx.get_process_output(helper_path(), ["write-out", "awaited"])
        code = await Tpx.get_process_value(helper_path(), ["exit", "4"])
        both = await Tpx.get_process_output_and_value(
            helper_path(), ["echo"], stdinBytes=b"in")
        # Several at once.
        gathered = await asyncio.gather(*(
            Tpx.get_process_value(helper_path(), ["exit", str(n)])
            for n in range(5)))
        return out, code, both, gathered

    assert run_coroutine(main()) == (b"awaited", 4, (b"in", b"", 0),
                                     [0, 1, 2, 3, 4])
    assert_no_children()


def test_await_error():
    async def main():
        with pytest.raises(GLib.Error) as info:
            await Tpx.get_process_value(helper_path(), ["kill-self", "9"])
        assert_error(info.value, *process_error(Tpx.ProcessError.TERMINATED))
        # Awaiting a complete call gives its result again.
        call = Tpx.get_process_output(helper_path(), ["write-out", "twice"])
        assert await call == b"twice"
        assert await call == b"twice"
        return True

    assert run_coroutine(main())
    assert_no_children()


def test_await_task_cancelled():
    async def main():
        call = Tpx.get_process_output(helper_path(), ["sleep-forever"])
        assert have_children()

        async def waiter():
            return await call

        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)  # let the task start awaiting
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Cancelling the task cancelled the call: the child is killed.
        with pytest.raises(GLib.Error) as info:
            await call
        assert_error(info.value, *io_error(Gio.IOErrorEnum.CANCELLED))
        assert call.cancelled()
        return True

    assert run_coroutine(main())
    assert_no_children()
