/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * TpxProcessMonitor: names, the order of its signals, Twisted's restart
 * back-off (with small delays set through the properties), stopping with
 * a child that ignores SIGTERM, removing and restarting, finalizing a
 * running monitor (DESIGN.md §10.3).
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 20000

/* ------------------------------------------------------------------ */
/* Recording what a monitor emits */

typedef struct {
  TpxProcessMonitor *monitor;
  GPtrArray         *events;      /* char *: "started:NAME", "line:NAME:FD:LINE", "ended:NAME:STATUS" */
  GArray            *started_at;  /* gint64 µs, of every process-started */
  GArray            *ended_at;    /* gint64 µs, of every process-ended */
  TpxProcessStatus  *last_status;
  guint              n_started;
  guint              n_ended;
  guint              n_lines;
  guint              wait_started;  /* run_until_started/_ended targets */
  guint              wait_ended;
  guint              wait_lines;
  gboolean           reached;
  gboolean           same_names;  /* a name may be reused while its old child ends */
} Recorder;

static char *
describe_status (TpxProcessStatus *status)
{
  if (tpx_process_status_get_signal (status) != 0)
    return g_strdup_printf ("signal %d", tpx_process_status_get_signal (status));
  return g_strdup_printf ("exit %d", tpx_process_status_get_exit_code (status));
}

static void
check_reached (Recorder *rec)
{
  rec->reached = rec->n_started >= rec->wait_started &&
                 rec->n_ended >= rec->wait_ended &&
                 rec->n_lines >= rec->wait_lines;
}

static void
process_started_cb (TpxProcessMonitor   *monitor,
                    const char          *name,
                    TpxProcessTransport *transport,
                    gpointer             user_data)
{
  Recorder *rec = user_data;
  gint64 now = g_get_monotonic_time ();

  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));
  g_assert_true (tpx_process_monitor_get_transport (monitor, name) == transport);

  g_ptr_array_add (rec->events, g_strdup_printf ("started:%s", name));
  g_array_append_val (rec->started_at, now);
  rec->n_started++;
  check_reached (rec);
}

static void
process_ended_cb (TpxProcessMonitor *monitor,
                  const char        *name,
                  TpxProcessStatus  *status,
                  gpointer           user_data)
{
  Recorder *rec = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *how = describe_status (status);

  /* What comes next is decided: the child is gone already. */
  if (!rec->same_names)
    g_assert_null (tpx_process_monitor_get_transport (monitor, name));

  g_ptr_array_add (rec->events, g_strdup_printf ("ended:%s:%s", name, how));
  g_array_append_val (rec->ended_at, now);
  g_set_object (&rec->last_status, status);
  rec->n_ended++;
  check_reached (rec);
}

static void
line_received_cb (TpxProcessMonitor *monitor,
                  const char        *name,
                  int                child_fd,
                  const char        *line,
                  gpointer           user_data)
{
  Recorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup_printf ("line:%s:%d:%s", name, child_fd, line));
  rec->n_lines++;
  check_reached (rec);
}

static Recorder *
recorder_new (void)
{
  Recorder *rec = g_new0 (Recorder, 1);

  rec->monitor = tpx_process_monitor_new ();
  rec->events = g_ptr_array_new_with_free_func (g_free);
  rec->started_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  rec->ended_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (rec->monitor, "process-started", G_CALLBACK (process_started_cb), rec);
  g_signal_connect (rec->monitor, "process-ended", G_CALLBACK (process_ended_cb), rec);
  g_signal_connect (rec->monitor, "line-received", G_CALLBACK (line_received_cb), rec);

  return rec;
}

/* Stops the monitor, waits for every child to end, frees everything. */
static void
recorder_free (Recorder *rec)
{
  tpx_process_monitor_stop (rec->monitor);
  while (rec->n_ended < rec->n_started)
    {
      rec->wait_ended = rec->n_started;
      check_reached (rec);
      tpx_test_run_until (&rec->reached, TIMEOUT_MS);
    }
  g_signal_handlers_disconnect_by_data (rec->monitor, rec);
  g_object_unref (rec->monitor);
  g_ptr_array_unref (rec->events);
  g_array_unref (rec->started_at);
  g_array_unref (rec->ended_at);
  g_clear_object (&rec->last_status);
  g_free (rec);
  tpx_test_assert_no_children ();
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Recorder, recorder_free)

