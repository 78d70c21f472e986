/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-test-common.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#define N_RECORDED_FDS G_N_ELEMENTS (((TpxTestRecorder *) NULL)->data)

const char *
tpx_test_helper_path (void)
{
  static char *path;

  if (g_once_init_enter (&path))
    {
      char *built = g_test_build_filename (G_TEST_BUILT, "helpers", "tpx-test-child", NULL);

      g_once_init_leave (&path, built);
    }

  return path;
}

char **
tpx_test_helper_argv (const char *mode,
                      ...)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  const char *arg;
  va_list args;
  char **argv;

  g_strv_builder_add (builder, tpx_test_helper_path ());
  g_strv_builder_add (builder, mode);

  va_start (args, mode);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (args);

  argv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return argv;
}

guint
tpx_test_count_fds (void)
{
  DIR *dir;
  struct dirent *entry;
  guint count = 0;

  dir = opendir ("/proc/self/fd");
  g_assert_nonnull (dir);

  while ((entry = readdir (dir)) != NULL)
    {
      if (!g_ascii_isdigit (entry->d_name[0]))
        continue;
      if (g_ascii_strtoll (entry->d_name, NULL, 10) == dirfd (dir))
        continue;
      count++;
    }

  closedir (dir);

  return count;
}

void
tpx_test_assert_no_children (void)
{
  siginfo_t info = { 0 };
  int r;

  /* WNOWAIT: look without reaping, so that a child the library still has to
   * reap is reported here rather than stolen from it. */
  do
    r = waitid (P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);

  if (r == 0 && info.si_pid != 0)
    g_test_message ("child %d is a zombie nobody reaped", (int) info.si_pid);
  else if (r == 0)
    g_test_message ("this process still has a running child");
  g_assert_cmpint (r, ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;

  return G_SOURCE_REMOVE;
}

void
tpx_test_run_until (const gboolean *flag,
                    guint           timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timeout = NULL;
  gboolean timed_out = FALSE;

  if (*flag)
    return;

  timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);

  while (!*flag && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);

  if (!*flag)
    g_test_message ("timed out after %u ms waiting for an event", timeout_ms);
  g_assert_true (*flag);
}

static void
child_data_cb (TpxProcessTransport *transport,
               int                  child_fd,
               GBytes              *data,
               gpointer             user_data)
{
  TpxTestRecorder *rec = user_data;
  g_autofree char *event = g_strdup_printf ("data:%d", child_fd);
  const char *last = NULL;

  if (rec->events->len > 0)
    last = g_ptr_array_index (rec->events, rec->events->len - 1);

  if (g_strcmp0 (last, event) != 0)
    g_ptr_array_add (rec->events, g_steal_pointer (&event));

  if (child_fd >= 0 && (guint) child_fd < N_RECORDED_FDS)
    {
      gsize len = 0;
      const guint8 *bytes = g_bytes_get_data (data, &len);

      g_byte_array_append (rec->data[child_fd], bytes, len);
    }
}

static void
child_connection_lost_cb (TpxProcessTransport *transport,
                          int                  child_fd,
                          gpointer             user_data)
{
  TpxTestRecorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup_printf ("lost:%d", child_fd));
}

static void
write_drained_cb (TpxProcessTransport *transport,
                  int                  child_fd,
                  gpointer             user_data)
{
  TpxTestRecorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup_printf ("drained:%d", child_fd));
}

static void
process_exited_cb (TpxProcessTransport *transport,
                   TpxProcessStatus    *status,
                   gpointer             user_data)
{
  TpxTestRecorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup ("exited"));
  g_set_object (&rec->exit_status, status);
  rec->exited = TRUE;
}

static void
process_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  TpxTestRecorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup ("ended"));
  g_set_object (&rec->end_status, status);
  rec->n_ended++;
  rec->ended = TRUE;
}

