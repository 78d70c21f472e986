/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Lifetime control (DESIGN.md §10.1, §10.5): kill modes and the tree each
 * reaches, stop() and its escalation to SIGKILL, the run-time limit, the
 * bounded drain, die-with-parent, signal_tree(), n_tree_processes,
 * wait_async(), and the output helpers under a timeout or a cancellation.
 *
 * The trees are the helper's `tree` mode: the child, a middle process, a
 * leaf below it, and a double-forked daemon in a session of its own. This
 * process is a child subreaper, so that every orphan of a tree comes back
 * to it: a test reaps each one and checks which signal ended it. A daemon a
 * test leaves alive on purpose, or any process of a failed test, is killed
 * by the teardown, or by a handler of SIGABRT (a failed assertion) and
 * SIGTERM (meson's timeout) with async-signal-safe calls only. The
 * teardown also waits until every transport a test made is finalized: a
 * stop() keeps its transport (and in CGROUP mode the cgroup's fds) until
 * its stop timeout passed, so the tests use a short one.
 *
 * Timing is only ever asserted one way ("SIGKILL did not come before the
 * stop timeout"): the suite also runs under valgrind, some 20 times slower.
 * The CGROUP tests need a writable cgroup v2 (root, or a delegated
 * subtree): without one they skip and say why.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "tpx-test-common.h"

/* Generous: valgrind is slow. A hung test still fails before meson's
 * timeout (tests/meson.build). */
#define TIMEOUT_MS 30000
/* Short enough to keep the suite quick, long enough to tell apart. */
#define STOP_TIMEOUT_MS 300
#define MAX_TRACKED 32

#define MIDDLE_MODE "--die-with-parent-middle"

/* What the fatal signal handler kills and removes; plain arrays. */
static pid_t test_pid;
static pid_t tracked_pids[MAX_TRACKED];
static char  tracked_cgroups[MAX_TRACKED][PATH_MAX];

/* Every transport a test made (GWeakRef *), for the teardown. */
static GPtrArray *tracked_transports;

/* ------------------------------------------------------------------ */
/* Cleanup, also from a signal handler */

static void
track_pid (pid_t pid)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] == 0)
      {
        tracked_pids[i] = pid;
        return;
      }
  g_assert_not_reached ();
}

static void
untrack_pid (pid_t pid)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] == pid)
      tracked_pids[i] = 0;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
track_transport (TpxProcessTransport *transport)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, transport);
  g_ptr_array_add (tracked_transports, ref);
}

static gboolean transports_finalized_cond (gpointer user_data);

static void
track_cgroup (const char *path)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_cgroups[i][0] == '\0')
      {
        g_strlcpy (tracked_cgroups[i], path, PATH_MAX);
        return;
      }
  g_assert_not_reached ();
}

/* Async-signal-safe: kills what is left in a cgroup tpx made, waits a
 * little for it to empty, removes it. */
static void
destroy_cgroup (const char *path)
{
  char file[PATH_MAX + 32];
  size_t len = strlen (path);
  int fd;

  if (len + 16 >= sizeof file)
    return;
  memcpy (file, path, len);
  memcpy (file + len, "/cgroup.kill", sizeof "/cgroup.kill");
  fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (write (fd, "1", 1) < 0)
        {
          /* Gone already, or nothing more to try. */
        }
      close (fd);
    }

  for (int i = 0; i < 50 && rmdir (path) != 0 && errno == EBUSY; i++)
    poll (NULL, 0, 20);
}

/* Async-signal-safe. */
static void
cleanup_tracked (void)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] > 0)
      kill (tracked_pids[i], SIGKILL);

  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_cgroups[i][0] != '\0')
      {
        if (access (tracked_cgroups[i], F_OK) == 0)
          destroy_cgroup (tracked_cgroups[i]);
        tracked_cgroups[i][0] = '\0';
      }
}

static void
fatal_signal_handler (int signum)
{
  if (getpid () == test_pid)
    cleanup_tracked ();

  signal (signum, SIG_DFL);
  raise (signum);
}

static void run_until (gboolean  (*cond) (gpointer),
                       gpointer    user_data,
                       gboolean    external,
                       const char *what);

/* Every test ends here, once its own references are gone: nothing of what
 * it started may be left. Its transports are finalized (a stop timeout
 * may have to pass), processes a test still tracks are killed (and the
 * test fails), then every child left, orphans included, is reaped. */
static void
teardown (void)
{
  gboolean leftovers = FALSE;

  run_until (transports_finalized_cond, NULL, TRUE, "every transport to be finalized");
  g_ptr_array_set_size (tracked_transports, 0);

  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] > 0)
      {
        g_test_message ("process %d was left running", (int) tracked_pids[i]);
        leftovers = TRUE;
      }
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_cgroups[i][0] != '\0' && access (tracked_cgroups[i], F_OK) == 0)
      {
        g_test_message ("cgroup %s was left behind", tracked_cgroups[i]);
        leftovers = TRUE;
      }

  cleanup_tracked ();
  memset (tracked_pids, 0, sizeof tracked_pids);

  /* Whatever is left exits now (nothing may block it): reap it, with
   * alarm() as the guard against a test that left a process running. */
  alarm (TIMEOUT_MS / 1000);
  while (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
    ;
  alarm (0);

  g_assert_false (leftovers);
}

/* ------------------------------------------------------------------ */
/* Waiting */

typedef gboolean (*Condition) (gpointer user_data);

static gboolean
transports_finalized_cond (gpointer user_data)
{
  for (guint i = 0; i < tracked_transports->len; i++)
    {
      g_autoptr(GObject) object = g_weak_ref_get (g_ptr_array_index (tracked_transports, i));

      if (object != NULL)
        return FALSE;
    }

  return TRUE;
}

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
recheck_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the thread-default context until @cond holds; fails after
 * TIMEOUT_MS. With @external, a short timer makes the loop look again, for
 * conditions that change outside of it (a process's death, a directory). */
static void
run_until (Condition   cond,
           gpointer    user_data,
           gboolean    external,
           const char *what)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
  g_autoptr(GSource) recheck = NULL;
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, flag_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  if (external)
    {
      recheck = g_timeout_source_new (5);
      g_source_set_callback (recheck, recheck_cb, NULL, NULL);
      g_source_attach (recheck, context);
    }

  while (!cond (user_data) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  if (recheck != NULL)
    g_source_destroy (recheck);

  if (!cond (user_data))
    g_test_message ("timed out after %d ms waiting for %s", TIMEOUT_MS, what);
  g_assert_true (cond (user_data));
}

typedef struct {
  pid_t pid;
  int   status;
  gboolean reaped;
} Reap;

static gboolean
reaped_cond (gpointer user_data)
{
  Reap *reap = user_data;
  pid_t r;

  if (reap->reaped)
    return TRUE;
  do
    r = waitpid (reap->pid, &reap->status, WNOHANG);
  while (r < 0 && errno == EINTR);
  g_assert_cmpint (r, >=, 0);
  reap->reaped = r == reap->pid;

  return reap->reaped;
}

/* Waits for @pid, a child of ours (an orphan that came back to us, the
 * subreaper), to end, reaps it and returns its wait status. */
static int
reap_orphan (pid_t pid)
{
  Reap reap = { pid, 0, FALSE };

  run_until (reaped_cond, &reap, TRUE, "a process to end");
  untrack_pid (pid);

  return reap.status;
}

static void
assert_orphan_killed (pid_t pid,
                      int   signum)
{
  int status = reap_orphan (pid);

  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, signum);
}

