/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * White-box tests of the cgroup v2 module (tpx/tpx-cgroup-private.h): the
 * cgroup is made where it should be and goes away again; a child that
 * writes "0" to the procs fd is in it with everything it starts; SIGKILL
 * reaches a double-forked setsid daemon; other signals reach every process
 * through freeze → signal → thaw; the removal watch removes the directory
 * once the last process died; no cgroup v2 to write to is a clean error.
 *
 * They need a writable cgroup v2 (root, or a delegated subtree): each test
 * first tries to make one itself, without the module, and skips saying why
 * if that fails. This process is a child subreaper, so that the daemons it
 * starts come back to it and their deaths can be checked.
 *
 * Nothing is left behind, whatever happens: every cgroup and process a test
 * makes is recorded, and the teardown — or, on a failed assertion (abort),
 * a SIGABRT handler, or on a test that hangs, SIGALRM — kills the
 * processes and removes the directories with async-signal-safe calls only.
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tpx-cgroup-private.h"
#include "tpx-child-private.h"
#include "tpx-test-common.h"

/* Seconds a test may take before SIGALRM fails it. */
#define TEST_TIMEOUT_S 60
#define WAIT_TIMEOUT_MS 10000
#define MAX_TRACKED 16

/* What the abort handler cleans up; only plain arrays, so that it can. */
static pid_t test_pid;
static char  tracked_dirs[MAX_TRACKED][PATH_MAX];
static pid_t tracked_pids[MAX_TRACKED];

typedef struct {
  char *own_dir;      /* our own cgroup v2 directory; NULL: skip */
  char *skip_reason;
} Fixture;

/* --- Cleanup, async-signal-safe ----------------------------------------- */

static void
track_dir (const char *path)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_dirs[i][0] == '\0')
      {
        g_strlcpy (tracked_dirs[i], path, PATH_MAX);
        return;
      }
  g_assert_not_reached ();
}

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
join_path (char       *buffer,
           const char *dir,
           const char *name)
{
  size_t len = strlen (dir);

  memcpy (buffer, dir, len);
  buffer[len] = '/';
  memcpy (buffer + len + 1, name, strlen (name) + 1);
}

/* Kills whatever lives in the cgroup @path, waits up to 5 s for it to
 * empty, and removes it. Async-signal-safe. */
static void
destroy_dir (const char *path)
{
  char file[PATH_MAX + 32];
  char events[256];
  int fd;

  join_path (file, path, "cgroup.kill");
  fd = open (file, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (write (fd, "1", 1) < 0)
        {
          /* Nothing else to try from here. */
        }
      close (fd);
    }

  join_path (file, path, "cgroup.events");
  fd = open (file, O_RDONLY | O_CLOEXEC);
  for (int i = 0; fd >= 0 && i < 50; i++)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      ssize_t n = pread (fd, events, sizeof events - 1, 0);

      if (n < 0)
        break;
      events[n] = '\0';
      if (strstr (events, "populated 0") != NULL)
        break;
      poll (&pfd, 1, 100);
    }
  if (fd >= 0)
    close (fd);

  rmdir (path);
}

/* Async-signal-safe: kills every recorded process, removes every recorded
 * cgroup (the latest first: sub-cgroups before their parents). */
static void
cleanup_tracked (void)
{
  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_pids[i] > 0)
      kill (tracked_pids[i], SIGKILL);

  for (int i = MAX_TRACKED - 1; i >= 0; i--)
    if (tracked_dirs[i][0] != '\0')
      {
        destroy_dir (tracked_dirs[i]);
        tracked_dirs[i][0] = '\0';
      }
}

static void
fatal_signal_handler (int signum)
{
  static const char timed_out[] = "test-cgroup: the test timed out; cleaning up\n";

  /* Only the test process cleans up, not a forked child that failed. */
  if (getpid () == test_pid)
    {
      if (signum == SIGALRM && write (2, timed_out, sizeof timed_out - 1) < 0)
        {
          /* stderr is gone: abort anyway. */
        }
      cleanup_tracked ();
    }

  signal (SIGABRT, SIG_DFL);
  raise (SIGABRT);
}

/* --- Our own view of the cgroups, to check the module against ----------- */

