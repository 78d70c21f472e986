/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * uid/gid switching in the child.
 *
 * As root (how the suite runs here), the child is switched to 65534 and
 * reports its ids with the helper's `id` mode and with /usr/bin/id. Some
 * cases need a parent that is not root: /tpx/credentials/rerun/ re-runs
 * this program under `setpriv` with --as=unprivileged (uid 65534, no
 * groups: every change but to its own ids is refused) or --as=capable
 * (uid 1000 with supplementary groups and CAP_SETUID/CAP_SETGID), which
 * registers only that case's tests; the outer test checks their TAP
 * report. Run as a normal user, the unprivileged tests run directly and
 * the root-only ones are skipped.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 10000
#define NOBODY 65534
#define CAPABLE_UID 1000
#define CAPABLE_GROUP 4242
#define OTHER_ID 2000
#define SETPRIV "/usr/bin/setpriv"
#define ID_PROGRAM "/usr/bin/id"
#define AS_FLAG "--as="

static gboolean
skip_unless_root (void)
{
  if (geteuid () == 0)
    return FALSE;

  g_test_skip ("switching to another uid needs root; the refusals are "
               "tested by /tpx/credentials/unprivileged/ in this run");
  return TRUE;
}

/* Runs @argv to its end with @launcher; returns its stdout. */
static char *
run_to_end (TpxProcessLauncher *launcher,
            const char         *executable,
            const char * const *argv,
            int                 exit_code)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  guint fds_before = tpx_test_count_fds ();
  char *out;

  transport = tpx_process_launcher_spawn (launcher, NULL, executable, argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  if (!tpx_process_status_is_success (rec->end_status) && rec->data[1]->len > 0)
    g_test_message ("stdout: %s", tpx_test_recorder_text (rec, 1));
  if (rec->data[2]->len > 0)
    g_test_message ("stderr: %s", tpx_test_recorder_text (rec, 2));
  tpx_test_assert_exited (rec->end_status, exit_code);
  out = g_strdup (tpx_test_recorder_text (rec, 1));

  g_clear_pointer (&rec, tpx_test_recorder_free);
  g_clear_object (&transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();

  return out;
}

static char *
run_helper (TpxProcessLauncher *launcher,
            const char         *mode)
{
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, NULL);

  return run_to_end (launcher, tpx_test_helper_path (), (const char * const *) argv, 0);
}

/* The helper's `id` mode, parsed. */
typedef struct
{
  guint uid;
  guint gid;
  int   n_groups;
} Ids;

static Ids
run_id (TpxProcessLauncher *launcher)
{
  g_autofree char *out = run_helper (launcher, "id");
  Ids ids = { 0 };

  g_test_message ("child: %s", out);
  g_assert_cmpint (sscanf (out, "uid %u gid %u groups %d", &ids.uid, &ids.gid, &ids.n_groups), ==, 3);

  return ids;
}

/* The child's supplementary groups as /usr/bin/id -G lists them. */
static char *
run_id_groups (TpxProcessLauncher *launcher)
{
  const char *argv[] = { "id", "-G", NULL };

  return run_to_end (launcher, ID_PROGRAM, argv, 0);
}

/* Asserts that spawning fails with @code and a message naming @step, and
 * leaves no fd and no child behind. */
static void
assert_spawn_refused (TpxProcessLauncher *launcher,
                      int                 code,
                      const char         *step)
{
  g_auto(GStrv) argv = tpx_test_helper_argv ("id", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  guint fds_before = tpx_test_count_fds ();

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_error (error, G_IO_ERROR, code);
  g_assert_null (transport);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, step));
  /* The message also names the program. */
  g_assert_nonnull (strstr (error->message, tpx_test_helper_path ()));

  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* Gives the test process extra supplementary groups, so that dropping them
 * in the child is visible; returns the previous list. */
