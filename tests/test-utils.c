/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 20000

/* One pending async call: the callback records its result here. */
typedef struct {
  gboolean      done;
  guint         n_calls;
  GAsyncResult *result;
  GMainContext *context;   /* thread-default context the callback ran in */
  GCancellable *cancel_in_callback;
} Waiter;

static void
waiter_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Waiter *w = user_data;

  g_assert_null (source);
  w->n_calls++;
  g_set_object (&w->result, result);
  w->context = g_main_context_get_thread_default ();
  w->done = TRUE;

  if (w->cancel_in_callback != NULL)
    g_cancellable_cancel (w->cancel_in_callback);
}

static void
waiter_wait (Waiter *w)
{
  tpx_test_run_until (&w->done, TIMEOUT_MS);
  g_assert_cmpuint (w->n_calls, ==, 1);
  g_assert_true (G_IS_TASK (w->result));
}

static void
waiter_clear (Waiter *w)
{
  g_clear_object (&w->result);
}

/* Whether this process has a child, running or zombie, without reaping it. */
static gboolean
have_children (void)
{
  siginfo_t info = { 0 };
  int r;

  do
    r = waitid (P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);

  if (r < 0)
    g_assert_cmpint (errno, ==, ECHILD);

  return r == 0;
}

static gboolean
flag_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;

  return G_SOURCE_REMOVE;
}

/* Runs the thread-default context until every child has been reaped (by the
 * library, which keeps its transports alive until then); fails on timeout. */
static void
wait_no_children (void)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, flag_timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);

  while (have_children () && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  tpx_test_assert_no_children ();
}

static void
assert_bytes_str (GBytes     *bytes,
                  const char *expected)
{
  gsize len = 0;
  const guint8 *data;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, expected, strlen (expected));
}

/* Runs the helper program with @args through tpx_get_process_output_async
 * in the thread-default context. */
static GBytes *
run_output (const char * const  *args,
            TpxProcessLauncher  *launcher,
            TpxOutputFlags       flags,
            GError             **error)
{
  Waiter w = { 0 };
  GBytes *bytes;

  tpx_get_process_output_async (tpx_test_helper_path (), args, launcher, flags,
                                NULL, waiter_cb, &w);
  g_assert_false (w.done);   /* never called back from inside _async */
  waiter_wait (&w);
  bytes = tpx_get_process_output_finish (w.result, error);
  waiter_clear (&w);

  return bytes;
}

static int
run_value (const char * const  *args,
           TpxProcessLauncher  *launcher,
           GError             **error)
{
  Waiter w = { 0 };
  int value;

  tpx_get_process_value_async (tpx_test_helper_path (), args, launcher,
                               NULL, waiter_cb, &w);
  g_assert_false (w.done);
  waiter_wait (&w);
  value = tpx_get_process_value_finish (w.result, error);
  waiter_clear (&w);

  return value;
}

static gboolean
run_output_and_value (const char          *executable,
                      const char * const  *args,
                      GBytes              *stdin_bytes,
                      GBytes             **out,
                      GBytes             **err,
                      int                 *exit_code,
                      GError             **error)
{
  Waiter w = { 0 };
  gboolean ret;

  tpx_get_process_output_and_value_async (executable, args, NULL, stdin_bytes,
                                          NULL, waiter_cb, &w);
  g_assert_false (w.done);
  waiter_wait (&w);
  ret = tpx_get_process_output_and_value_finish (w.result, out, err, exit_code, error);
  waiter_clear (&w);

  return ret;
}

/* ------------------------------------------------------------------------ */