/* Our cgroup v2 directory: "0::" of /proc/self/cgroup under the cgroup2
 * mount point of /proc/self/mountinfo (whose root is "/" here). */
static char *
find_own_dir (char **reason)
{
  g_autofree char *cgroups = NULL;
  g_autofree char *mountinfo = NULL;
  g_auto(GStrv) lines = NULL;
  const char *own = NULL;
  char *end;

  g_assert_true (g_file_get_contents ("/proc/self/cgroup", &cgroups, NULL, NULL));
  g_assert_true (g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL));

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

  lines = g_strsplit (mountinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);
      g_autofree char *mount_point = NULL;

      if (g_strv_length (fields) < 10 || !strstr (lines[i], " - cgroup2 "))
        continue;
      if (strcmp (fields[3], "/") != 0)
        {
          *reason = g_strdup_printf ("the cgroup2 mount %s has root %s; this test wants /",
                                     fields[4], fields[3]);
          return NULL;
        }
      mount_point = g_strcompress (fields[4]);
      return strcmp (own, "/") == 0 ? g_strdup (mount_point)
                                    : g_strconcat (mount_point, own, NULL);
    }

  *reason = g_strdup ("no cgroup2 file system is mounted");
  return NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *probe = NULL;
  g_autofree char *own_dir = NULL;

  alarm (TEST_TIMEOUT_S);

  own_dir = find_own_dir (&fixture->skip_reason);
  if (own_dir == NULL)
    return;

  /* Can we make a cgroup ourselves? Then the module must, too. */
  probe = g_strdup_printf ("%s/tpx-test-probe-%d", own_dir, (int) getpid ());
  if (mkdir (probe, 0755) != 0)
    {
      fixture->skip_reason = g_strdup_printf ("no writable cgroup v2 here: mkdir %s: %s",
                                              probe, g_strerror (errno));
      return;
    }
  g_assert_no_errno (rmdir (probe));

  fixture->own_dir = g_steal_pointer (&own_dir);
}

static gboolean
fixture_skip (Fixture *fixture)
{
  if (fixture->own_dir != NULL)
    return FALSE;

  g_test_skip (fixture->skip_reason);
  return TRUE;
}

/* The names of @dir starting with tpx-<@pid>- (any tpx- with -1). */
static guint
count_leftovers (const char *dir,
                 pid_t       pid)
{
  g_autofree char *prefix = pid < 0 ? g_strdup ("tpx-") : g_strdup_printf ("tpx-%d-", (int) pid);
  const char *name;
  GDir *listing;
  guint count = 0;

  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    return 0;
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, prefix))
      count++;
  g_dir_close (listing);

  return count;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gboolean had_leftovers = FALSE;

  for (guint i = 0; i < MAX_TRACKED; i++)
    if (tracked_dirs[i][0] != '\0' && g_file_test (tracked_dirs[i], G_FILE_TEST_EXISTS))
      had_leftovers = TRUE;

  /* Kills and removes what a test left, then reaps every child. */
  cleanup_tracked ();
  while (waitpid (-1, NULL, 0) > 0 || errno == EINTR)
    ;
  memset (tracked_pids, 0, sizeof tracked_pids);
  alarm (0);

  g_assert_false (had_leftovers);
  if (fixture->own_dir != NULL)
    g_assert_cmpuint (count_leftovers (fixture->own_dir, getpid ()), ==, 0);

  g_free (fixture->own_dir);
  g_free (fixture->skip_reason);
}

/* --- Processes in the cgroup --------------------------------------------- */

static gboolean
file_exists_at (const char *dir,
                const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static char *
read_file_at (const char *dir,
              const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  return contents;
}

static void
write_file_at (const char *dir,
               const char *name,
               const char *value)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  g_assert_no_errno (fd);
  g_assert_cmpint (write (fd, value, strlen (value)), ==, (gssize) strlen (value));
  g_assert_no_errno (close (fd));
}

/* Waits (poll on cgroup.events, failing after WAIT_TIMEOUT_MS) until the
 * line "@key @value" is there. */
