/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Reliability: hostile inputs, leaks, exhaustion, data integrity and
 * concurrency. Every scenario here is parameterised by a Scale: this file
 * runs them at a size that stays fast (also under valgrind and the
 * sanitizers), and test-stress.c includes it to run the soak-length
 * variants (10,000 spawns, 1 GiB transfers, 1,000 live children) in the
 * `slow` suite.
 *
 * Two scenarios need a child behaviour that the helper program has no mode
 * for; this test program then runs itself as the child (see
 * run_child_mode()).
 */

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined (__has_include)
# if __has_include (<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
# endif
#endif
#ifndef RUNNING_ON_VALGRIND
# define RUNNING_ON_VALGRIND 0
#endif

#include "tpx-test-common.h"

/* The option that makes this program a child (see run_child_mode()). */
#define CHILD_MODE_OPTION "--reliability-child"

#define PATTERN           "0123456789"
#define PATTERN_LEN       10
#define CHUNK_SIZE        (64 * 1024)
#define FEED_CHUNK        (1024 * 1024)
#define FEED_HIGH_WATER   (4 * 1024 * 1024)
#define TICK_MS           10

typedef struct
{
  const char *prefix;          /* of the GTest paths */
  guint       timeout_ms;      /* for one scenario to finish */
  guint       n_spawn_cycles;  /* rounds of every spawn path */
  gsize       cat_bytes;       /* through the echo helper */
  gsize       both_bytes;      /* on stdout and on stderr, each */
  gsize       queued_bytes;    /* queued when the child closes stdin */
  gsize       paused_bytes;    /* written by a child whose reader pauses */
  guint       pause_ms;
  guint       n_live;          /* children alive at once */
  guint       n_threads;
  guint       spawns_per_thread;
  guint       malloc_spawns;   /* spawns while another thread mallocs */
  gint64      heap_slack;      /* bytes the heap may grow by, or -1: unchecked */
} Scale;

#ifdef TPX_RELIABILITY_STRESS
static const Scale scale = {
  .prefix = "/tpx/stress",
  .timeout_ms = 600 * 1000,
  .n_spawn_cycles = 10000,
  .cat_bytes = (gsize) 1 << 30,
  .both_bytes = (gsize) 1 << 30,
  .queued_bytes = 100 * 1000 * 1000,
  .paused_bytes = 256 * 1024 * 1024,
  .pause_ms = 3000,
  .n_live = 1000,
  .n_threads = 8,
  .spawns_per_thread = 250,
  .malloc_spawns = 5000,
  .heap_slack = 64 * 1024,
};
#else
static const Scale scale = {
  .prefix = "/tpx/reliability",
  .timeout_ms = 60 * 1000,
  .n_spawn_cycles = 150,
  .cat_bytes = 16 * 1024 * 1024,
  .both_bytes = 8 * 1024 * 1024,
  .queued_bytes = 10 * 1000 * 1000,
  .paused_bytes = 8 * 1024 * 1024,
  .pause_ms = 1000,
  .n_live = 100,
  .n_threads = 8,
  .spawns_per_thread = 10,
  .malloc_spawns = 200,
  .heap_slack = -1,
};
#endif

static char *self_path;
static char *pattern_buffer;   /* PATTERN repeated, CHUNK_SIZE + PATTERN_LEN bytes */

/* The longest the main loop may go without running a 10 ms timer. */
static gint64
max_tick_gap_us (void)
{
  /* Valgrind runs everything some 50 times slower; the point stays the
   * same: no step of the data path may wait for a child. */
  return RUNNING_ON_VALGRIND ? 3 * G_USEC_PER_SEC : 250 * 1000;
}

/* Child modes of this program ------------------------------------------ */

static void
child_write_all (int         fd,
                 const char *data,
                 gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        _exit (3);
      data += n;
      len -= n;
    }
}

/* both N: N bytes of the pattern on stdout and N on stderr, alternating
 * blocking writes of 64 KiB, so that a parent reading only one of them
 * would deadlock with this child. */
static int
child_both (guint64 total)
{
  guint64 done[3] = { 0, 0, 0 };

  while (done[1] < total || done[2] < total)
    {
      for (int fd = 1; fd <= 2; fd++)
        {
          gsize n = MIN ((guint64) CHUNK_SIZE, total - done[fd]);

          child_write_all (fd, pattern_buffer + done[fd] % PATTERN_LEN, n);
          done[fd] += n;
        }
    }

  return 0;
}

/* close-stdin-on-go: waits for a byte on fd 3, closes its stdin without
 * reading it, says "closed", then exits 0 at end of file on fd 3. */
static int
child_close_stdin_on_go (void)
{
  char byte;

  while (read (3, &byte, 1) < 0 && errno == EINTR)
    ;
  close (0);
  child_write_all (1, "closed\n", 7);
  while (read (3, &byte, 1) != 0)
    ;

  return 0;
}

static int
run_child_mode (int    argc,
                char **argv)
{
  if (argc == 2 && strcmp (argv[0], "both") == 0)
    return child_both (g_ascii_strtoull (argv[1], NULL, 10));
  if (argc == 1 && strcmp (argv[0], "close-stdin-on-go") == 0)
    return child_close_stdin_on_go ();

  child_write_all (2, "unknown child mode\n", 19);
  return 2;
}

/* Helpers ---------------------------------------------------------------- */

static int
compare_ints (gconstpointer a,
              gconstpointer b)
{
  int x = *(const int *) a;
  int y = *(const int *) b;

  return (x > y) - (x < y);
}

/* Every open fd with what it points to ("7 pipe:[1234]"), one a line:
 * a set, not a count, so an fd closed and another opened in its place
 * shows up too. */
static char *
fd_snapshot (void)
{
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  GString *snapshot = g_string_new (NULL);
  struct dirent *entry;
  DIR *dir;

  dir = opendir ("/proc/self/fd");
  g_assert_nonnull (dir);
  while ((entry = readdir (dir)) != NULL)
    {
      int fd;

      if (!g_ascii_isdigit (entry->d_name[0]))
        continue;
      fd = (int) g_ascii_strtoll (entry->d_name, NULL, 10);
      if (fd != dirfd (dir))
        g_array_append_val (fds, fd);
    }
  closedir (dir);

  g_array_sort (fds, compare_ints);
  for (guint i = 0; i < fds->len; i++)
    {
      int fd = g_array_index (fds, int, i);
      g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);
      g_autofree char *target = g_file_read_link (link, NULL);

      g_string_append_printf (snapshot, "%d %s\n", fd, target != NULL ? target : "?");
    }

  return g_string_free (snapshot, FALSE);
}

/* The highest fd of ours: valgrind keeps fds of its own above the
 * RLIMIT_NOFILE it shows us. */
static int
highest_open_fd (void)
{
  g_autofree char *snapshot = fd_snapshot ();
  g_auto(GStrv) lines = g_strsplit (snapshot, "\n", -1);
  struct rlimit limit;
  int highest = -1;

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gint64 fd = g_ascii_strtoll (lines[i], NULL, 10);

      if (lines[i][0] != '\0' && (rlim_t) fd < limit.rlim_cur)
        highest = MAX (highest, (int) fd);
    }

  return highest;
}

static gboolean
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

/* Asserts @pid is no child of ours any more, neither running nor a zombie. */
static void
assert_not_our_child (GPid pid)
{
  siginfo_t info = { 0 };
  int r;

  do
    r = waitid (P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);

  if (r == 0)
    g_test_message ("child %d is still ours (%s)", (int) pid,
                    info.si_pid != 0 ? "a zombie" : "running");
  g_assert_cmpint (r, ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);
}