static GArray *
add_extra_groups (void)
{
  GArray *saved;
  gid_t extra[] = { 0, 4242, 4343 };
  int n = getgroups (0, NULL);

  g_assert_cmpint (n, >=, 0);
  saved = g_array_sized_new (FALSE, TRUE, sizeof (gid_t), n);
  g_array_set_size (saved, n);
  g_assert_cmpint (getgroups (n, (gid_t *) (gpointer) saved->data), ==, n);

  g_assert_cmpint (setgroups (G_N_ELEMENTS (extra), extra), ==, 0);
  g_assert_cmpint (getgroups (0, NULL), ==, G_N_ELEMENTS (extra));

  return saved;
}

static void
restore_groups (GArray *saved)
{
  g_assert_cmpint (setgroups (saved->len, (gid_t *) (gpointer) saved->data), ==, 0);
  g_array_unref (saved);
}

/* Both ids switched: the child is nobody, with nogroup as its only group;
 * the parent keeps its ids and its groups. */
static void
test_switch (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *groups = NULL;
  GArray *saved;
  Ids ids;

  if (skip_unless_root ())
    return;

  saved = add_extra_groups ();

  tpx_process_launcher_set_uid (launcher, NOBODY);
  tpx_process_launcher_set_gid (launcher, NOBODY);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, NOBODY);
  g_assert_cmpuint (ids.gid, ==, NOBODY);
  g_assert_cmpint (ids.n_groups, ==, 1);

  groups = run_id_groups (launcher);
  g_assert_cmpstr (groups, ==, "65534\n");

  /* Nothing of that reached the parent. */
  g_assert_cmpuint (getuid (), ==, 0);
  g_assert_cmpuint (geteuid (), ==, 0);
  g_assert_cmpuint (getgid (), ==, 0);
  g_assert_cmpuint (getegid (), ==, 0);
  g_assert_cmpint (getgroups (0, NULL), ==, 3);

  restore_groups (saved);
}

/* The same through a real program: /usr/bin/id with no argument. */
static void
test_switch_id_program (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GRegex) regex = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "id", NULL };

  if (skip_unless_root ())
    return;

  tpx_process_launcher_set_uid (launcher, NOBODY);
  tpx_process_launcher_set_gid (launcher, NOBODY);
  out = run_to_end (launcher, ID_PROGRAM, argv, 0);
  g_test_message ("id: %s", out);

  /* Names depend on the system's databases; the numbers do not. */
  regex = g_regex_new ("^uid=65534(\\([^)]*\\))? gid=65534(\\([^)]*\\))? groups=65534(\\([^)]*\\))?\n$",
                       0, 0, NULL);
  g_assert_true (g_regex_match (regex, out, 0, NULL));
}

/* gid only: the uid stays, the groups shrink to the new gid. */
static void
test_gid_only (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *groups = NULL;
  GArray *saved;
  Ids ids;

  if (skip_unless_root ())
    return;

  saved = add_extra_groups ();

  tpx_process_launcher_set_gid (launcher, NOBODY);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, 0);
  g_assert_cmpuint (ids.gid, ==, NOBODY);
  g_assert_cmpint (ids.n_groups, ==, 1);
  groups = run_id_groups (launcher);
  g_assert_cmpstr (groups, ==, "65534\n");

  restore_groups (saved);
}

/* uid only: the gid stays, and is the only group left. */
static void
test_uid_only (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *groups = NULL;
  GArray *saved;
  Ids ids;

  if (skip_unless_root ())
    return;

  saved = add_extra_groups ();

  tpx_process_launcher_set_uid (launcher, NOBODY);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, NOBODY);
  g_assert_cmpuint (ids.gid, ==, 0);
  g_assert_cmpint (ids.n_groups, ==, 1);
  groups = run_id_groups (launcher);
  g_assert_cmpstr (groups, ==, "0\n");

  restore_groups (saved);
}

/* Root asking for root: accepted; privileged, so the groups are still
 * reduced to the gid. */