/* /proc/PID/stat's state letter, '\0' once the process is gone. */
static char
process_state (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return '\0';
  after_name = strrchr (stat, ')');
  g_assert_nonnull (after_name);

  return after_name[2];
}

/* Whether @signum is pending for @pid (SigPnd or ShdPnd of its status). */
static gboolean
signal_pending (pid_t pid,
                int   signum)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 mask = G_GUINT64_CONSTANT (1) << (signum - 1);

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "SigPnd:") || g_str_has_prefix (lines[i], "ShdPnd:"))
      if ((g_ascii_strtoull (strchr (lines[i], ':') + 1, NULL, 16) & mask) != 0)
        return TRUE;

  return FALSE;
}

/* Alive and not about to die of SIGKILL. */
static void
assert_alive (pid_t pid)
{
  char state = process_state (pid);

  g_assert_cmpint (state, !=, '\0');
  g_assert_cmpint (state, !=, 'Z');
  g_assert_cmpint (state, !=, 'X');
  g_assert_false (signal_pending (pid, SIGKILL));
}

static gboolean
ended_cond (gpointer user_data)
{
  return ((TpxTestRecorder *) user_data)->ended;
}

static gboolean
exited_cond (gpointer user_data)
{
  return ((TpxTestRecorder *) user_data)->exited;
}

static void
wait_ended (TpxTestRecorder *rec)
{
  run_until (ended_cond, rec, FALSE, "process-ended");
}

static gint64
elapsed_ms (gint64 since)
{
  return (g_get_monotonic_time () - since) / G_TIME_SPAN_MILLISECOND;
}

typedef struct {
  TpxTestRecorder *rec;
  guint            n_lines;
} Lines;

static gboolean
lines_cond (gpointer user_data)
{
  Lines *lines = user_data;
  const char *text = tpx_test_recorder_text (lines->rec, 1);
  guint n = 0;

  for (const char *p = text; (p = strchr (p, '\n')) != NULL; p++)
    n++;

  return n >= lines->n_lines || lines->rec->ended;
}

/* Waits until the child wrote @n_lines lines on its stdout. */
static void
wait_lines (TpxTestRecorder *rec,
            guint            n_lines)
{
  Lines lines = { rec, n_lines };

  run_until (lines_cond, &lines, FALSE, "the child's output");
  g_assert_false (rec->ended);
}

/* A launcher in kill mode @mode with a stop timeout of STOP_TIMEOUT_MS
 * (see the teardown). */
static TpxProcessLauncher *
launcher_new (TpxKillMode mode)
{
  TpxProcessLauncher *launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_kill_mode (launcher, mode);
  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);

  return launcher;
}

/* Spawns the helper in @mode (one argument at most) and records it; a
 * NULL @launcher is launcher_new (PROCESS). */
static TpxTestRecorder *
record_helper (TpxProcessLauncher *launcher,
               const char         *mode,
               const char         *arg)
{
  g_autoptr(TpxProcessLauncher) own = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg, NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;

  if (launcher == NULL)
    launcher = own = launcher_new (TPX_KILL_MODE_PROCESS);
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  track_transport (transport);

  return tpx_test_recorder_new (transport);
}

/* Spawns @argv (argv[0] is the executable) and records it. */
static TpxTestRecorder *
record_argv (TpxProcessLauncher *launcher,
             const char * const *argv)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, argv[0], argv, &error);
  g_assert_no_error (error);
  track_transport (transport);

  return tpx_test_recorder_new (transport);
}

/* Spawns a helper that says "ready" once it has set itself up. */
static TpxTestRecorder *
record_ready (TpxProcessLauncher *launcher,
              const char         *mode)
{
  TpxTestRecorder *rec = record_helper (launcher, mode, NULL);

  wait_lines (rec, 1);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "ready\n");

  return rec;
}

/* ------------------------------------------------------------------ */
/* cgroup v2, seen from the test */

/* The cgroup2 mount point (whose root must be "/" here); NULL with @reason. */
static char *
cgroup2_mount (char **reason)
{
  g_autofree char *mountinfo = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL));
  lines = g_strsplit (mountinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);

      if (g_strv_length (fields) < 10 || strstr (lines[i], " - cgroup2 ") == NULL)
        continue;
      if (strcmp (fields[3], "/") != 0)
        {
          *reason = g_strdup_printf ("the cgroup2 mount %s has root %s; this test wants /",
                                     fields[4], fields[3]);
          return NULL;
        }
      return g_strcompress (fields[4]);
    }

  *reason = g_strdup ("no cgroup2 file system is mounted");
  return NULL;
}

/* The cgroup v2 directory of @pid (0 for this process); NULL with @reason. */
static char *
cgroup_dir_of (pid_t   pid,
               char  **reason)
{
  g_autofree char *path = pid > 0 ? g_strdup_printf ("/proc/%d/cgroup", (int) pid)
                                  : g_strdup ("/proc/self/cgroup");
  g_autofree char *cgroups = NULL;
  g_autofree char *mount = NULL;
  char *own = NULL;
  char *end;

  g_assert_true (g_file_get_contents (path, &cgroups, NULL, NULL));
  if (g_str_has_prefix (cgroups, "0::"))
    own = cgroups + 3;
  else if ((end = strstr (cgroups, "\n0::")) != NULL)
    own = end + 4;
  if (own == NULL)
    {
      *reason = g_strdup ("this process is in no cgroup v2 (cgroup v1 only)");
      return NULL;
    }
  if ((end = strchr (own, '\n')) != NULL)
    *end = '\0';

  mount = cgroup2_mount (reason);
  if (mount == NULL)
    return NULL;

  return strcmp (own, "/") == 0 ? g_strdup (mount) : g_strconcat (mount, own, NULL);
}

/* TRUE (and the test skipped, saying why) without a cgroup v2 this
 * process can create cgroups in. */