static void
wait_events (const char *dir,
             const char *key,
             int         value)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.events", NULL);
  g_autofree char *line = g_strdup_printf ("%s %d\n", key, value);
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_no_errno (fd);
  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLPRI };
      char buffer[256];
      ssize_t n = pread (fd, buffer, sizeof buffer - 1, 0);
      gint64 remaining;

      g_assert_cmpint (n, >=, 0);
      buffer[n] = '\0';
      if (strstr (buffer, line) != NULL)
        break;

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        {
          g_test_message ("%s never said “%s %d”: %s", path, key, value, buffer);
          g_assert_not_reached ();
        }
      poll (&pfd, 1, (int) (remaining / 1000) + 1);
    }
  close (fd);
}

/* In the forked child: moves into the cgroup, then runs @n_processes
 * sleepers that say "ready" on @ready_fd (itself, exec'd, and n - 1 forked
 * children), or with @daemon one sleeper double-forked by sh into a session
 * of its own. Every process execs (valgrind checks leaks where one ends). */
static void G_GNUC_NORETURN
child_main (int       procs_fd,
            int       ready_fd,
            guint     n_processes,
            gboolean  daemon,
            char    **argv)
{
  char *daemon_argv[] = {
    (char *) "/bin/sh", (char *) "-c", (char *) "(setsid \"$0\" \"$1\" &)", argv[0], argv[1], NULL
  };

  if (write (procs_fd, "0", 1) != 1 || dup2 (ready_fd, 1) != 1)
    _exit (126);

  if (daemon)
    {
      execv (daemon_argv[0], daemon_argv);
      _exit (127);
    }

  for (guint i = 1; i < n_processes; i++)
    if (fork () == 0)
      break;

  execv (argv[0], argv);
  _exit (127);
}

/* Forks a child into @cgroup (see child_main()), the helper in @mode
 * (sleep-forever or ignore-term); returns its pid once all @n_processes
 * said they are ready. */
static pid_t
spawn_mode_into (TpxCgroup  *cgroup,
                 const char *mode,
                 guint       n_processes,
                 gboolean    daemon)
{
  char *argv[] = { (char *) tpx_test_helper_path (), (char *) mode, NULL };
  gsize expected = strlen ("ready\n") * n_processes;
  GString *ready = g_string_new (NULL);
  int fds[2];
  pid_t pid;

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC));
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    child_main (tpx_cgroup_get_procs_fd (cgroup), fds[1], n_processes, daemon, argv);

  track_pid (pid);
  close (fds[1]);

  while (ready->len < expected)
    {
      struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
      char buffer[64];
      ssize_t n;

      g_assert_cmpint (poll (&pfd, 1, WAIT_TIMEOUT_MS), ==, 1);
      n = read (fds[0], buffer, sizeof buffer);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (ready, buffer, n);
    }
  close (fds[0]);

  g_assert_cmpuint (ready->len, ==, expected);
  g_string_free (ready, TRUE);

  return pid;
}

static pid_t
spawn_into (TpxCgroup *cgroup,
            guint      n_processes,
            gboolean   daemon)
{
  return spawn_mode_into (cgroup, "sleep-forever", n_processes, daemon);
}

/* Reaps @n children, any pid (daemons came back to us, the subreaper), and
 * asserts each was killed by @signum. */
static void
reap_killed (guint n,
             int   signum)
{
  for (guint i = 0; i < n; i++)
    {
      int status = 0;
      pid_t pid;

      do
        pid = waitpid (-1, &status, 0);
      while (pid < 0 && errno == EINTR);

      g_assert_cmpint (pid, >, 0);
      untrack_pid (pid);
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, signum);
    }
}

static pid_t
first_pid_in (const char *dir)
{
  g_autofree char *procs = read_file_at (dir, "cgroup.procs");

  return (pid_t) g_ascii_strtoll (procs, NULL, 10);
}

static TpxCgroup *
new_cgroup (const char *parent)
{
  g_autoptr(GError) error = NULL;
  TpxCgroup *cgroup = tpx_cgroup_new (parent, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cgroup);
  track_dir (tpx_cgroup_get_path (cgroup));

  return cgroup;
}

/* --- Tests ---------------------------------------------------------------- */