static void
test_own_ids_root (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  GArray *saved;
  Ids ids;

  if (skip_unless_root ())
    return;

  saved = add_extra_groups ();

  tpx_process_launcher_set_uid (launcher, 0);
  tpx_process_launcher_set_gid (launcher, 0);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, 0);
  g_assert_cmpuint (ids.gid, ==, 0);
  g_assert_cmpint (ids.n_groups, ==, 1);

  restore_groups (saved);
}

/* The working directory is entered as the new user: a directory only root
 * may enter is refused, and the message names the step. */
static void
test_chdir_as_new_user (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *step = NULL;
  g_autofree char *cwd = NULL;

  if (skip_unless_root ())
    return;

  dir = g_dir_make_tmp ("tpx-credentials-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (dir, 0700), ==, 0);
  step = g_strdup_printf ("chdir to %s", dir);

  tpx_process_launcher_set_cwd (launcher, dir);
  tpx_process_launcher_set_uid (launcher, NOBODY);
  tpx_process_launcher_set_gid (launcher, NOBODY);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, step);

  /* The same directory, opened to everyone: the child gets there. */
  g_assert_cmpint (chmod (dir, 0755), ==, 0);
  cwd = run_helper (launcher, "cwd");
  g_assert_true (g_str_has_prefix (cwd, dir));
  g_assert_cmpstr (cwd + strlen (dir), ==, "\n");

  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A switched child under a terminal: it still leads its session, owns the
 * terminal and gets the resize. */
typedef struct
{
  TpxTestRecorder *rec;
  gboolean         resized;
} Resizer;

static void
resize_on_first_size_cb (TpxProcessTransport *transport,
                         int                  child_fd,
                         GBytes              *data,
                         gpointer             user_data)
{
  Resizer *resizer = user_data;
  g_autoptr(GError) error = NULL;

  /* Connected after the recorder, whose text is already up to date. */
  if (resizer->resized ||
      strstr (tpx_test_recorder_text (resizer->rec, 1), "size 24 80\r\n") == NULL)
    return;

  resizer->resized = TRUE;
  g_assert_true (tpx_process_transport_set_window_size (transport, 33, 99, &error));
  g_assert_no_error (error);
}

static void
test_switch_with_pty (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("pty-info", NULL);
  guint fds_before = tpx_test_count_fds ();
  Resizer resizer = { NULL, FALSE };

  if (skip_unless_root ())
    return;

  tpx_process_launcher_set_use_pty (launcher, TRUE);
  tpx_process_launcher_set_window_size (launcher, 24, 80);
  tpx_process_launcher_set_uid (launcher, NOBODY);
  tpx_process_launcher_set_gid (launcher, NOBODY);
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  resizer.rec = rec;
  g_signal_connect (transport, "child-data", G_CALLBACK (resize_on_first_size_cb), &resizer);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  g_assert_true (resizer.resized);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==,
                   "tty0 1 tty1 1 tty2 1\r\n"
                   "leader 1\r\n"
                   "ctty 1\r\n"
                   "size 24 80\r\n"
                   "size 33 99\r\n");

  g_signal_handlers_disconnect_by_data (transport, &resizer);
  g_clear_pointer (&rec, tpx_test_recorder_free);
  g_clear_object (&transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* The child shares the parent's memory until it execs, so a libc set*id()
 * there would reach the parent's other threads. Check a second thread. */
typedef struct
{
  GMutex mutex;
  GCond  cond;
  pid_t  tid;
  gboolean done;
} Waiter;

static gpointer
waiter_thread_func (gpointer data)
{
  Waiter *waiter = data;

  g_mutex_lock (&waiter->mutex);
  waiter->tid = (pid_t) syscall (SYS_gettid);
  g_cond_broadcast (&waiter->cond);
  while (!waiter->done)
    g_cond_wait (&waiter->cond, &waiter->mutex);
  g_mutex_unlock (&waiter->mutex);

  return NULL;
}

/* "Uid:" / "Gid:" / "Groups:" lines of one thread of this process. */
static char *
thread_ids (pid_t tid)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/status", (int) tid);
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;
  GString *ids = g_string_new (NULL);

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "Uid:") || g_str_has_prefix (lines[i], "Gid:") ||
          g_str_has_prefix (lines[i], "Groups:"))
        g_string_append_printf (ids, "%s\n", lines[i]);
    }

  return g_string_free (ids, FALSE);
}