static void
assert_no_zombie_cb (TpxProcessTransport *transport,
                     TpxProcessStatus    *status,
                     gpointer             user_data)
{
  assert_not_our_child (tpx_process_transport_get_pid (transport));
}

static TpxProcessTransport *
spawn_ok (TpxProcessLauncher *launcher,
          const char         *executable,
          const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;

  transport = tpx_process_launcher_spawn (launcher, NULL, executable, argv, &error);
  g_assert_no_error (error);
  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));

  return transport;
}

static TpxProcessTransport *
spawn_helper (TpxProcessLauncher *launcher,
              const char         *mode,
              ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  const char *arg;
  va_list args;

  g_strv_builder_add_many (builder, tpx_test_helper_path (), mode, NULL);
  va_start (args, mode);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (args);
  argv = g_strv_builder_end (builder);

  return spawn_ok (launcher, tpx_test_helper_path (), (const char * const *) argv);
}

/* Spawns this program as the child @mode (see run_child_mode()). */
static TpxProcessTransport *
spawn_self (TpxProcessLauncher *launcher,
            const char         *mode,
            const char         *arg)
{
  const char *argv[] = { self_path, CHILD_MODE_OPTION, mode, arg, NULL };

  return spawn_ok (launcher, self_path, argv);
}

/* Runs one child of the helper to its end: everything lazily set up on a
 * first spawn (types, the default context, SIGPIPE) exists afterwards. */
static void
warm_up (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;

  transport = spawn_helper (launcher, "write-out", "warm", NULL);
  rec = tpx_test_recorder_new (transport);
  g_clear_object (&transport);
  tpx_test_recorder_wait (rec, scale.timeout_ms);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "warm");
}

static gboolean
matches_pattern (const guint8 *data,
                 gsize         len,
                 guint64       offset)
{
  while (len > 0)
    {
      gsize n = MIN (len, (gsize) CHUNK_SIZE);

      if (memcmp (data, pattern_buffer + offset % PATTERN_LEN, n) != 0)
        return FALSE;
      data += n;
      len -= n;
      offset += n;
    }

  return TRUE;
}

/* A 10 ms timer in the thread-default context, and the longest the main
 * loop went without running it: the loop must never block on a child. */
typedef struct
{
  GSource *source;
  gint64   last;
  gint64   max_gap;
  guint    n_ticks;
} TickMonitor;

static gboolean
tick_cb (gpointer user_data)
{
  TickMonitor *ticks = user_data;
  gint64 now = g_get_monotonic_time ();

  ticks->max_gap = MAX (ticks->max_gap, now - ticks->last);
  ticks->last = now;
  ticks->n_ticks++;

  return G_SOURCE_CONTINUE;
}

static void
tick_monitor_start (TickMonitor *ticks)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  memset (ticks, 0, sizeof *ticks);
  ticks->last = g_get_monotonic_time ();
  ticks->source = g_timeout_source_new (TICK_MS);
  g_source_set_callback (ticks->source, tick_cb, ticks, NULL);
  g_source_attach (ticks->source, context);
}

static void
tick_monitor_check (TickMonitor *ticks)
{
  tick_cb (ticks);
  g_source_destroy (ticks->source);
  g_clear_pointer (&ticks->source, g_source_unref);

  g_test_message ("%u ticks, longest gap %" G_GINT64_FORMAT " ms",
                  ticks->n_ticks, ticks->max_gap / 1000);
  g_assert_cmpint (ticks->max_gap, <, max_tick_gap_us ());
}

/* Leaks: every spawn path, success and failure ---------------------------- */

typedef enum {
  PATH_WRITE_OUT,
  PATH_EXIT_CODE,
  PATH_KILLED,
  PATH_PTY,
  PATH_EXTRA_PIPES,
  PATH_INHERIT,
  PATH_NOT_FOUND,
  PATH_NOT_IN_PATH,
  PATH_NOT_EXECUTABLE,
  PATH_DIRECTORY,
  PATH_NO_EXEC_FORMAT,
  PATH_BAD_CWD,
  PATH_CWD_NOT_DIRECTORY,
  PATH_INHERIT_CLOSED,
  PATH_BAD_ENVIRON,
  PATH_BAD_FD_MAP,
  PATH_PTY_WITH_FD_MAP,
  N_SPAWN_PATHS
} SpawnPath;

typedef struct
{
  char *dir;
  char *not_executable;   /* mode 0644 */
  char *no_exec_format;   /* mode 0755, neither ELF nor #! */
  int   closed_fd;        /* a number no fd of ours has */
} SpawnFixture;