static gboolean
skip_without_cgroup (void)
{
  g_autofree char *reason = NULL;
  g_autofree char *own = cgroup_dir_of (0, &reason);
  g_autofree char *probe = NULL;

  if (own != NULL)
    {
      probe = g_strdup_printf ("%s/tpx-test-lifetime-probe-%d", own, (int) getpid ());
      if (mkdir (probe, 0755) == 0)
        {
          g_assert_no_errno (rmdir (probe));
          return FALSE;
        }
      reason = g_strdup_printf ("no writable cgroup v2 here: mkdir %s: %s",
                                probe, g_strerror (errno));
    }

  g_test_message ("CGROUP mode not tested: %s", reason);
  g_test_skip (reason);
  return TRUE;
}

static gboolean
path_gone_cond (gpointer user_data)
{
  return !g_file_test (user_data, G_FILE_TEST_EXISTS);
}

/* The main loop runs tpx's removal watch: the directory goes. */
static void
wait_cgroup_removed (const char *path)
{
  run_until (path_gone_cond, (gpointer) path, TRUE, "the cgroup to be removed");
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (strcmp (tracked_cgroups[i], path) == 0)
      tracked_cgroups[i][0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Trees: the helper's `tree` mode */

typedef struct {
  TpxTestRecorder     *rec;
  TpxProcessTransport *transport;   /* borrowed from rec */
  pid_t                child;
  pid_t                middle;
  pid_t                leaf;
  pid_t                daemon;
  char                *cgroup;      /* CGROUP mode: the tree's directory */
} Tree;

static pid_t
role_pid (const char *text,
          const char *role)
{
  g_autofree char *prefix = g_strconcat (role, " ", NULL);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return (pid_t) g_ascii_strtoll (lines[i] + strlen (prefix), NULL, 10);

  g_test_message ("no “%s” in the tree's output: %s", role, text);
  g_assert_not_reached ();
}

/* Spawns a whole tree and waits until each of its four processes said
 * its pid and the child said "ready". */
static Tree *
tree_spawn (TpxProcessLauncher *launcher,
            gboolean            ignore_term)
{
  Tree *tree = g_new0 (Tree, 1);
  const char *text;

  tree->rec = record_helper (launcher, "tree", ignore_term ? "ignore-term" : NULL);
  tree->transport = tree->rec->transport;
  wait_lines (tree->rec, 5);

  text = tpx_test_recorder_text (tree->rec, 1);
  tree->child = role_pid (text, "child");
  tree->middle = role_pid (text, "middle");
  tree->leaf = role_pid (text, "leaf");
  tree->daemon = role_pid (text, "daemon");
  g_assert_cmpint (tree->child, ==, tpx_process_transport_get_pid (tree->transport));
  track_pid (tree->middle);
  track_pid (tree->leaf);
  track_pid (tree->daemon);

  return tree;
}

/* CGROUP mode: every process of the tree is in one new cgroup of ours. */
static void
tree_check_cgroup (Tree *tree)
{
  g_autofree char *reason = NULL;
  g_autofree char *own = cgroup_dir_of (0, &reason);
  g_autofree char *prefix = g_strdup_printf ("tpx-%d-", (int) getpid ());
  g_autofree char *base = NULL;
  pid_t pids[] = { tree->middle, tree->leaf, tree->daemon };

  tree->cgroup = cgroup_dir_of (tree->child, &reason);
  g_assert_nonnull (tree->cgroup);
  track_cgroup (tree->cgroup);

  base = g_path_get_basename (tree->cgroup);
  g_assert_true (g_str_has_prefix (base, prefix));
  g_assert_true (g_str_has_prefix (tree->cgroup, own));
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      g_autofree char *dir = cgroup_dir_of (pids[i], &reason);

      g_assert_cmpstr (dir, ==, tree->cgroup);
    }
}

static void
tree_free (Tree *tree)
{
  tpx_test_recorder_free (tree->rec);
  g_free (tree->cgroup);
  g_free (tree);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tree, tree_free)

/* ------------------------------------------------------------------ */
/* Defaults and stop() */

static void
test_defaults (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = TRUE;

  /* Every default but the stop timeout (the teardown would wait 5 s). */
  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);
  rec = record_ready (launcher, "sleep-forever");

  /* PROCESS mode: the tree is the child alone; nothing happens by itself. */
  g_assert_false (tpx_process_transport_get_timed_out (rec->transport));
  g_object_get (rec->transport, "timed-out", &timed_out, NULL);
  g_assert_false (timed_out);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (rec->transport), ==, 1);

  /* The stop signal is SIGTERM by default. */
  tpx_process_transport_stop (rec->transport);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGTERM);
  g_assert_false (tpx_process_transport_get_timed_out (rec->transport));
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (rec->transport), ==, 0);

  g_assert_false (tpx_process_transport_signal_tree (rec->transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
}

static void
test_stop_signal (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;

  tpx_process_launcher_set_stop_signal (launcher, SIGHUP);
  rec = record_ready (launcher, "sleep-forever");
  tpx_process_transport_stop (rec->transport);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGHUP);
}

/* A child that ignores SIGTERM gets SIGKILL, and not before the stop
 * timeout; stop() called again meanwhile changes nothing. */
static void
test_stop_escalation (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  gint64 start;

  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);
  rec = record_ready (launcher, "ignore-term");

  start = g_get_monotonic_time ();
  tpx_process_transport_stop (rec->transport);
  tpx_process_transport_stop (rec->transport);
  g_assert_false (rec->exited);
  wait_ended (rec);

  g_assert_cmpint (elapsed_ms (start), >=, STOP_TIMEOUT_MS);
  tpx_test_assert_killed (rec->end_status, SIGKILL);
  g_assert_cmpuint (rec->n_ended, ==, 1);
}

/* A stop timeout of 0: SIGKILL at once, and no SIGTERM first (a child
 * SIGTERM ends would say SIGTERM). */
static void
test_stop_zero_timeout (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;

  tpx_process_launcher_set_stop_timeout (launcher, 0);
  rec = record_ready (launcher, "sleep-forever");
  tpx_process_transport_stop (rec->transport);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGKILL);
}

/* stop() is idempotent: one end, one status; after the end it does
 * nothing; a stop before the loop ever ran works too. */
static void
test_stop_idempotent (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = record_helper (launcher, "sleep-forever", NULL);

  for (guint i = 0; i < 3; i++)
    tpx_process_transport_stop (rec->transport);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGTERM);

  tpx_process_transport_stop (rec->transport);
  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_clear_pointer (&rec, tpx_test_recorder_free);

  /* A child that ended by itself: stop() afterwards changes nothing. */
  {
    g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "3", NULL);

    rec = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  }
  tpx_test_assert_exited (rec->end_status, 3);
  tpx_process_transport_stop (rec->transport);
  tpx_test_assert_exited (tpx_process_transport_get_status (rec->transport), 3);
  g_assert_cmpuint (rec->n_ended, ==, 1);
}