static void
wait_for (Recorder *rec,
          guint     started,
          guint     ended,
          guint     lines)
{
  rec->wait_started = started;
  rec->wait_ended = ended;
  rec->wait_lines = lines;
  check_reached (rec);
  tpx_test_run_until (&rec->reached, TIMEOUT_MS);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms: to see that something does not happen. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag_cb, &done);
  tpx_test_run_until (&done, ms + TIMEOUT_MS);
}

static char *
events_text (Recorder *rec)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < rec->events->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '|');
      g_string_append (out, g_ptr_array_index (rec->events, i));
    }

  return g_string_free (out, FALSE);
}

static void
add_helper (Recorder   *rec,
            const char *name,
            const char *mode,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) tpx_test_helper_path ());
  g_ptr_array_add (argv, (gpointer) mode);
  va_start (args, mode);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_assert_true (tpx_process_monitor_add_process (rec->monitor, name, NULL, tpx_test_helper_path (),
                                                  (const char * const *) argv->pdata, &error));
  g_assert_no_error (error);
}

static gint64
ms_between (GArray *from,
            guint   i,
            GArray *to,
            guint   j)
{
  return (g_array_index (to, gint64, j) - g_array_index (from, gint64, i)) / 1000;
}

/* ------------------------------------------------------------------ */
/* Properties and names */

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_properties (void)
{
  g_autoptr(TpxProcessMonitor) monitor = tpx_process_monitor_new ();
  guint threshold, min_delay, max_delay, kill_time;
  gboolean running = TRUE;
  guint notified = 0;

  g_object_get (monitor, "threshold", &threshold, "min-restart-delay", &min_delay,
                "max-restart-delay", &max_delay, "kill-time", &kill_time,
                "running", &running, NULL);
  g_assert_cmpuint (threshold, ==, 1000);
  g_assert_cmpuint (min_delay, ==, 1000);
  g_assert_cmpuint (max_delay, ==, 3600000);
  g_assert_cmpuint (kill_time, ==, 5000);
  g_assert_false (running);

  g_signal_connect (monitor, "notify", G_CALLBACK (count_notify_cb), &notified);
  tpx_process_monitor_set_threshold (monitor, 10);
  tpx_process_monitor_set_threshold (monitor, 10);
  tpx_process_monitor_set_min_restart_delay (monitor, 20);
  tpx_process_monitor_set_max_restart_delay (monitor, 30);
  g_object_set (monitor, "kill-time", 40, NULL);
  g_assert_cmpuint (notified, ==, 4);
  g_assert_cmpuint (tpx_process_monitor_get_threshold (monitor), ==, 10);
  g_assert_cmpuint (tpx_process_monitor_get_min_restart_delay (monitor), ==, 20);
  g_assert_cmpuint (tpx_process_monitor_get_max_restart_delay (monitor), ==, 30);
  g_assert_cmpuint (tpx_process_monitor_get_kill_time (monitor), ==, 40);

  tpx_process_monitor_start (monitor);
  tpx_process_monitor_start (monitor);
  g_assert_true (tpx_process_monitor_get_running (monitor));
  tpx_process_monitor_stop (monitor);
  g_assert_false (tpx_process_monitor_get_running (monitor));
  g_assert_cmpuint (notified, ==, 6);
}