static void
spawn_fixture_init (SpawnFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("tpx-reliability-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->not_executable = g_build_filename (fixture->dir, "not-executable", NULL);
  g_file_set_contents (fixture->not_executable, "#!/bin/sh\nexit 0\n", -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (fixture->not_executable, 0644));

  fixture->no_exec_format = g_build_filename (fixture->dir, "no-exec-format", NULL);
  g_file_set_contents (fixture->no_exec_format, "neither ELF nor a script\n", -1, &error);
  g_assert_no_error (error);
  g_assert_no_errno (chmod (fixture->no_exec_format, 0755));

  fixture->closed_fd = 1000;
  while (fd_is_open (fixture->closed_fd))
    fixture->closed_fd++;
}

static void
spawn_fixture_clear (SpawnFixture *fixture)
{
  g_assert_no_errno (unlink (fixture->not_executable));
  g_assert_no_errno (unlink (fixture->no_exec_format));
  g_assert_no_errno (rmdir (fixture->dir));
  g_clear_pointer (&fixture->not_executable, g_free);
  g_clear_pointer (&fixture->no_exec_format, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

static void
expect_spawn_error (TpxProcessLauncher *launcher,
                    const char         *executable,
                    int                 code)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { executable, NULL };

  transport = tpx_process_launcher_spawn (launcher, NULL, executable, argv, &error);
  g_assert_null (transport);
  g_assert_error (error, G_IO_ERROR, code);
  tpx_test_assert_no_children ();
}

/* A successful path: runs @transport to its end, feeding @input to child
 * fd @input_fd, and returns the recording. */
static TpxTestRecorder *
run_to_end (TpxProcessTransport *transport,
            int                  input_fd,
            const char          *input)
{
  TpxTestRecorder *rec = tpx_test_recorder_new (transport);

  g_signal_connect (transport, "process-ended", G_CALLBACK (assert_no_zombie_cb), NULL);
  if (input != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (tpx_process_transport_write_to_child (transport, input_fd,
                                                           (const guint8 *) input,
                                                           strlen (input), &error));
      g_assert_no_error (error);
      tpx_process_transport_close_child_fd (transport, input_fd);
    }
  g_object_unref (transport);

  tpx_test_recorder_wait (rec, scale.timeout_ms);
  g_assert_cmpuint (rec->n_ended, ==, 1);

  return rec;
}

static void
run_spawn_path (SpawnPath     path,
                SpawnFixture *fixture)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  int pipe_fds[2];

  switch (path)
    {
    case PATH_WRITE_OUT:
      rec = run_to_end (spawn_helper (launcher, "write-out", "hello", NULL), 0, NULL);
      tpx_test_assert_exited (rec->end_status, 0);
      g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "hello");
      break;

    case PATH_EXIT_CODE:
      rec = run_to_end (spawn_helper (launcher, "exit", "3", NULL), 0, NULL);
      tpx_test_assert_exited (rec->end_status, 3);
      break;

    case PATH_KILLED:
      rec = run_to_end (spawn_helper (launcher, "kill-self", "9", NULL), 0, NULL);
      tpx_test_assert_killed (rec->end_status, SIGKILL);
      break;

    case PATH_PTY:
      tpx_process_launcher_set_use_pty (launcher, TRUE);
      rec = run_to_end (spawn_helper (launcher, "write-out", "on a terminal", NULL), 0, NULL);
      tpx_test_assert_exited (rec->end_status, 0);
      g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "on a terminal");
      break;

    case PATH_EXTRA_PIPES:
      g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:w,4:r", &error));
      g_assert_no_error (error);
      rec = run_to_end (spawn_helper (launcher, "cat-fd", "3", "4", NULL), 3, "through 3 and 4");
      tpx_test_assert_exited (rec->end_status, 0);
      g_assert_cmpstr (tpx_test_recorder_text (rec, 4), ==, "through 3 and 4");
      break;

    case PATH_INHERIT:
      {
        char buffer[64] = { 0 };

        g_assert_no_errno (pipe2 (pipe_fds, O_CLOEXEC | O_NONBLOCK));
        tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, pipe_fds[1]);
        rec = run_to_end (spawn_helper (launcher, "cat-fd", "0", "3", NULL), 0, "inherited");
        g_assert_no_errno (close (pipe_fds[1]));
        tpx_test_assert_exited (rec->end_status, 0);
        g_assert_cmpint (read (pipe_fds[0], buffer, sizeof buffer - 1), ==, strlen ("inherited"));
        g_assert_cmpstr (buffer, ==, "inherited");
        g_assert_no_errno (close (pipe_fds[0]));
      }
      break;

    case PATH_NOT_FOUND:
      expect_spawn_error (launcher, "/nonexistent/tpx-reliability", G_IO_ERROR_NOT_FOUND);
      break;

    case PATH_NOT_IN_PATH:
      tpx_process_launcher_setenv (launcher, "PATH", fixture->dir, TRUE);
      expect_spawn_error (launcher, "tpx-no-such-program", G_IO_ERROR_NOT_FOUND);
      break;

    case PATH_NOT_EXECUTABLE:
      expect_spawn_error (launcher, fixture->not_executable, G_IO_ERROR_PERMISSION_DENIED);
      break;

    case PATH_DIRECTORY:
      expect_spawn_error (launcher, fixture->dir, G_IO_ERROR_IS_DIRECTORY);
      break;

    case PATH_NO_EXEC_FORMAT:
      expect_spawn_error (launcher, fixture->no_exec_format, g_io_error_from_errno (ENOEXEC));
      break;

    case PATH_BAD_CWD:
      tpx_process_launcher_set_cwd (launcher, "/nonexistent/tpx-reliability");
      expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_NOT_FOUND);
      break;

    case PATH_CWD_NOT_DIRECTORY:
      tpx_process_launcher_set_cwd (launcher, fixture->not_executable);
      expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_NOT_DIRECTORY);
      break;

    case PATH_INHERIT_CLOSED:
      tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, fixture->closed_fd);
      expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_INVALID_ARGUMENT);
      break;

    case PATH_BAD_ENVIRON:
      {
        const char *env[] = { "GOOD=1", "NO_EQUALS_SIGN", NULL };

        tpx_process_launcher_set_environ (launcher, env);
        expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_INVALID_ARGUMENT);
      }
      break;

    case PATH_BAD_FD_MAP:
      tpx_process_launcher_set_child_fd (launcher, -4, TPX_CHILD_FD_READ, -1);
      expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_INVALID_ARGUMENT);
      break;

    case PATH_PTY_WITH_FD_MAP:
      tpx_process_launcher_set_use_pty (launcher, TRUE);
      tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_READ, -1);
      expect_spawn_error (launcher, tpx_test_helper_path (), G_IO_ERROR_INVALID_ARGUMENT);
      break;

    case N_SPAWN_PATHS:
    default:
      g_assert_not_reached ();
    }
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

/* Spawns n_spawn_cycles times, cycling through every path: the fd set, the
 * child list and (in the stress run) the heap are exactly as before, and no
 * child is left unreaped once its process-ended has been emitted. */
static void
test_leak_spawn_paths (void)
{
  SpawnFixture fixture = { 0 };
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  gsize heap_before;
  gsize heap_after;

  spawn_fixture_init (&fixture);
  warm_up ();
  /* One round first, so that what every path sets up once exists. */
  for (SpawnPath path = 0; path < N_SPAWN_PATHS; path++)
    run_spawn_path (path, &fixture);

  fds_before = fd_snapshot ();
  heap_before = heap_in_use ();

  for (guint i = 0; i < scale.n_spawn_cycles; i++)
    run_spawn_path (i % N_SPAWN_PATHS, &fixture);

  heap_after = heap_in_use ();
  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();

  g_test_message ("%u spawns; heap %" G_GSIZE_FORMAT " → %" G_GSIZE_FORMAT " bytes",
                  scale.n_spawn_cycles, heap_before, heap_after);
  if (scale.heap_slack >= 0)
    g_assert_cmpint ((gint64) heap_after - (gint64) heap_before, <=, scale.heap_slack);

  spawn_fixture_clear (&fixture);
}

/* Run in a subprocess, where fd 3 is still free: a parent fd without
 * O_CLOEXEC (at 3, at 50, and at the top of RLIMIT_NOFILE) reaches no child
 * that did not map it. Each is the write end of a pipe: once the parent
 * closes its copies, the read end sees end of file at once, while the
 * child still runs, only if no child has one. */
static void
leak_inheritable_fds (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) fds_rec = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit limit;
  int targets[3] = { 3, 50, -1 };
  int pipe_fds[2];
  int reader;
  int writer;
  char byte;

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  targets[2] = (int) MIN (limit.rlim_cur, (rlim_t) G_MAXINT) - 1;
  g_assert_no_errno (pipe2 (pipe_fds, O_CLOEXEC | O_NONBLOCK));
  reader = fcntl (pipe_fds[0], F_DUPFD_CLOEXEC, 100);
  writer = fcntl (pipe_fds[1], F_DUPFD_CLOEXEC, 100);
  g_assert_cmpint (reader, >, 0);
  g_assert_cmpint (writer, >, 0);
  g_assert_no_errno (close (pipe_fds[0]));
  g_assert_no_errno (close (pipe_fds[1]));

  /* Before anything else takes fd 3 (the default context will). */
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      if (fd_is_open (targets[i]))
        {
          g_autofree char *fds = fd_snapshot ();

          g_test_message ("fd %d is taken:\n%s", targets[i], fds);
        }
      g_assert_false (fd_is_open (targets[i]));
      g_assert_cmpint (dup2 (writer, targets[i]), ==, targets[i]);   /* no O_CLOEXEC */
    }
  warm_up ();

  /* A child that maps fd 3 itself (as a pipe of its own), and lives until
   * its stdin closes. */
  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:r", &error));
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (spawn_helper (launcher, "cat-fd", "0", "3", NULL));
  g_object_unref (rec->transport);

  /* And one with the default map, listing its fds. */
  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_READ, -1);
  fds_rec = tpx_test_recorder_new (spawn_helper (launcher, "fds", NULL));
  g_object_unref (fds_rec->transport);

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    g_assert_no_errno (close (targets[i]));
  g_assert_no_errno (close (writer));
  g_assert_cmpint (read (reader, &byte, 1), ==, 0);   /* EOF, not EAGAIN */
  g_assert_null (tpx_process_transport_get_status (rec->transport));
  g_assert_no_errno (close (reader));

  /* The first child's fd 3 is its own pipe, not the parent's. */
  tpx_process_transport_write (rec->transport, (const guint8 *) "mapped", 6);
  tpx_process_transport_close_stdin (rec->transport);
  tpx_test_recorder_wait (rec, scale.timeout_ms);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 3), ==, "mapped");

  tpx_test_recorder_wait (fds_rec, scale.timeout_ms);
  tpx_test_assert_exited (fds_rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (fds_rec, 1), ==,
                   "0 blocking\n1 blocking\n2 blocking\n");

  tpx_test_assert_no_children ();
}

