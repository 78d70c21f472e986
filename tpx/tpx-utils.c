/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-utils.h"

#include <glib/gi18n-lib.h>

#include "tpx-process-launcher-private.h"
#include "tpx-process-status.h"
#include "tpx-process-transport.h"

/*
 * The output helpers: Twisted's `twisted.internet.utils` (getProcessOutput,
 * getProcessValue, getProcessOutputAndValue) as GTask operations.
 *
 * They use nothing but the public API: a launcher spawns the child without a
 * protocol, and one run (the task data) listens to the transport's
 * `child-data` and `process-ended` signals. The run owns a reference to the
 * transport and each signal closure owns a reference to the task, so the
 * operation stays alive by itself until it completes; completing always goes
 * through run_detach(), which breaks those references.
 *
 * Lifetime control (DESIGN.md §10.1) comes from the launcher: cancelling
 * stops the child with tpx_process_transport_stop(), so with the
 * launcher's stop signal, stop timeout and kill mode; a launcher timeout
 * that expired (the transport's timed-out) fails the call with
 * G_IO_ERROR_TIMED_OUT once process-ended came, keeping what was read as
 * a TERMINATED child does. The one thing read from the launcher besides
 * the spawn itself is its timeout, for that message.
 */

typedef enum {
  HELPER_OUTPUT,
  HELPER_VALUE,
  HELPER_OUTPUT_AND_VALUE,
} HelperKind;

typedef struct {
  HelperKind           kind;
  TpxOutputFlags       flags;

  TpxProcessTransport *transport;
  gulong               data_handler;
  gulong               ended_handler;
  GSource             *cancel_source;
  gboolean             killing;

  /* For the TIMED_OUT message. */
  char                *executable;
  guint                timeout_ms;

  /* Collected while the child runs; grown by appending (amortised linear). */
  GByteArray          *out;
  GByteArray          *err;

  /* The result of output_and_value, kept here because _finish hands out
   * out and err even when the task failed (killed by a signal). */
  GBytes              *out_bytes;
  GBytes              *err_bytes;
  int                  exit_code;
} HelperRun;

static void
run_detach (HelperRun *run)
{
  if (run->transport != NULL)
    {
      g_clear_signal_handler (&run->data_handler, run->transport);
      g_clear_signal_handler (&run->ended_handler, run->transport);
    }

  if (run->cancel_source != NULL)
    {
      g_source_destroy (run->cancel_source);
      g_clear_pointer (&run->cancel_source, g_source_unref);
    }

  g_clear_object (&run->transport);
}

static void
helper_run_free (gpointer data)
{
  HelperRun *run = data;

  run_detach (run);
  g_clear_pointer (&run->out, g_byte_array_unref);
  g_clear_pointer (&run->err, g_byte_array_unref);
  g_clear_pointer (&run->out_bytes, g_bytes_unref);
  g_clear_pointer (&run->err_bytes, g_bytes_unref);
  g_free (run->executable);
  g_free (run);
}

static void
task_closure_notify (gpointer  data,
                     GClosure *closure)
{
  g_object_unref (data);
}

static char **
build_argv (const char         *executable,
            const char * const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, executable);
  if (args != NULL)
    g_strv_builder_addv (builder, (const char **) args);

  return g_strv_builder_end (builder);
}

static GBytes *
steal_as_bytes (GByteArray **array)
{
  if (*array == NULL)
    return g_bytes_new (NULL, 0);

  return g_byte_array_free_to_bytes (g_steal_pointer (array));
}

static void
fail_on_stderr (GTask  *task,
                GBytes *data)
{
  HelperRun *run = g_task_get_task_data (task);
  g_autoptr(TpxProcessTransport) transport = g_object_ref (run->transport);
  g_autofree char *text = NULL;
  gconstpointer bytes;
  gsize len;

  bytes = g_bytes_get_data (data, &len);
  text = g_utf8_make_valid (bytes, len);

  /* Stop listening first: nothing the transport emits from now on concerns
   * this task, and it reaps the child by itself. */
  run_detach (run);
  tpx_process_transport_lose_connection (transport);

  g_task_return_new_error (task,
                           TPX_PROCESS_ERROR,
                           TPX_PROCESS_ERROR_UNEXPECTED_STDERR,
                           _("The child process wrote to its standard error: %s"),
                           text);
}