/* A transport without a child: stop() does nothing, the rest says so. */
static void
test_no_child (void)
{
  g_autoptr(TpxProcessTransport) transport = g_object_new (TPX_TYPE_PROCESS_TRANSPORT, NULL);
  g_autoptr(GError) error = NULL;

  tpx_process_transport_stop (transport);
  g_assert_false (tpx_process_transport_get_timed_out (transport));
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (transport), ==, 0);
  g_assert_false (tpx_process_transport_signal_tree (transport, "TERM", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
}

/* ------------------------------------------------------------------ */
/* The run-time limit */

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_timeout_expires (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  guint n_notify = 0;
  gint64 start = g_get_monotonic_time ();
  gboolean timed_out = FALSE;

  tpx_process_launcher_set_timeout (launcher, 200);
  rec = record_helper (launcher, "sleep-forever", NULL);
  g_signal_connect (rec->transport, "notify::timed-out", G_CALLBACK (notify_count_cb), &n_notify);

  wait_ended (rec);
  g_assert_cmpint (elapsed_ms (start), >=, 200);
  g_assert_true (tpx_process_transport_get_timed_out (rec->transport));
  g_object_get (rec->transport, "timed-out", &timed_out, NULL);
  g_assert_true (timed_out);
  g_assert_cmpuint (n_notify, ==, 1);
  /* The timeout stopped it: the stop signal, SIGTERM. */
  tpx_test_assert_killed (rec->end_status, SIGTERM);
}

/* A timeout stops with the launcher's settings: SIGKILL follows. */
static void
test_timeout_escalation (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  gint64 start = g_get_monotonic_time ();

  tpx_process_launcher_set_timeout (launcher, 100);
  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);
  rec = record_helper (launcher, "ignore-term", NULL);

  wait_ended (rec);
  g_assert_cmpint (elapsed_ms (start), >=, 100 + STOP_TIMEOUT_MS);
  g_assert_true (tpx_process_transport_get_timed_out (rec->transport));
  tpx_test_assert_killed (rec->end_status, SIGKILL);
}

static void
test_timeout_not_reached (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "0", NULL);

  tpx_process_launcher_set_timeout (launcher, 10 * TIMEOUT_MS);
  rec = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_false (tpx_process_transport_get_timed_out (rec->transport));
}

/* ------------------------------------------------------------------ */
/* The bounded drain */

/* The helper's `grandchild` mode exits at once; its grandchild keeps the
 * pipes open until its stdin reaches end of file. Without a drain timeout
 * process-ended would wait for it. */
static void
test_drain_timeout (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *trace = NULL;
  gint64 exited_at;

  tpx_process_launcher_set_drain_timeout (launcher, 200);
  rec = record_helper (launcher, "grandchild", NULL);

  run_until (exited_cond, rec, FALSE, "process-exited");
  exited_at = g_get_monotonic_time ();
  tpx_test_assert_exited (rec->exit_status, 0);
  wait_ended (rec);
  g_assert_cmpint (elapsed_ms (exited_at), >=, 200 - 20 /* the reap came before */);

  /* Every pipe was lost, then the end. */
  trace = tpx_test_recorder_trace (rec);
  g_test_message ("events: %s", trace);
  g_assert_true (g_str_has_suffix (trace, "ended"));
  for (int fd = 0; fd <= 2; fd++)
    {
      g_autofree char *lost = g_strdup_printf ("lost:%d", fd);

      g_assert_nonnull (strstr (trace, lost));
    }
  tpx_test_assert_exited (rec->end_status, 0);

  /* The grandchild saw its stdin close, and exits (an orphan: ours). */
}

/* 0: the pipes close right after the reap, once what is readable now was
 * read: "early", written before the child exited, is delivered. */
static void
test_drain_zero (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *argv[] = {
    "/bin/sh", "-c", "printf early; exec \"$0\" grandchild", tpx_test_helper_path (), NULL
  };

  tpx_process_launcher_set_drain_timeout (launcher, 0);
  rec = record_argv (launcher, argv);
  wait_ended (rec);
  tpx_test_assert_exited (rec->end_status, 0);
  /* (The grandchild may say its line too: stdin's end, closed by the
   * drain, lets it go.) */
  g_assert_true (g_str_has_prefix (tpx_test_recorder_text (rec, 1), "early"));
  g_assert_cmpuint (rec->n_ended, ==, 1);
}

/* ------------------------------------------------------------------ */
/* Trees */

static void
test_tree_process_group (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS_GROUP);
  g_autoptr(Tree) tree = tree_spawn (launcher, FALSE);
  g_autoptr(GError) error = NULL;
  pid_t daemon = tree->daemon;

  /* The child leads a group: itself, the middle and the leaf. The daemon
   * left it (setsid). */
  g_assert_cmpint (getpgid (tree->child), ==, tree->child);
  g_assert_cmpint (getpgid (tree->leaf), ==, tree->child);
  g_assert_cmpint (getpgid (tree->daemon), !=, tree->child);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 3);

  tpx_process_transport_stop (tree->transport);
  wait_ended (tree->rec);
  tpx_test_assert_killed (tree->rec->end_status, SIGTERM);
  assert_orphan_killed (tree->middle, SIGTERM);
  assert_orphan_killed (tree->leaf, SIGTERM);

  /* As expected, the group does not reach a daemon. */
  assert_alive (daemon);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 0);
  g_assert_false (tpx_process_transport_signal_tree (tree->transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  g_assert_no_errno (kill (daemon, SIGKILL));
  assert_orphan_killed (daemon, SIGKILL);
}

static void
test_tree_cgroup (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_CGROUP);
  g_autoptr(Tree) tree = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_cgroup ())
    return;

  tree = tree_spawn (launcher, FALSE);
  tree_check_cgroup (tree);
  g_test_message ("the tree's cgroup: %s", tree->cgroup);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 4);

  tpx_process_transport_stop (tree->transport);
  wait_ended (tree->rec);
  tpx_test_assert_killed (tree->rec->end_status, SIGTERM);

  /* All of it, the daemon included. */
  assert_orphan_killed (tree->middle, SIGTERM);
  assert_orphan_killed (tree->leaf, SIGTERM);
  assert_orphan_killed (tree->daemon, SIGTERM);
  wait_cgroup_removed (tree->cgroup);

  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 0);
  g_assert_false (tpx_process_transport_signal_tree (tree->transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
}

/* Every process of the tree ignores SIGTERM: SIGKILL reaches all of it,
 * not before the stop timeout. */
static void
tree_escalation (TpxKillMode mode)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (mode);
  g_autoptr(Tree) tree = NULL;
  gint64 start;

  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);
  tree = tree_spawn (launcher, TRUE);
  if (mode == TPX_KILL_MODE_CGROUP)
    tree_check_cgroup (tree);

  start = g_get_monotonic_time ();
  tpx_process_transport_stop (tree->transport);
  wait_ended (tree->rec);
  g_assert_cmpint (elapsed_ms (start), >=, STOP_TIMEOUT_MS);
  tpx_test_assert_killed (tree->rec->end_status, SIGKILL);
  assert_orphan_killed (tree->middle, SIGKILL);
  assert_orphan_killed (tree->leaf, SIGKILL);

  if (mode == TPX_KILL_MODE_CGROUP)
    {
      assert_orphan_killed (tree->daemon, SIGKILL);
      wait_cgroup_removed (tree->cgroup);
    }
  else
    {
      assert_alive (tree->daemon);
      g_assert_no_errno (kill (tree->daemon, SIGKILL));
      assert_orphan_killed (tree->daemon, SIGKILL);
    }
}