static void
test_names (void)
{
  g_autoptr(TpxProcessMonitor) monitor = tpx_process_monitor_new ();
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  names = tpx_process_monitor_dup_names (monitor);
  g_assert_cmpstrv (names, ((const char * const[]) { NULL }));
  g_clear_pointer (&names, g_strfreev);

  g_assert_true (tpx_process_monitor_add_process (monitor, "one", launcher, "/bin/true", NULL, &error));
  g_assert_true (tpx_process_monitor_add_process (monitor, "two", NULL, "/bin/true", NULL, &error));
  g_assert_no_error (error);

  g_assert_false (tpx_process_monitor_add_process (monitor, "one", NULL, "/bin/false", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "one"));
  g_clear_error (&error);

  names = tpx_process_monitor_dup_names (monitor);
  g_assert_cmpstrv (names, ((const char * const[]) { "one", "two", NULL }));
  g_clear_pointer (&names, g_strfreev);

  /* Not running: nothing started. */
  g_assert_null (tpx_process_monitor_get_transport (monitor, "one"));
  g_assert_null (tpx_process_monitor_get_transport (monitor, "nobody"));

  tpx_process_monitor_remove_process (monitor, "one");
  tpx_process_monitor_remove_process (monitor, "nobody");
  g_assert_true (tpx_process_monitor_add_process (monitor, "one", NULL, "/bin/true", NULL, &error));
  g_assert_no_error (error);
  names = tpx_process_monitor_dup_names (monitor);
  g_assert_cmpstrv (names, ((const char * const[]) { "two", "one", NULL }));
}

/* The launcher is copied at add: changing it afterwards changes nothing. */
static void
test_launcher_copied (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("env", NULL);
  g_autofree char *events = NULL;

  tpx_process_launcher_setenv (launcher, "TPX_MONITOR", "copied", TRUE);
  g_assert_true (tpx_process_monitor_add_process (rec->monitor, "env", launcher, argv[0],
                                                  (const char * const *) argv, &error));
  g_assert_no_error (error);
  tpx_process_launcher_setenv (launcher, "TPX_MONITOR", "changed", TRUE);
  tpx_process_launcher_setenv (launcher, "OTHER", "added", TRUE);

  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 1, 1, 0);
  tpx_process_monitor_stop (rec->monitor);

  events = events_text (rec);
  g_assert_cmpstr (events, ==, "started:env|line:env:1:TPX_MONITOR=copied|ended:env:exit 0");
}

/* ------------------------------------------------------------------ */
/* Signals */

static void
test_signals_in_order (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autofree char *events = NULL;

  add_helper (rec, "sleeper", "sleep-forever", NULL);
  tpx_process_monitor_start (rec->monitor);
  g_assert_cmpuint (rec->n_started, ==, 1);
  g_assert_nonnull (tpx_process_monitor_get_transport (rec->monitor, "sleeper"));

  wait_for (rec, 1, 0, 1);
  tpx_process_monitor_stop (rec->monitor);
  wait_for (rec, 1, 1, 1);

  events = events_text (rec);
  g_assert_cmpstr (events, ==, "started:sleeper|line:sleeper:1:ready|ended:sleeper:signal 15");

  /* A stopped monitor starts nothing again. */
  run_for (300);
  g_assert_cmpuint (rec->n_started, ==, 1);
}

static void
test_add_while_running (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autofree char *events = NULL;

  tpx_process_monitor_start (rec->monitor);
  g_assert_cmpuint (rec->n_started, ==, 0);
  add_helper (rec, "late", "write-out", "late line\n", NULL);
  g_assert_cmpuint (rec->n_started, ==, 1);

  tpx_process_monitor_set_min_restart_delay (rec->monitor, 60000);
  wait_for (rec, 1, 1, 1);
  tpx_process_monitor_stop (rec->monitor);

  events = events_text (rec);
  g_assert_cmpstr (events, ==, "started:late|line:late:1:late line|ended:late:exit 0");
}

/* ------------------------------------------------------------------ */
/* Restarting */

/* A child that ends at once waits min-restart-delay, then twice that, and
 * so on up to max-restart-delay; delays count from process-ended. */
