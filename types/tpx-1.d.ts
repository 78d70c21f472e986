
/*
 * Type Definitions for Gjs (https://gjs.guide/)
 *
 * These type definitions are automatically generated, do not edit them by hand.
 * If you found a bug fix it in `ts-for-gir` or create a bug report on https://github.com/gjsify/ts-for-gir
 */

import './tpx-1-ambient.d.ts';
import './tpx-1-import.d.ts';
/**
 * Tpx-1
 */

import type Gio from '@girs/gio-2.0';
import type GObject from '@girs/gobject-2.0';
import type GLib from '@girs/glib-2.0';

export namespace Tpx {

/**
 * What a child file descriptor is connected to.
 */
enum ChildFdKind {
    /**
     * a pipe the parent writes and the child reads
     *   (Twisted's `'w'`)
     */
    WRITE,
    /**
     * a pipe the child writes and the parent reads
     *   (Twisted's `'r'`)
     */
    READ,
    /**
     * the child's fd is a copy of a parent fd
     *   (Twisted's integer entries)
     */
    INHERIT,
    /**
     * the child's fd is a pseudo-terminal (spec letter
     *   `'p'`); every fd mapped so is the same terminal, which becomes the
     *   child's controlling terminal in a new session. Since: 1.2
     */
    PTY,
    /**
     * a duplex `AF_UNIX` stream socket (spec letter
     *   `'s'`): the parent reads and writes it through one fd. Since: 1.2
     */
    SOCKET,
}
/**
 * What [method`Tpx`.ProcessTransport.signal_tree] and
 * [method`Tpx`.ProcessTransport.stop] reach, as systemd's `KillMode=`.
 */
enum KillMode {
    /**
     * the tree is the child alone (Twisted's
     *   behaviour, the default)
     */
    PROCESS,
    /**
     * the child leads a new process group, and
     *   the tree is that group
     */
    PROCESS_GROUP,
    /**
     * the child starts in a cgroup v2 of its own, and
     *   the tree is every process in it: every descendant, double-forked
     *   daemons included
     */
    CGROUP,
}
/**
 * Errors in the `TPX_PROCESS_ERROR` domain.
 */
enum ProcessError {
    /**
     * a generic failure
     */
    FAILED,
    /**
     * the child has already been reaped
     *   (Twisted's `ProcessExitedAlready`)
     */
    EXITED_ALREADY,
    /**
     * the child exited with a non-zero code,
     *   was killed by a signal, or ended with a lost status (Twisted's
     *   `ProcessTerminated`)
     */
    TERMINATED,
    /**
     * the child wrote to its standard
     *   error where no output was expected there
     */
    UNEXPECTED_STDERR,
}
/**
 * Options of [func`Tpx`.get_process_output_async].
 * @bitfield 
 */
enum OutputFlags {
    /**
     * standard output only; any standard error output
     *   fails the call
     */
    NONE,
    /**
     * standard error is collected together with
     *   standard output, in arrival order (Twisted's `errortoo=True`)
     */
    ERRORTOO,
}
/**
 * The major version of tpx at compile time.
 */
const MAJOR_VERSION: number
/**
 * The micro version of tpx at compile time.
 */
const MICRO_VERSION: number
/**
 * The minor version of tpx at compile time.
 */
const MINOR_VERSION: number
/**
 * The version of tpx at compile time, as a string.
 */
const VERSION_S: string
/**
 * Runs a program and collects its standard output, its standard error and
 * its exit code, like Twisted's
 * `twisted.internet.utils.getProcessOutputAndValue`.
 * 
 * `stdin_bytes,` if any, is written to the child's standard input, which is
 * then closed; without it, standard input is closed at once. A child killed
 * by a signal, or whose status was lost (see
 * [method`Tpx`.ProcessStatus.get_lost]), fails the operation with
 * %TPX_PROCESS_ERROR_TERMINATED, and
 * [func`Tpx`.get_process_output_and_value_finish] still gives what it wrote;
 * it does too after a timeout (%G_IO_ERROR_TIMED_OUT).
 * `launcher` is not modified.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout.
 * 
 * `callback` runs in the thread-default main context of the caller.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param stdin_bytes bytes to write to the child's standard input
 * @param cancellable a [class`Gio`.Cancellable]
 * @param callback called once the child has ended, or   on failure
 */
function get_process_output_and_value_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, stdin_bytes: GLib.Bytes | null, cancellable: Gio.Cancellable | null, callback: Gio.AsyncReadyCallback<Z> | null): void

// Overloads of get_process_output_and_value_async

/**
 * Promisified version of {@link get_process_output_and_value_async}
 * 
 * Runs a program and collects its standard output, its standard error and
 * its exit code, like Twisted's
 * `twisted.internet.utils.getProcessOutputAndValue`.
 * 
 * `stdin_bytes,` if any, is written to the child's standard input, which is
 * then closed; without it, standard input is closed at once. A child killed
 * by a signal, or whose status was lost (see
 * [method`Tpx`.ProcessStatus.get_lost]), fails the operation with
 * %TPX_PROCESS_ERROR_TERMINATED, and
 * [func`Tpx`.get_process_output_and_value_finish] still gives what it wrote;
 * it does too after a timeout (%G_IO_ERROR_TIMED_OUT).
 * `launcher` is not modified.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout.
 * 
 * `callback` runs in the thread-default main context of the caller.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param stdin_bytes bytes to write to the child's standard input
 * @param cancellable a [class`Gio`.Cancellable]
 * @returns A Promise of: %TRUE if the child exited (with any exit code)
 */
function get_process_output_and_value_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, stdin_bytes: GLib.Bytes | null, cancellable: Gio.Cancellable | null): globalThis.Promise<[ /* out */ GLib.Bytes | null, /* err */ GLib.Bytes | null, /* exit_code */ number ]>
/**
 * Gets the result of [func`Tpx`.get_process_output_and_value_async].
 * 
 * When the child was killed by a signal or its status was lost, this
 * returns %FALSE with %TPX_PROCESS_ERROR_TERMINATED, and `out` and `err`
 * still hold what the child wrote before it died (`exit_code` is -1); so do
 * they when the launcher's timeout stopped it (%G_IO_ERROR_TIMED_OUT). On
 * any other failure (spawn
 * failure, cancellation) `out` and `err` are set to %NULL and `exit_code` to -1.
 * @param result the [iface`Gio`.AsyncResult] given to the callback
 * @returns %TRUE if the child exited (with any exit code)
 */
function get_process_output_and_value_finish(result: Gio.AsyncResult): [ /* returnType */ boolean, /* out */ GLib.Bytes | null, /* err */ GLib.Bytes | null, /* exit_code */ number ]
/**
 * Runs a program and collects its standard output, like Twisted's
 * `twisted.internet.utils.getProcessOutput`.
 * 
 * The child's standard input is closed at once: it reads end of file. The
 * result is everything the child wrote to its standard output, whatever its
 * exit code or signal (as in Twisted). With %TPX_OUTPUT_FLAGS_ERRORTOO,
 * standard error is collected into the same bytes, in the order it arrived.
 * Without it, the first bytes the child writes to its standard error fail the
 * operation at once with %TPX_PROCESS_ERROR_UNEXPECTED_STDERR, whose message
 * holds the text received; the child's pipes are then closed (it is not
 * killed, and it is still reaped when it exits).
 * 
 * `launcher` is not modified. Its child fd map should keep the default
 * `{0: w, 1: r, 2: r}`: standard output or error that is not a pipe read by
 * the parent is not collected. With a PTY, everything the child writes
 * arrives as standard output.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout. Cancelling after
 * the child has ended does not change the result.
 * 
 * `callback` runs in the thread-default main context of the caller; call
 * [func`Tpx`.get_process_output_finish] there to get the result.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param flags options, such as %TPX_OUTPUT_FLAGS_ERRORTOO
 * @param cancellable a [class`Gio`.Cancellable]
 * @param callback called once the child has ended, or   on failure
 */
function get_process_output_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, flags: OutputFlags, cancellable: Gio.Cancellable | null, callback: Gio.AsyncReadyCallback<Z> | null): void

// Overloads of get_process_output_async

/**
 * Promisified version of {@link get_process_output_async}
 * 
 * Runs a program and collects its standard output, like Twisted's
 * `twisted.internet.utils.getProcessOutput`.
 * 
 * The child's standard input is closed at once: it reads end of file. The
 * result is everything the child wrote to its standard output, whatever its
 * exit code or signal (as in Twisted). With %TPX_OUTPUT_FLAGS_ERRORTOO,
 * standard error is collected into the same bytes, in the order it arrived.
 * Without it, the first bytes the child writes to its standard error fail the
 * operation at once with %TPX_PROCESS_ERROR_UNEXPECTED_STDERR, whose message
 * holds the text received; the child's pipes are then closed (it is not
 * killed, and it is still reaped when it exits).
 * 
 * `launcher` is not modified. Its child fd map should keep the default
 * `{0: w, 1: r, 2: r}`: standard output or error that is not a pipe read by
 * the parent is not collected. With a PTY, everything the child writes
 * arrives as standard output.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout. Cancelling after
 * the child has ended does not change the result.
 * 
 * `callback` runs in the thread-default main context of the caller; call
 * [func`Tpx`.get_process_output_finish] there to get the result.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param flags options, such as %TPX_OUTPUT_FLAGS_ERRORTOO
 * @param cancellable a [class`Gio`.Cancellable]
 * @returns A Promise of: the output of the child, or %NULL with @error set
 */