static void
test_tree_escalation_process_group (void)
{
  tree_escalation (TPX_KILL_MODE_PROCESS_GROUP);
}

static void
test_tree_escalation_cgroup (void)
{
  if (skip_without_cgroup ())
    return;
  tree_escalation (TPX_KILL_MODE_CGROUP);
}

/* PROCESS mode: stop() reaches the child alone; the rest of the tree
 * holds the pipes, so process-ended waits for it. */
static void
test_tree_process (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(Tree) tree = tree_spawn (launcher, FALSE);

  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 1);
  tpx_process_transport_stop (tree->transport);
  run_until (exited_cond, tree->rec, FALSE, "process-exited");
  tpx_test_assert_killed (tree->rec->exit_status, SIGTERM);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 0);
  assert_alive (tree->middle);
  assert_alive (tree->leaf);
  g_assert_false (tree->rec->ended);

  /* What holds the pipes dies: the end. */
  g_assert_no_errno (kill (tree->middle, SIGKILL));
  g_assert_no_errno (kill (tree->leaf, SIGKILL));
  wait_ended (tree->rec);
  assert_orphan_killed (tree->middle, SIGKILL);
  assert_orphan_killed (tree->leaf, SIGKILL);
  g_assert_no_errno (kill (tree->daemon, SIGKILL));
  assert_orphan_killed (tree->daemon, SIGKILL);
}

/* ------------------------------------------------------------------ */
/* signal_tree() */

static void
test_signal_tree_process (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxTestRecorder) rec = record_ready (launcher, "sleep-forever");
  g_autoptr(GError) error = NULL;

  g_assert_false (tpx_process_transport_signal_tree (rec->transport, "NOSUCHSIGNAL", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (tpx_process_transport_signal_tree (rec->transport, "0", &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_signal_tree (rec->transport, "SIGUSR1", &error));
  g_assert_no_error (error);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGUSR1);

  g_assert_false (tpx_process_transport_signal_tree (rec->transport, "KILL", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
}

/* After the child was reaped, signal_tree() still reaches what is left
 * of its tree; then EXITED_ALREADY once nothing is. */
static void
signal_tree_after_reap (TpxKillMode mode)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (mode);
  g_autoptr(Tree) tree = tree_spawn (launcher, FALSE);
  g_autoptr(GError) error = NULL;

  if (mode == TPX_KILL_MODE_CGROUP)
    tree_check_cgroup (tree);

  /* The child alone. */
  g_assert_true (tpx_process_transport_signal_process (tree->transport, "KILL", &error));
  g_assert_no_error (error);
  run_until (exited_cond, tree->rec, FALSE, "process-exited");
  tpx_test_assert_killed (tree->rec->exit_status, SIGKILL);
  g_assert_false (tree->rec->ended);
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==,
                    mode == TPX_KILL_MODE_CGROUP ? 3 : 2);

  /* The rest of the tree, through its group or its cgroup. */
  g_assert_true (tpx_process_transport_signal_tree (tree->transport, "USR1", &error));
  g_assert_no_error (error);
  wait_ended (tree->rec);
  assert_orphan_killed (tree->middle, SIGUSR1);
  assert_orphan_killed (tree->leaf, SIGUSR1);

  if (mode == TPX_KILL_MODE_CGROUP)
    {
      /* The daemon was in it too; the cgroup goes once it is empty. */
      assert_orphan_killed (tree->daemon, SIGUSR1);
      wait_cgroup_removed (tree->cgroup);
    }
  else
    {
      g_assert_no_errno (kill (tree->daemon, SIGKILL));
      assert_orphan_killed (tree->daemon, SIGKILL);
    }

  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 0);
  g_assert_false (tpx_process_transport_signal_tree (tree->transport, "USR1", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
}

static void
test_signal_tree_process_group (void)
{
  signal_tree_after_reap (TPX_KILL_MODE_PROCESS_GROUP);
}

typedef struct {
  pid_t pid;
} Zombie;

static gboolean
zombie_cond (gpointer user_data)
{
  return process_state (((Zombie *) user_data)->pid) == 'Z';
}

/* Members of the group that died but nobody reaped (where init does not
 * reap orphans, as in some containers) are not the tree: once they are
 * all that is left, EXITED_ALREADY, as n_tree_processes says 0 and as in
 * CGROUP mode. Here we, the subreaper, leave them unreaped for a while. */
static void
test_signal_tree_zombies (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS_GROUP);
  g_autoptr(Tree) tree = tree_spawn (launcher, FALSE);
  g_autoptr(GError) error = NULL;
  Zombie middle = { tree->middle }, leaf = { tree->leaf };

  tpx_process_transport_stop (tree->transport);
  wait_ended (tree->rec);
  run_until (zombie_cond, &middle, TRUE, "the middle process to die");
  run_until (zombie_cond, &leaf, TRUE, "the leaf process to die");

  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 0);
  g_assert_false (tpx_process_transport_signal_tree (tree->transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  assert_orphan_killed (tree->middle, SIGTERM);
  assert_orphan_killed (tree->leaf, SIGTERM);
  g_assert_no_errno (kill (tree->daemon, SIGKILL));
  assert_orphan_killed (tree->daemon, SIGKILL);
}

static void
test_signal_tree_cgroup (void)
{
  if (skip_without_cgroup ())
    return;
  signal_tree_after_reap (TPX_KILL_MODE_CGROUP);
}

/* CGROUP mode: a daemon that outlives the end is still reached through
 * the transport, and the cgroup goes once it died. */
static void
test_cgroup_daemon_outlives (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_CGROUP);
  g_autoptr(Tree) tree = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_cgroup ())
    return;

  tree = tree_spawn (launcher, FALSE);
  tree_check_cgroup (tree);

  /* The child, the middle and the leaf: process-ended comes; the daemon
   * (stdio on /dev/null) lives on in the cgroup. */
  g_assert_no_errno (kill (tree->middle, SIGKILL));
  g_assert_no_errno (kill (tree->leaf, SIGKILL));
  g_assert_true (tpx_process_transport_send_signal (tree->transport, SIGKILL, &error));
  wait_ended (tree->rec);
  assert_orphan_killed (tree->middle, SIGKILL);
  assert_orphan_killed (tree->leaf, SIGKILL);
  assert_alive (tree->daemon);
  g_assert_true (g_file_test (tree->cgroup, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (tpx_process_transport_get_n_tree_processes (tree->transport), ==, 1);

  g_assert_true (tpx_process_transport_signal_tree (tree->transport, "TERM", &error));
  g_assert_no_error (error);
  assert_orphan_killed (tree->daemon, SIGTERM);
  wait_cgroup_removed (tree->cgroup);
}

/* The cgroup is removed even after the transport is gone. */
static void
test_cgroup_removed_after_transport (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_CGROUP);
  g_autoptr(Tree) tree = NULL;
  g_autoptr(GError) error = NULL;
  pid_t daemon;

  if (skip_without_cgroup ())
    return;

  tree = tree_spawn (launcher, FALSE);
  tree_check_cgroup (tree);
  daemon = tree->daemon;

  g_assert_no_errno (kill (tree->middle, SIGKILL));
  g_assert_no_errno (kill (tree->leaf, SIGKILL));
  g_assert_true (tpx_process_transport_send_signal (tree->transport, SIGKILL, &error));
  wait_ended (tree->rec);
  assert_orphan_killed (tree->middle, SIGKILL);
  assert_orphan_killed (tree->leaf, SIGKILL);

  /* Nobody holds the transport any more. */
  g_clear_pointer (&tree->rec, tpx_test_recorder_free);
  tree->transport = NULL;
  g_assert_true (g_file_test (tree->cgroup, G_FILE_TEST_IS_DIR));

  g_assert_no_errno (kill (daemon, SIGKILL));
  assert_orphan_killed (daemon, SIGKILL);
  wait_cgroup_removed (tree->cgroup);
}

/* No cgroup v2 at the parent given: NOT_SUPPORTED, nothing left behind
 * (no process, no fd, no directory). Needs no writable cgroup. */
static void
test_cgroup_not_supported (void)
{
  const char *parents[] = { "/tmp", "/nonexistent/tpx-no-such-cgroup" };

  for (guint i = 0; i < G_N_ELEMENTS (parents); i++)
    {
      g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_CGROUP);
      g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = NULL;
      const char *name;
      guint n_fds;

      /* Whatever the library keeps per main context exists already. */
      tpx_test_recorder_free (tpx_test_run_helper (NULL, "write-both", TIMEOUT_MS));
      n_fds = tpx_test_count_fds ();

      tpx_process_launcher_set_cgroup_parent (launcher, parents[i]);
      transport = tpx_process_launcher_spawn (launcher, NULL, argv[0],
                                              (const char * const *) argv, &error);
      g_assert_null (transport);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, parents[i]));
      g_assert_nonnull (strstr (error->message, argv[0]));

      g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
      tpx_test_assert_no_children ();
      dir = g_dir_open ("/tmp", 0, NULL);
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *prefix = g_strdup_printf ("tpx-%d-", (int) getpid ());

          g_assert_false (g_str_has_prefix (name, prefix));
        }
    }
}