static void
test_create (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *prefix = NULL;
  g_autofree char *path = NULL;
  g_autofree char *nested_path = NULL;
  TpxCgroup *cgroup;
  TpxCgroup *other;
  TpxCgroup *nested;
  struct statfs buf;
  int fd;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));

  /* <our cgroup>/tpx-<pid>-<n>, a fresh cgroup v2 directory. */
  prefix = g_strdup_printf ("%s/tpx-%d-", fixture->own_dir, (int) getpid ());
  g_assert_true (g_str_has_prefix (path, prefix));
  g_assert_true (g_ascii_isdigit (path[strlen (prefix)]));
  g_assert_no_errno (statfs (path, &buf));
  g_assert_cmpint (buf.f_type, ==, CGROUP2_SUPER_MAGIC);
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 0);
  g_assert_false (tpx_cgroup_is_populated (cgroup));

  /* The child's end: write-only, closed by execve(). */
  fd = tpx_cgroup_get_procs_fd (cgroup);
  g_assert_cmpint (fcntl (fd, F_GETFL) & O_ACCMODE, ==, O_WRONLY);
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);

  g_test_message ("cgroup v2 at %s; cgroup.kill %s, cgroup.freeze %s",
                  path,
                  file_exists_at (path, "cgroup.kill") ? "present" : "missing (Linux < 5.14)",
                  file_exists_at (path, "cgroup.freeze") ? "present" : "missing (Linux < 5.2)");

  /* Each cgroup has a name of its own. */
  other = new_cgroup (NULL);
  g_assert_cmpstr (tpx_cgroup_get_path (other), !=, path);
  tpx_cgroup_unref (other);

  /* Under a parent given by the caller (a trailing slash is fine). */
  {
    g_autofree char *parent = g_strconcat (path, "/", NULL);

    nested = new_cgroup (parent);
  }
  nested_path = g_strdup (tpx_cgroup_get_path (nested));
  g_assert_true (g_str_has_prefix (nested_path, path));
  g_assert_true (g_str_has_prefix (nested_path + strlen (path), "/tpx-"));

  /* A reference keeps it; the last one removes the empty directory. */
  tpx_cgroup_ref (nested);
  tpx_cgroup_unref (nested);
  g_assert_true (g_file_test (nested_path, G_FILE_TEST_IS_DIR));
  tpx_cgroup_unref (nested);
  g_assert_false (g_file_test (nested_path, G_FILE_TEST_EXISTS));

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_join (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *proc_path = NULL;
  g_autofree char *membership = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *path = NULL;
  TpxCgroup *cgroup;
  pid_t pid;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  pid = spawn_into (cgroup, 1, FALSE);

  /* The exec'd child is in the cgroup, as the kernel sees it. */
  g_assert_true (tpx_cgroup_is_populated (cgroup));
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 1);
  g_assert_cmpint (first_pid_in (path), ==, pid);
  proc_path = g_strdup_printf ("/proc/%d/cgroup", (int) pid);
  g_assert_true (g_file_get_contents (proc_path, &membership, NULL, NULL));
  expected = g_strdup_printf ("0::%s\n", strrchr (path, '/'));
  g_assert_true (g_str_has_suffix (membership, expected));

  g_assert_true (tpx_cgroup_signal (cgroup, 0, &error));
  g_assert_no_error (error);

  g_assert_true (tpx_cgroup_signal (cgroup, SIGKILL, &error));
  g_assert_no_error (error);
  reap_killed (1, SIGKILL);

  /* Reaped: nothing left, and signalling says so. */
  g_assert_false (tpx_cgroup_is_populated (cgroup));
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 0);
  g_assert_false (tpx_cgroup_signal (cgroup, SIGTERM, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* What a failed spawn does: the child moved in and ended at once. Once it
 * is reaped, dropping the reference removes the directory there and then. */
static void
test_unref_reaped (Fixture       *fixture,
                   gconstpointer  data)
{
  char *argv[] = { (char *) tpx_test_helper_path (), (char *) "exit", (char *) "3", NULL };
  g_autofree char *path = NULL;
  TpxCgroup *cgroup;
  int status = 0;
  pid_t pid;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (write (tpx_cgroup_get_procs_fd (cgroup), "0", 1) == 1)
        execv (argv[0], argv);
      _exit (126);
    }
  track_pid (pid);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  untrack_pid (pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 3);

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_kill_daemon (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  TpxCgroup *cgroup;
  int status = 0;
  pid_t pid;
  pid_t daemon;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));

  /* The direct child is gone; a daemon of another session lives on. */
  pid = spawn_into (cgroup, 1, TRUE);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  untrack_pid (pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 1);
  daemon = first_pid_in (path);
  track_pid (daemon);
  g_assert_cmpint (daemon, !=, pid);
  /* Not even our session: only the cgroup reaches it. */
  g_assert_cmpint (getsid (daemon), !=, getsid (0));

  g_assert_true (tpx_cgroup_signal (cgroup, SIGKILL, &error));
  g_assert_no_error (error);
  reap_killed (1, SIGKILL);
  wait_events (path, "populated", 0);
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 0);

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* SIGTERM through freeze → signal → thaw reaches every process, also in a
 * sub-cgroup the tree made, and leaves the cgroup thawed. */