function get_process_output_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, flags: OutputFlags, cancellable: Gio.Cancellable | null): globalThis.Promise<GLib.Bytes>
/**
 * Gets the result of [func`Tpx`.get_process_output_async].
 * 
 * A spawn failure is returned here, with the error that
 * [method`Tpx`.ProcessLauncher.spawn] gives.
 * @param result the [iface`Gio`.AsyncResult] given to the callback
 * @returns the output of the child, or %NULL with @error set
 */
function get_process_output_finish(result: Gio.AsyncResult): GLib.Bytes
/**
 * Runs a program and gets its exit code, like Twisted's
 * `twisted.internet.utils.getProcessValue`.
 * 
 * The child's standard input is closed at once; what it writes to its
 * standard output and error is read and dropped. A child killed by a signal
 * fails the operation with %TPX_PROCESS_ERROR_TERMINATED, and so does one
 * whose status was lost (see [method`Tpx`.ProcessStatus.get_lost]).
 * `launcher` is not modified.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout.
 * 
 * `callback` runs in the thread-default main context of the caller; call
 * [func`Tpx`.get_process_value_finish] there to get the result.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param cancellable a [class`Gio`.Cancellable]
 * @param callback called once the child has ended, or   on failure
 */
function get_process_value_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, cancellable: Gio.Cancellable | null, callback: Gio.AsyncReadyCallback<Z> | null): void

// Overloads of get_process_value_async

/**
 * Promisified version of {@link get_process_value_async}
 * 
 * Runs a program and gets its exit code, like Twisted's
 * `twisted.internet.utils.getProcessValue`.
 * 
 * The child's standard input is closed at once; what it writes to its
 * standard output and error is read and dropped. A child killed by a signal
 * fails the operation with %TPX_PROCESS_ERROR_TERMINATED, and so does one
 * whose status was lost (see [method`Tpx`.ProcessStatus.get_lost]).
 * `launcher` is not modified.
 * 
 * Cancelling `cancellable` while the child runs stops it with
 * [method`Tpx`.ProcessTransport.stop] and `launcher'`s settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if `cancellable` is already cancelled, nothing is
 * spawned. When `launcher'`s timeout ([method`Tpx`.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names `executable` and the timeout.
 * 
 * `callback` runs in the thread-default main context of the caller; call
 * [func`Tpx`.get_process_value_finish] there to get the result.
 * @param executable the program to run: a path, or a bare name   looked up in the `PATH` of the child's environment
 * @param args the   arguments after `argv[0]`, which is `executable`
 * @param launcher the options to spawn with, or %NULL for a new   [class`Tpx`.ProcessLauncher] (an empty environment, the parent's working   directory)
 * @param cancellable a [class`Gio`.Cancellable]
 * @returns A Promise of: the exit code of the child (0–255), or -1 with @error set
 */
function get_process_value_async<Z = unknown>(executable: string, args: string[] | null, launcher: ProcessLauncher | null, cancellable: Gio.Cancellable | null): globalThis.Promise<number>
/**
 * Gets the result of [func`Tpx`.get_process_value_async].
 * @param result the [iface`Gio`.AsyncResult] given to the callback
 * @returns the exit code of the child (0–255), or -1 with @error set
 */
function get_process_value_finish(result: Gio.AsyncResult): number
/**
 * Gets the error domain of [error`Tpx`.ProcessError], also known as
 * `TPX_PROCESS_ERROR`.
 * @returns the error domain
 */
function process_error_quark(): GLib.Quark
/**
 * Starts a child with the default fd map `{0: w, 1: r, 2: r}`: Twisted's
 * `reactor.spawnProcess` for the common case. See
 * [method`Tpx`.ProcessLauncher.spawn].
 * @param protocol the protocol that receives the child's events
 * @param executable the program (see   [method`Tpx`.ProcessLauncher.spawn])
 * @param argv the   child's arguments, `argv[0]` included; %NULL or empty for just   `executable`
 * @param envp the   child's environment; %NULL for an empty one
 * @param path the child's working directory, or   %NULL for the parent's
 * @returns the transport of the running child, or %NULL
 */
function spawn_process(protocol: ProcessProtocol | null, executable: string, argv: string[] | null, envp: string[] | null, path: string | null): ProcessTransport
module LineProtocol {

    // Signal callback interfaces

    /**
     * Signal callback interface for `line-received`
     */
    interface LineReceivedSignalCallback {
        ($obj: LineProtocol, child_fd: number, line: string | null): void
    }


    // Constructor properties interface

    interface ConstructorProperties extends ProcessProtocol.ConstructorProperties {

        // Own constructor properties of Tpx-1.Tpx.LineProtocol

        /**
         * The longest line, in bytes, delivered in one piece; longer lines come
         * in pieces of at most this many bytes. It also bounds the memory the
         * protocol keeps per fd. At least 1; 65536 unless set.
         */
        maxLineLength?: number | null
    }

}

interface LineProtocol {

    // Own properties of Tpx-1.Tpx.LineProtocol

    /**
     * The longest line, in bytes, delivered in one piece; longer lines come
     * in pieces of at most this many bytes. It also bounds the memory the
     * protocol keeps per fd. At least 1; 65536 unless set.
     */
    maxLineLength: number

    // Own fields of Tpx-1.Tpx.LineProtocol

    parent_instance: ProcessProtocol & GObject.Object

    // Owm methods of Tpx-1.Tpx.LineProtocol

    /**
     * Gets [property`Tpx`.LineProtocol:max-line-length].
     * @returns the longest line delivered in one piece, in bytes
     */
    get_max_line_length(): number
    /**
     * Sets [property`Tpx`.LineProtocol:max-line-length]. It takes effect with
     * the next bytes read; an unfinished line already longer than `max` is
     * then delivered in pieces.
     * @param max the longest line delivered in one piece, in bytes; at least 1
     */
    set_max_line_length(max: number): void

    // Own virtual methods of Tpx-1.Tpx.LineProtocol

    /**
     * A line arrived, after the handlers of
     * [signal`Tpx`.LineProtocol::line-received] ran. `line` belongs to the
     * protocol and is valid only during the call. The default does nothing.
     * @virtual 
     * @param child_fd the child's fd the line came from (1 for everything a   pseudo-terminal carries)
     * @param line the line, without its `\n` (or `\r\n`), valid UTF-8
     */
    vfunc_line_received(child_fd: number, line: string): void

    // Own signals of Tpx-1.Tpx.LineProtocol

    connect(sigName: "line-received", callback: LineProtocol.LineReceivedSignalCallback): number
    connect_after(sigName: "line-received", callback: LineProtocol.LineReceivedSignalCallback): number
    emit(sigName: "line-received", child_fd: number, line: string | null, ...args: any[]): void

    // Class property signals of Tpx-1.Tpx.LineProtocol