static void
test_parent_threads_unchanged (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *main_before = NULL;
  g_autofree char *main_after = NULL;
  g_autofree char *other_before = NULL;
  g_autofree char *other_after = NULL;
  Waiter waiter = { 0 };
  GThread *thread;
  Ids ids;

  if (skip_unless_root ())
    return;

  g_mutex_init (&waiter.mutex);
  g_cond_init (&waiter.cond);
  thread = g_thread_new ("tpx-waiter", waiter_thread_func, &waiter);
  g_mutex_lock (&waiter.mutex);
  while (waiter.tid == 0)
    g_cond_wait (&waiter.cond, &waiter.mutex);
  g_mutex_unlock (&waiter.mutex);

  main_before = thread_ids ((pid_t) syscall (SYS_gettid));
  other_before = thread_ids (waiter.tid);

  tpx_process_launcher_set_uid (launcher, NOBODY);
  tpx_process_launcher_set_gid (launcher, NOBODY);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, NOBODY);
  g_assert_cmpuint (ids.gid, ==, NOBODY);

  main_after = thread_ids ((pid_t) syscall (SYS_gettid));
  other_after = thread_ids (waiter.tid);
  g_assert_cmpstr (main_after, ==, main_before);
  g_assert_cmpstr (other_after, ==, other_before);
  g_assert_nonnull (strstr (other_after, "Uid:\t0\t0\t0\t0\n"));

  g_mutex_lock (&waiter.mutex);
  waiter.done = TRUE;
  g_cond_broadcast (&waiter.cond);
  g_mutex_unlock (&waiter.mutex);
  g_thread_join (thread);
  g_mutex_clear (&waiter.mutex);
  g_cond_clear (&waiter.cond);
}

/* The unprivileged tests. */

static void
test_is_unprivileged (void)
{
  g_assert_cmpuint (getuid (), !=, 0);
  g_assert_cmpuint (geteuid (), !=, 0);
  g_assert_cmpuint (getegid (), !=, 0);
}

static void
test_refuse_setuid (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_uid (launcher, 0);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, "setuid to 0");
}

static void
test_refuse_setgid (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_gid (launcher, 0);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, "setgid to 0");

  /* gid first: with both refused, the gid is what is reported. */
  tpx_process_launcher_set_uid (launcher, 0);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, "setgid to 0");
}

/* Another unprivileged uid is as out of reach as root. */
static void
test_refuse_other_uid (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  guint32 other = getuid () == NOBODY ? NOBODY - 1 : NOBODY;
  g_autofree char *step = g_strdup_printf ("setuid to %u", other);

  tpx_process_launcher_set_uid (launcher, other);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, step);
}

/* The terminal opened for the child is closed again on refusal. */
static void
test_refuse_with_pty (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_use_pty (launcher, TRUE);
  tpx_process_launcher_set_window_size (launcher, 24, 80);
  tpx_process_launcher_set_uid (launcher, 0);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, "setuid to 0");

  tpx_process_launcher_set_new_session (launcher, TRUE);
  tpx_process_launcher_set_uid (launcher, getuid ());
  tpx_process_launcher_set_gid (launcher, 0);
  assert_spawn_refused (launcher, G_IO_ERROR_PERMISSION_DENIED, "setgid to 0");
}

/* Failures do not accumulate anything. */
static void
test_refuse_repeatedly (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  guint fds_before = tpx_test_count_fds ();

  tpx_process_launcher_set_uid (launcher, 0);
  tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:w,4:r", NULL);
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(GError) error = NULL;

      transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), NULL, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_null (transport);
    }

  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* The caller's own ids need no privilege; no groups are touched. */