static void
test_signal_term (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *freeze = NULL;
  g_autofree char *moved = NULL;
  TpxCgroup *cgroup;
  pid_t pid;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  pid = spawn_into (cgroup, 3, FALSE);

  /* One of the children moves to a sub-cgroup. */
  sub = g_build_filename (path, "sub", NULL);
  g_assert_no_errno (mkdir (sub, 0755));
  track_dir (sub);
  {
    g_autofree char *procs = read_file_at (path, "cgroup.procs");
    g_auto(GStrv) pids = g_strsplit (procs, "\n", -1);

    for (guint i = 0; pids[i] != NULL && moved == NULL; i++)
      if (pids[i][0] != '\0' && g_ascii_strtoll (pids[i], NULL, 10) != pid)
        moved = g_strdup (pids[i]);
  }
  g_assert_nonnull (moved);
  write_file_at (sub, "cgroup.procs", moved);
  g_assert_cmpint (first_pid_in (sub), ==, g_ascii_strtoll (moved, NULL, 10));

  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 3);

  g_assert_true (tpx_cgroup_signal (cgroup, SIGTERM, &error));
  g_assert_no_error (error);
  reap_killed (3, SIGTERM);

  freeze = read_file_at (path, "cgroup.freeze");
  g_assert_cmpstr (freeze, ==, "0\n");
  wait_events (path, "populated", 0);

  /* The last reference removes the sub-cgroup too. */
  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* The signal freezes the cgroup and thaws it again: with processes that
 * ignore SIGTERM nothing dies, so the only changes cgroup.events can see
 * are "frozen 1" and back. */
static void
test_signal_freezes (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *events = NULL;
  g_autofree char *freeze = NULL;
  struct pollfd pfd = { .events = POLLPRI };
  TpxCgroup *cgroup;
  char buffer[256];

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  if (!file_exists_at (path, "cgroup.freeze"))
    {
      g_test_skip ("no cgroup.freeze (Linux < 5.2)");
      tpx_cgroup_unref (cgroup);
      return;
    }
  spawn_mode_into (cgroup, "ignore-term", 2, FALSE);

  /* Opening (and reading) arms POLLPRI for the next change. */
  events = g_build_filename (path, "cgroup.events", NULL);
  pfd.fd = open (events, O_RDONLY | O_CLOEXEC);
  g_assert_no_errno (pfd.fd);
  g_assert_cmpint (read (pfd.fd, buffer, sizeof buffer), >, 0);
  g_assert_cmpint (poll (&pfd, 1, 0), ==, 0);

  g_assert_true (tpx_cgroup_signal (cgroup, SIGTERM, &error));
  g_assert_no_error (error);

  /* The kernel tells at most one change per 20 ms, the next one later. */
  g_assert_cmpint (poll (&pfd, 1, WAIT_TIMEOUT_MS), ==, 1);
  g_assert_cmpint (pfd.revents & POLLPRI, ==, POLLPRI);
  g_assert_no_errno (close (pfd.fd));
  freeze = read_file_at (path, "cgroup.freeze");
  g_assert_cmpstr (freeze, ==, "0\n");
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 2);

  g_assert_true (tpx_cgroup_signal (cgroup, SIGKILL, &error));
  g_assert_no_error (error);
  reap_killed (2, SIGKILL);

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A cgroup somebody else froze stays frozen: tpx does not lift a freeze
 * that is not its own. (A fatal signal still ends a frozen process.) */