    connect(sigName: "notify::max-line-length", callback: (($obj: LineProtocol, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::max-line-length", callback: (($obj: LineProtocol, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::max-line-length", ...args: any[]): void
    connect(sigName: "notify::transport", callback: (($obj: LineProtocol, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::transport", callback: (($obj: LineProtocol, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::transport", ...args: any[]): void
    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * A [class`Tpx`.ProcessProtocol] that reads its child's output line by line,
 * as Twisted's `LineReceiver` paired with a `ProcessProtocol`, asyncio's
 * `readline()` or a `GDataInputStream` stacked on a `GSubprocess` pipe.
 * 
 * Every pipe the parent reads (standard output, standard error, any fd
 * mapped `r`, a pseudo-terminal) is split on `\n`, each fd on its own; a
 * `\r` right before the `\n` is dropped. Each line is delivered through
 * [signal`Tpx`.LineProtocol::line-received] and then the
 * [vfunc`Tpx`.LineProtocol.line_received] virtual method, without its
 * terminator, as a string that is always valid UTF-8: bytes that are not
 * (and NUL bytes) become U+FFFD, as with [func`GLib`.utf8_make_valid], so
 * Python gets a `str` and gjs a string.
 * 
 * A line longer than [property`Tpx`.LineProtocol:max-line-length] bytes
 * (64 KiB unless set) is delivered in pieces of at most that many bytes,
 * cut between characters where the line is valid UTF-8. When a pipe
 * closes, the bytes after its last newline are delivered as a last line
 * (a `\r` there is kept: no `\n` follows it). The length counts the bytes
 * as the child wrote them: a piece in which invalid bytes were replaced can
 * be longer once each became U+FFFD.
 * 
 * Memory stays bounded whatever the child writes: per read fd, at most
 * `max-line-length` + 2 bytes for the unfinished line. The whole lines of
 * a read are never gathered anywhere: they are copied once, into a buffer
 * per thread as large as the largest read (at most 1 MiB for a pipe), to
 * be NUL-terminated in place.
 * 
 * The splitting happens in [vfunc`Tpx`.ProcessProtocol.child_data_received],
 * which then chains up, so [vfunc`Tpx`.ProcessProtocol.out_received] and
 * [vfunc`Tpx`.ProcessProtocol.err_received] still get the raw bytes. A
 * subclass that overrides `child_data_received` or `child_connection_lost`
 * chains up to keep getting lines. Use one protocol per child.
 * 
 * From Python, override `lineReceived(line)` (Twisted's name: the lines of
 * standard output) or `do_line_received(child_fd, line)` (every fd); from
 * gjs, `vfunc_line_received(child_fd, line)`.
 * @class 
 */
class LineProtocol extends ProcessProtocol {

    // Own properties of Tpx-1.Tpx.LineProtocol

    static name: string
    static $gtype: GObject.GType<LineProtocol>

    // Constructors of Tpx-1.Tpx.LineProtocol

    constructor(config?: LineProtocol.ConstructorProperties) 
    /**
     * Creates a protocol that delivers its child's output as lines, through
     * [signal`Tpx`.LineProtocol::line-received].
     * @constructor 
     * @returns a new line protocol
     */
    constructor() 
    /**
     * Creates a protocol that delivers its child's output as lines, through
     * [signal`Tpx`.LineProtocol::line-received].
     * @constructor 
     * @returns a new line protocol
     */
    static new(): LineProtocol

    // Overloads of new

    /**
     * Creates a protocol that ignores everything: useful when only the
     * transport's signals are wanted.
     * @constructor 
     * @returns a new protocol
     */
    static new(): ProcessProtocol
    _init(config?: LineProtocol.ConstructorProperties): void
}

module ProcessLauncher {

    // Constructor properties interface

    interface ConstructorProperties extends GObject.Object.ConstructorProperties {
    }

}

interface ProcessLauncher {

    // Owm methods of Tpx-1.Tpx.ProcessLauncher

    /**
     * Empties the child fd map: the child gets `/dev/null` on 0, 1 and 2 and no
     * other fd.
     */
    clear_child_fds(): void
    /**
     * Gets one variable of the child's environment.
     * @param name the variable's name
     * @returns its value, or %NULL if it is not set
     */
    getenv(name: string): string | null
    /**
     * Replaces the child's environment with a copy of the parent's current one.
     */
    inherit_environ(): void
    /**
     * Removes one entry of the child fd map: the child's `child_fd` will be
     * closed (or `/dev/null`, for 0, 1 and 2).
     * @param child_fd the fd number in the child
     */
    remove_child_fd(child_fd: number): void
    /**
     * Sets where %TPX_KILL_MODE_CGROUP creates the child's cgroup
     * (`tpx-<pid>-<n>`, removed once it is empty and the transport ended).
     * @param path a cgroup v2 directory, or %NULL for   the caller's own cgroup
     */
    set_cgroup_parent(path: string | null): void
    /**
     * Adds or replaces one entry of the child fd map (Twisted's `childFDs`).
     * @param child_fd the fd number in the child
     * @param kind what the fd is connected to
     * @param parent_fd the parent fd the child gets a copy of, for   %TPX_CHILD_FD_INHERIT; ignored otherwise
     */
    set_child_fd(child_fd: number, kind: ChildFdKind, parent_fd: number): void
    /**
     * Replaces the whole child fd map with one written in Twisted's terms:
     * comma-separated `CHILD:KIND` entries where KIND is `w` (the parent
     * writes), `r` (the parent reads), `p` (the pseudo-terminal, since 1.2),
     * `s` (a duplex socket, since 1.2) or a parent fd number the child gets a
     * copy of. The empty string is the empty map.
     * 
     * On error (`G_IO_ERROR_INVALID_ARGUMENT`), the map is left unchanged.
     * @param spec the map, as in `"0:w,1:r,2:2,3:w,4:r"`
     * @returns %TRUE if @spec was valid
     */
    set_child_fds_from_string(spec: string): boolean
    /**
     * Sets the directory the child starts in (Twisted's `path`).
     * @param path the child's working directory, or   %NULL for the parent's
     */
    set_cwd(path: string | null): void
    /**
     * Makes the kernel kill the child when the parent goes
     * (`PR_SET_PDEATHSIG`); a child whose parent died during the spawn exits
     * at once. Linux sends it when the *thread* that spawned the child ends,
     * not the process: spawn such children from a thread that outlives them
     * (the main thread), never from a worker thread of a pool or a GTask.
     * @param die whether the child gets `SIGKILL` when its parent dies
     */
    set_die_with_parent(die: boolean): void
    /**
     * Bounds the wait of a transport whose child exited while something else
     * (a grandchild, a daemon) still holds one of its pipes: that long after
     * the reap, the pipes still open are closed, what could be read until
     * then is delivered, [signal`Tpx`.ProcessTransport::child-connection-lost]
     * is emitted for each and [signal`Tpx`.ProcessTransport::process-ended]
     * follows. 0 closes them right after the reap, once what is readable now
     * has been read.
     * @param timeout_ms how long to wait for open pipes after the child was   reaped, in milliseconds; %G_MAXUINT (the default) waits for ever, as   Twisted
     */
    set_drain_timeout(timeout_ms: number): void
    /**
     * Replaces the child's whole environment.
     * @param env the   environment, as `NAME=value` strings, or %NULL for an empty one
     */
    set_environ(env: string[] | null): void
    /**
     * Makes the child run with group `gid;` it is set before the uid.
     * @param gid a group id
     */
    set_gid(gid: number): void
    /**
     * Sets what [method`Tpx`.ProcessTransport.signal_tree] and
     * [method`Tpx`.ProcessTransport.stop] reach: the child alone (the default,
     * as Twisted), a new process group the child leads, or a cgroup v2 of its
     * own that holds every descendant, daemons included. With
     * %TPX_KILL_MODE_CGROUP, [method`Tpx`.ProcessLauncher.spawn] fails with
     * `G_IO_ERROR_NOT_SUPPORTED` or `G_IO_ERROR_PERMISSION_DENIED` where no
     * writable cgroup v2 is to be had (a Flatpak sandbox, a container without
     * delegation): use %TPX_KILL_MODE_PROCESS_GROUP there.
     * @param mode what the child's tree is
     */
    set_kill_mode(mode: KillMode): void
    /**
     * Runs the child in a new session (and so a new process group), detached
     * from the parent's controlling terminal.
     * @param new_session whether the child calls `setsid()`
     */
    set_new_session(new_session: boolean): void
    /**
     * Runs the child in a new process group, so that
     * [method`Tpx`.ProcessTransport.signal_process_group] reaches it and its
     * descendants.
     * @param new_group whether the child calls `setpgid(0, 0)`
     */
    set_process_group(new_group: boolean): void
    /**
     * Sets the signal that asks the tree to end (systemd's `KillSignal=`);
     * %SIGTERM by default.
     * @param signum the signal [method`Tpx`.ProcessTransport.stop] sends first
     */
    set_stop_signal(signum: number): void
    /**
     * Sets how long the tree has to end after the stop signal (systemd's
     * `TimeoutStopSec=`); 5000 by default. 0 sends `SIGKILL` at once.
     * @param timeout_ms how long [method`Tpx`.ProcessTransport.stop] waits before   `SIGKILL`, in milliseconds
     */
    set_stop_timeout(timeout_ms: number): void
    /**
     * Limits how long the child runs (systemd's `RuntimeMaxSec=`): that long
     * after the spawn, the transport sets
     * [property`Tpx`.ProcessTransport:timed-out] and calls
     * [method`Tpx`.ProcessTransport.stop]. The output helpers then fail with
     * `G_IO_ERROR_TIMED_OUT`.
     * @param timeout_ms the longest the child may run, in milliseconds; 0 for no   limit (the default)
     */
    set_timeout(timeout_ms: number): void
    /**
     * Makes the child run as `uid`. Switching to the caller's own uid needs no
     * privilege; any other needs root, or the spawn fails with
     * `G_IO_ERROR_PERMISSION_DENIED`. A privileged parent's supplementary
     * groups are dropped in the child: only the new gid remains.
     * @param uid a user id
     */
    set_uid(uid: number): void
    /**
     * Runs the child in a new session with a new pseudo-terminal as its
     * controlling terminal on fds 0, 1 and 2 (Twisted's `usePTY`). The parent
     * reads everything the child writes as child fd 1 and writes to its fd 0.
     * It cannot be combined with a custom fd map; it is the map `0:p,1:p,2:p`,
     * and a map with %TPX_CHILD_FD_PTY entries is the way to mix a terminal
     * with pipes (`0:p,1:p,2:r` keeps standard error apart).
     * @param use_pty whether to run the child on a pseudo-terminal
     */
    set_use_pty(use_pty: boolean): void
    /**
     * Sets the size the pseudo-terminal starts with, when
     * [method`Tpx`.ProcessLauncher.set_use_pty] is set.
     * @param rows the number of rows
     * @param cols the number of columns
     */
    set_window_size(rows: number, cols: number): void
    /**
     * Sets one variable of the child's environment.
     * @param name the variable's name; it may not contain `=`
     * @param value its value
     * @param overwrite whether to replace a value that is already set
     */
    setenv(name: string, value: string, overwrite: boolean): void
    /**
     * Starts a child process with the launcher's options (Twisted's
     * `reactor.spawnProcess`). No shell is involved.
     * 
     * An empty `argv` is the same as %NULL, `{ executable }`: no child ever
     * runs with no `argv[0]` (`argc` 0), which programs do not expect.
     * 
     * A bare name is looked up as `execvp()` does, in the child's working
     * directory: each `PATH` entry in order, an empty entry (or an empty
     * `PATH`) meaning the working directory; an entry too long to join with
     * the name is skipped. A name found nowhere is `G_IO_ERROR_NOT_FOUND`, or
     * `G_IO_ERROR_PERMISSION_DENIED` if an entry had it but refused to run it,
     * and the message names the program as you wrote it.
     * 
     * The protocol's [vfunc`Tpx`.ProcessProtocol.connection_made] is called
     * before this returns. The transport's signals are emitted in the
     * thread-default main context of the calling thread. The transport keeps
     * itself alive until [signal`Tpx`.ProcessTransport::process-ended]: the
     * caller may drop its reference at once.
     * 
     * Failures are reported here, never as a child that exits 1:
     * `G_IO_ERROR_NOT_FOUND` for a missing program,
     * `G_IO_ERROR_PERMISSION_DENIED` for one that cannot be executed (or an id
     * change that is refused), `G_IO_ERROR_IS_DIRECTORY`,
     * `G_IO_ERROR_INVALID_ARGUMENT` for a bad option, and
     * `G_IO_ERROR_TOO_MANY_OPEN_FILES`. The message names the program and the
     * step that failed. A failed spawn leaves no fd and no child behind.
     * @param protocol the protocol that receives the child's events
     * @param executable the program: a path, or a name looked up in   the `PATH` of the child's environment (`/bin:/usr/bin` without one)
     * @param argv the   child's arguments, `argv[0]` included (what the child sees as its   name); %NULL or empty for just `executable`
     * @returns the transport of the running child, or %NULL
     */
    spawn(protocol: ProcessProtocol | null, executable: string, argv: string[] | null): ProcessTransport
    /**
     * Removes one variable from the child's environment.
     * @param name the variable's name
     */
    unsetenv(name: string): void

    // Class property signals of Tpx-1.Tpx.ProcessLauncher

    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * The options of a child process, and the way to start it: Twisted's
 * `reactor.spawnProcess` split into a reusable set of options and a
 * [method`Tpx`.ProcessLauncher.spawn] call.
 * 
 * A new launcher gives the child an **empty environment** (as Twisted does;
 * call [method`Tpx`.ProcessLauncher.inherit_environ] for the parent's), the
 * parent's working directory, and the fd map `{0: w, 1: r, 2: r}`: the
 * parent writes the child's standard input and reads its standard output
 * and standard error.
 * 
 * The child gets exactly the fds of the map: any other fd is closed, except
 * that an unmapped 0, 1 or 2 is opened on `/dev/null`. Any fd number below
 * the soft `RLIMIT_NOFILE` can be a child fd, and the map may move fds onto
 * each other (`{0: 1, 1: 0}`). It starts with the
 * default signal dispositions and an empty signal mask. The pipes tpx
 * creates are blocking on the child's side; an inherited fd keeps its
 * flags, since changing them would change the parent's fd as well.
 * 
 * Setters never fail. A setting that cannot work (a negative fd, `=` in an
 * environment variable name) is remembered and makes the next
 * [method`Tpx`.ProcessLauncher.spawn] fail with
 * `G_IO_ERROR_INVALID_ARGUMENT`.
 * @class 
 */
class ProcessLauncher extends GObject.Object {

    // Own properties of Tpx-1.Tpx.ProcessLauncher

    static name: string
    static $gtype: GObject.GType<ProcessLauncher>

    // Constructors of Tpx-1.Tpx.ProcessLauncher

    constructor(config?: ProcessLauncher.ConstructorProperties) 
    /**
     * Creates a launcher with an empty environment, the parent's working
     * directory and the fd map `{0: w, 1: r, 2: r}`.
     * @constructor 
     * @returns a new launcher
     */
    constructor() 
    /**
     * Creates a launcher with an empty environment, the parent's working
     * directory and the fd map `{0: w, 1: r, 2: r}`.
     * @constructor 
     * @returns a new launcher
     */
    static new(): ProcessLauncher
    _init(config?: ProcessLauncher.ConstructorProperties): void
}

module ProcessMonitor {

    // Signal callback interfaces

    /**
     * Signal callback interface for `line-received`
     */
    interface LineReceivedSignalCallback {
        ($obj: ProcessMonitor, name: string | null, child_fd: number, line: string | null): void
    }

    /**
     * Signal callback interface for `process-ended`
     */
    interface ProcessEndedSignalCallback {
        ($obj: ProcessMonitor, name: string | null, status: ProcessStatus): void
    }

    /**
     * Signal callback interface for `process-started`
     */
    interface ProcessStartedSignalCallback {
        ($obj: ProcessMonitor, name: string | null, transport: ProcessTransport): void
    }


    // Constructor properties interface

    interface ConstructorProperties extends GObject.Object.ConstructorProperties {

        // Own constructor properties of Tpx-1.Tpx.ProcessMonitor

        /**
         * How long, in milliseconds, a child that is being stopped has between
         * its stop signal and `SIGKILL`: the stop timeout of
         * [method`Tpx`.ProcessTransport.stop] (Twisted's `killTime`, 5 s). It
         * applies to children started after it is set.
         */
        killTime?: number | null
        /**
         * The longest restart delay, in milliseconds: the doubling stops there
         * (Twisted's `maxRestartDelay`, 1 hour).
         */
        maxRestartDelay?: number | null
        /**
         * The first delay, in milliseconds, before starting again a child that
         * ended within [property`Tpx`.ProcessMonitor:threshold]; it doubles with
         * each such end (Twisted's `minRestartDelay`, 1 s).
         */
        minRestartDelay?: number | null
        /**
         * How long a child must run, in milliseconds, to be started again at
         * once when it ends; one that ended sooner waits for the restart delay
         * (Twisted's `threshold`, 1 s).
         */
        threshold?: number | null
    }

}

interface ProcessMonitor {

    // Own properties of Tpx-1.Tpx.ProcessMonitor

    /**
     * How long, in milliseconds, a child that is being stopped has between
     * its stop signal and `SIGKILL`: the stop timeout of
     * [method`Tpx`.ProcessTransport.stop] (Twisted's `killTime`, 5 s). It
     * applies to children started after it is set.
     */
    killTime: number
    /**
     * The longest restart delay, in milliseconds: the doubling stops there
     * (Twisted's `maxRestartDelay`, 1 hour).
     */
    maxRestartDelay: number
    /**
     * The first delay, in milliseconds, before starting again a child that
     * ended within [property`Tpx`.ProcessMonitor:threshold]; it doubles with
     * each such end (Twisted's `minRestartDelay`, 1 s).
     */
    minRestartDelay: number
    /**
     * Whether the monitor runs: between [method`Tpx`.ProcessMonitor.start]
     * and [method`Tpx`.ProcessMonitor.stop] (Twisted's `running`). Children
     * are started only while it runs.
     */
    readonly running: boolean
    /**
     * How long a child must run, in milliseconds, to be started again at
     * once when it ends; one that ended sooner waits for the restart delay
     * (Twisted's `threshold`, 1 s).
     */
    threshold: number

    // Owm methods of Tpx-1.Tpx.ProcessMonitor

    /**
     * Adds a process to keep running (Twisted's `addProcess`). The launcher is
     * copied: changing it afterwards changes nothing here. On a running
     * monitor the process starts at once.
     * @param name a name for the process, unique in this monitor (UTF-8)
     * @param launcher the options to start it with, copied now; %NULL   for a new [class`Tpx`.ProcessLauncher] (empty environment)
     * @param executable the program to run, as for   [method`Tpx`.ProcessLauncher.spawn]
     * @param argv its   arguments, `argv[0]` included; %NULL for `{ executable }`
     * @returns %TRUE, or %FALSE with `G_IO_ERROR_EXISTS` when @name is taken
     */
    add_process(name: string, launcher: ProcessLauncher | null, executable: string, argv: string[] | null): boolean
    /**
     * Gets the names of the processes, in the order they were added.
     * @returns the names
     */
    dup_names(): string[]
    /**
     * Gets [property`Tpx`.ProcessMonitor:kill-time].
     * @returns the time between the stop signal and `SIGKILL`, in milliseconds
     */
    get_kill_time(): number
    /**
     * Gets [property`Tpx`.ProcessMonitor:max-restart-delay].
     * @returns the longest restart delay, in milliseconds
     */
    get_max_restart_delay(): number
    /**
     * Gets [property`Tpx`.ProcessMonitor:min-restart-delay].
     * @returns the first restart delay, in milliseconds
     */
    get_min_restart_delay(): number
    /**
     * Gets [property`Tpx`.ProcessMonitor:running].
     * @returns whether the monitor runs
     */
    get_running(): boolean
    /**
     * Gets [property`Tpx`.ProcessMonitor:threshold].
     * @returns the threshold, in milliseconds
     */
    get_threshold(): number
    /**
     * Gets the transport of the child of `name,` from its
     * [signal`Tpx`.ProcessMonitor::process-started] to its
     * [signal`Tpx`.ProcessMonitor::process-ended].
     * @param name the name of a process
     * @returns the transport, or %NULL when the   process has no child (or no process has that name)
     */
    get_transport(name: string): ProcessTransport | null
    /**
     * Stops the child of `name,` if it has one, and forgets the process
     * (Twisted's `removeProcess`): it is not started again, and its name can
     * be added again at once. The child still ends on its own, with
     * [signal`Tpx`.ProcessMonitor::process-ended]. Nothing happens when no
     * process has that name.
     * @param name the name of a process
     */
    remove_process(name: string): void
    /**
     * Stops the child of `name,` as [method`Tpx`.ProcessMonitor.stop] does, and
     * starts it again as soon as it has ended, without a restart delay; a
     * process waiting for its restart starts now. Its restart delay goes back
     * to [property`Tpx`.ProcessMonitor:min-restart-delay]. Does nothing on a
     * monitor that is not running, or when no process has that name.
     * @param name the name of a process
     */
    restart(name: string): void
    /**
     * Restarts every process, as [method`Tpx`.ProcessMonitor.restart] (Twisted's
     * `restartAll`).
     */
    restart_all(): void
    /**
     * Sets [property`Tpx`.ProcessMonitor:kill-time]. It applies to children
     * started afterwards.
     * @param kill_time_ms the time between the stop signal and `SIGKILL`, in   milliseconds
     */
    set_kill_time(kill_time_ms: number): void
    /**
     * Sets [property`Tpx`.ProcessMonitor:max-restart-delay].
     * @param delay_ms the longest restart delay, in milliseconds
     */
    set_max_restart_delay(delay_ms: number): void
    /**
     * Sets [property`Tpx`.ProcessMonitor:min-restart-delay].
     * @param delay_ms the first restart delay, in milliseconds
     */
    set_min_restart_delay(delay_ms: number): void
    /**
     * Sets [property`Tpx`.ProcessMonitor:threshold].
     * @param threshold_ms the threshold, in milliseconds
     */
    set_threshold(threshold_ms: number): void
    /**
     * Starts the monitor, and with it every process (Twisted's
     * `startService`). Does nothing on a running monitor.
     */
    start(): void
    /**
     * Stops the monitor (Twisted's `stopService`): every child is stopped
     * with [method`Tpx`.ProcessTransport.stop] (its stop signal, then
     * `SIGKILL` after [property`Tpx`.ProcessMonitor:kill-time]), no restart
     * waits any more, and nothing starts again until
     * [method`Tpx`.ProcessMonitor.start]. Returns at once; each child's
     * [signal`Tpx`.ProcessMonitor::process-ended] follows.
     */
    stop(): void

    // Own signals of Tpx-1.Tpx.ProcessMonitor

    connect(sigName: "line-received", callback: ProcessMonitor.LineReceivedSignalCallback): number
    connect_after(sigName: "line-received", callback: ProcessMonitor.LineReceivedSignalCallback): number
    emit(sigName: "line-received", name: string | null, child_fd: number, line: string | null, ...args: any[]): void
    connect(sigName: "process-ended", callback: ProcessMonitor.ProcessEndedSignalCallback): number
    connect_after(sigName: "process-ended", callback: ProcessMonitor.ProcessEndedSignalCallback): number
    emit(sigName: "process-ended", name: string | null, status: ProcessStatus, ...args: any[]): void
    connect(sigName: "process-started", callback: ProcessMonitor.ProcessStartedSignalCallback): number
    connect_after(sigName: "process-started", callback: ProcessMonitor.ProcessStartedSignalCallback): number
    emit(sigName: "process-started", name: string | null, transport: ProcessTransport, ...args: any[]): void

    // Class property signals of Tpx-1.Tpx.ProcessMonitor

    connect(sigName: "notify::kill-time", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::kill-time", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::kill-time", ...args: any[]): void
    connect(sigName: "notify::max-restart-delay", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::max-restart-delay", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::max-restart-delay", ...args: any[]): void
    connect(sigName: "notify::min-restart-delay", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::min-restart-delay", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::min-restart-delay", ...args: any[]): void
    connect(sigName: "notify::running", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::running", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::running", ...args: any[]): void
    connect(sigName: "notify::threshold", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::threshold", callback: (($obj: ProcessMonitor, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::threshold", ...args: any[]): void
    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * Keeps a set of named child processes running, as Twisted's
 * `twisted.runner.procmon.ProcessMonitor`: each one is started when the
 * monitor starts and started again whenever it ends, until the monitor
 * stops.
 * 
 * A child that ran for less than [property`Tpx`.ProcessMonitor:threshold]
 * is started again after a delay, which starts at
 * [property`Tpx`.ProcessMonitor:min-restart-delay] and doubles with each
 * such quick end, up to [property`Tpx`.ProcessMonitor:max-restart-delay]; a
 * child that ran longer is started again at once, and its delay goes back
 * to `min-restart-delay`. Delays count from the child's end
 * (`process-ended`). The defaults are Twisted's: 1 s, 1 s and 1 hour.
 * 
 * [method`Tpx`.ProcessMonitor.stop] stops every child, through
 * [method`Tpx`.ProcessTransport.stop] with a stop timeout of
 * [property`Tpx`.ProcessMonitor:kill-time] (5 s): the launcher's stop
 * signal, then `SIGKILL` to what is left when that time has passed.
 * [method`Tpx`.ProcessMonitor.remove_process] and
 * [method`Tpx`.ProcessMonitor.restart] stop one child the same way. Nothing
 * is started again while the monitor is stopped, and finalizing a monitor
 * stops its children.
 * 
 * Every child's output is read as lines (the rules of
 * [class`Tpx`.LineProtocol]) and emitted as
 * [signal`Tpx`.ProcessMonitor::line-received], with the process's name:
 * what procmon logs. [signal`Tpx`.ProcessMonitor::process-started] and
 * [signal`Tpx`.ProcessMonitor::process-ended] tell each child's start and
 * end.
 * 
 * A child that cannot be started at all (no such executable) counts as a
 * child that ended at once: the spawn error is logged with `g_message()`
 * (log domain `Tpx`), and the start is tried again after the delay.
 * 
 * The monitor runs its timers and starts its children in the thread-default
 * main context of the thread that created it; use it from that thread.
 * @class 
 */
class ProcessMonitor extends GObject.Object {

    // Own properties of Tpx-1.Tpx.ProcessMonitor

    static name: string
    static $gtype: GObject.GType<ProcessMonitor>

    // Constructors of Tpx-1.Tpx.ProcessMonitor

    constructor(config?: ProcessMonitor.ConstructorProperties) 
    /**
     * Creates a monitor with no processes, not running, with Twisted's
     * defaults. It uses the thread-default main context of the calling
     * thread.
     * @constructor 
     * @returns a new process monitor
     */
    constructor() 
    /**
     * Creates a monitor with no processes, not running, with Twisted's
     * defaults. It uses the thread-default main context of the calling
     * thread.
     * @constructor 
     * @returns a new process monitor
     */
    static new(): ProcessMonitor
    _init(config?: ProcessMonitor.ConstructorProperties): void
}

module ProcessProtocol {

    // Constructor properties interface

    interface ConstructorProperties extends GObject.Object.ConstructorProperties {
    }

}

interface ProcessProtocol {

    // Own properties of Tpx-1.Tpx.ProcessProtocol

    /**
     * The transport of the child this protocol is connected to, or %NULL
     * before [vfunc`Tpx`.ProcessProtocol.connection_made] and after the
     * transport is gone. The protocol does not keep the transport alive.
     */
    readonly transport: ProcessTransport

    // Own fields of Tpx-1.Tpx.ProcessProtocol

    parent_instance: GObject.Object

    // Owm methods of Tpx-1.Tpx.ProcessProtocol

    /**
     * Gets the transport of the child this protocol is connected to.
     * @returns the transport, or %NULL
     */
    get_transport(): ProcessTransport | null

    // Own virtual methods of Tpx-1.Tpx.ProcessProtocol

    /**
     * A pipe to the child closed (Twisted's `childConnectionLost`). The
     * default calls [vfunc`Tpx`.ProcessProtocol.in_connection_lost],
     * [vfunc`Tpx`.ProcessProtocol.out_connection_lost] or
     * [vfunc`Tpx`.ProcessProtocol.err_connection_lost] for fds 0, 1 and 2, and
     * ignores other fds.
     * @virtual 
     * @param child_fd the child's fd whose pipe closed
     */
    vfunc_child_connection_lost(child_fd: number): void
    /**
     * Bytes arrived from a pipe the parent reads (Twisted's
     * `childDataReceived`). The default calls
     * [vfunc`Tpx`.ProcessProtocol.data_received] if the subclass overrides it;
     * otherwise [vfunc`Tpx`.ProcessProtocol.out_received] for fd 1 and
     * [vfunc`Tpx`.ProcessProtocol.err_received] for fd 2, ignoring other fds.
     * @virtual 
     * @param child_fd the child's fd the bytes came from
     * @param data the bytes
     */
    vfunc_child_data_received(child_fd: number, data: GLib.Bytes): void
    /**
     * The child is running. Called during [method`Tpx`.ProcessLauncher.spawn],
     * before it returns, once the transport is set: the place to write the
     * child's first input (Twisted's `connectionMade`). The default does
     * nothing.
     * @virtual 
     * @param transport the transport of the child that was just started
     */
    vfunc_connection_made(transport: ProcessTransport): void
    /**
     * Bytes arrived from a pipe the parent reads, as a plain array: the data
     * path made for bindings. Python (`do_data_received`) gets `bytes`, gjs
     * (`vfunc_data_received`) a `Uint8Array`, so that no `GLib.Bytes` wrapper
     * per chunk waits for a garbage collection (gjs keeps every one of them
     * alive until its next collection, and may refuse a callback while it
     * collects). The default [vfunc`Tpx`.ProcessProtocol.child_data_received]
     * calls it, instead of [vfunc`Tpx`.ProcessProtocol.out_received] and
     * [vfunc`Tpx`.ProcessProtocol.err_received], when a subclass overrides it;
     * C code keeps the zero-copy `GBytes` of those.
     * @virtual 
     * @param child_fd the child's fd the bytes came from (1 for everything a   pseudo-terminal carries)
     * @param data the bytes, valid during   the call
     */
    vfunc_data_received(child_fd: number, data: Uint8Array): void
    /**
     * The child's standard error closed (Twisted's `errConnectionLost`). The
     * default does nothing.
     * @virtual 
     */
    vfunc_err_connection_lost(): void
    /**
     * Bytes arrived from the child's standard error (Twisted's
     * `errReceived`). The default does nothing.
     * @virtual 
     * @param data the bytes
     */
    vfunc_err_received(data: GLib.Bytes): void
    /**
     * The child's standard input closed (Twisted's `inConnectionLost`). The
     * default does nothing.
     * @virtual 
     */
    vfunc_in_connection_lost(): void
    /**
     * The child's standard output closed (Twisted's `outConnectionLost`). The
     * default does nothing.
     * @virtual 
     */
    vfunc_out_connection_lost(): void
    /**
     * Bytes arrived from the child's standard output (Twisted's
     * `outReceived`). The default does nothing.
     * @virtual 
     * @param data the bytes
     */
    vfunc_out_received(data: GLib.Bytes): void
    /**
     * The child has been reaped and every pipe is closed (Twisted's
     * `processEnded`): always the last call, made exactly once. The default
     * does nothing.
     * @virtual 
     * @param status how the child ended
     */
    vfunc_process_ended(status: ProcessStatus): void
    /**
     * The child has been reaped; some pipes may still be open (Twisted's
     * `processExited`). The default does nothing.
     * @virtual 
     * @param status how the child ended
     */
    vfunc_process_exited(status: ProcessStatus): void

    // Class property signals of Tpx-1.Tpx.ProcessProtocol

    connect(sigName: "notify::transport", callback: (($obj: ProcessProtocol, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::transport", callback: (($obj: ProcessProtocol, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::transport", ...args: any[]): void
    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * The receiving end of a child process, as Twisted's `ProcessProtocol`.
 * 
 * Subclass it and override the virtual methods you care about: the
 * transport calls them as the child's life goes on, each one after the
 * user handlers of the matching [class`Tpx`.ProcessTransport] signal.
 * [vfunc`Tpx`.ProcessProtocol.connection_made] runs while the child is being
 * spawned, before the spawn call returns.
 * 
 * The default [vfunc`Tpx`.ProcessProtocol.child_data_received] sends standard
 * output to [vfunc`Tpx`.ProcessProtocol.out_received] and standard error to
 * [vfunc`Tpx`.ProcessProtocol.err_received]; the default
 * [vfunc`Tpx`.ProcessProtocol.child_connection_lost] sends fds 0, 1 and 2 to
 * the `in_`, `out_` and `err_connection_lost` methods. Every other default
 * does nothing.
 * 
 * From Python, override `do_out_received` and friends; from gjs,
 * `vfunc_out_received` and friends.
 * @class 
 */
class ProcessProtocol extends GObject.Object {

    // Own properties of Tpx-1.Tpx.ProcessProtocol

    static name: string
    static $gtype: GObject.GType<ProcessProtocol>

    // Constructors of Tpx-1.Tpx.ProcessProtocol

    constructor(config?: ProcessProtocol.ConstructorProperties) 
    /**
     * Creates a protocol that ignores everything: useful when only the
     * transport's signals are wanted.
     * @constructor 
     * @returns a new protocol
     */
    constructor() 
    /**
     * Creates a protocol that ignores everything: useful when only the
     * transport's signals are wanted.
     * @constructor 
     * @returns a new protocol
     */
    static new(): ProcessProtocol
    _init(config?: ProcessProtocol.ConstructorProperties): void
}

module ProcessStatus {

    // Constructor properties interface

    interface ConstructorProperties extends GObject.Object.ConstructorProperties {
    }

}

interface ProcessStatus {

    // Own properties of Tpx-1.Tpx.ProcessStatus

    /**
     * The exit code, or -1 when the child was killed by a signal.
     */
    readonly exitCode: number
    /**
     * Whether the child's status was lost: the child has ended, but how is
     * unknown. See [method`Tpx`.ProcessStatus.get_lost].
     */
    readonly lost: boolean
    /**
     * The wait status, as `waitpid()` reports it, or -1 when the status
     * was lost.
     */
    readonly rawStatus: number
    /**
     * The signal that killed the child, or 0 when it exited.
     */
    readonly signal: number

    // Owm methods of Tpx-1.Tpx.ProcessStatus

    /**
     * Turns a failed end into an error, like Twisted's `ProcessTerminated`:
     * `TPX_PROCESS_ERROR_TERMINATED` with a message such as "exited with
     * code 3" or "killed by signal 9 (Killed)". A lost status fails too, with
     * a message that says the status is unknown.
     * @returns %TRUE if the child exited with code 0
     */
    check(): boolean
    /**
     * Whether the signal that killed the child also dumped a core.
     * @returns %TRUE if a core was dumped
     */
    get_core_dumped(): boolean
    /**
     * Gets the code the child passed to `exit()`.
     * @returns the exit code, or -1 when the child was killed by a signal or   its status was lost
     */
    get_exit_code(): number
    /**
     * Whether the child's status was lost: the child has ended, but the kernel
     * no longer had its status to give. That happens when the program ignores
     * `SIGCHLD` (`SIG_IGN`) or sets `SA_NOCLDWAIT`, which make the kernel
     * discard the statuses of all its children, or when other code of the
     * program reaped the child first (`waitpid (-1, …)`).
     * 
     * The end is reported all the same, once:
     * [signal`Tpx`.ProcessTransport::process-exited] and
     * [signal`Tpx`.ProcessTransport::process-ended] each come exactly once. A
     * lost status has exit code -1, signal 0 and raw status -1; it is not a
     * success, [method`Tpx`.ProcessStatus.check] fails with
     * `TPX_PROCESS_ERROR_TERMINATED`, and the resource usage is 0.
     * @returns %TRUE if the status was lost
     */
    get_lost(): boolean
    /**
     * Gets the child's peak resident set size.
     * @returns kibibytes, or 0 when unknown
     */
    get_max_rss_kb(): number
    /**
     * Gets the wait status, to decode with `WIFEXITED()` and friends.
     * 
     * When the status was lost (see [method`Tpx`.ProcessStatus.get_lost]) this
     * is -1, which none of `WIFEXITED()`, `WIFSIGNALED()`, `WIFSTOPPED()` and
     * `WIFCONTINUED()` accepts.
     * @returns the wait status, or -1 when it was lost
     */
    get_raw_status(): number
    /**
     * Gets the signal that killed the child.
     * @returns the signal number, or 0 when the child exited or its status   was lost
     */
    get_signal(): number
    /**
     * Gets the CPU time the kernel spent on behalf of the child.
     * @returns microseconds, or 0 when unknown
     */
    get_system_time_us(): number
    /**
     * Gets the CPU time the child spent in user mode, from its resource usage.
     * @returns microseconds, or 0 when unknown
     */
    get_user_time_us(): number
    /**
     * Whether the child exited with code 0 (Twisted's `ProcessDone`). A lost
     * status is not a success.
     * @returns %TRUE on a clean exit
     */
    is_success(): boolean

    // Class property signals of Tpx-1.Tpx.ProcessStatus

    connect(sigName: "notify::exit-code", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::exit-code", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::exit-code", ...args: any[]): void
    connect(sigName: "notify::lost", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::lost", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::lost", ...args: any[]): void
    connect(sigName: "notify::raw-status", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::raw-status", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::raw-status", ...args: any[]): void
    connect(sigName: "notify::signal", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::signal", callback: (($obj: ProcessStatus, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::signal", ...args: any[]): void
    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * How a child ended: its exit code or the signal that killed it, the raw
 * wait status and its resource usage.
 * 
 * A status is immutable. [method`Tpx`.ProcessStatus.is_success] is
 * Twisted's `ProcessDone` (exit code 0); anything else is Twisted's
 * `ProcessTerminated`, which [method`Tpx`.ProcessStatus.check] turns into a
 * `TPX_PROCESS_ERROR_TERMINATED` error.
 * 
 * A status can also be *lost*: when the kernel no longer had it to give
 * (the program ignores `SIGCHLD` or sets `SA_NOCLDWAIT`, or some other
 * code reaped the child with `waitpid (-1, …)`), the child's end is still
 * reported, once, with a status whose [method`Tpx`.ProcessStatus.get_lost]
 * is %TRUE: exit code -1, signal 0, not a success. tpx never makes up an
 * exit code.
 * @class 
 */
class ProcessStatus extends GObject.Object {

    // Own properties of Tpx-1.Tpx.ProcessStatus

    static name: string
    static $gtype: GObject.GType<ProcessStatus>

    // Constructors of Tpx-1.Tpx.ProcessStatus

    constructor(config?: ProcessStatus.ConstructorProperties) 
    _init(config?: ProcessStatus.ConstructorProperties): void
}

module ProcessTransport {

    // Signal callback interfaces

    /**
     * Signal callback interface for `child-connection-lost`
     */
    interface ChildConnectionLostSignalCallback {
        ($obj: ProcessTransport, child_fd: number): void
    }

    /**
     * Signal callback interface for `child-data`
     */
    interface ChildDataSignalCallback {
        ($obj: ProcessTransport, child_fd: number, data: GLib.Bytes): void
    }

    /**
     * Signal callback interface for `data-received`
     */
    interface DataReceivedSignalCallback {
        ($obj: ProcessTransport, child_fd: number, data: Uint8Array): void
    }

    /**
     * Signal callback interface for `process-ended`
     */
    interface ProcessEndedSignalCallback {
        ($obj: ProcessTransport, status: ProcessStatus): void
    }

    /**
     * Signal callback interface for `process-exited`
     */
    interface ProcessExitedSignalCallback {
        ($obj: ProcessTransport, status: ProcessStatus): void
    }

    /**
     * Signal callback interface for `write-drained`
     */
    interface WriteDrainedSignalCallback {
        ($obj: ProcessTransport, child_fd: number): void
    }


    // Constructor properties interface

    interface ConstructorProperties extends GObject.Object.ConstructorProperties {
    }

}

interface ProcessTransport {

    // Own properties of Tpx-1.Tpx.ProcessTransport

    /**
     * The child's process id; still readable after it exited.
     */
    readonly pid: number
    /**
     * The protocol the transport reports to, if any.
     */
    readonly protocol: ProcessProtocol
    /**
     * How the child ended, or %NULL while it has not been reaped.
     */
    readonly status: ProcessStatus
    /**
     * Whether the launcher's timeout expired (and the transport then
     * stopped the child's tree). See
     * [method`Tpx`.ProcessLauncher.set_timeout].
     */
    readonly timedOut: boolean

    // Owm methods of Tpx-1.Tpx.ProcessTransport

    /**
     * Closes one of the child's pipes (Twisted's `closeChildFD`). A pipe the
     * parent writes is closed once its queue is written, so the child reads
     * every byte and then end of file; a pipe the parent reads stops being
     * read at once. [signal`Tpx`.ProcessTransport::child-connection-lost]
     * follows from the main loop. It does nothing on a pseudo-terminal.
     * @param child_fd a child fd
     */
    close_child_fd(child_fd: number): void
    /**
     * Stops reading the child's standard error and closes it (Twisted's
     * `closeStderr`). Does nothing on a pseudo-terminal.
     */
    close_stderr(): void
    /**
     * Closes the child's standard input once what is queued is written
     * (Twisted's `closeStdin`). Does nothing on a pseudo-terminal.
     */
    close_stdin(): void
    /**
     * Stops reading the child's standard output and closes it (Twisted's
     * `closeStdout`). Does nothing on a pseudo-terminal.
     */
    close_stdout(): void
    /**
     * Counts the live processes of the child's tree: 1 or 0 for
     * %TPX_KILL_MODE_PROCESS, the members of the process group or of the
     * cgroup otherwise.
     * @returns the number of live processes in the tree
     */
    get_n_tree_processes(): number
    /**
     * Gets the child's process id. It stays readable after the child exited,
     * but then names no process of ours: use
     * [method`Tpx`.ProcessTransport.send_signal], never `kill()`.
     * @returns the process id
     */
    get_pid(): number
    /**
     * Gets the protocol the transport reports to.
     * @returns the protocol
     */
    get_protocol(): ProcessProtocol | null
    /**
     * Gets how the child ended.
     * @returns the status, or %NULL until the child   has been reaped
     */
    get_status(): ProcessStatus | null
    /**
     * Gets whether the launcher's timeout expired; see
     * [property`Tpx`.ProcessTransport:timed-out].
     * @returns %TRUE once the timeout stopped the child
     */
    get_timed_out(): boolean
    /**
     * Gets how many bytes wait in the queue of one of the child's pipes.
     * @param child_fd a child fd
     * @returns the number of queued bytes; 0 for an fd that is not a write pipe
     */
    get_write_buffer_size(child_fd: number): number
    /**
     * Closes every pipe to the child, write pipes once their queues are
     * written (Twisted's `loseConnection`). A pseudo-terminal is closed at
     * once and input still queued for it is dropped: the child gets a hang-up,
     * and could not read it any more. The child is not killed.
     */
    lose_connection(): void
    /**
     * Stops reading every pipe from the child; a child that keeps writing
     * blocks once a pipe is full. Nothing is lost.
     */
    pause_producing(): void
    /**
     * Starts reading the child's pipes again after
     * [method`Tpx`.ProcessTransport.pause_producing].
     */
    resume_producing(): void
    /**
     * Sends a signal to the child. Through a pidfd, the signal can never reach
     * another process that reused the child's pid.
     * @param signum a signal number, 0 … 64; 0 only checks that the child is alive
     * @returns %TRUE if the signal was sent; %FALSE with   `TPX_PROCESS_ERROR_EXITED_ALREADY` once the child has been reaped, or   `G_IO_ERROR_INVALID_ARGUMENT` for a number out of range
     */
    send_signal(signum: number): boolean
    /**
     * Resizes the child's pseudo-terminal; the child gets `SIGWINCH`.
     * @param rows the number of rows
     * @param cols the number of columns
     * @returns %TRUE on success; %FALSE with `G_IO_ERROR_NOT_SUPPORTED` for a   child without a pseudo-terminal, or `G_IO_ERROR_CLOSED` once it is   closed
     */
    set_window_size(rows: number, cols: number): boolean
    /**
     * Sends a signal to the child, by name (Twisted's `signalProcess`).
     * @param signal a signal name as in Twisted (`"KILL"`, `"TERM"`, `"INT"`,   `"HUP"`, `"QUIT"`, `"USR1"`, …, with or without `"SIG"`) or a decimal   number 0 … 64
     * @returns %TRUE if the signal was sent; %FALSE with   `G_IO_ERROR_INVALID_ARGUMENT` for an unknown name, or   `TPX_PROCESS_ERROR_EXITED_ALREADY` once the child has been reaped
     */
    signal_process(signal: string): boolean
    /**
     * Sends a signal to the child's whole process group: the child and every
     * descendant that stayed in its group. The child must have been started
     * with [method`Tpx`.ProcessLauncher.set_new_session],
     * [method`Tpx`.ProcessLauncher.set_process_group] or a pseudo-terminal;
     * otherwise this fails with `G_IO_ERROR_NOT_SUPPORTED`.
     * @param signal a signal name or number, as for   [method`Tpx`.ProcessTransport.signal_process]
     * @returns %TRUE if the signal was sent
     */
    signal_process_group(signal: string): boolean
    /**
     * Sends a signal to the child's whole tree, as the launcher's kill mode
     * defines it ([enum`Tpx`.KillMode]): the child alone, its process group,
     * or every process of its cgroup. After the child was reaped it still
     * reaches what is left of a process group or a cgroup. Any thread may
     * call it.
     * @param signal a signal name or number, as for   [method`Tpx`.ProcessTransport.signal_process]
     * @returns %TRUE if the signal was sent; %FALSE with   `TPX_PROCESS_ERROR_EXITED_ALREADY` once nothing of the tree is left,   or `G_IO_ERROR_INVALID_ARGUMENT` for an unknown signal
     */
    signal_tree(signal: string): boolean
    /**
     * Ends the child's tree gracefully, in one call (systemd's stop): the
     * launcher's stop signal (%SIGTERM unless
     * [method`Tpx`.ProcessLauncher.set_stop_signal] said otherwise) goes to the
     * tree of the launcher's kill mode, and `SIGKILL` follows if anything of
     * the tree is still alive after the stop timeout (5 s unless
     * [method`Tpx`.ProcessLauncher.set_stop_timeout] said otherwise; 0 sends
     * `SIGKILL` at once). It returns at once;
     * [signal`Tpx`.ProcessTransport::process-ended] follows as always. Calling
     * it again does nothing. Any thread may call it.
     */
    stop(): void
    /**
     * Waits for [signal`Tpx`.ProcessTransport::process-ended], the GIO way, so
     * that Python and gjs (`Gio._promisify`) can `await` a child. Called after
     * the end, it completes at the next iteration of the caller's
     * thread-default main context. Cancelling fails the wait with
     * `G_IO_ERROR_CANCELLED` and does nothing to the child.
     * @param cancellable a #GCancellable
     * @param callback what to call once the transport ended
     */
    wait_async(cancellable: Gio.Cancellable | null, callback: Gio.AsyncReadyCallback<this> | null): void

    // Overloads of wait_async

    /**
     * Promisified version of {@link wait_async}
     * 
     * Waits for [signal`Tpx`.ProcessTransport::process-ended], the GIO way, so
     * that Python and gjs (`Gio._promisify`) can `await` a child. Called after
     * the end, it completes at the next iteration of the caller's
     * thread-default main context. Cancelling fails the wait with
     * `G_IO_ERROR_CANCELLED` and does nothing to the child.
     * @param cancellable a #GCancellable
     * @returns A Promise of: how the child ended, or %NULL with   `G_IO_ERROR_CANCELLED`
     */
    wait_async(cancellable: Gio.Cancellable | null): globalThis.Promise<ProcessStatus>
    /**
     * Finishes [method`Tpx`.ProcessTransport.wait_async].
     * @param result the #GAsyncResult given to the callback
     * @returns how the child ended, or %NULL with   `G_IO_ERROR_CANCELLED`
     */
    wait_finish(result: Gio.AsyncResult): ProcessStatus
    /**
     * Writes to the child's standard input (Twisted's `write`). It never
     * blocks: what the pipe cannot take now is queued. Once standard input is
     * closed, the data is dropped.
     * @param data the bytes
     */
    write(data: Uint8Array): void
    /**
     * Like [method`Tpx`.ProcessTransport.write]; a queued `bytes` is referenced,
     * not copied.
     * @param bytes the bytes
     */
    write_bytes(bytes: GLib.Bytes): void
    /**
     * Like [method`Tpx`.ProcessTransport.write_to_child]; a queued `bytes` is
     * referenced, not copied.
     * @param child_fd a child fd mapped as %TPX_CHILD_FD_WRITE
     * @param bytes the bytes
     * @returns %TRUE if the data was written or queued
     */
    write_bytes_to_child(child_fd: number, bytes: GLib.Bytes): boolean
    /**
     * Writes to one of the child's pipes (Twisted's `writeToChild`), without
     * blocking.
     * @param child_fd a child fd mapped as %TPX_CHILD_FD_WRITE
     * @param data the bytes
     * @returns %TRUE if the data was written or queued; %FALSE with   `G_IO_ERROR_NOT_FOUND` if @child_fd is not a pipe the parent writes, or   `G_IO_ERROR_CLOSED` if it is closed
     */
    write_to_child(child_fd: number, data: Uint8Array): boolean

    // Own signals of Tpx-1.Tpx.ProcessTransport

    connect(sigName: "child-connection-lost", callback: ProcessTransport.ChildConnectionLostSignalCallback): number
    connect_after(sigName: "child-connection-lost", callback: ProcessTransport.ChildConnectionLostSignalCallback): number
    emit(sigName: "child-connection-lost", child_fd: number, ...args: any[]): void
    connect(sigName: "child-data", callback: ProcessTransport.ChildDataSignalCallback): number
    connect_after(sigName: "child-data", callback: ProcessTransport.ChildDataSignalCallback): number
    emit(sigName: "child-data", child_fd: number, data: GLib.Bytes, ...args: any[]): void
    connect(sigName: "data-received", callback: ProcessTransport.DataReceivedSignalCallback): number
    connect_after(sigName: "data-received", callback: ProcessTransport.DataReceivedSignalCallback): number
    emit(sigName: "data-received", child_fd: number, data: Uint8Array, ...args: any[]): void
    connect(sigName: "process-ended", callback: ProcessTransport.ProcessEndedSignalCallback): number
    connect_after(sigName: "process-ended", callback: ProcessTransport.ProcessEndedSignalCallback): number
    emit(sigName: "process-ended", status: ProcessStatus, ...args: any[]): void
    connect(sigName: "process-exited", callback: ProcessTransport.ProcessExitedSignalCallback): number
    connect_after(sigName: "process-exited", callback: ProcessTransport.ProcessExitedSignalCallback): number
    emit(sigName: "process-exited", status: ProcessStatus, ...args: any[]): void
    connect(sigName: "write-drained", callback: ProcessTransport.WriteDrainedSignalCallback): number
    connect_after(sigName: "write-drained", callback: ProcessTransport.WriteDrainedSignalCallback): number
    emit(sigName: "write-drained", child_fd: number, ...args: any[]): void

    // Class property signals of Tpx-1.Tpx.ProcessTransport

    connect(sigName: "notify::pid", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::pid", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::pid", ...args: any[]): void
    connect(sigName: "notify::protocol", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::protocol", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::protocol", ...args: any[]): void
    connect(sigName: "notify::status", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::status", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::status", ...args: any[]): void
    connect(sigName: "notify::timed-out", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    connect_after(sigName: "notify::timed-out", callback: (($obj: ProcessTransport, pspec: GObject.ParamSpec) => void)): number
    emit(sigName: "notify::timed-out", ...args: any[]): void
    connect(sigName: string, callback: (...args: any[]) => void): number
    connect_after(sigName: string, callback: (...args: any[]) => void): number
    emit(sigName: string, ...args: any[]): void
    disconnect(id: number): void
}

/**
 * One running child process, as Twisted's process transport: write to its
 * pipes, close them, signal it, and hear about everything it does through
 * signals and the virtual methods of its [class`Tpx`.ProcessProtocol].
 * 
 * A child's life produces, in this order:
 * [signal`Tpx`.ProcessTransport::child-data] as bytes arrive,
 * [signal`Tpx`.ProcessTransport::child-connection-lost] as each pipe closes,
 * [signal`Tpx`.ProcessTransport::write-drained] when queued writes are done,
 * [signal`Tpx`.ProcessTransport::process-exited] once the child is reaped,
 * and [signal`Tpx`.ProcessTransport::process-ended] when it is reaped *and*
 * every pipe is closed: always last, exactly once. A child that leaves a
 * grandchild holding one of its pipes ends only when that pipe closes, as
 * in Twisted.
 * 
 * Writes never block: what the pipe cannot take at once is queued and
 * written, in order, as the child reads. Closing a write pipe first writes
 * what is queued. Nothing is ever killed implicitly: dropping references
 * or calling [method`Tpx`.ProcessTransport.lose_connection] only closes
 * pipes.
 * 
 * The transport keeps itself alive while the child runs, so the caller may
 * drop its reference right after spawning; the last reference the library
 * holds goes after `process-ended`. Signals are emitted in the thread-default
 * main context of the thread that spawned the child, which may be another
 * thread's: a worker thread may spawn into the context the main thread
 * runs. The transport's methods are then to be called from the thread that
 * runs that context, except [method`Tpx`.ProcessTransport.send_signal] and
 * [method`Tpx`.ProcessTransport.signal_process], which any thread may call.
 * 
 * Handlers and virtual methods may iterate the main context (a modal
 * dialog, a nested main loop): the transport's own events wait until the
 * handler returns, so their order holds; other transports go on.
 * 
 * To write to a pipe whose child has gone away is not fatal, whatever the
 * application does with `SIGPIPE`: tpx ignores it process-wide at start-up
 * when it still has its default disposition (as GIO's sockets do), blocks
 * it around its own writes when the application restored the default
 * later, and reports the loss with `child-connection-lost`.
 * 
 * A transport made with g_object_new() has no child: it emits nothing, its
 * methods fail with `G_IO_ERROR_NOT_INITIALIZED` or do nothing.
 * @class 
 */
class ProcessTransport extends GObject.Object {

    // Own properties of Tpx-1.Tpx.ProcessTransport

    static name: string
    static $gtype: GObject.GType<ProcessTransport>

    // Constructors of Tpx-1.Tpx.ProcessTransport

    constructor(config?: ProcessTransport.ConstructorProperties) 
    _init(config?: ProcessTransport.ConstructorProperties): void
}

interface LineProtocolClass {

    // Own fields of Tpx-1.Tpx.LineProtocolClass

    /**
     * the parent class
     * @field 
     */
    parent_class: ProcessProtocolClass
    line_received: (self: LineProtocol, child_fd: number, line: string) => void
}

/**
 * The virtual methods of [class`Tpx`.LineProtocol].
 * @record 
 */
abstract class LineProtocolClass {

    // Own properties of Tpx-1.Tpx.LineProtocolClass

    static name: string
}

interface ProcessLauncherClass {

    // Own fields of Tpx-1.Tpx.ProcessLauncherClass

    parent_class: GObject.ObjectClass
}

abstract class ProcessLauncherClass {

    // Own properties of Tpx-1.Tpx.ProcessLauncherClass

    static name: string
}

interface ProcessMonitorClass {

    // Own fields of Tpx-1.Tpx.ProcessMonitorClass

    parent_class: GObject.ObjectClass
}

abstract class ProcessMonitorClass {

    // Own properties of Tpx-1.Tpx.ProcessMonitorClass

    static name: string
}

interface ProcessProtocolClass {

    // Own fields of Tpx-1.Tpx.ProcessProtocolClass

    /**
     * the parent class
     * @field 
     */
    parent_class: GObject.ObjectClass
    connection_made: (self: ProcessProtocol, transport: ProcessTransport) => void
    child_data_received: (self: ProcessProtocol, child_fd: number, data: GLib.Bytes) => void
    child_connection_lost: (self: ProcessProtocol, child_fd: number) => void
    out_received: (self: ProcessProtocol, data: GLib.Bytes) => void
    err_received: (self: ProcessProtocol, data: GLib.Bytes) => void
    in_connection_lost: (self: ProcessProtocol) => void
    out_connection_lost: (self: ProcessProtocol) => void
    err_connection_lost: (self: ProcessProtocol) => void
    process_exited: (self: ProcessProtocol, status: ProcessStatus) => void
    process_ended: (self: ProcessProtocol, status: ProcessStatus) => void
    data_received: (self: ProcessProtocol, child_fd: number, data: Uint8Array) => void
}

/**
 * The virtual methods of [class`Tpx`.ProcessProtocol]. The transport calls
 * each one after the user handlers of the matching
 * [class`Tpx`.ProcessTransport] signal.
 * @record 
 */
abstract class ProcessProtocolClass {

    // Own properties of Tpx-1.Tpx.ProcessProtocolClass

    static name: string
}

interface ProcessStatusClass {

    // Own fields of Tpx-1.Tpx.ProcessStatusClass

    parent_class: GObject.ObjectClass
}

abstract class ProcessStatusClass {

    // Own properties of Tpx-1.Tpx.ProcessStatusClass

    static name: string
}

interface ProcessTransportClass {

    // Own fields of Tpx-1.Tpx.ProcessTransportClass

    parent_class: GObject.ObjectClass
}

abstract class ProcessTransportClass {

    // Own properties of Tpx-1.Tpx.ProcessTransportClass

    static name: string
}

/**
 * Name of the imported GIR library
 * @see https://gitlab.gnome.org/GNOME/gjs/-/blob/master/gi/ns.cpp#L188
 */
const __name__: string
/**
 * Version of the imported GIR library
 * @see https://gitlab.gnome.org/GNOME/gjs/-/blob/master/gi/ns.cpp#L189
 */
const __version__: string
}

export default Tpx;
// END