/* ------------------------------------------------------------------ */
/* die_with_parent */

static void
middle_ready_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  /* Its child is ready (it wrote before we die: no SIGPIPE). */
  g_print ("grandchild %d\n", tpx_process_transport_get_pid (transport));
  fflush (stdout);
}

/* The middle process of the die-with-parent tests: this program run
 * again, which spawns the helper in @mode with tpx from its main thread
 * (with die_with_parent or not; as nobody or not), says "grandchild PID"
 * once the helper said "ready", and runs its main loop until it is
 * killed. */
static int
middle_main (const char *helper,
             gboolean    die_with_parent,
             gboolean    as_nobody)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  const char *argv[] = { helper, "sleep-forever", NULL };

  tpx_process_launcher_set_die_with_parent (launcher, die_with_parent);
  if (as_nobody)
    {
      tpx_process_launcher_set_uid (launcher, 65534);
      tpx_process_launcher_set_gid (launcher, 65534);
    }
  transport = tpx_process_launcher_spawn (launcher, NULL, helper, argv, &error);
  if (transport == NULL)
    {
      g_printerr ("middle: %s\n", error->message);
      return 1;
    }

  g_signal_connect (transport, "child-data", G_CALLBACK (middle_ready_cb), NULL);
  g_main_loop_run (loop);

  return 0;
}

/* Spawns the middle, kills it once it said its child's pid; returns that
 * pid (an orphan of ours now). */
static pid_t
kill_middle (gboolean die_with_parent,
             gboolean as_nobody)
{
  g_autofree char *self = g_test_build_filename (G_TEST_BUILT, "test-lifetime", NULL);
  const char *argv[] = { self, MIDDLE_MODE, tpx_test_helper_path (),
                         die_with_parent ? "1" : "0", as_nobody ? "nobody" : NULL, NULL };
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  pid_t grandchild;

  tpx_process_launcher_inherit_environ (launcher);
  transport = tpx_process_launcher_spawn (launcher, NULL, self, argv, &error);
  g_assert_no_error (error);
  track_transport (transport);
  rec = tpx_test_recorder_new (transport);
  wait_lines (rec, 1);
  grandchild = role_pid (tpx_test_recorder_text (rec, 1), "grandchild");
  g_assert_cmpint (grandchild, >, 0);
  track_pid (grandchild);

  /* The death signal is sent as the middle dies, before it is reaped. */
  g_assert_true (tpx_process_transport_send_signal (transport, SIGKILL, &error));
  g_assert_no_error (error);
  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGKILL);

  return grandchild;
}

static void
test_die_with_parent (void)
{
  pid_t grandchild = kill_middle (TRUE, FALSE);

  assert_orphan_killed (grandchild, SIGKILL);
}

/* A child that runs as another user keeps its death signal: the kernel
 * clears it when the ids change, so it must be armed after they did. */
static void
test_die_with_parent_other_user (void)
{
  pid_t grandchild;

  if (geteuid () != 0)
    {
      g_test_skip ("switching the child to another uid needs root");
      return;
    }

  grandchild = kill_middle (TRUE, TRUE);
  assert_orphan_killed (grandchild, SIGKILL);
}

/* Without it, the middle's child lives on (so the test above is not a
 * coincidence). */
static void
test_die_with_parent_off (void)
{
  pid_t grandchild = kill_middle (FALSE, FALSE);

  assert_alive (grandchild);
  g_assert_no_errno (kill (grandchild, SIGTERM));
  assert_orphan_killed (grandchild, SIGTERM);
}