static void
child_data_cb (TpxProcessTransport *transport,
               int                  child_fd,
               GBytes              *data,
               gpointer             user_data)
{
  g_autoptr(GTask) task = g_object_ref (user_data);
  HelperRun *run = g_task_get_task_data (task);
  GByteArray *target = NULL;

  if (run->killing)
    return;

  switch (run->kind)
    {
    case HELPER_OUTPUT:
      if (child_fd == 1)
        target = run->out;
      else if (child_fd == 2 && (run->flags & TPX_OUTPUT_FLAGS_ERRORTOO) != 0)
        target = run->out;
      else if (child_fd == 2)
        {
          fail_on_stderr (task, data);
          return;
        }
      break;

    case HELPER_OUTPUT_AND_VALUE:
      if (child_fd == 1)
        target = run->out;
      else if (child_fd == 2)
        target = run->err;
      break;

    case HELPER_VALUE:
    default:
      break;
    }

  if (target != NULL)
    {
      gconstpointer bytes;
      gsize len;

      bytes = g_bytes_get_data (data, &len);
      g_byte_array_append (target, bytes, len);
    }
}

static GError *
timed_out_error (HelperRun *run)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      _("“%s” ran longer than its timeout of %u ms and was stopped"),
                      run->executable, run->timeout_ms);
}