static void
test_output_stdout (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  out = run_output ((const char * const[]) { "write-out", "hello, world", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "hello, world");

  wait_no_children ();
}

static void
test_output_argv (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autofree char *expected = NULL;

  /* argv[0] is the executable, then @args as given. */
  out = run_output ((const char * const[]) { "argv", "two words", "", "x", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s\nargv\ntwo words\n\nx\n", tpx_test_helper_path ());
  assert_bytes_str (out, expected);

  wait_no_children ();
}

static void
test_output_no_args (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  /* args NULL: the child gets only argv[0], so the helper prints its usage
   * on its standard error, which ERRORTOO collects. */
  out = run_output (NULL, NULL, TPX_OUTPUT_FLAGS_ERRORTOO, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpuint (g_bytes_get_size (out), >, 6);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), 6, "usage:", 6);

  wait_no_children ();
}

static void
test_output_errortoo (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  /* The child writes "out" to stdout, then "err" to stderr. */
  out = run_output ((const char * const[]) { "write-both", NULL },
                    NULL, TPX_OUTPUT_FLAGS_ERRORTOO, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "outerr");

  g_clear_pointer (&out, g_bytes_unref);
  out = run_output ((const char * const[]) { "write-err", "only error", NULL },
                    NULL, TPX_OUTPUT_FLAGS_ERRORTOO, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "only error");

  wait_no_children ();
}

static void
test_output_unexpected_stderr (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  Waiter w = { 0 };

  out = run_output ((const char * const[]) { "write-err", "something broke", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_UNEXPECTED_STDERR);
  g_assert_nonnull (strstr (error->message, "something broke"));
  g_assert_null (out);

  /* The transport still reaps the child after the task completed. */
  wait_no_children ();

  /* Standard output before the error does not save the call. */
  g_clear_error (&error);
  tpx_get_process_output_async (tpx_test_helper_path (),
                                (const char * const[]) { "write-both", NULL },
                                NULL, TPX_OUTPUT_FLAGS_NONE, NULL, waiter_cb, &w);
  waiter_wait (&w);
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_UNEXPECTED_STDERR);
  g_assert_nonnull (strstr (error->message, "err"));
  g_assert_null (out);

  /* Until the child is gone nothing calls back a second time. */
  wait_no_children ();
  g_assert_cmpuint (w.n_calls, ==, 1);
  waiter_clear (&w);
}

static void
test_output_unexpected_stderr_running (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  Waiter w = { 0 };
  int fds[2];

  /* The child copies its standard input, a pipe the test holds, to its
   * standard error: it lives until the test closes that pipe. */
  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  tpx_process_launcher_set_child_fd (launcher, 0, TPX_CHILD_FD_INHERIT, fds[0]);

  tpx_get_process_output_async (tpx_test_helper_path (),
                                (const char * const[]) { "echo-stderr", NULL },
                                launcher, TPX_OUTPUT_FLAGS_NONE, NULL, waiter_cb, &w);
  close (fds[0]);
  g_assert_cmpint (write (fds[1], "boom", 4), ==, 4);

  /* The call fails on the first stderr bytes, while the child still runs. */
  waiter_wait (&w);
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_UNEXPECTED_STDERR);
  g_assert_nonnull (strstr (error->message, "boom"));
  g_assert_null (out);
  g_assert_true (have_children ());

  /* Its pipes were closed: the next bytes it copies to its standard error
   * end it (EPIPE or SIGPIPE), although its standard input stays open. The
   * transport, which nobody references any more, still reaps it, and there
   * is no second callback. */
  g_assert_cmpint (write (fds[1], "more", 4), ==, 4);
  wait_no_children ();
  close (fds[1]);
  g_assert_cmpuint (w.n_calls, ==, 1);
  waiter_clear (&w);
}

static void
test_output_large (void)
{
  const gsize size = 100000000;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  const guint8 *data;
  gsize len = 0;

  out = run_output ((const char * const[]) { "big", "100000000", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);

  data = g_bytes_get_data (out, &len);
  g_assert_cmpuint (len, ==, size);
  /* Byte i of the pattern is '0' + i % 10; check a sample spread over the
   * whole buffer (a stride prime to 10), and the very end. */
  for (gsize i = 0; i < size; i += 65521)
    g_assert_cmpint (data[i], ==, '0' + (int) (i % 10));
  g_assert_cmpint (data[size - 1], ==, '9');
  g_assert_cmpint (data[size - 10], ==, '0');

  wait_no_children ();
}

static void
test_output_empty_environment (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  /* This test process has an environment (meson sets G_DEBUG and more);
   * without a launcher the child gets none of it. */
  g_assert_nonnull (g_getenv ("G_TEST_SRCDIR"));
  out = run_output ((const char * const[]) { "env", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "");

  wait_no_children ();
}

static void
test_output_launcher_options (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  tpx_process_launcher_setenv (launcher, "TPX_UTILS_TEST", "yes", TRUE);
  tpx_process_launcher_set_cwd (launcher, "/");

  out = run_output ((const char * const[]) { "env", NULL },
                    launcher, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "TPX_UTILS_TEST=yes\n");
  g_clear_pointer (&out, g_bytes_unref);

  out = run_output ((const char * const[]) { "cwd", NULL },
                    launcher, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "/\n");

  /* The caller's launcher is left as it was. */
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_UTILS_TEST"), ==, "yes");

  wait_no_children ();
}

static void
test_output_stdin_closed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  /* A child reading its standard input sees end of file at once (it would
   * block for ever, and the wait time out, otherwise). */
  out = run_output ((const char * const[]) { "count-stdin", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "0\n");

  wait_no_children ();
}

static void
test_output_killed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;

  /* As Twisted's getProcessOutput: the output, however the child ended. */
  out = run_output ((const char * const[]) { "kill-self", "9", NULL },
                    NULL, TPX_OUTPUT_FLAGS_NONE, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "");

  wait_no_children ();
}

static void
test_spawn_failure (void)
{
  const char *missing = "/nonexistent/tpx-no-such-program";
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) spawn_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  Waiter w = { 0 };
  int code = 42;

  transport = tpx_process_launcher_spawn (launcher, NULL, missing, NULL, &spawn_error);
  g_assert_null (transport);
  g_assert_error (spawn_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  tpx_get_process_output_async (missing, NULL, NULL, TPX_OUTPUT_FLAGS_NONE,
                                NULL, waiter_cb, &w);
  g_assert_false (w.done);
  waiter_wait (&w);
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_error (error, spawn_error->domain, spawn_error->code);
  g_assert_cmpstr (error->message, ==, spawn_error->message);
  g_assert_null (out);
  waiter_clear (&w);
  g_clear_error (&error);

  w = (Waiter) { 0 };
  tpx_get_process_value_async (missing, NULL, launcher, NULL, waiter_cb, &w);
  g_assert_false (w.done);
  waiter_wait (&w);
  g_assert_cmpint (tpx_get_process_value_finish (w.result, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  waiter_clear (&w);
  g_clear_error (&error);

  g_assert_false (run_output_and_value (missing, NULL, NULL, &out, &err, &code, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (out);
  g_assert_null (err);
  g_assert_cmpint (code, ==, -1);

  tpx_test_assert_no_children ();
}

static void
test_value_exit_code (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (run_value ((const char * const[]) { "exit", "0", NULL }, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (run_value ((const char * const[]) { "exit", "3", NULL }, NULL, &error), ==, 3);
  g_assert_no_error (error);
  g_assert_cmpint (run_value ((const char * const[]) { "exit", "255", NULL }, NULL, &error), ==, 255);
  g_assert_no_error (error);

  wait_no_children ();
}

static void
test_value_killed (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (run_value ((const char * const[]) { "kill-self", "9", NULL }, NULL, &error), ==, -1);
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_clear_error (&error);

  g_assert_cmpint (run_value ((const char * const[]) { "kill-self", "15", NULL }, NULL, &error), ==, -1);
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);

  wait_no_children ();
}

static void
test_value_reads_output (void)
{
  g_autoptr(GError) error = NULL;

  /* Far more than a pipe holds: the child only exits if its output is read
   * (and dropped). */
  g_assert_cmpint (run_value ((const char * const[]) { "big", "4000000", NULL }, NULL, &error), ==, 0);
  g_assert_no_error (error);

  wait_no_children ();
}

static void
test_output_and_value_echo (void)
{
  g_autoptr(GBytes) input = g_bytes_new_static ("to and fro\n", 11);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  int code = -1;

  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "echo", NULL },
                                       input, &out, &err, &code, &error));
  g_assert_no_error (error);
  assert_bytes_str (out, "to and fro\n");
  assert_bytes_str (err, "");
  g_assert_cmpint (code, ==, 0);
  g_clear_pointer (&out, g_bytes_unref);
  g_clear_pointer (&err, g_bytes_unref);

  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "echo-stderr", NULL },
                                       input, &out, &err, &code, &error));
  g_assert_no_error (error);
  assert_bytes_str (out, "");
  assert_bytes_str (err, "to and fro\n");
  g_assert_cmpint (code, ==, 0);

  wait_no_children ();
}

static void
test_output_and_value_stdin (void)
{
  const gsize size = 3 * 1024 * 1024 + 7;
  g_autoptr(GBytes) input = g_bytes_new_take (g_malloc0 (size), size);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  int code = -1;

  /* No stdin_bytes: end of file at once. */
  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "count-stdin", NULL },
                                       NULL, &out, NULL, &code, &error));
  g_assert_no_error (error);
  assert_bytes_str (out, "0\n");
  g_assert_cmpint (code, ==, 0);
  g_clear_pointer (&out, g_bytes_unref);

  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "count-stdin", NULL },
                                       empty, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_bytes_str (out, "0\n");
  g_clear_pointer (&out, g_bytes_unref);

  /* Many pipe buffers' worth: every byte arrives, then end of file. */
  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "count-stdin", NULL },
                                       input, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_bytes_str (out, "3145735\n");

  wait_no_children ();
}