static void
test_signal_frozen (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *freeze = NULL;
  TpxCgroup *cgroup;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  if (!file_exists_at (path, "cgroup.freeze"))
    {
      g_test_skip ("no cgroup.freeze (Linux < 5.2)");
      tpx_cgroup_unref (cgroup);
      return;
    }
  spawn_into (cgroup, 1, FALSE);

  write_file_at (path, "cgroup.freeze", "1");
  wait_events (path, "frozen", 1);

  g_assert_true (tpx_cgroup_signal (cgroup, SIGTERM, &error));
  g_assert_no_error (error);

  freeze = read_file_at (path, "cgroup.freeze");
  g_assert_cmpstr (freeze, ==, "1\n");
  reap_killed (1, SIGTERM);
  write_file_at (path, "cgroup.freeze", "0");

  tpx_cgroup_unref (cgroup);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

typedef struct {
  TpxCgroup *cgroup;
  gboolean   signalled;
  GError    *error;
} SignalThread;

static gpointer
signal_thread (gpointer data)
{
  SignalThread *thread = data;

  thread->signalled = tpx_cgroup_signal (thread->cgroup, SIGTERM, &thread->error);

  return NULL;
}

/* Two threads signal at once: both freezes are lifted, every process dies. */
static void
test_signal_threads (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *freeze = NULL;
  SignalThread threads[2] = { { NULL } };
  GThread *handles[2];
  TpxCgroup *cgroup;

  if (fixture_skip (fixture))
    return;

  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  spawn_into (cgroup, 4, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      threads[i].cgroup = cgroup;
      handles[i] = g_thread_new ("signal", signal_thread, &threads[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (handles[i]);

  /* The second may come when the first left nothing to signal. */
  g_assert_true (threads[0].signalled || threads[1].signalled);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      if (!threads[i].signalled)
        g_assert_error (threads[i].error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_clear_error (&threads[i].error);
    }

  reap_killed (4, SIGTERM);
  freeze = read_file_at (path, "cgroup.freeze");
  g_assert_cmpstr (freeze, ==, "0\n");

  tpx_cgroup_unref (cgroup);
}

static gboolean
wake_up_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates @context until @path is gone; fails after WAIT_TIMEOUT_MS. */
static void
run_until_gone (GMainContext *context,
                const char   *path)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  GSource *timeout = g_timeout_source_new (100);

  /* Only wakes the loop up to look at the deadline. */
  g_source_set_callback (timeout, wake_up_cb, NULL, NULL);
  g_source_attach (timeout, context);

  while (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, TRUE);
    }

  g_source_destroy (timeout);
  g_source_unref (timeout);
}

static void
test_remove_when_empty (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *path = NULL;
  TpxCgroup *cgroup;
  pid_t pid;

  if (fixture_skip (fixture))
    return;

  /* Empty: removed at once, while the caller still holds it. */
  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  tpx_cgroup_remove_when_empty (cgroup, context);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_main_context_pending (context));
  g_assert_false (tpx_cgroup_signal (cgroup, SIGTERM, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (tpx_cgroup_count_processes (cgroup), ==, 0);
  tpx_cgroup_unref (cgroup);
  g_clear_pointer (&path, g_free);

  /* Populated, still held: the watch removes it after the last death, and
   * the holder still signals what is left until then. */
  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  pid = spawn_into (cgroup, 2, FALSE);
  tpx_cgroup_remove_when_empty (cgroup, context);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  g_assert_no_errno (kill (pid, SIGKILL));
  reap_killed (1, SIGKILL);
  g_main_context_iteration (context, FALSE);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));

  g_assert_true (tpx_cgroup_signal (cgroup, SIGKILL, &error));
  g_assert_no_error (error);
  reap_killed (1, SIGKILL);
  run_until_gone (context, path);
  tpx_cgroup_unref (cgroup);
  g_clear_pointer (&path, g_free);

  /* Populated, dropped at once (the transport ended while a daemon lives
   * on): the watch outlives the caller's reference. */
  cgroup = new_cgroup (NULL);
  path = g_strdup (tpx_cgroup_get_path (cgroup));
  pid = spawn_into (cgroup, 1, TRUE);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);
  untrack_pid (pid);
  tpx_cgroup_remove_when_empty (cgroup, context);
  tpx_cgroup_unref (cgroup);

  pid = first_pid_in (path);
  track_pid (pid);
  g_main_context_iteration (context, FALSE);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  g_assert_no_errno (kill (pid, SIGTERM));
  reap_killed (1, SIGTERM);
  run_until_gone (context, path);

  /* The watch is gone with the directory. */
  g_assert_false (g_main_context_pending (context));
}