static gpointer
spawn_in_thread_func (gpointer data)
{
  TpxProcessLauncher *launcher = data;
  GMainContext *context = g_main_context_default ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
  TpxProcessTransport *transport;

  /* The transport belongs to the main thread's context. */
  g_main_context_push_thread_default (context);
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_main_context_pop_thread_default (context);

  return transport;
}

/* The documented trap: Linux sends the death signal when the *thread*
 * that spawned the child ends, though the process lives on. */
static void
test_die_with_parent_thread (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  GThread *thread;

  tpx_process_launcher_set_die_with_parent (launcher, TRUE);
  thread = g_thread_new ("spawner", spawn_in_thread_func, launcher);
  transport = g_thread_join (thread);
  track_transport (transport);
  rec = tpx_test_recorder_new (transport);

  wait_ended (rec);
  tpx_test_assert_killed (rec->end_status, SIGKILL);
}

/* ------------------------------------------------------------------ */
/* wait_async() */

typedef struct {
  GAsyncResult     *result;
  TpxTestRecorder  *rec;           /* to check the order */
  gboolean          ended_first;
  gboolean          done;
} WaitResult;

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  WaitResult *w = user_data;

  g_assert_false (w->done);
  w->result = g_object_ref (result);
  w->ended_first = w->rec == NULL || w->rec->ended;
  w->done = TRUE;
}

static void
wait_result_clear (WaitResult *w)
{
  g_clear_object (&w->result);
}