static void
test_leak_inheritable_fds (void)
{
  if (g_test_subprocess ())
    {
      leak_inheritable_fds ();
      return;
    }

  g_test_trap_subprocess (NULL, (guint64) scale.timeout_ms * 1000,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Hostile input -------------------------------------------------------------- */

static void
assert_utf8_message (const GError *error,
                     const char   *what)
{
  g_assert_nonnull (error);
  if (!g_utf8_validate (error->message, -1, NULL))
    {
      g_autofree char *escaped = g_strescape (error->message, NULL);

      g_test_message ("%s: the message is not UTF-8: \"%s\"", what, escaped);
    }
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Bytes that are not UTF-8, in whatever the caller passes (fd specs and
 * signal names from C, file names and environments as they come), never
 * make an error message that is not UTF-8: bindings turn messages into
 * strings. */
static void
test_hostile_utf8_messages (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  const char *bad_env[] = { "\xff\xfe", NULL };

  warm_up ();

  g_assert_false (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,\xff:r", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  assert_utf8_message (error, "fd map");
  g_clear_error (&error);

  rec = run_to_end (spawn_helper (launcher, "exit", "0", NULL), 0, NULL);
  g_assert_false (tpx_process_transport_signal_process (rec->transport, "\xffKILL", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  assert_utf8_message (error, "signal name");
  g_clear_error (&error);

  g_assert_null (tpx_process_launcher_spawn (launcher, NULL, "/nonexistent/\xff\xfe", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_utf8_message (error, "executable");
  g_clear_error (&error);

  tpx_process_launcher_set_environ (launcher, bad_env);
  g_assert_null (tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  assert_utf8_message (error, "environment");
  tpx_test_assert_no_children ();
}

/* Exhaustion --------------------------------------------------------------- */

/* The helper saying "spawned", or NULL and @error. */
static TpxProcessTransport *
spawn_helper_or_fail (TpxProcessLauncher  *launcher,
                      GError             **error)
{
  const char *argv[] = { tpx_test_helper_path (), "write-out", "spawned", NULL };

  return tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), argv, error);
}

/* With RLIMIT_NOFILE lowered so that exactly k fds are free (k = 0 … 10:
 * enough for each step of a spawn that takes an fd to fail in turn, and
 * for the smaller maps to succeed), spawning either works or fails with
 * G_IO_ERROR_TOO_MANY_OPEN_FILES; nothing leaks, crashes or hangs; and it
 * works again once fds are free. Once with the context's epoll set already
 * there (another child runs), once without. */
static void
exhaust_fds (gboolean with_running_child)
{
  static const char * const maps[] = { "", "1:r", "0:w,1:r,2:r", "0:w,1:r,2:r,3:w,4:r" };
  g_autoptr(TpxTestRecorder) keeper = NULL;
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  guint n_spawned = 0;
  guint n_refused = 0;

  warm_up ();
  fds_before = fd_snapshot ();

  if (with_running_child)
    {
      g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

      keeper = tpx_test_recorder_new (spawn_helper (launcher, "wait-stdin", NULL));
      g_object_unref (keeper->transport);
    }

  for (guint m = 0; m < G_N_ELEMENTS (maps); m++)
    for (int k = 0; k <= 10; k++)
      {
        g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
        g_autoptr(TpxProcessTransport) transport = NULL;
        g_autoptr(TpxTestRecorder) rec = NULL;
        g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (int));
        g_autoptr(GError) error = NULL;
        g_autofree char *fds_limited = NULL;
        struct rlimit old_limit;
        struct rlimit limit;
        int highest;
        int devnull;

        g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, maps[m], &error));
        g_assert_no_error (error);

        /* Fill every hole below the highest fd: then the limit alone
         * decides how many are free. */
        devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint (devnull, >=, 0);
        g_array_append_val (fillers, devnull);
        highest = highest_open_fd ();
        for (int fd = 0; fd < highest; fd++)
          {
            if (fd_is_open (fd))
              continue;
            g_assert_cmpint (dup3 (devnull, fd, O_CLOEXEC), ==, fd);
            g_array_append_val (fillers, fd);
          }
        fds_limited = fd_snapshot ();

        g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &old_limit));
        limit = old_limit;
        limit.rlim_cur = highest + 1 + k;
        g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));

        transport = spawn_helper_or_fail (launcher, &error);
        if (transport != NULL)
          {
            /* Runs to its end under the same limit. */
            rec = tpx_test_recorder_new (transport);
            g_clear_object (&transport);
            tpx_test_recorder_wait (rec, scale.timeout_ms);
            tpx_test_assert_exited (rec->end_status, 0);
            if (strstr (maps[m], "1:r") != NULL)
              g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "spawned");
            g_clear_pointer (&rec, tpx_test_recorder_free);
            n_spawned++;
          }
        else
          {
            g_test_message ("map “%s”, %d free: %s", maps[m], k, error->message);
            g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
            n_refused++;
          }

        g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &old_limit));
        {
          g_autofree char *now = fd_snapshot ();

          g_assert_cmpstr (now, ==, fds_limited);
        }
        for (guint i = 0; i < fillers->len; i++)
          g_assert_no_errno (close (g_array_index (fillers, int, i)));
      }

  g_test_message ("%u spawned, %u refused", n_spawned, n_refused);
  g_assert_cmpuint (n_refused, >, 0);
  g_assert_cmpuint (n_spawned, >, 0);

  if (keeper != NULL)
    {
      tpx_process_transport_close_stdin (keeper->transport);
      tpx_test_recorder_wait (keeper, scale.timeout_ms);
      tpx_test_assert_exited (keeper->end_status, 0);
      g_clear_pointer (&keeper, tpx_test_recorder_free);
    }

  /* Fds are free again: spawning works. */
  warm_up ();

  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

/* Valgrind 3.19 aborts on a clone() that fails (syswrap-main.c:2277,
 * "Assertion '0 == (sci->flags & ...)' failed"): under valgrind these run
 * in a subprocess, which valgrind does not follow. */