static void
test_backoff_timing (void)
{
  static const gint64 expected[] = { 100, 200, 400, 400 };
  g_autoptr(Recorder) rec = recorder_new ();

  tpx_process_monitor_set_min_restart_delay (rec->monitor, 100);
  tpx_process_monitor_set_max_restart_delay (rec->monitor, 400);
  add_helper (rec, "crasher", "exit", "3", NULL);
  tpx_process_monitor_start (rec->monitor);

  wait_for (rec, G_N_ELEMENTS (expected) + 1, G_N_ELEMENTS (expected), 0);
  tpx_process_monitor_stop (rec->monitor);

  g_assert_cmpint (tpx_process_status_get_exit_code (rec->last_status), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gint64 waited = ms_between (rec->ended_at, i, rec->started_at, i + 1);

      g_test_message ("restart %u after %" G_GINT64_FORMAT " ms (expected %" G_GINT64_FORMAT ")",
                      i + 1, waited, expected[i]);
      g_assert_cmpint (waited, >=, expected[i]);
      g_assert_cmpint (waited, <, expected[i] + 2000);
    }
}

static void
close_stdin_cb (TpxProcessMonitor   *monitor,
                const char          *name,
                TpxProcessTransport *transport,
                gpointer             user_data)
{
  guint *n = user_data;

  /* Children 1 and 3 end at once; child 2 runs past the threshold. */
  (*n)++;
  if (*n != 2)
    tpx_process_transport_close_stdin (transport);
}

/* A child that ran longer than the threshold is started again at once,
 * and the next quick end waits min-restart-delay again, not the doubled
 * delay. */
static void
test_backoff_reset (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  TpxProcessTransport *transport;
  guint n = 0;
  gint64 waited;

  tpx_process_monitor_set_threshold (rec->monitor, 200);
  tpx_process_monitor_set_min_restart_delay (rec->monitor, 1000);
  g_signal_connect (rec->monitor, "process-started", G_CALLBACK (close_stdin_cb), &n);
  add_helper (rec, "waiter", "wait-stdin", NULL);
  tpx_process_monitor_start (rec->monitor);

  /* 1: ends at once, waits 1000 ms (the next delay is now 2000). */
  wait_for (rec, 2, 1, 0);
  waited = ms_between (rec->ended_at, 0, rec->started_at, 1);
  g_assert_cmpint (waited, >=, 1000);

  /* 2: runs past the threshold, then ends: started again at once. */
  run_for (400);
  transport = tpx_process_monitor_get_transport (rec->monitor, "waiter");
  g_assert_nonnull (transport);
  tpx_process_transport_close_stdin (transport);
  wait_for (rec, 3, 2, 0);
  waited = ms_between (rec->ended_at, 1, rec->started_at, 2);
  g_assert_cmpint (waited, <, 1000);

  /* 3: ends at once: 1000 ms again, not 2000. */
  wait_for (rec, 4, 3, 0);
  waited = ms_between (rec->ended_at, 2, rec->started_at, 3);
  g_assert_cmpint (waited, >=, 1000);
  g_assert_cmpint (waited, <, 2000);

  g_signal_handlers_disconnect_by_func (rec->monitor, close_stdin_cb, &n);
}

static void
test_restart (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autofree char *events = NULL;
  gint64 waited;

  /* A restart does not wait for a restart delay. */
  tpx_process_monitor_set_min_restart_delay (rec->monitor, 60000);
  add_helper (rec, "a", "sleep-forever", NULL);
  add_helper (rec, "b", "sleep-forever", NULL);
  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 2, 0, 2);

  tpx_process_monitor_restart (rec->monitor, "a");
  tpx_process_monitor_restart (rec->monitor, "nobody");
  wait_for (rec, 3, 1, 3);
  waited = ms_between (rec->ended_at, 0, rec->started_at, 2);
  g_assert_cmpint (waited, <, 10000);
  g_assert_cmpstr (g_ptr_array_index (rec->events, 4), ==, "ended:a:signal 15");
  g_assert_cmpstr (g_ptr_array_index (rec->events, 5), ==, "started:a");
  g_assert_cmpstr (g_ptr_array_index (rec->events, 6), ==, "line:a:1:ready");

  tpx_process_monitor_restart_all (rec->monitor);
  wait_for (rec, 5, 3, 5);
  g_assert_nonnull (tpx_process_monitor_get_transport (rec->monitor, "a"));
  g_assert_nonnull (tpx_process_monitor_get_transport (rec->monitor, "b"));

  /* Not running: restart does nothing. */
  tpx_process_monitor_stop (rec->monitor);
  wait_for (rec, 5, 5, 5);
  tpx_process_monitor_restart (rec->monitor, "a");
  g_assert_cmpuint (rec->n_started, ==, 5);
  g_assert_null (tpx_process_monitor_get_transport (rec->monitor, "a"));
}