static void
process_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_object_ref (user_data);
  HelperRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean no_exit_code;

  run_detach (run);

  if (run->killing)
    {
      /* killing is only ever set once the cancellable has been cancelled */
      g_task_return_error_if_cancelled (task);
      return;
    }

  /* Killed by a signal, or a lost status: there is no exit code to give,
   * and -1 must not pass for one. */
  no_exit_code = tpx_process_status_get_signal (status) != 0 ||
                 tpx_process_status_get_lost (status);

  /* However the child ended after that: it was stopped. */
  if (tpx_process_transport_get_timed_out (transport))
    {
      if (run->kind == HELPER_OUTPUT_AND_VALUE)
        {
          run->out_bytes = steal_as_bytes (&run->out);
          run->err_bytes = steal_as_bytes (&run->err);
        }
      g_task_return_error (task, timed_out_error (run));
      return;
    }

  switch (run->kind)
    {
    case HELPER_OUTPUT:
      /* As Twisted: the output is the result, however the child ended. */
      g_task_return_pointer (task,
                             steal_as_bytes (&run->out),
                             (GDestroyNotify) g_bytes_unref);
      break;

    case HELPER_VALUE:
      if (no_exit_code && !tpx_process_status_check (status, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_int (task, tpx_process_status_get_exit_code (status));
      break;

    case HELPER_OUTPUT_AND_VALUE:
      run->out_bytes = steal_as_bytes (&run->out);
      run->err_bytes = steal_as_bytes (&run->err);
      run->exit_code = tpx_process_status_get_exit_code (status);
      if (no_exit_code && !tpx_process_status_check (status, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  g_autoptr(GTask) task = g_object_ref (user_data);
  HelperRun *run = g_task_get_task_data (task);
  g_autoptr(TpxProcessTransport) transport = NULL;

  if (run->transport == NULL || run->killing)
    return G_SOURCE_REMOVE;

  /* Stop the child's tree (the launcher's stop signal, then SIGKILL after
   * its stop timeout; SIGKILL at once for a stop timeout of 0), stop
   * collecting, and close our ends of the pipes so that a grandchild
   * holding one cannot delay the end: the task completes with
   * G_IO_ERROR_CANCELLED on process-ended, once the child has been reaped. */
  run->killing = TRUE;
  transport = g_object_ref (run->transport);

  tpx_process_transport_stop (transport);
  tpx_process_transport_lose_connection (transport);

  return G_SOURCE_REMOVE;
}

static void
helper_start (GTask              *task,
              const char         *executable,
              const char * const *args,
              TpxProcessLauncher *launcher,
              GBytes             *stdin_bytes)
{
  HelperRun *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(TpxProcessLauncher) own_launcher = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;

  /* The result depends only on what this function does, not on when the
   * caller cancels after the child has ended. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (launcher == NULL)
    launcher = own_launcher = tpx_process_launcher_new ();

  argv = build_argv (executable, args);
  transport = tpx_process_launcher_spawn (launcher, NULL, executable,
                                          (const char * const *) argv,
                                          &error);
  if (transport == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  run->transport = g_object_ref (transport);
  run->executable = g_strdup (executable);
  run->timeout_ms = tpx_process_launcher_get_timeout_ms (launcher);

  if (run->kind != HELPER_VALUE)
    run->data_handler =
      g_signal_connect_data (transport, "child-data",
                             G_CALLBACK (child_data_cb),
                             g_object_ref (task), task_closure_notify,
                             G_CONNECT_DEFAULT);
  run->ended_handler =
    g_signal_connect_data (transport, "process-ended",
                           G_CALLBACK (process_ended_cb),
                           g_object_ref (task), task_closure_notify,
                           G_CONNECT_DEFAULT);

  if (cancellable != NULL)
    {
      run->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (run->cancel_source,
                             G_SOURCE_FUNC (cancelled_cb),
                             g_object_ref (task), g_object_unref);
      g_source_set_static_name (run->cancel_source, "[tpx] output helper cancellation");
      g_source_attach (run->cancel_source, g_task_get_context (task));
    }

  /* The caller cannot reach the transport, so nothing else would ever be
   * written: give the child its input (if any) and then end of file. */
  if (stdin_bytes != NULL)
    tpx_process_transport_write_bytes (transport, stdin_bytes);
  tpx_process_transport_close_stdin (transport);
}

static GTask *
helper_task_new (HelperKind           kind,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task;
  HelperRun *run;

  task = g_task_new (NULL, cancellable, callback, user_data);

  run = g_new0 (HelperRun, 1);
  run->kind = kind;
  run->exit_code = -1;
  if (kind != HELPER_VALUE)
    run->out = g_byte_array_new ();
  if (kind == HELPER_OUTPUT_AND_VALUE)
    run->err = g_byte_array_new ();
  g_task_set_task_data (task, run, helper_run_free);

  return task;
}

/**
 * tpx_get_process_output_async:
 * @executable: (type filename): the program to run: a path, or a bare name
 *   looked up in the `PATH` of the child's environment
 * @args: (array zero-terminated=1) (element-type filename) (nullable): the
 *   arguments after `argv[0]`, which is @executable
 * @launcher: (nullable): the options to spawn with, or %NULL for a new
 *   [class@Tpx.ProcessLauncher] (an empty environment, the parent's working
 *   directory)
 * @flags: options, such as %TPX_OUTPUT_FLAGS_ERRORTOO
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async) (nullable): called once the child has ended, or
 *   on failure
 * @user_data: data for @callback
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
 * @launcher is not modified. Its child fd map should keep the default
 * `{0: w, 1: r, 2: r}`: standard output or error that is not a pipe read by
 * the parent is not collected. With a PTY, everything the child writes
 * arrives as standard output.
 *
 * Cancelling @cancellable while the child runs stops it with
 * [method@Tpx.ProcessTransport.stop] and @launcher's settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if @cancellable is already cancelled, nothing is
 * spawned. When @launcher's timeout ([method@Tpx.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names @executable and the timeout. Cancelling after
 * the child has ended does not change the result.
 *
 * @callback runs in the thread-default main context of the caller; call
 * [func@Tpx.get_process_output_finish] there to get the result.
 *
 * Since: 1.0
 */
void
tpx_get_process_output_async (const char           *executable,
                              const char * const   *args,
                              TpxProcessLauncher   *launcher,
                              TpxOutputFlags        flags,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  HelperRun *run;

  g_return_if_fail (executable != NULL);
  g_return_if_fail (launcher == NULL || TPX_IS_PROCESS_LAUNCHER (launcher));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = helper_task_new (HELPER_OUTPUT, cancellable, callback, user_data);
  g_task_set_source_tag (task, tpx_get_process_output_async);
  g_task_set_name (task, "tpx_get_process_output_async");

  run = g_task_get_task_data (task);
  run->flags = flags;

  helper_start (task, executable, args, launcher, NULL);
}

/**
 * tpx_get_process_output_finish:
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Gets the result of [func@Tpx.get_process_output_async].
 *
 * A spawn failure is returned here, with the error that
 * [method@Tpx.ProcessLauncher.spawn] gives.
 *
 * Returns: (transfer full): the output of the child, or %NULL with @error set
 *
 * Since: 1.0
 */
GBytes *
tpx_get_process_output_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, tpx_get_process_output_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * tpx_get_process_value_async:
 * @executable: (type filename): the program to run: a path, or a bare name
 *   looked up in the `PATH` of the child's environment
 * @args: (array zero-terminated=1) (element-type filename) (nullable): the
 *   arguments after `argv[0]`, which is @executable
 * @launcher: (nullable): the options to spawn with, or %NULL for a new
 *   [class@Tpx.ProcessLauncher] (an empty environment, the parent's working
 *   directory)
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async) (nullable): called once the child has ended, or
 *   on failure
 * @user_data: data for @callback
 *
 * Runs a program and gets its exit code, like Twisted's
 * `twisted.internet.utils.getProcessValue`.
 *
 * The child's standard input is closed at once; what it writes to its
 * standard output and error is read and dropped. A child killed by a signal
 * fails the operation with %TPX_PROCESS_ERROR_TERMINATED, and so does one
 * whose status was lost (see [method@Tpx.ProcessStatus.get_lost]).
 * @launcher is not modified.
 *
 * Cancelling @cancellable while the child runs stops it with
 * [method@Tpx.ProcessTransport.stop] and @launcher's settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if @cancellable is already cancelled, nothing is
 * spawned. When @launcher's timeout ([method@Tpx.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names @executable and the timeout.
 *
 * @callback runs in the thread-default main context of the caller; call
 * [func@Tpx.get_process_value_finish] there to get the result.
 *
 * Since: 1.0
 */
void
tpx_get_process_value_async (const char           *executable,
                             const char * const   *args,
                             TpxProcessLauncher   *launcher,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (executable != NULL);
  g_return_if_fail (launcher == NULL || TPX_IS_PROCESS_LAUNCHER (launcher));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = helper_task_new (HELPER_VALUE, cancellable, callback, user_data);
  g_task_set_source_tag (task, tpx_get_process_value_async);
  g_task_set_name (task, "tpx_get_process_value_async");

  helper_start (task, executable, args, launcher, NULL);
}

/**
 * tpx_get_process_value_finish:
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Gets the result of [func@Tpx.get_process_value_async].
 *
 * Returns: the exit code of the child (0–255), or -1 with @error set
 *
 * Since: 1.0
 */
int
tpx_get_process_value_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  g_return_val_if_fail (g_async_result_is_tagged (result, tpx_get_process_value_async), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  return (int) g_task_propagate_int (G_TASK (result), error);
}

/**
 * tpx_get_process_output_and_value_async:
 * @executable: (type filename): the program to run: a path, or a bare name
 *   looked up in the `PATH` of the child's environment
 * @args: (array zero-terminated=1) (element-type filename) (nullable): the
 *   arguments after `argv[0]`, which is @executable
 * @launcher: (nullable): the options to spawn with, or %NULL for a new
 *   [class@Tpx.ProcessLauncher] (an empty environment, the parent's working
 *   directory)
 * @stdin_bytes: (nullable): bytes to write to the child's standard input
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async) (nullable): called once the child has ended, or
 *   on failure
 * @user_data: data for @callback
 *
 * Runs a program and collects its standard output, its standard error and
 * its exit code, like Twisted's
 * `twisted.internet.utils.getProcessOutputAndValue`.
 *
 * @stdin_bytes, if any, is written to the child's standard input, which is
 * then closed; without it, standard input is closed at once. A child killed
 * by a signal, or whose status was lost (see
 * [method@Tpx.ProcessStatus.get_lost]), fails the operation with
 * %TPX_PROCESS_ERROR_TERMINATED, and
 * [func@Tpx.get_process_output_and_value_finish] still gives what it wrote;
 * it does too after a timeout (%G_IO_ERROR_TIMED_OUT).
 * @launcher is not modified.
 *
 * Cancelling @cancellable while the child runs stops it with
 * [method@Tpx.ProcessTransport.stop] and @launcher's settings (its stop
 * signal, then `SIGKILL` after its stop timeout; `SIGKILL` at once with a
 * stop timeout of 0), waits until it has been reaped and completes with
 * %G_IO_ERROR_CANCELLED; if @cancellable is already cancelled, nothing is
 * spawned. When @launcher's timeout ([method@Tpx.ProcessLauncher.set_timeout])
 * expires, the child is stopped the same way and the operation fails with
 * %G_IO_ERROR_TIMED_OUT, whose message names @executable and the timeout.
 *
 * @callback runs in the thread-default main context of the caller.
 *
 * Since: 1.0
 */
void
tpx_get_process_output_and_value_async (const char           *executable,
                                        const char * const   *args,
                                        TpxProcessLauncher   *launcher,
                                        GBytes               *stdin_bytes,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (executable != NULL);
  g_return_if_fail (launcher == NULL || TPX_IS_PROCESS_LAUNCHER (launcher));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = helper_task_new (HELPER_OUTPUT_AND_VALUE, cancellable, callback, user_data);
  g_task_set_source_tag (task, tpx_get_process_output_and_value_async);
  g_task_set_name (task, "tpx_get_process_output_and_value_async");

  helper_start (task, executable, args, launcher, stdin_bytes);
}

/**
 * tpx_get_process_output_and_value_finish:
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @out: (out) (optional) (nullable) (transfer full): return location for
 *   the child's standard output
 * @err: (out) (optional) (nullable) (transfer full): return location for
 *   the child's standard error
 * @exit_code: (out) (optional): return location for the exit code
 * @error: return location for a [struct@GLib.Error]
 *
 * Gets the result of [func@Tpx.get_process_output_and_value_async].
 *
 * When the child was killed by a signal or its status was lost, this
 * returns %FALSE with %TPX_PROCESS_ERROR_TERMINATED, and @out and @err
 * still hold what the child wrote before it died (@exit_code is -1); so do
 * they when the launcher's timeout stopped it (%G_IO_ERROR_TIMED_OUT). On
 * any other failure (spawn
 * failure, cancellation) @out and @err are set to %NULL and @exit_code to -1.
 *
 * Returns: %TRUE if the child exited (with any exit code)
 *
 * Since: 1.0
 */
gboolean
tpx_get_process_output_and_value_finish (GAsyncResult  *result,
                                         GBytes       **out,
                                         GBytes       **err,
                                         int           *exit_code,
                                         GError       **error)
{
  HelperRun *run;
  gboolean ret;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, tpx_get_process_output_and_value_async), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  run = g_task_get_task_data (G_TASK (result));
  ret = g_task_propagate_boolean (G_TASK (result), error);

  if (out != NULL)
    *out = run->out_bytes != NULL ? g_bytes_ref (run->out_bytes) : NULL;
  if (err != NULL)
    *err = run->err_bytes != NULL ? g_bytes_ref (run->err_bytes) : NULL;
  if (exit_code != NULL)
    *exit_code = ret ? run->exit_code : -1;

  return ret;
}