static void
run_natively (void (*func) (gboolean),
              gboolean arg)
{
  if (!RUNNING_ON_VALGRIND || g_test_subprocess ())
    {
      func (arg);
      return;
    }

  g_test_trap_subprocess (NULL, (guint64) scale.timeout_ms * 1000,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_exhaustion_fds_no_child (void)
{
  run_natively (exhaust_fds, FALSE);
}

static void
test_exhaustion_fds_running_child (void)
{
  run_natively (exhaust_fds, TRUE);
}

/* Run in a subprocess: it gives up root (RLIMIT_NPROC does not bind root)
 * and lowers its own process limit to nothing. */
static void
exhaust_processes (void)
{
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *argv[] = { "true", NULL };
  struct rlimit old_limit;
  struct rlimit limit;

  warm_up ();

  if (getuid () == 0)
    {
      const uid_t nobody = 65534;

      g_assert_no_errno (setgroups (0, NULL));
      g_assert_no_errno (setresgid (nobody, nobody, nobody));
      g_assert_no_errno (setresuid (nobody, nobody, nobody));
      /* Changing ids made /proc/self root's; take it back. */
      g_assert_no_errno (prctl (PR_SET_DUMPABLE, 1, 0, 0, 0));
    }

  fds_before = fd_snapshot ();
  g_assert_no_errno (getrlimit (RLIMIT_NPROC, &old_limit));
  limit = old_limit;
  limit.rlim_cur = 0;
  g_assert_no_errno (setrlimit (RLIMIT_NPROC, &limit));

  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(GError) error = NULL;

      transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/true", argv, &error);
      g_assert_null (transport);
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_IO_ERROR);
      g_assert_nonnull (strstr (error->message, "/bin/true"));
      if (i == 0)
        g_test_message ("clone refused: %s (code %d)", error->message, error->code);
    }

  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();

  /* Allowed again: it works. */
  g_assert_no_errno (setrlimit (RLIMIT_NPROC, &old_limit));
  rec = run_to_end (spawn_ok (launcher, "/bin/true", argv), 0, NULL);
  tpx_test_assert_exited (rec->end_status, 0);
}