/* ------------------------------------------------------------------ */
/* Stopping and removing */

/* The stop signal, then SIGKILL after kill-time. */
static void
test_stop_ignores_term (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  gint64 stopped_at;
  gint64 took_ms;

  tpx_process_monitor_set_kill_time (rec->monitor, 300);
  add_helper (rec, "stubborn", "ignore-term", NULL);
  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 1, 0, 1);   /* "ready": SIGTERM is ignored from now on */

  stopped_at = g_get_monotonic_time ();
  tpx_process_monitor_stop (rec->monitor);
  wait_for (rec, 1, 1, 1);
  took_ms = (g_array_index (rec->ended_at, gint64, 0) - stopped_at) / 1000;

  tpx_test_assert_killed (rec->last_status, SIGKILL);
  g_assert_cmpint (took_ms, >=, 300);
  /* kill-time, not the launcher's own stop timeout (5 s). */
  g_assert_cmpint (took_ms, <, 4000);
}

/* The launcher's settings come with the copy: here its stop signal. */
static void
test_stop_signal_from_launcher (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
  g_autoptr(GError) error = NULL;

  tpx_process_launcher_set_stop_signal (launcher, SIGUSR1);
  g_assert_true (tpx_process_monitor_add_process (rec->monitor, "sleeper", launcher, argv[0],
                                                  (const char * const *) argv, &error));
  g_assert_no_error (error);
  tpx_process_launcher_set_stop_signal (launcher, SIGINT);

  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 1, 0, 1);
  tpx_process_monitor_stop (rec->monitor);
  wait_for (rec, 1, 1, 1);
  tpx_test_assert_killed (rec->last_status, SIGUSR1);
}

static void
test_remove_during_delay (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_auto(GStrv) names = NULL;

  tpx_process_monitor_set_min_restart_delay (rec->monitor, 200);
  add_helper (rec, "crasher", "exit", "1", NULL);
  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 1, 1, 0);

  /* Waiting for its restart: removed, it never starts again. */
  tpx_process_monitor_remove_process (rec->monitor, "crasher");
  run_for (600);
  g_assert_cmpuint (rec->n_started, ==, 1);
  names = tpx_process_monitor_dup_names (rec->monitor);
  g_assert_cmpstrv (names, ((const char * const[]) { NULL }));
}

static void
test_remove_running (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autofree char *events = NULL;

  rec->same_names = TRUE;
  add_helper (rec, "sleeper", "sleep-forever", NULL);
  tpx_process_monitor_start (rec->monitor);
  wait_for (rec, 1, 0, 1);

  /* The name is free at once, while the old child is still ending. */
  tpx_process_monitor_remove_process (rec->monitor, "sleeper");
  g_assert_null (tpx_process_monitor_get_transport (rec->monitor, "sleeper"));
  add_helper (rec, "sleeper", "write-out", "second\n", NULL);
  tpx_process_monitor_set_min_restart_delay (rec->monitor, 60000);
  wait_for (rec, 2, 2, 2);

  events = events_text (rec);
  g_assert_true (g_str_has_prefix (events, "started:sleeper|line:sleeper:1:ready|started:sleeper|"));
  g_assert_nonnull (strstr (events, "ended:sleeper:signal 15"));
  g_assert_nonnull (strstr (events, "line:sleeper:1:second"));
  g_assert_nonnull (strstr (events, "ended:sleeper:exit 0"));

  run_for (300);
  g_assert_cmpuint (rec->n_started, ==, 2);
}

static void
transport_ended_cb (TpxProcessTransport *transport,
                    TpxProcessStatus    *status,
                    gpointer             user_data)
{
  TpxProcessStatus **out = user_data;

  *out = g_object_ref (status);
}

