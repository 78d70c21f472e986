/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 5000

/* Runs the helper with @mode and @arg to its end. */
static TpxTestRecorder *
run_helper (const char *mode,
            const char *arg)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg, NULL);
  TpxTestRecorder *rec;

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  /* One status, told twice: by process-exited and by process-ended, and
   * kept by the transport. */
  g_assert_true (rec->exited);
  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_assert_true (TPX_IS_PROCESS_STATUS (rec->exit_status));
  g_assert_true (TPX_IS_PROCESS_STATUS (rec->end_status));
  g_assert_cmpint (tpx_process_status_get_raw_status (rec->exit_status), ==,
                   tpx_process_status_get_raw_status (rec->end_status));
  g_assert_true (TPX_IS_PROCESS_STATUS (tpx_process_transport_get_status (transport)));
  g_assert_cmpint (tpx_process_status_get_raw_status (tpx_process_transport_get_status (transport)), ==,
                   tpx_process_status_get_raw_status (rec->end_status));

  return rec;
}

static void
assert_rusage_sane (TpxProcessStatus *status)
{
  g_assert_cmpint (tpx_process_status_get_user_time_us (status), >=, 0);
  g_assert_cmpint (tpx_process_status_get_system_time_us (status), >=, 0);
  g_assert_cmpint (tpx_process_status_get_max_rss_kb (status), >=, 0);
}

static void
test_exit_success (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("exit", "0");
  TpxProcessStatus *status = rec->end_status;
  g_autoptr(GError) error = NULL;
  int raw;

  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, 0);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, 0);
  g_assert_true (tpx_process_status_is_success (status));
  g_assert_false (tpx_process_status_get_core_dumped (status));

  raw = tpx_process_status_get_raw_status (status);
  g_assert_true (WIFEXITED (raw));
  g_assert_cmpint (WEXITSTATUS (raw), ==, 0);

  g_assert_true (tpx_process_status_check (status, &error));
  g_assert_no_error (error);
  /* NULL error is fine too */
  g_assert_true (tpx_process_status_check (status, NULL));
}

static void
test_exit_code (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("exit", "3");
  TpxProcessStatus *status = rec->end_status;
  g_autoptr(GError) error = NULL;
  int raw;

  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, 3);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, 0);
  g_assert_false (tpx_process_status_is_success (status));
  g_assert_false (tpx_process_status_get_core_dumped (status));

  raw = tpx_process_status_get_raw_status (status);
  g_assert_true (WIFEXITED (raw));
  g_assert_cmpint (WEXITSTATUS (raw), ==, 3);

  g_assert_false (tpx_process_status_check (status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_nonnull (strstr (error->message, "exited with code 3"));
  g_assert_false (tpx_process_status_check (status, NULL));
}

static void
test_exit_code_extremes (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("exit", "1");
  g_autoptr(TpxTestRecorder) rec2 = run_helper ("exit", "255");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tpx_process_status_get_exit_code (rec->end_status), ==, 1);
  g_assert_false (tpx_process_status_is_success (rec->end_status));

  g_assert_cmpint (tpx_process_status_get_exit_code (rec2->end_status), ==, 255);
  g_assert_cmpint (tpx_process_status_get_signal (rec2->end_status), ==, 0);
  g_assert_false (tpx_process_status_check (rec2->end_status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_nonnull (strstr (error->message, "exited with code 255"));
}

static void
test_killed_by_signal (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("kill-self", "9");
  TpxProcessStatus *status = rec->end_status;
  g_autoptr(GError) error = NULL;
  int raw;

  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, -1);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, SIGKILL);
  g_assert_false (tpx_process_status_is_success (status));
  g_assert_false (tpx_process_status_get_core_dumped (status));

  raw = tpx_process_status_get_raw_status (status);
  g_assert_true (WIFSIGNALED (raw));
  g_assert_cmpint (WTERMSIG (raw), ==, SIGKILL);

  g_assert_false (tpx_process_status_check (status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_nonnull (strstr (error->message, "killed by signal 9"));
}

static void
test_killed_by_term (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("kill-self", "15");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (tpx_process_status_get_exit_code (rec->end_status), ==, -1);
  g_assert_cmpint (tpx_process_status_get_signal (rec->end_status), ==, SIGTERM);
  g_assert_false (tpx_process_status_check (rec->end_status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_nonnull (strstr (error->message, "killed by signal 15"));
}

/* A signal sent from outside, through the transport */
static void
test_killed_by_parent (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("wait-stdin", NULL);

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  g_assert_null (tpx_process_transport_get_status (transport));

  g_assert_true (tpx_process_transport_send_signal (transport, SIGKILL, &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  g_assert_cmpint (tpx_process_status_get_signal (rec->end_status), ==, SIGKILL);
  g_assert_cmpint (tpx_process_status_get_exit_code (rec->end_status), ==, -1);
  g_assert_false (tpx_process_status_is_success (rec->end_status));
  g_assert_true (WIFSIGNALED (tpx_process_status_get_raw_status (rec->end_status)));
}

static void
test_abort (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("abort", NULL);
  g_autoptr(GError) error = NULL;

  /* The core flag depends on the system's core settings: not asserted. */
  g_assert_cmpint (tpx_process_status_get_signal (rec->end_status), ==, SIGABRT);
  g_assert_cmpint (tpx_process_status_get_exit_code (rec->end_status), ==, -1);
  g_assert_false (tpx_process_status_is_success (rec->end_status));
  g_assert_false (tpx_process_status_check (rec->end_status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_nonnull (strstr (error->message, "killed by signal 6"));
}

static void
test_rusage (void)
{
  g_autoptr(TpxTestRecorder) rec = run_helper ("exit", "0");
  g_autoptr(TpxTestRecorder) rec2 = run_helper ("kill-self", "9");
  g_autoptr(TpxTestRecorder) rec3 = run_helper ("big", "4000000");

  assert_rusage_sane (rec->end_status);
  assert_rusage_sane (rec2->end_status);
  assert_rusage_sane (rec3->end_status);

  g_assert_cmpuint (strlen (tpx_test_recorder_text (rec3, 1)), ==, 4000000);

  /* Every process that ran has touched some memory. */
  g_assert_cmpint (tpx_process_status_get_max_rss_kb (rec->end_status), >, 0);
  g_assert_cmpint (tpx_process_status_get_max_rss_kb (rec3->end_status), >, 0);
}

static void
test_error_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (TPX_PROCESS_ERROR), ==, "tpx-process-error-quark");
  g_assert_cmpuint (TPX_PROCESS_ERROR, ==, tpx_process_error_quark ());
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/process-status/exit/success", test_exit_success);
  g_test_add_func ("/tpx/process-status/exit/code", test_exit_code);
  g_test_add_func ("/tpx/process-status/exit/code-extremes", test_exit_code_extremes);
  g_test_add_func ("/tpx/process-status/signal/kill", test_killed_by_signal);
  g_test_add_func ("/tpx/process-status/signal/term", test_killed_by_term);
  g_test_add_func ("/tpx/process-status/signal/from-parent", test_killed_by_parent);
  g_test_add_func ("/tpx/process-status/signal/abort", test_abort);
  g_test_add_func ("/tpx/process-status/rusage", test_rusage);
  g_test_add_func ("/tpx/process-status/error-quark", test_error_quark);

  return g_test_run ();
}