static void
test_exhaustion_processes (void)
{
  if (g_test_subprocess ())
    {
      exhaust_processes ();
      return;
    }

  g_test_trap_subprocess (NULL, (guint64) scale.timeout_ms * 1000,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Data integrity ------------------------------------------------------------ */

/* xorshift64*: cheap bytes nobody could mistake for a pattern. */
static void
fill_random (guint8  *data,
             gsize    len,
             guint64 *state)
{
  while (len > 0)
    {
      guint64 x = *state;
      gsize n = MIN (len, sizeof x);

      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      *state = x;
      x *= G_GUINT64_CONSTANT (0x2545F4914F6CDD1D);
      memcpy (data, &x, n);
      data += n;
      len -= n;
    }
}

typedef struct
{
  TpxProcessTransport *transport;
  GChecksum           *sent_sum;
  GChecksum           *received_sum;
  TpxProcessStatus    *status;
  guint64              total;
  guint64              sent;
  guint64              received;
  guint64              rng;
  gsize                max_queued;
  guint64              stderr_bytes;
  gboolean             stdin_closed;
  gboolean             ended;
} CatTransfer;

/* Keeps a few MiB queued for the child's stdin, never the whole gigabyte. */
static void
cat_feed (CatTransfer *cat)
{
  while (cat->sent < cat->total &&
         tpx_process_transport_get_write_buffer_size (cat->transport, 0) < FEED_HIGH_WATER)
    {
      gsize n = MIN ((guint64) FEED_CHUNK, cat->total - cat->sent);
      guint8 *chunk = g_malloc (n);
      g_autoptr(GBytes) bytes = NULL;

      fill_random (chunk, n, &cat->rng);
      g_checksum_update (cat->sent_sum, chunk, n);
      bytes = g_bytes_new_take (chunk, n);
      tpx_process_transport_write_bytes (cat->transport, bytes);
      cat->sent += n;
      cat->max_queued = MAX (cat->max_queued,
                             tpx_process_transport_get_write_buffer_size (cat->transport, 0));
    }

  if (cat->sent == cat->total && !cat->stdin_closed)
    {
      cat->stdin_closed = TRUE;
      tpx_process_transport_close_stdin (cat->transport);
    }
}

static void
cat_drained_cb (TpxProcessTransport *transport,
                int                  child_fd,
                gpointer             user_data)
{
  g_assert_cmpint (child_fd, ==, 0);
  cat_feed (user_data);
}

static void
cat_data_cb (TpxProcessTransport *transport,
             int                  child_fd,
             GBytes              *data,
             gpointer             user_data)
{
  CatTransfer *cat = user_data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (child_fd == 1)
    {
      g_checksum_update (cat->received_sum, bytes, len);
      cat->received += len;
    }
  else
    cat->stderr_bytes += len;
}

static void
cat_ended_cb (TpxProcessTransport *transport,
              TpxProcessStatus    *status,
              gpointer             user_data)
{
  CatTransfer *cat = user_data;

  g_assert_false (cat->ended);
  cat->ended = TRUE;
  cat->status = g_object_ref (status);
  assert_not_our_child (tpx_process_transport_get_pid (transport));
}

/* cat_bytes of random data through a child that copies stdin to stdout
 * arrive byte for byte (same SHA-256), with a bounded queue, while a 10 ms
 * timer keeps running. */
static void
test_data_cat (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  CatTransfer cat = { 0 };
  TickMonitor ticks;
  gint64 start;

  warm_up ();
  fds_before = fd_snapshot ();

  cat.total = scale.cat_bytes;
  cat.rng = G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  cat.sent_sum = g_checksum_new (G_CHECKSUM_SHA256);
  cat.received_sum = g_checksum_new (G_CHECKSUM_SHA256);

  tick_monitor_start (&ticks);
  start = g_get_monotonic_time ();
  cat.transport = spawn_helper (launcher, "echo", NULL);
  g_signal_connect (cat.transport, "write-drained", G_CALLBACK (cat_drained_cb), &cat);
  g_signal_connect (cat.transport, "child-data", G_CALLBACK (cat_data_cb), &cat);
  g_signal_connect (cat.transport, "process-ended", G_CALLBACK (cat_ended_cb), &cat);
  cat_feed (&cat);

  tpx_test_run_until (&cat.ended, scale.timeout_ms);
  tick_monitor_check (&ticks);
  g_test_message ("%" G_GUINT64_FORMAT " bytes in %.2f s, at most %" G_GSIZE_FORMAT " queued",
                  cat.received, (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC,
                  cat.max_queued);

  tpx_test_assert_exited (cat.status, 0);
  g_assert_cmpuint (cat.sent, ==, cat.total);
  g_assert_cmpuint (cat.received, ==, cat.total);
  g_assert_cmpuint (cat.stderr_bytes, ==, 0);
  g_assert_cmpstr (g_checksum_get_string (cat.received_sum), ==,
                   g_checksum_get_string (cat.sent_sum));
  g_assert_cmpuint (cat.max_queued, <=, FEED_HIGH_WATER + FEED_CHUNK);

  g_clear_object (&cat.transport);
  g_clear_object (&cat.status);
  g_checksum_free (cat.sent_sum);
  g_checksum_free (cat.received_sum);

  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

typedef struct
{
  guint64           received[3];
  gboolean          intact[3];
  TpxProcessStatus *status;
  gboolean          ended;
  /* For the paused reader. */
  TpxProcessTransport *transport;
  guint64           pause_at;
  guint64           received_at_pause;
  gboolean          paused;
  gboolean          pause_over;
} PatternReader;

static void
pattern_data_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  PatternReader *reader = user_data;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  g_assert_cmpint (child_fd, >=, 1);
  g_assert_cmpint (child_fd, <=, 2);
  /* While paused, nothing may come. */
  g_assert_false (reader->paused);

  if (reader->intact[child_fd] && !matches_pattern (bytes, len, reader->received[child_fd]))
    {
      g_test_message ("fd %d: wrong bytes after offset %" G_GUINT64_FORMAT,
                      child_fd, reader->received[child_fd]);
      reader->intact[child_fd] = FALSE;
    }
  reader->received[child_fd] += len;
}

static void
pattern_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  PatternReader *reader = user_data;

  g_assert_false (reader->ended);
  reader->ended = TRUE;
  reader->status = g_object_ref (status);
  assert_not_our_child (tpx_process_transport_get_pid (transport));
}

static void
pattern_reader_init (PatternReader *reader)
{
  memset (reader, 0, sizeof *reader);
  for (guint i = 0; i < G_N_ELEMENTS (reader->intact); i++)
    reader->intact[i] = TRUE;
}

/* both_bytes on stdout and both_bytes on stderr from one child that
 * alternates blocking writes: no deadlock, nothing lost or mixed up. */
static void
test_data_stdout_and_stderr (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autofree char *total = g_strdup_printf ("%" G_GSIZE_FORMAT, scale.both_bytes);
  PatternReader reader;
  TickMonitor ticks;

  warm_up ();
  pattern_reader_init (&reader);

  tick_monitor_start (&ticks);
  transport = spawn_self (launcher, "both", total);
  g_signal_connect (transport, "child-data", G_CALLBACK (pattern_data_cb), &reader);
  g_signal_connect (transport, "process-ended", G_CALLBACK (pattern_ended_cb), &reader);
  g_clear_object (&transport);

  tpx_test_run_until (&reader.ended, scale.timeout_ms);
  tick_monitor_check (&ticks);

  tpx_test_assert_exited (reader.status, 0);
  g_assert_cmpuint (reader.received[1], ==, scale.both_bytes);
  g_assert_cmpuint (reader.received[2], ==, scale.both_bytes);
  g_assert_true (reader.intact[1]);
  g_assert_true (reader.intact[2]);
  g_clear_object (&reader.status);
  tpx_test_assert_no_children ();
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;

  return G_SOURCE_REMOVE;
}

/* The child closes its stdin while queued_bytes wait in the parent's
 * queue: child-connection-lost(0), the queue is dropped, no SIGPIPE, and
 * the transport still ends once. */
static void
test_data_stdin_closed_with_queue (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  gboolean lost = FALSE;

  warm_up ();
  fds_before = fd_snapshot ();

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,3:w", &error));
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (spawn_self (launcher, "close-stdin-on-go", NULL));
  g_object_unref (rec->transport);

  payload = g_bytes_new_take (g_malloc0 (scale.queued_bytes), scale.queued_bytes);
  tpx_process_transport_write_bytes (rec->transport, payload);
  g_clear_pointer (&payload, g_bytes_unref);
  g_test_message ("%" G_GSIZE_FORMAT " bytes queued",
                  tpx_process_transport_get_write_buffer_size (rec->transport, 0));
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (rec->transport, 0), >,
                    scale.queued_bytes / 2);

  /* Now the child closes its stdin. */
  g_assert_true (tpx_process_transport_write_to_child (rec->transport, 3, (const guint8 *) "g", 1, &error));
  g_assert_no_error (error);

  while (!lost || strcmp (tpx_test_recorder_text (rec, 1), "closed\n") != 0)
    {
      gboolean progress = FALSE;
      guint id = g_timeout_add (scale.timeout_ms, set_flag_cb, &progress);

      g_main_context_iteration (NULL, TRUE);
      g_assert_false (progress);   /* timed out */
      g_source_remove (id);
      lost = g_ptr_array_find_with_equal_func (rec->events, "lost:0", g_str_equal, NULL);
    }

  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (rec->transport, 0), ==, 0);
  g_assert_false (tpx_process_transport_write_to_child (rec->transport, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  tpx_process_transport_write (rec->transport, (const guint8 *) "dropped", 7);
  g_assert_null (tpx_process_transport_get_status (rec->transport));

  tpx_process_transport_close_child_fd (rec->transport, 3);
  tpx_test_recorder_wait (rec, scale.timeout_ms);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpuint (rec->n_ended, ==, 1);

  g_clear_pointer (&rec, tpx_test_recorder_free);
  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

static gboolean
pause_over_cb (gpointer user_data)
{
  PatternReader *reader = user_data;

  /* Nothing came, and the child, blocked on its full pipe, still runs. */
  g_assert_cmpuint (reader->received[1], ==, reader->received_at_pause);
  g_assert_null (tpx_process_transport_get_status (reader->transport));

  reader->paused = FALSE;
  reader->pause_over = TRUE;
  tpx_process_transport_resume_producing (reader->transport);

  return G_SOURCE_REMOVE;
}

static void
pause_midway_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  PatternReader *reader = user_data;

  if (reader->pause_over || reader->paused || reader->received[1] < reader->pause_at)
    return;

  reader->paused = TRUE;
  reader->received_at_pause = reader->received[1];
  tpx_process_transport_pause_producing (transport);
  g_timeout_add (scale.pause_ms, pause_over_cb, reader);
}

/* A reader that pauses for pause_ms halfway through: nothing arrives while
 * paused, the main loop keeps running, and after resuming every byte
 * arrives, in order. */
static void
test_data_paused_reader (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autofree char *total = g_strdup_printf ("%" G_GSIZE_FORMAT, scale.paused_bytes);
  PatternReader reader;
  TickMonitor ticks;
  gint64 start;

  warm_up ();
  pattern_reader_init (&reader);
  reader.pause_at = scale.paused_bytes / 2;

  tick_monitor_start (&ticks);
  start = g_get_monotonic_time ();
  reader.transport = spawn_helper (launcher, "big", total, NULL);
  g_signal_connect (reader.transport, "child-data", G_CALLBACK (pattern_data_cb), &reader);
  g_signal_connect_after (reader.transport, "child-data", G_CALLBACK (pause_midway_cb), &reader);
  g_signal_connect (reader.transport, "process-ended", G_CALLBACK (pattern_ended_cb), &reader);

  tpx_test_run_until (&reader.ended, scale.timeout_ms + scale.pause_ms);
  tick_monitor_check (&ticks);

  g_assert_true (reader.pause_over);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (gint64) scale.pause_ms * 1000);
  tpx_test_assert_exited (reader.status, 0);
  g_assert_cmpuint (reader.received[1], ==, scale.paused_bytes);
  g_assert_true (reader.intact[1]);
  g_assert_cmpuint (reader.received[2], ==, 0);

  g_clear_object (&reader.transport);
  g_clear_object (&reader.status);
  tpx_test_assert_no_children ();
}

/* Concurrency ---------------------------------------------------------------- */

static void
count_ended_cb (TpxProcessTransport *transport,
                TpxProcessStatus    *status,
                gpointer             user_data)
{
  guint *n_ended = user_data;

  assert_not_our_child (tpx_process_transport_get_pid (transport));
  (*n_ended)++;
}

static char
process_state (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return '?';
  /* "pid (comm) S ...": comm may hold anything but not after the last ')'. */
  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' ? paren[2] : '?';
}

/* n_live children alive at once, ended three ways (stdin closed: exit 0;
 * TERM; KILL): every one reports its own status exactly once. */
static void
test_concurrency_live_children (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GPtrArray) transports = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;
  struct rlimit old_limit;
  struct rlimit limit;
  guint n_ended = 0;
  gboolean all_ended = FALSE;
  gint64 start;

  warm_up ();
  fds_before = fd_snapshot ();

  /* One pipe and one pidfd each. */
  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &old_limit));
  limit = old_limit;
  limit.rlim_cur = MAX (limit.rlim_cur, MIN (limit.rlim_max, (rlim_t) scale.n_live * 3 + 256));
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));
  g_assert_cmpuint (limit.rlim_cur, >=, (rlim_t) scale.n_live * 3 + 256);

  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 0, TPX_CHILD_FD_WRITE, -1);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < scale.n_live; i++)
    {
      TpxProcessTransport *transport = spawn_helper (launcher, "wait-stdin", NULL);

      g_signal_connect (transport, "process-ended", G_CALLBACK (count_ended_cb), &n_ended);
      g_ptr_array_add (transports, transport);
    }
  g_test_message ("%u children spawned in %.2f s", scale.n_live,
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  /* All alive at once. */
  for (guint i = 0; i < transports->len; i++)
    {
      TpxProcessTransport *transport = g_ptr_array_index (transports, i);

      g_assert_null (tpx_process_transport_get_status (transport));
      g_assert_cmpint (process_state (tpx_process_transport_get_pid (transport)), !=, 'Z');
      g_assert_cmpint (process_state (tpx_process_transport_get_pid (transport)), !=, '?');
    }
  g_assert_cmpuint (n_ended, ==, 0);

  for (guint i = 0; i < transports->len; i++)
    {
      TpxProcessTransport *transport = g_ptr_array_index (transports, i);
      g_autoptr(GError) error = NULL;

      switch (i % 3)
        {
        case 0:
          tpx_process_transport_close_stdin (transport);
          break;
        case 1:
          g_assert_true (tpx_process_transport_signal_process (transport, "TERM", &error));
          break;
        default:
          g_assert_true (tpx_process_transport_send_signal (transport, SIGKILL, &error));
          break;
        }
      g_assert_no_error (error);
    }

  while (n_ended < scale.n_live)
    {
      guint before = n_ended;
      guint id = g_timeout_add (scale.timeout_ms, set_flag_cb, &all_ended);

      while (n_ended == before && !all_ended)
        g_main_context_iteration (NULL, TRUE);
      g_assert_false (all_ended);   /* timed out */
      g_source_remove (id);
    }

  for (guint i = 0; i < transports->len; i++)
    {
      TpxProcessStatus *status = tpx_process_transport_get_status (g_ptr_array_index (transports, i));

      if (i % 3 == 0)
        tpx_test_assert_exited (status, 0);
      else
        tpx_test_assert_killed (status, i % 3 == 1 ? SIGTERM : SIGKILL);
    }

  g_clear_pointer (&transports, g_ptr_array_unref);
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &old_limit));
  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