/* A parent that is no cgroup v2 fails cleanly, naming it. */
static void
expect_unsupported (const char *parent,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  TpxCgroup *cgroup;

  cgroup = tpx_cgroup_new (parent, &error);
  g_assert_null (cgroup);
  g_assert_error (error, G_IO_ERROR, code);
  g_test_message ("%s: %s", parent, error->message);
  g_assert_nonnull (strstr (error->message, parent));
  g_assert_cmpuint (count_leftovers (parent, getpid ()), ==, 0);
}

/* The first cgroup v1 hierarchy mounted, if any. */
static char *
find_v1_dir (void)
{
  g_autofree char *mountinfo = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL));
  lines = g_strsplit (mountinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);

      if (g_strv_length (fields) >= 10 && strstr (lines[i], " - cgroup ") != NULL)
        return g_strcompress (fields[4]);
    }

  return NULL;
}

static void
test_unsupported (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *tmp = g_dir_make_tmp ("tpx-test-cgroup-XXXXXX", NULL);
  g_autofree char *v1 = find_v1_dir ();

  g_assert_nonnull (tmp);
  expect_unsupported (tmp, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_no_errno (rmdir (tmp));

  if (v1 != NULL)
    expect_unsupported (v1, G_IO_ERROR_NOT_SUPPORTED);
  else
    g_test_message ("no cgroup v1 hierarchy is mounted here: that case is not tried");

  if (fixture->own_dir != NULL)
    {
      g_autofree char *missing = g_build_filename (fixture->own_dir, "tpx-test-no-such-cgroup", NULL);
      g_autoptr(GError) error = NULL;

      g_assert_null (tpx_cgroup_new (missing, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
      g_assert_nonnull (strstr (error->message, missing));
    }
}

/* tpx_cgroup_new (@parent) fails with PERMISSION_DENIED, naming
 * @expected_path, and makes nothing. */
static void
expect_denied (const char *parent,
               const char *expected_path)
{
  g_autoptr(GError) error = NULL;
  TpxCgroup *cgroup;

  cgroup = tpx_cgroup_new (parent, &error);
  if (cgroup != NULL)
    {
      track_dir (tpx_cgroup_get_path (cgroup));
      tpx_cgroup_unref (cgroup);
    }
  g_assert_null (cgroup);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  /* The subprocess's output is not TAP: say it on stderr. */
  g_printerr ("# %s\n", error->message);
  g_assert_nonnull (strstr (error->message, expected_path));
  g_assert_cmpuint (count_leftovers (parent != NULL ? parent : expected_path, getpid ()), ==, 0);
}

static char *
delegated_dir (const char *own_dir,
               pid_t       test_process)
{
  return g_strdup_printf ("%s/tpx-test-delegated-%d", own_dir, (int) test_process);
}

/* Without the right to write the cgroup: PERMISSION_DENIED, naming the
 * path, nothing made. Tried as nobody in a subprocess (exec'd, so that
 * valgrind does not check a fork's copy of our heap), in our own cgroup
 * (root's) and in a sub-cgroup given to nobody, where the directory could
 * be made but the child could not move in (our cgroup is the common
 * ancestor, and its cgroup.procs is root's). */
static void
test_permission_denied (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *delegated = NULL;
  g_autofree char *own_procs = NULL;

  if (fixture_skip (fixture))
    return;
  if (geteuid () != 0 && !g_test_subprocess ())
    {
      g_test_skip ("needs root, to try as nobody");
      return;
    }

  own_procs = g_build_filename (fixture->own_dir, "cgroup.procs", NULL);

  if (g_test_subprocess ())
    {
      delegated = delegated_dir (fixture->own_dir, getppid ());
      g_assert_no_errno (setgroups (0, NULL));
      g_assert_no_errno (setresgid (65534, 65534, 65534));
      g_assert_no_errno (setresuid (65534, 65534, 65534));

      expect_denied (NULL, fixture->own_dir);
      expect_denied (delegated, own_procs);
      return;
    }

  delegated = delegated_dir (fixture->own_dir, getpid ());
  g_assert_no_errno (mkdir (delegated, 0755));
  track_dir (delegated);
  g_assert_no_errno (chown (delegated, 65534, 65534));

  g_test_trap_subprocess (NULL, WAIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  g_assert_cmpuint (count_leftovers (delegated, -1), ==, 0);
  g_assert_no_errno (rmdir (delegated));
}

/* What counts as a live process in a tree's count: not a zombie, not on
 * its way out, but a process whose main thread ended while another runs. */
static pthread_t leader_thread;
static int leader_gone_fd;

static void *
join_leader_thread (void *data)
{
  char byte = 0;

  /* Should the test fail, the process must not outlive it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  pthread_join (leader_thread, NULL);
  if (write (leader_gone_fd, &byte, 1) != 1)
    _exit (1);
  /* Runs on, the process's only thread, until killed. */
  for (;;)
    pause ();
  return NULL;
}

static void
test_live_processes (void)
{
  GPid pgrp = 0;
  siginfo_t info = { 0 };
  int gone[2];
  pid_t zombie, threaded;
  char byte;

  g_assert_true (tpx_child_pid_is_live (getpid (), &pgrp));
  g_assert_cmpint (pgrp, ==, getpgrp ());

  zombie = fork ();
  g_assert_cmpint (zombie, >=, 0);
  if (zombie == 0)
    _exit (0);
  /* WNOWAIT: returns once it is a zombie, and leaves it one. */
  g_assert_no_errno (waitid (P_PID, zombie, &info, WEXITED | WNOWAIT));
  g_assert_false (tpx_child_pid_is_live (zombie, NULL));
  g_assert_no_errno (waitid (P_PID, zombie, &info, WEXITED));
  g_assert_false (tpx_child_pid_is_live (zombie, NULL));

  g_assert_no_errno (pipe2 (gone, O_CLOEXEC));
  threaded = fork ();
  g_assert_cmpint (threaded, >=, 0);
  if (threaded == 0)
    {
      pthread_t thread;

      leader_thread = pthread_self ();
      leader_gone_fd = gone[1];
      if (pthread_create (&thread, NULL, join_leader_thread, NULL) != 0)
        _exit (1);
      pthread_exit (NULL);
    }
  close (gone[1]);
  /* The main thread is gone: the process lives on in the other one. */
  g_assert_cmpint (read (gone[0], &byte, 1), ==, 1);
  close (gone[0]);
  g_assert_true (tpx_child_pid_is_live (threaded, NULL));
  g_assert_no_errno (kill (threaded, SIGKILL));
  g_assert_no_errno (waitid (P_PID, threaded, &info, WEXITED | WNOWAIT));
  g_assert_false (tpx_child_pid_is_live (threaded, NULL));
  g_assert_no_errno (waitid (P_PID, threaded, &info, WEXITED));
}

int
main (int    argc,
      char **argv)
{
  struct sigaction action = { .sa_handler = fatal_signal_handler };

  g_test_init (&argc, &argv, NULL);

  test_pid = getpid ();
  sigaction (SIGABRT, &action, NULL);
  sigaction (SIGALRM, &action, NULL);
  g_assert_no_errno (prctl (PR_SET_CHILD_SUBREAPER, 1));

#define ADD(path, func) \
  g_test_add ("/tpx/cgroup/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("create", test_create);
  ADD ("join", test_join);
  ADD ("unref-reaped", test_unref_reaped);
  ADD ("kill-daemon", test_kill_daemon);
  ADD ("signal-term", test_signal_term);
  ADD ("signal-freezes", test_signal_freezes);
  ADD ("signal-frozen", test_signal_frozen);
  ADD ("signal-threads", test_signal_threads);
  ADD ("remove-when-empty", test_remove_when_empty);
  ADD ("unsupported", test_unsupported);
  ADD ("permission-denied", test_permission_denied);

#undef ADD

  g_test_add_func ("/tpx/cgroup/live-processes", test_live_processes);

  return g_test_run ();
}