static void
test_own_ids_unprivileged (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  Ids ids;

  tpx_process_launcher_set_uid (launcher, getuid ());
  tpx_process_launcher_set_gid (launcher, getgid ());
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, getuid ());
  g_assert_cmpuint (ids.gid, ==, getgid ());
  g_assert_cmpint (ids.n_groups, ==, getgroups (0, NULL));
}

/* The tests of a parent that is not root but holds CAP_SETUID and
 * CAP_SETGID (a service started with those capabilities): it is privileged,
 * so its supplementary groups must not reach a child running as someone
 * else. */

static gboolean
has_capability (int cap)
{
  g_autofree char *status = NULL;
  const char *line;
  guint64 caps;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nCapEff:");
  g_assert_nonnull (line);
  caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);

  return (caps >> cap) & 1;
}

static void
test_is_capable (void)
{
  gid_t groups[16];
  int n = getgroups (G_N_ELEMENTS (groups), groups);
  gboolean in_group = FALSE;

  g_assert_cmpuint (getuid (), ==, CAPABLE_UID);
  g_assert_cmpuint (geteuid (), ==, CAPABLE_UID);
  g_assert_true (has_capability (6));   /* CAP_SETGID */
  g_assert_true (has_capability (7));   /* CAP_SETUID */
  for (int i = 0; i < n; i++)
    in_group |= groups[i] == CAPABLE_GROUP;
  g_assert_true (in_group);
}

static void
test_capable_drops_groups (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *groups = NULL;
  Ids ids;

  tpx_process_launcher_set_uid (launcher, OTHER_ID);
  tpx_process_launcher_set_gid (launcher, OTHER_ID);
  ids = run_id (launcher);
  g_assert_cmpuint (ids.uid, ==, OTHER_ID);
  g_assert_cmpuint (ids.gid, ==, OTHER_ID);

  /* Only the new gid: the parent's groups stay with the parent. */
  groups = run_id_groups (launcher);
  g_assert_cmpstr (groups, ==, "2000\n");
  g_assert_cmpint (ids.n_groups, ==, 1);
}

typedef struct
{
  const char *path;
  void      (*func) (void);
} TestCase;

static const TestCase unprivileged_tests[] = {
  { "/tpx/credentials/unprivileged/is-unprivileged", test_is_unprivileged },
  { "/tpx/credentials/unprivileged/refuse-setuid", test_refuse_setuid },
  { "/tpx/credentials/unprivileged/refuse-setgid", test_refuse_setgid },
  { "/tpx/credentials/unprivileged/refuse-other-uid", test_refuse_other_uid },
  { "/tpx/credentials/unprivileged/refuse-with-pty", test_refuse_with_pty },
  { "/tpx/credentials/unprivileged/refuse-repeatedly", test_refuse_repeatedly },
  { "/tpx/credentials/unprivileged/own-ids", test_own_ids_unprivileged },
};

static const TestCase capable_tests[] = {
  { "/tpx/credentials/capable/is-capable", test_is_capable },
  { "/tpx/credentials/capable/drops-groups", test_capable_drops_groups },
};

/* One re-run of this program under setpriv, as a parent that is not root. */
typedef struct
{
  const char         *name;          /* for --as= */
  const char * const *setpriv_args;
  const TestCase     *tests;
  guint               n_tests;
} Rerun;

static const char * const unprivileged_args[] = {
  "--reuid=65534", "--regid=65534", "--clear-groups", NULL
};

static const char * const capable_args[] = {
  "--reuid=1000", "--regid=1000", "--groups=4242",
  "--inh-caps=+setuid,+setgid", "--ambient-caps=+setuid,+setgid", NULL
};

static const Rerun reruns[] = {
  { "unprivileged", unprivileged_args, unprivileged_tests, G_N_ELEMENTS (unprivileged_tests) },
  { "capable", capable_args, capable_tests, G_N_ELEMENTS (capable_tests) },
};

/* Re-runs this program under setpriv and checks that every test of that
 * case ran and passed, from its TAP report. */