typedef struct
{
  guint         index;
  GMainContext *context;
  GThread      *thread;
  guint         n_signals;
} SpawnThread;

/* Every signal of a child spawned in a thread comes in that thread, in the
 * context that was its thread-default when it spawned. Connected swapped,
 * for signals of any arguments. */
static void
assert_in_thread_cb (gpointer user_data)
{
  SpawnThread *spawner = user_data;

  g_assert_true (g_thread_self () == spawner->thread);
  g_assert_true (g_main_context_get_thread_default () == spawner->context);
  g_assert_true (g_main_context_is_owner (spawner->context));
  spawner->n_signals++;
}

static void
watch_thread (TpxProcessTransport *transport,
              SpawnThread         *spawner)
{
  static const char * const names[] = {
    "child-data", "child-connection-lost", "process-exited", "process-ended",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_signal_connect_swapped (transport, names[i], G_CALLBACK (assert_in_thread_cb), spawner);
}

static gpointer
spawn_thread_func (gpointer user_data)
{
  SpawnThread *spawner = user_data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func ((GDestroyNotify) tpx_test_recorder_free);
  g_autoptr(TpxTestRecorder) killed = NULL;
  g_autoptr(GError) error = NULL;

  spawner->thread = g_thread_self ();
  spawner->context = g_main_context_new ();
  g_main_context_push_thread_default (spawner->context);

  for (guint i = 0; i < scale.spawns_per_thread; i++)
    {
      g_autofree char *text = g_strdup_printf ("thread %u child %u", spawner->index, i);
      TpxProcessTransport *transport = spawn_helper (launcher, "echo", NULL);

      watch_thread (transport, spawner);
      g_ptr_array_add (recs, tpx_test_recorder_new (transport));
      tpx_process_transport_write (transport, (const guint8 *) text, strlen (text));
      tpx_process_transport_close_stdin (transport);
      g_object_unref (transport);
    }

  /* And one this thread signals. */
  killed = tpx_test_recorder_new (spawn_helper (launcher, "sleep-forever", NULL));
  g_object_unref (killed->transport);
  watch_thread (killed->transport, spawner);
  g_assert_true (tpx_process_transport_signal_process (killed->transport, "TERM", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < recs->len; i++)
    {
      TpxTestRecorder *rec = g_ptr_array_index (recs, i);
      g_autofree char *text = g_strdup_printf ("thread %u child %u", spawner->index, i);

      tpx_test_recorder_wait (rec, scale.timeout_ms);
      tpx_test_assert_exited (rec->end_status, 0);
      g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, text);
    }
  tpx_test_recorder_wait (killed, scale.timeout_ms);
  tpx_test_assert_killed (killed->end_status, SIGTERM);

  g_clear_pointer (&recs, g_ptr_array_unref);
  g_clear_pointer (&killed, tpx_test_recorder_free);
  g_clear_object (&launcher);

  g_main_context_pop_thread_default (spawner->context);
  g_clear_pointer (&spawner->context, g_main_context_unref);

  return NULL;
}

/* n_threads threads spawn at the same time, each in a context of its own. */
static void
test_concurrency_threads (void)
{
  g_autofree SpawnThread *spawners = g_new0 (SpawnThread, scale.n_threads);
  g_autofree GThread **threads = g_new0 (GThread *, scale.n_threads);
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;

  warm_up ();
  fds_before = fd_snapshot ();

  for (guint i = 0; i < scale.n_threads; i++)
    {
      spawners[i].index = i;
      threads[i] = g_thread_new ("tpx-spawner", spawn_thread_func, &spawners[i]);
    }
  for (guint i = 0; i < scale.n_threads; i++)
    {
      g_thread_join (threads[i]);
      /* At least data, a loss, exited and ended per child. */
      g_assert_cmpuint (spawners[i].n_signals, >=, 4 * scale.spawns_per_thread);
    }

  fds_after = fd_snapshot ();
  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

#define N_MALLOC_SLOTS 64

static gpointer
malloc_thread_func (gpointer user_data)
{
  gint *stop = user_data;
  gpointer slots[N_MALLOC_SLOTS] = { NULL };
  guint64 state = 42;
  guint64 n = 0;

  while (!g_atomic_int_get (stop))
    {
      guint8 random[8];
      guint slot;
      gsize size;

      fill_random (random, sizeof random, &state);
      slot = random[0] % N_MALLOC_SLOTS;
      /* Small blocks from the arenas, now and then a big mmap()ed one. */
      size = random[1] == 0 ? 256 * 1024 : 16 + random[2] * 8;
      free (slots[slot]);
      slots[slot] = malloc (size);
      g_assert_nonnull (slots[slot]);
      memset (slots[slot], random[3], size);
      n++;
    }

  for (guint i = 0; i < N_MALLOC_SLOTS; i++)
    free (slots[i]);

  return GSIZE_TO_POINTER ((gsize) n);
}

/* Spawning while another thread allocates and frees in a tight loop: the
 * child side takes no lock and allocates nothing, so nothing hangs. */
static void
test_concurrency_malloc_thread (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  /* Valgrind runs one thread at a time, and the allocating one takes most
   * of the time there: a few spawns check the memory all the same. */
  guint n_spawns = RUNNING_ON_VALGRIND ? 10 : scale.malloc_spawns;
  GThread *thread;
  gint stop = FALSE;
  gsize n_mallocs;

  warm_up ();
  thread = g_thread_new ("tpx-malloc", malloc_thread_func, &stop);

  for (guint i = 0; i < n_spawns; i++)
    {
      g_autoptr(TpxTestRecorder) rec = NULL;

      rec = run_to_end (spawn_helper (launcher, "write-out", "despite malloc", NULL), 0, NULL);
      tpx_test_assert_exited (rec->end_status, 0);
      g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "despite malloc");
    }

  g_atomic_int_set (&stop, TRUE);
  n_mallocs = GPOINTER_TO_SIZE (g_thread_join (thread));
  g_test_message ("%u spawns during %" G_GSIZE_FORMAT " mallocs", n_spawns, n_mallocs);
  g_assert_cmpuint (n_mallocs, >, 0);
  tpx_test_assert_no_children ();
}

typedef struct
{
  int      wait_status;
  gboolean done;
} ChildWatch;

static void
child_watch_cb (GPid     pid,
                int      wait_status,
                gpointer user_data)
{
  ChildWatch *watch = user_data;

  watch->wait_status = wait_status;
  watch->done = TRUE;
  g_spawn_close_pid (pid);
}

static GPid
spawn_foreign (const char *code)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { tpx_test_helper_path (), "exit", code, NULL };
  GPid pid = 0;

  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pid, >, 0);

  return pid;
}