static void
keep_transport_cb (TpxProcessMonitor   *monitor,
                   const char          *name,
                   TpxProcessTransport *transport,
                   gpointer             user_data)
{
  g_set_object ((TpxProcessTransport **) user_data, transport);
}

static void
test_finalize_stops_children (void)
{
  TpxProcessMonitor *monitor = tpx_process_monitor_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxProcessStatus) status = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
  g_autoptr(GError) error = NULL;
  gboolean ended = FALSE;

  g_signal_connect (monitor, "process-started", G_CALLBACK (keep_transport_cb), &transport);
  g_assert_true (tpx_process_monitor_add_process (monitor, "sleeper", NULL, argv[0],
                                                  (const char * const *) argv, &error));
  g_assert_no_error (error);
  tpx_process_monitor_start (monitor);
  g_assert_nonnull (transport);
  g_signal_connect (transport, "process-ended", G_CALLBACK (transport_ended_cb), &status);
  g_signal_connect_swapped (transport, "process-ended", G_CALLBACK (set_flag_cb), &ended);

  g_object_unref (monitor);
  tpx_test_run_until (&ended, TIMEOUT_MS);
  tpx_test_assert_killed (status, SIGTERM);
  tpx_test_assert_no_children ();
}

static void
count_start_failure_cb (const char     *log_domain,
                        GLogLevelFlags  log_level,
                        const char     *message,
                        gpointer        user_data)
{
  guint *n = user_data;

  g_assert_nonnull (strstr (message, "cannot start missing"));
  g_assert_nonnull (strstr (message, "tpx-no-such-program"));
  (*n)++;
}

/* A program that cannot be started counts as a child that ended at once:
 * a message, then the back-off. */
static void
test_spawn_failure (void)
{
  g_autoptr(Recorder) rec = recorder_new ();
  g_autoptr(GError) error = NULL;
  guint handler;
  guint n = 0;
  gint64 start;

  handler = g_log_set_handler ("Tpx", G_LOG_LEVEL_MESSAGE, count_start_failure_cb, &n);
  tpx_process_monitor_set_min_restart_delay (rec->monitor, 100);
  g_assert_true (tpx_process_monitor_add_process (rec->monitor, "missing", NULL,
                                                  "/nonexistent/tpx-no-such-program", NULL, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  tpx_process_monitor_start (rec->monitor);
  g_assert_cmpuint (n, ==, 1);

  /* Then 100 ms later, then 200 ms after that: the restart timer wakes
   * the loop each time. */
  while (n < 3 && g_get_monotonic_time () - start < (gint64) TIMEOUT_MS * 1000)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 300);
  g_assert_cmpuint (rec->n_started, ==, 0);

  tpx_process_monitor_stop (rec->monitor);
  g_log_remove_handler ("Tpx", handler);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/process-monitor/properties", test_properties);
  g_test_add_func ("/tpx/process-monitor/names", test_names);
  g_test_add_func ("/tpx/process-monitor/launcher-copied", test_launcher_copied);
  g_test_add_func ("/tpx/process-monitor/signals/in-order", test_signals_in_order);
  g_test_add_func ("/tpx/process-monitor/signals/add-while-running", test_add_while_running);
  g_test_add_func ("/tpx/process-monitor/backoff/timing", test_backoff_timing);
  g_test_add_func ("/tpx/process-monitor/backoff/reset", test_backoff_reset);
  g_test_add_func ("/tpx/process-monitor/restart", test_restart);
  g_test_add_func ("/tpx/process-monitor/stop/ignores-term", test_stop_ignores_term);
  g_test_add_func ("/tpx/process-monitor/stop/launcher-stop-signal", test_stop_signal_from_launcher);
  g_test_add_func ("/tpx/process-monitor/remove/during-delay", test_remove_during_delay);
  g_test_add_func ("/tpx/process-monitor/remove/running", test_remove_running);
  g_test_add_func ("/tpx/process-monitor/finalize-stops-children", test_finalize_stops_children);
  g_test_add_func ("/tpx/process-monitor/spawn-failure", test_spawn_failure);

  return g_test_run ();
}