TpxTestRecorder *
tpx_test_recorder_new (TpxProcessTransport *transport)
{
  TpxTestRecorder *rec;

  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));

  rec = g_new0 (TpxTestRecorder, 1);
  rec->transport = g_object_ref (transport);
  rec->events = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_RECORDED_FDS; i++)
    rec->data[i] = g_byte_array_new ();

  g_signal_connect (transport, "child-data", G_CALLBACK (child_data_cb), rec);
  g_signal_connect (transport, "child-connection-lost", G_CALLBACK (child_connection_lost_cb), rec);
  g_signal_connect (transport, "write-drained", G_CALLBACK (write_drained_cb), rec);
  g_signal_connect (transport, "process-exited", G_CALLBACK (process_exited_cb), rec);
  g_signal_connect (transport, "process-ended", G_CALLBACK (process_ended_cb), rec);

  return rec;
}

void
tpx_test_recorder_free (TpxTestRecorder *rec)
{
  if (rec == NULL)
    return;

  g_signal_handlers_disconnect_by_data (rec->transport, rec);
  g_clear_object (&rec->transport);
  g_clear_pointer (&rec->events, g_ptr_array_unref);
  for (guint i = 0; i < N_RECORDED_FDS; i++)
    g_clear_pointer (&rec->data[i], g_byte_array_unref);
  g_clear_object (&rec->exit_status);
  g_clear_object (&rec->end_status);
  g_free (rec);
}

void
tpx_test_recorder_wait (TpxTestRecorder *rec,
                        guint            timeout_ms)
{
  tpx_test_run_until (&rec->ended, timeout_ms);
}

const char *
tpx_test_recorder_text (TpxTestRecorder *rec,
                        int              child_fd)
{
  GByteArray *array;
  guint len;

  g_assert_cmpint (child_fd, >=, 0);
  g_assert_cmpint (child_fd, <, N_RECORDED_FDS);

  /* Put a NUL just past the data without counting it: later data simply
   * overwrites it. */
  array = rec->data[child_fd];
  len = array->len;
  g_byte_array_append (array, (const guint8 *) "", 1);
  g_byte_array_set_size (array, len);

  return (const char *) array->data;
}

char *
tpx_test_recorder_trace (TpxTestRecorder *rec)
{
  GString *trace = g_string_new (NULL);

  for (guint i = 0; i < rec->events->len; i++)
    {
      if (i > 0)
        g_string_append_c (trace, ' ');
      g_string_append (trace, g_ptr_array_index (rec->events, i));
    }

  return g_string_free (trace, FALSE);
}

void
tpx_test_assert_exited (TpxProcessStatus *status,
                        int               code)
{
  g_assert_nonnull (status);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, 0);
  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, code);
}

void
tpx_test_assert_killed (TpxProcessStatus *status,
                        int               signum)
{
  g_assert_nonnull (status);
  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, -1);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, signum);
}

TpxProcessTransport *
tpx_test_spawn_helper (TpxProcessLauncher *launcher,
                const char * const *argv)
{
  g_autoptr(TpxProcessLauncher) own = NULL;
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;

  if (launcher == NULL)
    launcher = own = tpx_process_launcher_new ();

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), argv, &error);
  g_assert_no_error (error);
  g_assert_nonnull (transport);

  return transport;
}

TpxTestRecorder *
tpx_test_run_helper_argv (TpxProcessLauncher *launcher,
              const char * const *argv,
              guint               timeout_ms)
{
  g_autoptr(TpxProcessTransport) transport = tpx_test_spawn_helper (launcher, argv);
  TpxTestRecorder *rec = tpx_test_recorder_new (transport);

  tpx_test_recorder_wait (rec, timeout_ms);

  return rec;
}

TpxTestRecorder *
tpx_test_run_helper (TpxProcessLauncher *launcher,
                     const char         *mode,
                     guint               timeout_ms)
{
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, NULL);

  return tpx_test_run_helper_argv (launcher, (const char * const *) argv, timeout_ms);
}