static void
run_with_child_watch (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) ok = NULL;
  g_autoptr(TpxTestRecorder) code = NULL;
  g_autoptr(TpxTestRecorder) killed = NULL;
  ChildWatch watch = { 0 };
  GPid foreign;

  foreign = spawn_foreign ("7");
  g_child_watch_add (foreign, child_watch_cb, &watch);

  ok = tpx_test_recorder_new (spawn_helper (launcher, "write-out", "mine", NULL));
  code = tpx_test_recorder_new (spawn_helper (launcher, "exit", "3", NULL));
  killed = tpx_test_recorder_new (spawn_helper (launcher, "kill-self", "15", NULL));
  g_object_unref (ok->transport);
  g_object_unref (code->transport);
  g_object_unref (killed->transport);

  tpx_test_run_until (&watch.done, scale.timeout_ms);
  tpx_test_recorder_wait (ok, scale.timeout_ms);
  tpx_test_recorder_wait (code, scale.timeout_ms);
  tpx_test_recorder_wait (killed, scale.timeout_ms);

  g_assert_true (WIFEXITED (watch.wait_status));
  g_assert_cmpint (WEXITSTATUS (watch.wait_status), ==, 7);
  tpx_test_assert_exited (ok->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (ok, 1), ==, "mine");
  tpx_test_assert_exited (code->end_status, 3);
  tpx_test_assert_killed (killed->end_status, SIGTERM);
}

/* Children of g_child_watch_add() and of tpx side by side: each gets its
 * own status. */
static void
test_concurrency_child_watch (void)
{
  g_autofree char *fds_before = NULL;
  g_autofree char *fds_after = NULL;

  warm_up ();
  /* GLib sets up its SIGCHLD handling on first use, for good. */
  run_with_child_watch ();
  fds_before = fd_snapshot ();
  run_with_child_watch ();
  fds_after = fd_snapshot ();

  g_assert_cmpstr (fds_after, ==, fds_before);
  tpx_test_assert_no_children ();
}

/* A waitpid() on a child tpx did not spawn works while tpx children run;
 * tpx never reaps a child that is not its own. */
static void
test_concurrency_foreign_waitpid (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func ((GDestroyNotify) tpx_test_recorder_free);
  GPid first;
  GPid second;
  int wait_status;

  warm_up ();
  for (guint i = 0; i < 4; i++)
    {
      TpxTestRecorder *rec = tpx_test_recorder_new (spawn_helper (launcher, "wait-stdin", NULL));

      g_object_unref (rec->transport);
      g_ptr_array_add (recs, rec);
    }

  first = spawn_foreign ("42");
  second = spawn_foreign ("43");
  g_assert_cmpint (waitpid (first, &wait_status, 0), ==, first);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 42);

  /* The tpx children end while the second foreign child waits, unreaped. */
  for (guint i = 0; i < recs->len; i++)
    {
      TpxTestRecorder *rec = g_ptr_array_index (recs, i);

      tpx_process_transport_close_stdin (rec->transport);
      tpx_test_recorder_wait (rec, scale.timeout_ms);
      tpx_test_assert_exited (rec->end_status, 0);
    }

  g_assert_cmpint (waitpid (second, &wait_status, 0), ==, second);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 43);
  tpx_test_assert_no_children ();
}

/* --------------------------------------------------------------------------- */

static void
add_test (const char *path,
          gboolean    soak,
          GTestFunc   func)
{
  g_autofree char *full = NULL;

#ifdef TPX_RELIABILITY_STRESS
  if (!soak)
    return;
#endif

  full = g_strconcat (scale.prefix, path, NULL);
  g_test_add_func (full, func);
}

int
main (int    argc,
      char **argv)
{
  pattern_buffer = g_malloc (CHUNK_SIZE + PATTERN_LEN);
  for (gsize i = 0; i < CHUNK_SIZE + PATTERN_LEN; i++)
    pattern_buffer[i] = PATTERN[i % PATTERN_LEN];

  if (argc >= 2 && strcmp (argv[1], CHILD_MODE_OPTION) == 0)
    return run_child_mode (argc - 2, argv + 2);

  g_test_init (&argc, &argv, NULL);

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self_path);

  add_test ("/leak/spawn-paths", TRUE, test_leak_spawn_paths);
  add_test ("/leak/inheritable-fds", FALSE, test_leak_inheritable_fds);
  add_test ("/exhaustion/fds", FALSE, test_exhaustion_fds_no_child);
  add_test ("/exhaustion/fds-running-child", FALSE, test_exhaustion_fds_running_child);
  add_test ("/exhaustion/processes", FALSE, test_exhaustion_processes);
  add_test ("/data/cat", TRUE, test_data_cat);
  add_test ("/data/stdout-and-stderr", TRUE, test_data_stdout_and_stderr);
  add_test ("/data/stdin-closed-with-queue", TRUE, test_data_stdin_closed_with_queue);
  add_test ("/data/paused-reader", TRUE, test_data_paused_reader);
  add_test ("/concurrency/live-children", TRUE, test_concurrency_live_children);
  add_test ("/concurrency/threads", TRUE, test_concurrency_threads);
  add_test ("/concurrency/malloc-thread", TRUE, test_concurrency_malloc_thread);
  add_test ("/concurrency/child-watch", FALSE, test_concurrency_child_watch);
  add_test ("/concurrency/foreign-waitpid", FALSE, test_concurrency_foreign_waitpid);
  add_test ("/hostile/utf8-messages", FALSE, test_hostile_utf8_messages);

  return g_test_run ();
}