static void
test_output_and_value_exit_code (void)
{
  g_autoptr(GError) error = NULL;
  int code = -1;

  /* A non-zero exit is a result, not an error; all outs are optional. */
  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "exit", "3", NULL },
                                       NULL, NULL, NULL, &code, &error));
  g_assert_no_error (error);
  g_assert_cmpint (code, ==, 3);

  g_assert_true (run_output_and_value (tpx_test_helper_path (),
                                       (const char * const[]) { "write-both", NULL },
                                       NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  wait_no_children ();
}

static void
test_output_and_value_killed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  int code = 42;

  /* Output on both pipes, then death by SIGKILL: what was written is kept. */
  g_assert_false (run_output_and_value ("/bin/sh",
                                        (const char * const[]) {
                                          "-c", "printf partial; printf oops >&2; kill -KILL $$",
                                          NULL },
                                        NULL, &out, &err, &code, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  assert_bytes_str (out, "partial");
  assert_bytes_str (err, "oops");
  g_assert_cmpint (code, ==, -1);
  g_clear_error (&error);
  g_clear_pointer (&out, g_bytes_unref);
  g_clear_pointer (&err, g_bytes_unref);

  g_assert_false (run_output_and_value (tpx_test_helper_path (),
                                        (const char * const[]) { "kill-self", "15", NULL },
                                        NULL, &out, &err, NULL, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  assert_bytes_str (out, "");
  assert_bytes_str (err, "");

  wait_no_children ();
}

/* ------------------------------------------------------------------------ */

typedef enum {
  CALL_OUTPUT,
  CALL_VALUE,
  CALL_OUTPUT_AND_VALUE,
} CallKind;

static void
start_call (CallKind            kind,
            const char * const *args,
            TpxProcessLauncher *launcher,
            GCancellable       *cancellable,
            Waiter             *w)
{
  switch (kind)
    {
    case CALL_OUTPUT:
      tpx_get_process_output_async (tpx_test_helper_path (), args, launcher,
                                    TPX_OUTPUT_FLAGS_NONE, cancellable, waiter_cb, w);
      break;
    case CALL_VALUE:
      tpx_get_process_value_async (tpx_test_helper_path (), args, launcher,
                                   cancellable, waiter_cb, w);
      break;
    case CALL_OUTPUT_AND_VALUE:
      tpx_get_process_output_and_value_async (tpx_test_helper_path (), args, launcher,
                                              NULL, cancellable, waiter_cb, w);
      break;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  GString  *text;
  gboolean  ready;
} ReadyWait;

static gboolean
ready_readable_cb (int          fd,
                   GIOCondition condition,
                   gpointer     user_data)
{
  ReadyWait *rw = user_data;
  char buffer[64];
  gssize n;

  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);
  g_assert_cmpint (n, >, 0);

  g_string_append_len (rw->text, buffer, n);
  rw->ready = strchr (rw->text->str, '\n') != NULL;

  return rw->ready ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Starts @mode with its standard output on a pipe of ours instead of the
 * transport's, and returns once the child has written its "ready" line
 * (so it has set itself up and is waiting). Closing the transport's pipes
 * cannot make such a child exit: only a signal can. @stop_timeout_ms is
 * the launcher's (cancelling stops the child with it), G_MAXUINT for the
 * default. Returns the read end of the pipe. */
static int
start_call_ready (CallKind      kind,
                  const char   *mode,
                  guint         stop_timeout_ms,
                  GCancellable *cancellable,
                  Waiter       *w)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GSource) source = NULL;
  g_autoptr(GError) error = NULL;
  ReadyWait rw = { g_string_new (NULL), FALSE };
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);

  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_INHERIT, fds[1]);
  if (stop_timeout_ms != G_MAXUINT)
    tpx_process_launcher_set_stop_timeout (launcher, stop_timeout_ms);
  start_call (kind, (const char * const[]) { mode, NULL }, launcher, cancellable, w);
  g_assert_true (have_children ());
  close (fds[1]);

  source = g_unix_fd_source_new (fds[0], G_IO_IN | G_IO_HUP);
  g_source_set_callback (source, G_SOURCE_FUNC (ready_readable_cb), &rw, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  tpx_test_run_until (&rw.ready, TIMEOUT_MS);
  g_source_destroy (source);

  g_assert_cmpstr (rw.text->str, ==, "ready\n");
  g_string_free (rw.text, TRUE);
  g_assert_false (w->done);

  return fds[0];
}

/* After the call has completed: the child is gone, so its end of our pipe
 * is closed. */
static void
assert_pipe_eof_and_close (int fd)
{
  char c;
  gssize n;

  do
    n = read (fd, &c, 1);
  while (n < 0 && errno == EINTR);
  g_assert_cmpint (n, ==, 0);
  close (fd);
}

/* Finishes the call and asserts it failed with @domain/@code. */
static void
assert_call_error (CallKind      kind,
                   GAsyncResult *result,
                   GQuark        domain,
                   int           code)
{
  g_autoptr(GError) error = NULL;

  switch (kind)
    {
    case CALL_OUTPUT:
      g_assert_null (tpx_get_process_output_finish (result, &error));
      break;
    case CALL_VALUE:
      g_assert_cmpint (tpx_get_process_value_finish (result, &error), ==, -1);
      break;
    case CALL_OUTPUT_AND_VALUE:
      {
        g_autoptr(GBytes) out = NULL;
        g_autoptr(GBytes) err = NULL;

        g_assert_false (tpx_get_process_output_and_value_finish (result, &out, &err, NULL, &error));
        g_assert_null (out);
        g_assert_null (err);
      }
      break;
    default:
      g_assert_not_reached ();
    }

  g_assert_error (error, domain, code);
}

static void
test_cancel_before_spawn (void)
{
  for (CallKind kind = CALL_OUTPUT; kind <= CALL_OUTPUT_AND_VALUE; kind++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Waiter w = { 0 };

      g_cancellable_cancel (cancellable);
      start_call (kind, (const char * const[]) { "sleep-forever", NULL }, NULL,
                  cancellable, &w);

      /* Nothing was spawned, and the callback is still to come. */
      tpx_test_assert_no_children ();
      g_assert_false (w.done);

      waiter_wait (&w);
      assert_call_error (kind, w.result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      waiter_clear (&w);
    }

  tpx_test_assert_no_children ();
}

static void
test_cancel_before_output (void)
{
  for (CallKind kind = CALL_OUTPUT; kind <= CALL_OUTPUT_AND_VALUE; kind++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Waiter w = { 0 };

      /* Cancelled right after the spawn, before the loop ever ran. */
      start_call (kind, (const char * const[]) { "sleep-forever", NULL }, NULL,
                  cancellable, &w);
      g_assert_true (have_children ());
      g_cancellable_cancel (cancellable);

      waiter_wait (&w);
      /* The child was reaped before the call completed. */
      tpx_test_assert_no_children ();
      assert_call_error (kind, w.result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      waiter_clear (&w);
    }
}

static void
cancel_running (const char *mode,
                guint       stop_timeout_ms)
{
  for (CallKind kind = CALL_OUTPUT; kind <= CALL_OUTPUT_AND_VALUE; kind++)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      Waiter w = { 0 };
      int fd;

      fd = start_call_ready (kind, mode, stop_timeout_ms, cancellable, &w);
      g_cancellable_cancel (cancellable);

      waiter_wait (&w);
      /* The child was killed and reaped before the call completed. */
      tpx_test_assert_no_children ();
      assert_call_error (kind, w.result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      assert_pipe_eof_and_close (fd);
      waiter_clear (&w);
    }
}

static void
test_cancel_running (void)
{
  /* The stop signal, SIGTERM, ends it. */
  cancel_running ("sleep-forever", G_MAXUINT);
}

static void
test_cancel_ignore_term (void)
{
  /* SIGTERM would not end this child, and it does not notice its pipes
   * closing: only SIGKILL lets the cancellation finish, here at once (a stop
   * timeout of 0; tests/test-lifetime.c checks the escalation after one). */
  cancel_running ("ignore-term", 0);
}

static gpointer
cancel_thread_func (gpointer data)
{
  g_cancellable_cancel (data);

  return NULL;
}

static void
test_cancel_from_thread (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GThread) thread = NULL;
  Waiter w = { 0 };
  int fd;

  fd = start_call_ready (CALL_OUTPUT, "sleep-forever", G_MAXUINT, cancellable, &w);

  thread = g_thread_new ("cancel", cancel_thread_func, cancellable);
  waiter_wait (&w);
  g_thread_join (g_steal_pointer (&thread));

  /* Completed in this thread's context despite the other thread. */
  g_assert_true (w.context == NULL || w.context == g_main_context_default ());
  tpx_test_assert_no_children ();
  assert_call_error (CALL_OUTPUT, w.result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_pipe_eof_and_close (fd);
  waiter_clear (&w);
}

static void
test_cancel_after_exit (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  Waiter w = { 0 };

  /* Cancelled once the child has ended (in the callback, before _finish):
   * the result stands. */
  w.cancel_in_callback = cancellable;
  tpx_get_process_output_async (tpx_test_helper_path (),
                                (const char * const[]) { "write-out", "done", NULL },
                                NULL, TPX_OUTPUT_FLAGS_NONE, cancellable, waiter_cb, &w);
  waiter_wait (&w);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "done");
  waiter_clear (&w);
  tpx_test_assert_no_children ();

  /* Cancelled after _finish: nothing happens, no second callback. */
  g_cancellable_reset (cancellable);
  w = (Waiter) { 0 };
  tpx_get_process_value_async (tpx_test_helper_path (),
                               (const char * const[]) { "exit", "7", NULL },
                               NULL, cancellable, waiter_cb, &w);
  waiter_wait (&w);
  g_assert_cmpint (tpx_get_process_value_finish (w.result, &error), ==, 7);
  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (w.n_calls, ==, 1);
  waiter_clear (&w);

  tpx_test_assert_no_children ();
}

/* ------------------------------------------------------------------------ */

static void
test_context_thread_default (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  Waiter w = { 0 };

  g_main_context_push_thread_default (context);

  tpx_get_process_output_async (tpx_test_helper_path (),
                                (const char * const[]) { "write-out", "ctx", NULL },
                                NULL, TPX_OUTPUT_FLAGS_NONE, NULL, waiter_cb, &w);

  /* Nothing happens in the global default context... */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (w.done);

  /* ...everything in the pushed one. */
  waiter_wait (&w);
  g_assert_true (w.context == context);
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_no_error (error);
  assert_bytes_str (out, "ctx");
  waiter_clear (&w);

  wait_no_children ();
  g_main_context_pop_thread_default (context);
}

typedef struct {
  GMainContext *context;
  Waiter        w;
  int           value;
  GError       *error;
} ThreadCall;

static gpointer
call_thread_func (gpointer data)
{
  ThreadCall *call = data;

  call->context = g_main_context_new ();
  g_main_context_push_thread_default (call->context);

  tpx_get_process_value_async (tpx_test_helper_path (),
                               (const char * const[]) { "exit", "5", NULL },
                               NULL, NULL, waiter_cb, &call->w);
  waiter_wait (&call->w);
  call->value = tpx_get_process_value_finish (call->w.result, &call->error);
  waiter_clear (&call->w);

  g_main_context_pop_thread_default (call->context);

  return NULL;
}

static void
test_context_other_thread (void)
{
  ThreadCall call = { 0 };
  GThread *thread;

  thread = g_thread_new ("caller", call_thread_func, &call);
  g_thread_join (thread);

  g_assert_no_error (call.error);
  g_assert_cmpint (call.value, ==, 5);
  g_assert_true (call.w.context == call.context);
  g_main_context_unref (call.context);

  tpx_test_assert_no_children ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/utils/output/stdout", test_output_stdout);
  g_test_add_func ("/tpx/utils/output/argv", test_output_argv);
  g_test_add_func ("/tpx/utils/output/no-args", test_output_no_args);
  g_test_add_func ("/tpx/utils/output/errortoo", test_output_errortoo);
  g_test_add_func ("/tpx/utils/output/unexpected-stderr", test_output_unexpected_stderr);
  g_test_add_func ("/tpx/utils/output/unexpected-stderr-running", test_output_unexpected_stderr_running);
  g_test_add_func ("/tpx/utils/output/large", test_output_large);
  g_test_add_func ("/tpx/utils/output/empty-environment", test_output_empty_environment);
  g_test_add_func ("/tpx/utils/output/launcher-options", test_output_launcher_options);
  g_test_add_func ("/tpx/utils/output/stdin-closed", test_output_stdin_closed);
  g_test_add_func ("/tpx/utils/output/killed", test_output_killed);
  g_test_add_func ("/tpx/utils/spawn-failure", test_spawn_failure);
  g_test_add_func ("/tpx/utils/value/exit-code", test_value_exit_code);
  g_test_add_func ("/tpx/utils/value/killed", test_value_killed);
  g_test_add_func ("/tpx/utils/value/reads-output", test_value_reads_output);
  g_test_add_func ("/tpx/utils/output-and-value/echo", test_output_and_value_echo);
  g_test_add_func ("/tpx/utils/output-and-value/stdin", test_output_and_value_stdin);
  g_test_add_func ("/tpx/utils/output-and-value/exit-code", test_output_and_value_exit_code);
  g_test_add_func ("/tpx/utils/output-and-value/killed", test_output_and_value_killed);
  g_test_add_func ("/tpx/utils/cancel/before-spawn", test_cancel_before_spawn);
  g_test_add_func ("/tpx/utils/cancel/before-output", test_cancel_before_output);
  g_test_add_func ("/tpx/utils/cancel/running", test_cancel_running);
  g_test_add_func ("/tpx/utils/cancel/ignore-term", test_cancel_ignore_term);
  g_test_add_func ("/tpx/utils/cancel/from-thread", test_cancel_from_thread);
  g_test_add_func ("/tpx/utils/cancel/after-exit", test_cancel_after_exit);
  g_test_add_func ("/tpx/utils/context/thread-default", test_context_thread_default);
  g_test_add_func ("/tpx/utils/context/other-thread", test_context_other_thread);

  return g_test_run ();
}