static void
test_wait_async (void)
{
  g_autoptr(TpxTestRecorder) rec = record_ready (NULL, "sleep-forever");
  g_autoptr(TpxProcessStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  WaitResult w1 = { .rec = rec }, w2 = { .rec = rec };

  tpx_process_transport_wait_async (rec->transport, NULL, wait_cb, &w1);
  tpx_process_transport_wait_async (rec->transport, NULL, wait_cb, &w2);
  g_assert_false (w1.done);

  tpx_process_transport_stop (rec->transport);
  run_until (ended_cond, rec, FALSE, "process-ended");
  tpx_test_run_until (&w1.done, TIMEOUT_MS);
  tpx_test_run_until (&w2.done, TIMEOUT_MS);

  /* After process-ended, with its status. */
  g_assert_true (w1.ended_first);
  g_assert_true (w2.ended_first);
  g_assert_true (g_task_is_valid (w1.result, rec->transport));
  status = tpx_process_transport_wait_finish (rec->transport, w1.result, &error);
  g_assert_no_error (error);
  g_assert_true (status == rec->end_status);
  g_clear_object (&status);
  status = tpx_process_transport_wait_finish (rec->transport, w2.result, &error);
  g_assert_true (status == rec->end_status);
  tpx_test_assert_killed (status, SIGTERM);

  wait_result_clear (&w1);
  wait_result_clear (&w2);
}

/* Called after the end: at the next iteration, never inside the call. */
static void
test_wait_async_after_end (void)
{
  g_autoptr(TpxTestRecorder) rec = tpx_test_run_helper (NULL, "write-both", TIMEOUT_MS);
  g_autoptr(TpxProcessStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  WaitResult w = { 0 };

  tpx_process_transport_wait_async (rec->transport, NULL, wait_cb, &w);
  g_assert_false (w.done);
  g_main_context_iteration (NULL, FALSE);
  g_assert_true (w.done);

  status = tpx_process_transport_wait_finish (rec->transport, w.result, &error);
  g_assert_no_error (error);
  g_assert_true (status == rec->end_status);
  tpx_test_assert_exited (status, 0);
  wait_result_clear (&w);
}

/* Cancelling fails the wait and does nothing to the child. */
static void
test_wait_async_cancel (void)
{
  g_autoptr(TpxTestRecorder) rec = record_ready (NULL, "sleep-forever");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  WaitResult w = { 0 }, w_before = { 0 }, w_other = { .rec = rec };

  tpx_process_transport_wait_async (rec->transport, cancellable, wait_cb, &w);
  tpx_process_transport_wait_async (rec->transport, NULL, wait_cb, &w_other);
  g_cancellable_cancel (cancelled);
  tpx_process_transport_wait_async (rec->transport, cancelled, wait_cb, &w_before);
  g_assert_false (w_before.done);

  g_cancellable_cancel (cancellable);
  g_assert_false (w.done);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  tpx_test_run_until (&w_before.done, TIMEOUT_MS);
  g_assert_null (tpx_process_transport_wait_finish (rec->transport, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (tpx_process_transport_wait_finish (rec->transport, w_before.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The child runs on, and the other wait is still waiting. */
  g_assert_false (rec->exited);
  g_assert_false (w_other.done);
  g_assert_true (tpx_process_transport_send_signal (rec->transport, 0, &error));
  assert_alive (tpx_process_transport_get_pid (rec->transport));

  tpx_process_transport_stop (rec->transport);
  tpx_test_run_until (&w_other.done, TIMEOUT_MS);
  g_assert_true (w_other.ended_first);
  tpx_test_assert_killed (rec->end_status, SIGTERM);

  wait_result_clear (&w);
  wait_result_clear (&w_before);
  wait_result_clear (&w_other);
}

static void
test_wait_async_no_child (void)
{
  g_autoptr(TpxProcessTransport) transport = g_object_new (TPX_TYPE_PROCESS_TRANSPORT, NULL);
  g_autoptr(GError) error = NULL;
  WaitResult w = { 0 };

  tpx_process_transport_wait_async (transport, NULL, wait_cb, &w);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  g_assert_null (tpx_process_transport_wait_finish (transport, w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  wait_result_clear (&w);
}

/* ------------------------------------------------------------------ */
/* The output helpers */

static void
helper_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  WaitResult *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

/* A timeout fails each helper with TIMED_OUT; the message names the
 * executable and the timeout; output_and_value keeps what was written. */
static void
test_utils_timeout (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  const char *args[] = { "sleep-forever", NULL };
  const char *sh_args[] = {
    "-c", "printf partial; printf oops >&2; exec \"$0\" sleep-forever", tpx_test_helper_path (), NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  WaitResult w = { 0 };
  int code = 42;
  gint64 start;

  tpx_process_launcher_set_timeout (launcher, 200);

  start = g_get_monotonic_time ();
  tpx_get_process_output_async (tpx_test_helper_path (), args, launcher,
                                TPX_OUTPUT_FLAGS_NONE, NULL, helper_cb, &w);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  g_assert_cmpint (elapsed_ms (start), >=, 200);
  g_assert_null (tpx_get_process_output_finish (w.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, tpx_test_helper_path ()));
  g_assert_nonnull (strstr (error->message, "200"));
  g_clear_error (&error);
  wait_result_clear (&w);
  w.done = FALSE;

  tpx_get_process_value_async (tpx_test_helper_path (), args, launcher, NULL, helper_cb, &w);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  g_assert_cmpint (tpx_get_process_value_finish (w.result, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&error);
  wait_result_clear (&w);
  w.done = FALSE;

  tpx_get_process_output_and_value_async ("/bin/sh", sh_args, launcher, NULL, NULL, helper_cb, &w);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  g_assert_false (tpx_get_process_output_and_value_finish (w.result, &out, &err, &code, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "/bin/sh"));
  g_assert_cmpint (code, ==, -1);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "partialready\n", 13);
  g_assert_cmpmem (g_bytes_get_data (err, NULL), g_bytes_get_size (err), "oops", 4);
  wait_result_clear (&w);

  tpx_test_assert_no_children ();
}

/* A child that ends in time is not affected by the timeout. */
static void
test_utils_timeout_not_reached (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  const char *args[] = { "write-out", "in time", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = NULL;
  WaitResult w = { 0 };

  tpx_process_launcher_set_timeout (launcher, 10 * TIMEOUT_MS);
  tpx_get_process_output_async (tpx_test_helper_path (), args, launcher,
                                TPX_OUTPUT_FLAGS_NONE, NULL, helper_cb, &w);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  out = tpx_get_process_output_finish (w.result, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "in time", 7);
  wait_result_clear (&w);
}

static gboolean
ready_readable_cb (int          fd,
                   GIOCondition condition,
                   gpointer     user_data)
{
  GString *text = user_data;
  char buffer[64];
  gssize n;

  do
    n = read (fd, buffer, sizeof buffer);
  while (n < 0 && errno == EINTR);
  g_assert_cmpint (n, >, 0);
  g_string_append_len (text, buffer, n);

  return strchr (text->str, '\n') == NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
line_cond (gpointer user_data)
{
  return strchr (((GString *) user_data)->str, '\n') != NULL;
}

/* Cancelling stops the child with the launcher's settings: a child that
 * ignores SIGTERM is killed after the stop timeout, not before. Its
 * stdout is a pipe of ours, to know when it ignores SIGTERM. */
static void
test_utils_cancel_stops (void)
{
  g_autoptr(TpxProcessLauncher) launcher = launcher_new (TPX_KILL_MODE_PROCESS);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GSource) source = NULL;
  const char *args[] = { "ignore-term", NULL };
  g_autoptr(GError) error = NULL;
  WaitResult w = { 0 };
  gint64 start;
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
  g_assert_no_error (error);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_INHERIT, fds[1]);
  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);
  tpx_get_process_value_async (tpx_test_helper_path (), args, launcher, cancellable, helper_cb, &w);
  close (fds[1]);

  source = g_unix_fd_source_new (fds[0], G_IO_IN | G_IO_HUP);
  g_source_set_callback (source, G_SOURCE_FUNC (ready_readable_cb), text, NULL);
  g_source_attach (source, NULL);
  run_until (line_cond, text, FALSE, "the child to ignore SIGTERM");
  g_source_destroy (source);
  g_assert_cmpstr (text->str, ==, "ready\n");

  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  tpx_test_run_until (&w.done, TIMEOUT_MS);
  g_assert_cmpint (elapsed_ms (start), >=, STOP_TIMEOUT_MS);
  g_assert_cmpint (tpx_get_process_value_finish (w.result, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_result_clear (&w);
  close (fds[0]);

  tpx_test_assert_no_children ();
}

/* ------------------------------------------------------------------ */

/* Each test runs, its own references go, then the teardown. */
static void
run_test (gpointer      fixture,
          gconstpointer data)
{
  void (*test) (void) = (void (*) (void)) data;

  test ();
}

static void
run_teardown (gpointer      fixture,
              gconstpointer data)
{
  teardown ();
}

int
main (int    argc,
      char **argv)
{
  struct sigaction action = { .sa_handler = fatal_signal_handler };

  if (argc >= 4 && strcmp (argv[1], MIDDLE_MODE) == 0)
    return middle_main (argv[2], strcmp (argv[3], "1") == 0,
                        argc > 4 && strcmp (argv[4], "nobody") == 0);

  g_test_init (&argc, &argv, NULL);

  test_pid = getpid ();
  sigaction (SIGABRT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGALRM, &action, NULL);
  /* Orphans of the trees come back to us, to be checked and reaped. */
  g_assert_no_errno (prctl (PR_SET_CHILD_SUBREAPER, 1));
  tracked_transports = g_ptr_array_new_with_free_func (weak_ref_free);

#define ADD(path, func) \
  g_test_add_vtable ("/tpx/lifetime/" path, 0, (gconstpointer) func, NULL, run_test, run_teardown)

  ADD ("defaults", test_defaults);
  ADD ("no-child", test_no_child);
  ADD ("stop/signal", test_stop_signal);
  ADD ("stop/escalation", test_stop_escalation);
  ADD ("stop/zero-timeout", test_stop_zero_timeout);
  ADD ("stop/idempotent", test_stop_idempotent);
  ADD ("timeout/expires", test_timeout_expires);
  ADD ("timeout/escalation", test_timeout_escalation);
  ADD ("timeout/not-reached", test_timeout_not_reached);
  ADD ("drain/timeout", test_drain_timeout);
  ADD ("drain/zero", test_drain_zero);
  ADD ("tree/process", test_tree_process);
  ADD ("tree/process-group", test_tree_process_group);
  ADD ("tree/cgroup", test_tree_cgroup);
  ADD ("tree/escalation-process-group", test_tree_escalation_process_group);
  ADD ("tree/escalation-cgroup", test_tree_escalation_cgroup);
  ADD ("signal-tree/process", test_signal_tree_process);
  ADD ("signal-tree/process-group", test_signal_tree_process_group);
  ADD ("signal-tree/cgroup", test_signal_tree_cgroup);
  ADD ("signal-tree/zombies", test_signal_tree_zombies);
  ADD ("cgroup/daemon-outlives", test_cgroup_daemon_outlives);
  ADD ("cgroup/removed-after-transport", test_cgroup_removed_after_transport);
  ADD ("cgroup/not-supported", test_cgroup_not_supported);
  ADD ("die-with-parent/killed", test_die_with_parent);
  ADD ("die-with-parent/other-user", test_die_with_parent_other_user);
  ADD ("die-with-parent/off", test_die_with_parent_off);
  ADD ("die-with-parent/thread", test_die_with_parent_thread);
  ADD ("wait/end", test_wait_async);
  ADD ("wait/after-end", test_wait_async_after_end);
  ADD ("wait/cancel", test_wait_async_cancel);
  ADD ("wait/no-child", test_wait_async_no_child);
  ADD ("utils/timeout", test_utils_timeout);
  ADD ("utils/timeout-not-reached", test_utils_timeout_not_reached);
  ADD ("utils/cancel-stops", test_utils_cancel_stops);

#undef ADD

  return g_test_run ();
}