static void
test_rerun (gconstpointer data)
{
  const Rerun *rerun = data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = NULL;
  g_autofree char *as_flag = NULL;
  g_autofree char *out = NULL;
  g_autofree char *plan = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_ok = 0;

  if (skip_unless_root ())
    return;

  self_exe = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  as_flag = g_strconcat (AS_FLAG, rerun->name, NULL);

  g_strv_builder_add (builder, "setpriv");
  g_strv_builder_addv (builder, (const char **) rerun->setpriv_args);
  g_strv_builder_add_many (builder, self_exe, as_flag, "--tap", NULL);
  argv = g_strv_builder_end (builder);

  /* G_TEST_BUILDDIR and the library path come with the environment. */
  tpx_process_launcher_inherit_environ (launcher);
  out = run_to_end (launcher, SETPRIV, (const char * const *) argv, 0);
  g_test_message ("%s run:\n%s", rerun->name, out);

  /* Every test ran and passed: none skipped, none failed. */
  plan = g_strdup_printf ("\n1..%u\n", rerun->n_tests);
  g_assert_nonnull (strstr (out, plan));
  g_assert_null (strstr (out, "not ok"));
  g_assert_null (strstr (out, "# SKIP"));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "ok "))
      n_ok++;
  g_assert_cmpuint (n_ok, ==, rerun->n_tests);
  for (guint i = 0; i < rerun->n_tests; i++)
    g_assert_nonnull (strstr (out, rerun->tests[i].path));
}

static void
add_tests (const TestCase *tests,
           guint           n_tests)
{
  for (guint i = 0; i < n_tests; i++)
    g_test_add_func (tests[i].path, tests[i].func);
}

/* Finds and removes --as=NAME from the arguments. */
static const Rerun *
take_as_flag (int   *argc,
              char **argv)
{
  for (int i = 1; i < *argc; i++)
    {
      const char *name;

      if (!g_str_has_prefix (argv[i], AS_FLAG))
        continue;

      name = argv[i] + strlen (AS_FLAG);
      memmove (&argv[i], &argv[i + 1], (*argc - i) * sizeof (char *));
      (*argc)--;

      for (guint j = 0; j < G_N_ELEMENTS (reruns); j++)
        if (g_str_equal (reruns[j].name, name))
          return &reruns[j];
      g_error ("unknown %s%s", AS_FLAG, name);
    }

  return NULL;
}

int
main (int    argc,
      char **argv)
{
  const Rerun *rerun = take_as_flag (&argc, argv);

  g_test_init (&argc, &argv, NULL);

  /* The default main context keeps a wake-up fd for the rest of the run:
   * create it now, so that it does not count as a leak in the first test. */
  (void) g_main_context_default ();

  if (rerun != NULL)
    {
      add_tests (rerun->tests, rerun->n_tests);
      return g_test_run ();
    }

  /* As a normal user, the refusals can be tested right here. */
  if (geteuid () != 0)
    add_tests (unprivileged_tests, G_N_ELEMENTS (unprivileged_tests));

  g_test_add_func ("/tpx/credentials/switch", test_switch);
  g_test_add_func ("/tpx/credentials/switch-id-program", test_switch_id_program);
  g_test_add_func ("/tpx/credentials/gid-only", test_gid_only);
  g_test_add_func ("/tpx/credentials/uid-only", test_uid_only);
  g_test_add_func ("/tpx/credentials/own-ids-root", test_own_ids_root);
  g_test_add_func ("/tpx/credentials/chdir-as-new-user", test_chdir_as_new_user);
  g_test_add_func ("/tpx/credentials/switch-with-pty", test_switch_with_pty);
  g_test_add_func ("/tpx/credentials/parent-threads-unchanged", test_parent_threads_unchanged);
  for (guint i = 0; i < G_N_ELEMENTS (reruns); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tpx/credentials/rerun/%s", reruns[i].name);

      g_test_add_data_func (path, &reruns[i], test_rerun);
    }

  return g_test_run ();
}
