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

/* Lost statuses (DESIGN §4a): the kernel discarded the status, or other
 * code reaped the child first. The end still comes, once, and says the
 * status is unknown instead of making an exit code up. */
typedef enum {
  LOSE_BY_SIG_IGN,         /* SIGCHLD set to SIG_IGN while the child runs */
  LOSE_BY_NOCLDWAIT,       /* SA_NOCLDWAIT */
  LOSE_BY_FOREIGN_WAITPID, /* somebody else's waitpid() reaps it first */
} LoseHow;

static guint
count_events (TpxTestRecorder *rec,
              const char      *event)
{
  guint n = 0;

  for (guint i = 0; i < rec->events->len; i++)
    n += g_str_equal (g_ptr_array_index (rec->events, i), event);

  return n;
}

static void
assert_status_lost (TpxProcessStatus *status)
{
  g_autoptr(GError) error = NULL;
  gboolean lost = FALSE;
  int exit_code = 0;

  g_assert_true (tpx_process_status_get_lost (status));
  g_assert_cmpint (tpx_process_status_get_exit_code (status), ==, -1);
  g_assert_cmpint (tpx_process_status_get_signal (status), ==, 0);
  g_assert_cmpint (tpx_process_status_get_raw_status (status), ==, -1);
  g_assert_false (tpx_process_status_is_success (status));
  g_assert_false (tpx_process_status_get_core_dumped (status));
  g_assert_cmpint (tpx_process_status_get_user_time_us (status), ==, 0);
  g_assert_cmpint (tpx_process_status_get_system_time_us (status), ==, 0);
  g_assert_cmpint (tpx_process_status_get_max_rss_kb (status), ==, 0);

  g_object_get (status, "lost", &lost, "exit-code", &exit_code, NULL);
  g_assert_true (lost);
  g_assert_cmpint (exit_code, ==, -1);

  g_assert_false (tpx_process_status_check (status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_test_message ("check(): %s", error->message);
  g_assert_nonnull (strstr (error->message, "unknown status"));
  g_assert_null (strstr (error->message, "code"));
}

static void
run_lost (LoseHow how)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "3", NULL);
  struct sigaction action = { 0 };
  struct sigaction old_action;

  g_assert_no_errno (sigaction (SIGCHLD, NULL, &old_action));
  if (how == LOSE_BY_SIG_IGN || how == LOSE_BY_NOCLDWAIT)
    {
      action.sa_handler = how == LOSE_BY_SIG_IGN ? SIG_IGN : SIG_DFL;
      action.sa_flags = how == LOSE_BY_NOCLDWAIT ? SA_NOCLDWAIT : 0;
      g_assert_no_errno (sigaction (SIGCHLD, &action, NULL));
    }

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  if (how == LOSE_BY_FOREIGN_WAITPID)
    {
      int wait_status = 0;
      GPid pid = tpx_process_transport_get_pid (transport);

      /* tpx reaps only from the main loop, which has not run yet. */
      g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
      g_assert_true (WIFEXITED (wait_status));
      g_assert_cmpint (WEXITSTATUS (wait_status), ==, 3);
    }

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  g_assert_no_errno (sigaction (SIGCHLD, &old_action, NULL));

  /* Both signals, exactly once each, in order, with the same status. */
  g_assert_cmpuint (count_events (rec, "exited"), ==, 1);
  g_assert_cmpuint (count_events (rec, "ended"), ==, 1);
  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (rec->events, rec->events->len - 1), ==, "ended");
  g_assert_true (rec->exit_status == rec->end_status);
  g_assert_true (tpx_process_transport_get_status (transport) == rec->end_status);
  assert_status_lost (rec->end_status);

  /* Reaped means reaped: signalling it now is EXITED_ALREADY. */
  g_assert_false (tpx_process_transport_send_signal (transport, SIGTERM, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  tpx_test_assert_no_children ();
}

static void
test_lost_sig_ign (void)
{
  run_lost (LOSE_BY_SIG_IGN);
}

static void
test_lost_nocldwait (void)
{
  run_lost (LOSE_BY_NOCLDWAIT);
}

static void
test_lost_foreign_waitpid (void)
{
  run_lost (LOSE_BY_FOREIGN_WAITPID);
}

/* The output helpers give no made-up exit code either. */
typedef struct {
  GError  *error;
  int      value;
  gboolean done;
} ValueResult;

static void
value_ready_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ValueResult *res = user_data;

  res->value = tpx_get_process_value_finish (result, &res->error);
  res->done = TRUE;
}

static void
test_lost_value (void)
{
  const char * const args[] = { "exit", "3", NULL };
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  struct sigaction old_action;
  ValueResult res = { NULL, 0, FALSE };

  g_assert_no_errno (sigaction (SIGCHLD, &ignore, &old_action));
  tpx_get_process_value_async (tpx_test_helper_path (), args, NULL, NULL,
                               value_ready_cb, &res);
  tpx_test_run_until (&res.done, TIMEOUT_MS);
  g_assert_no_errno (sigaction (SIGCHLD, &old_action, NULL));

  g_assert_error (res.error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_cmpint (res.value, ==, -1);
  g_clear_error (&res.error);
  tpx_test_assert_no_children ();
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
  g_test_add_func ("/tpx/process-status/lost/sig-ign", test_lost_sig_ign);
  g_test_add_func ("/tpx/process-status/lost/nocldwait", test_lost_nocldwait);
  g_test_add_func ("/tpx/process-status/lost/foreign-waitpid", test_lost_foreign_waitpid);
  g_test_add_func ("/tpx/process-status/lost/value", test_lost_value);
  g_test_add_func ("/tpx/process-status/error-quark", test_error_quark);

  return g_test_run ();
}
