/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 5000
#define N_SPAWNS_IN_A_ROW 1000

static const char only_std_fds[] = "0 blocking\n1 blocking\n2 blocking\n";

static gboolean
has_event (TpxTestRecorder *rec,
           const char      *event)
{
  return g_ptr_array_find_with_equal_func (rec->events, event, g_str_equal, NULL);
}

static gboolean
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0 || errno != EBADF;
}

/* Reads @fd, the read end of a pipe whose writers should all be gone, to
 * EOF. Nonblocking: a writer still open somewhere (a leak) fails the test
 * rather than hanging it. */
static char *
read_to_eof (int fd)
{
  GString *text = g_string_new (NULL);
  char buffer[256];

  g_assert_no_errno (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK));

  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        g_test_message ("no EOF: a copy of the pipe's write end is still open");
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        break;
      g_string_append_len (text, buffer, n);
    }

  return g_string_free (text, FALSE);
}

/* A close-on-exec pipe whose ends are out of the way of the low fds. */
static void
make_high_pipe (int fds[2])
{
  int low[2];

  g_assert_no_errno (pipe2 (low, O_CLOEXEC));
  for (int i = 0; i < 2; i++)
    {
      fds[i] = fcntl (low[i], F_DUPFD_CLOEXEC, 100);
      g_assert_cmpint (fds[i], >=, 100);
      g_assert_no_errno (close (low[i]));
    }
}

/* Finds two free fds, @low and @low + 1, preferring 3 and 4. */
static int
find_free_pair (void)
{
  for (int fd = 3; fd < 1000; fd++)
    if (!fd_is_open (fd) && !fd_is_open (fd + 1))
      return fd;

  g_assert_not_reached ();
}

static int
find_free_fd_from (int start)
{
  for (int fd = start; fd < 4096; fd++)
    if (!fd_is_open (fd))
      return fd;

  g_assert_not_reached ();
}

/* Spawns one child and waits for its end, so that whatever the library
 * keeps per main context (its epoll fd, the context's wakeup fd) exists
 * before a test counts fds. */
static void
warm_up (void)
{
  static gboolean done;
  g_autoptr(TpxProcessLauncher) launcher = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;

  if (done)
    return;

  launcher = tpx_process_launcher_new ();
  transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/true", NULL, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  done = TRUE;
}

/* Spawning fails with @domain/@code, names @executable (and @step, if any)
 * in its message, and leaves no fd and no child behind. */
static void
assert_spawn_fails (TpxProcessLauncher *launcher,
                    const char         *executable,
                    const char * const *argv,
                    GQuark              domain,
                    int                 code,
                    const char         *step)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  guint n_fds;

  warm_up ();
  n_fds = tpx_test_count_fds ();
  transport = tpx_process_launcher_spawn (launcher, NULL, executable, argv, &error);
  g_assert_null (transport);
  g_assert_error (error, domain, code);
  g_test_message ("spawn error: %s", error->message);
  g_assert_nonnull (strstr (error->message, executable));
  if (step != NULL)
    g_assert_nonnull (strstr (error->message, step));

  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

static void
test_default_map (void)
{
  g_autoptr(TpxTestRecorder) rec = tpx_test_run_helper (NULL, "fds", TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, only_std_fds);
  /* 0 is a pipe the parent writes, 1 and 2 pipes it reads */
  g_assert_true (has_event (rec, "lost:0"));
  g_assert_true (has_event (rec, "lost:1"));
  g_assert_true (has_event (rec, "lost:2"));
}

static void
test_default_map_directions (void)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);

  transport = tpx_test_spawn_helper (NULL, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);

  for (int fd = 1; fd <= 2; fd++)
    {
      g_assert_false (tpx_process_transport_write_to_child (transport, fd, (const guint8 *) "x", 1, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }

  tpx_process_transport_write (transport, (const guint8 *) "in and out", 10);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "in and out");
}

/* An unmapped 0, 1 or 2 is /dev/null: readable (empty), writable (and
 * swallowing everything); never a closed fd. */
static void
test_unmapped_std_fds_stdin (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_autoptr(TpxTestRecorder) rec3 = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-err", "to nowhere", NULL);

  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_READ, -1);

  rec = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, only_std_fds);

  /* stdin: end of file at once */
  rec2 = tpx_test_run_helper (launcher, "count-stdin", TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, "0\n");

  /* stderr: writing succeeds (the helper exits 2 on a failed write) */
  rec3 = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec3->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec3, 1), ==, "");
}

static void
test_unmapped_std_fds_stdout (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-both", NULL);

  /* stdout: writing succeeds, and nothing arrives anywhere */
  tpx_process_launcher_remove_child_fd (launcher, 1);
  rec = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_false (has_event (rec, "data:1"));
  g_assert_false (has_event (rec, "lost:1"));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "err");
}

/* Parent fds without O_CLOEXEC (the lowest free one, 50, and every other
 * free fd up to 64) never reach the child. */
static void
test_no_leak_without_cloexec (void)
{
  g_autoptr(GArray) leaked = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(TpxTestRecorder) rec = NULL;
  guint n_fds;
  int fds[2];
  int lowest;
  int high = 50;

  warm_up ();
  n_fds = tpx_test_count_fds ();
  lowest = open ("/dev/null", O_RDONLY);
  g_assert_cmpint (lowest, >=, 3);
  g_assert_cmpint (lowest, <, 50);
  g_array_append_val (leaked, lowest);
  g_test_message ("lowest free fd: %d", lowest);

  /* A pipe, the way a leak hurts most: its reader would never see EOF. */
  g_assert_no_errno (pipe (fds));
  g_assert_false (fd_is_open (high));
  g_assert_cmpint (dup2 (fds[1], high), ==, high);
  g_array_append_val (leaked, high);
  g_array_append_val (leaked, fds[0]);
  g_array_append_val (leaked, fds[1]);

  for (int fd = 3; fd < 64; fd++)
    {
      if (fd_is_open (fd))
        continue;
      g_assert_cmpint (dup2 (lowest, fd), ==, fd);
      g_array_append_val (leaked, fd);
    }

  for (guint i = 0; i < leaked->len; i++)
    g_assert_cmpint (fcntl (g_array_index (leaked, int, i), F_GETFD) & FD_CLOEXEC, ==, 0);

  rec = tpx_test_run_helper (NULL, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, only_std_fds);
  g_clear_pointer (&rec, tpx_test_recorder_free);

  for (guint i = 0; i < leaked->len; i++)
    g_assert_no_errno (close (g_array_index (leaked, int, i)));
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
}

/* Extra pipes and inherited fds: exactly the mapped ones, all blocking. */
static void
test_extra_fds_blocking (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  int fds[2];

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC));

  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_WRITE, -1);
  tpx_process_launcher_set_child_fd (launcher, 4, TPX_CHILD_FD_READ, -1);
  tpx_process_launcher_set_child_fd (launcher, 9, TPX_CHILD_FD_INHERIT, fds[1]);

  rec = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==,
                   "0 blocking\n1 blocking\n2 blocking\n3 blocking\n4 blocking\n9 blocking\n");

  g_assert_no_errno (close (fds[0]));
  g_assert_no_errno (close (fds[1]));
}

/* The parent ends of the pipes are nonblocking; the child ends are not. */
static void
test_pipes_blocking_in_child (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r,5:w,6:r", &error));
  g_assert_no_error (error);

  rec = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==,
                   "0 blocking\n1 blocking\n2 blocking\n5 blocking\n6 blocking\n");
}

/* INHERIT: the child writes through a copy of a parent fd. */
static void
test_inherit (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "0", "3", NULL);
  g_autofree char *text = NULL;
  int fds[2];

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC));
  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, fds[1]);

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_assert_no_errno (close (fds[1]));
  rec = tpx_test_recorder_new (transport);
  tpx_process_transport_write (transport, (const guint8 *) "inherited", 9);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  text = read_to_eof (fds[0]);
  g_assert_cmpstr (text, ==, "inherited");
  g_assert_no_errno (close (fds[0]));
}

/* INHERIT onto the same number: the child must get it although the
 * parent's fd has O_CLOEXEC (dup2 onto itself would keep the flag). */
static void
test_inherit_same_number (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *fd_str = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) argv = NULL;
  int fds[2];

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC));
  fd_str = g_strdup_printf ("%d", fds[1]);
  argv = tpx_test_helper_argv ("cat-fd", "0", fd_str, NULL);
  tpx_process_launcher_set_child_fd (launcher, fds[1], TPX_CHILD_FD_INHERIT, fds[1]);

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_assert_no_errno (close (fds[1]));
  rec = tpx_test_recorder_new (transport);
  tpx_process_transport_write (transport, (const guint8 *) "same fd", 7);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  text = read_to_eof (fds[0]);
  g_assert_cmpstr (text, ==, "same fd");
  g_assert_no_errno (close (fds[0]));
}

/* {0: 1, 1: 0}: the child's stdin is the parent's fd 1 and its stdout the
 * parent's fd 0. Runs in a subprocess, whose fds 0 and 1 it may borrow. */
static void
swap_std_fds_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);
  g_autofree char *text = NULL;
  int to_child[2];
  int from_child[2];
  int saved0;
  int saved1;

  g_assert_no_errno (pipe2 (to_child, O_CLOEXEC));
  g_assert_no_errno (pipe2 (from_child, O_CLOEXEC));
  saved0 = fcntl (0, F_DUPFD_CLOEXEC, 10);
  saved1 = fcntl (1, F_DUPFD_CLOEXEC, 10);
  g_assert_cmpint (saved0, >=, 0);
  g_assert_cmpint (saved1, >=, 0);

  /* The parent's fd 1 is what the child must read, fd 0 what it writes. */
  g_assert_cmpint (dup2 (to_child[0], 1), ==, 1);
  g_assert_cmpint (dup2 (from_child[1], 0), ==, 0);

  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 0, TPX_CHILD_FD_INHERIT, 1);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_INHERIT, 0);
  tpx_process_launcher_set_child_fd (launcher, 2, TPX_CHILD_FD_READ, -1);
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);

  /* Put the parent's own 0 and 1 back before asserting anything. */
  g_assert_cmpint (dup2 (saved0, 0), ==, 0);
  g_assert_cmpint (dup2 (saved1, 1), ==, 1);
  g_assert_no_errno (close (saved0));
  g_assert_no_errno (close (saved1));
  g_assert_no_errno (close (to_child[0]));
  g_assert_no_errno (close (from_child[1]));

  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  g_assert_cmpint (write (to_child[1], "swapped", 7), ==, 7);
  g_assert_no_errno (close (to_child[1]));
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  text = read_to_eof (from_child[0]);
  g_assert_cmpstr (text, ==, "swapped");
  g_assert_no_errno (close (from_child[0]));
}

/* {3: 4, 4: 3}: a cycle among the extra fds (in a fresh subprocess, fds 3
 * and 4 are free to be used as the parent fds). */
static void
swap_extra_fds_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *a_str = NULL;
  g_autofree char *b_str = NULL;
  g_autofree char *text = NULL;
  int to_child[2];
  int from_child[2];
  int a;
  int b;

  make_high_pipe (to_child);
  make_high_pipe (from_child);

  a = find_free_pair ();
  b = a + 1;
  g_test_message ("cycle between fds %d and %d", a, b);
  a_str = g_strdup_printf ("%d", a);
  b_str = g_strdup_printf ("%d", b);

  /* Parent fd b is what the child reads as its fd a; parent fd a is what it
   * writes as its fd b. */
  g_assert_cmpint (dup3 (to_child[0], b, O_CLOEXEC), ==, b);
  g_assert_cmpint (dup3 (from_child[1], a, O_CLOEXEC), ==, a);
  g_assert_no_errno (close (to_child[0]));
  g_assert_no_errno (close (from_child[1]));

  tpx_process_launcher_set_child_fd (launcher, a, TPX_CHILD_FD_INHERIT, b);
  tpx_process_launcher_set_child_fd (launcher, b, TPX_CHILD_FD_INHERIT, a);
  argv = tpx_test_helper_argv ("cat-fd", a_str, b_str, NULL);

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_assert_no_errno (close (a));
  g_assert_no_errno (close (b));
  rec = tpx_test_recorder_new (transport);

  g_assert_cmpint (write (to_child[1], "cycle", 5), ==, 5);
  g_assert_no_errno (close (to_child[1]));
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  text = read_to_eof (from_child[0]);
  g_assert_cmpstr (text, ==, "cycle");
  g_assert_no_errno (close (from_child[0]));
}

/* {3: 4, 4: 5, 5: 3}: a rotation of three. */
static void
rotate_fds_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *text = NULL;
  int to_child[2];
  int from_child[2];
  int spare[2];
  int a;

  make_high_pipe (to_child);
  make_high_pipe (from_child);
  make_high_pipe (spare);

  a = find_free_pair ();
  g_test_message ("rotation among fds %d, %d and %d", a, a + 1, a + 2);
  g_assert_false (fd_is_open (a + 2));

  /* child a ← parent a+1 (reads), child a+1 ← parent a+2 (spare, unused),
   * child a+2 ← parent a (writes). */
  g_assert_cmpint (dup3 (to_child[0], a + 1, O_CLOEXEC), ==, a + 1);
  g_assert_cmpint (dup3 (spare[0], a + 2, O_CLOEXEC), ==, a + 2);
  g_assert_cmpint (dup3 (from_child[1], a, O_CLOEXEC), ==, a);
  g_assert_no_errno (close (to_child[0]));
  g_assert_no_errno (close (from_child[1]));
  g_assert_no_errno (close (spare[0]));

  tpx_process_launcher_set_child_fd (launcher, a, TPX_CHILD_FD_INHERIT, a + 1);
  tpx_process_launcher_set_child_fd (launcher, a + 1, TPX_CHILD_FD_INHERIT, a + 2);
  tpx_process_launcher_set_child_fd (launcher, a + 2, TPX_CHILD_FD_INHERIT, a);

  {
    g_autofree char *in_str = g_strdup_printf ("%d", a);
    g_autofree char *out_str = g_strdup_printf ("%d", a + 2);

    argv = tpx_test_helper_argv ("cat-fd", in_str, out_str, NULL);
  }

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);

  /* The listing shows exactly the three mapped fds besides 0, 1, 2. */
  rec2 = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  {
    g_autofree char *expected = g_strdup_printf ("%s%d blocking\n%d blocking\n%d blocking\n",
                                                 only_std_fds, a, a + 1, a + 2);

    g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, expected);
  }

  g_assert_no_errno (close (a));
  g_assert_no_errno (close (a + 1));
  g_assert_no_errno (close (a + 2));

  g_assert_cmpint (write (to_child[1], "rotated", 7), ==, 7);
  g_assert_no_errno (close (to_child[1]));
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  text = read_to_eof (from_child[0]);
  g_assert_cmpstr (text, ==, "rotated");
  g_assert_no_errno (close (from_child[0]));
  g_assert_no_errno (close (spare[1]));
}

static void
run_in_subprocess (void (*func) (void))
{
  if (g_test_subprocess ())
    {
      func ();
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_swap_std_fds (void)
{
  run_in_subprocess (swap_std_fds_in_subprocess);
}

static void
test_swap_extra_fds (void)
{
  run_in_subprocess (swap_extra_fds_in_subprocess);
}

static void
test_rotate_fds (void)
{
  run_in_subprocess (rotate_fds_in_subprocess);
}

/* Child fds up to RLIMIT_NOFILE - 1 (DESIGN §4a: any child fd in
 * [0, RLIMIT_NOFILE) can be a target), here with a limit of 256. */
#define LOW_FD_LIMIT 256

/* The parent writes @text to the child's fd @child_fd, a 'w' pipe; the
 * helper copies it to its stdout. */
static void
assert_high_write_pipe (int child_fd)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fd_str = g_strdup_printf ("%d", child_fd);
  g_autofree char *expected = g_strdup_printf ("%s%d blocking\n", only_std_fds, child_fd);
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", fd_str, "1", NULL);

  g_test_message ("child fd %d, limit %d", child_fd, LOW_FD_LIMIT);
  tpx_process_launcher_set_child_fd (launcher, child_fd, TPX_CHILD_FD_WRITE, -1);

  listing = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (listing->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (listing, 1), ==, expected);

  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);
  g_assert_true (tpx_process_transport_write_to_child (transport, child_fd,
                                                       (const guint8 *) "near the limit", 14, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, child_fd);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "near the limit");
}

static void
lower_fd_limit (void)
{
  struct rlimit limit;

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  g_assert_cmpint (limit.rlim_max, >=, LOW_FD_LIMIT);
  for (int fd = LOW_FD_LIMIT; fd < 1024; fd++)
    g_assert_false (fd_is_open (fd));
  limit.rlim_cur = LOW_FD_LIMIT;
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));
}

static void
fd_limit_targets_in_subprocess (void)
{
  lower_fd_limit ();

  /* No room above 255 for anything. */
  assert_high_write_pipe (LOW_FD_LIMIT - 1);
  /* Room above 253 for two fds only, with four sources to place. */
  assert_high_write_pipe (LOW_FD_LIMIT - 3);
}

/* {254: 255, 255: 254}, a swap at the very top: its copy must go below. */
static void
fd_limit_swap_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) listing = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *text = NULL;
  const int a = LOW_FD_LIMIT - 2;
  const int b = LOW_FD_LIMIT - 1;
  int to_child[2];
  int from_child[2];

  lower_fd_limit ();
  g_assert_no_errno (pipe2 (to_child, O_CLOEXEC));
  g_assert_no_errno (pipe2 (from_child, O_CLOEXEC));

  /* Parent fd b is what the child reads as its fd a; parent fd a is what
   * it writes as its fd b. */
  g_assert_cmpint (dup3 (to_child[0], b, O_CLOEXEC), ==, b);
  g_assert_cmpint (dup3 (from_child[1], a, O_CLOEXEC), ==, a);
  g_assert_no_errno (close (to_child[0]));
  g_assert_no_errno (close (from_child[1]));

  tpx_process_launcher_set_child_fd (launcher, a, TPX_CHILD_FD_INHERIT, b);
  tpx_process_launcher_set_child_fd (launcher, b, TPX_CHILD_FD_INHERIT, a);

  listing = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (listing->end_status, 0);
  {
    g_autofree char *expected = g_strdup_printf ("%s%d blocking\n%d blocking\n",
                                                 only_std_fds, a, b);

    g_assert_cmpstr (tpx_test_recorder_text (listing, 1), ==, expected);
  }

  {
    g_autofree char *a_str = g_strdup_printf ("%d", a);
    g_autofree char *b_str = g_strdup_printf ("%d", b);

    argv = tpx_test_helper_argv ("cat-fd", a_str, b_str, NULL);
  }
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  g_assert_no_errno (close (a));
  g_assert_no_errno (close (b));
  rec = tpx_test_recorder_new (transport);

  g_assert_cmpint (write (to_child[1], "swapped at the top", 18), ==, 18);
  g_assert_no_errno (close (to_child[1]));
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  text = read_to_eof (from_child[0]);
  g_assert_cmpstr (text, ==, "swapped at the top");
  g_assert_no_errno (close (from_child[0]));
}

static void
test_fd_limit_targets (void)
{
  run_in_subprocess (fd_limit_targets_in_subprocess);
}

static void
test_fd_limit_swap (void)
{
  run_in_subprocess (fd_limit_swap_in_subprocess);
}

/* Where close_range() is missing (Linux before 5.9) or refused by seccomp
 * (ENOSYS or EPERM), no parent fd reaches the child either, one above the
 * soft RLIMIT_NOFILE included (DESIGN §4a). */

/* Installs a seccomp filter under which close_range() fails with @err:
 * ENOSYS as on a kernel without it, EPERM as some container runtimes
 * answer. Async-signal-safe. */
static int
install_seccomp_filter (struct sock_filter *filter,
                        unsigned short      len)
{
  struct sock_fprog program = { len, filter };

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -1;

  /* prctl() rather than seccomp(): valgrind knows only the former. */
  return prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}

static int
refuse_close_range (int err)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((guint32) err & SECCOMP_RET_DATA)),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };

  return install_seccomp_filter (filter, G_N_ELEMENTS (filter));
}

/* Whether refuse_close_range() works here: tried in a forked child, since
 * a filter cannot be taken back. */
static gboolean
can_refuse_close_range (int *err)
{
  int wait_status;
  pid_t pid;

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (refuse_close_range (ENOSYS) < 0)
        _exit (errno & 0x7f);
      if (syscall (SYS_close_range, 1000u, 1000u, 0) == 0 || errno != ENOSYS)
        _exit (0x7f);
      _exit (0);
    }

  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFEXITED (wait_status));
  *err = WEXITSTATUS (wait_status);

  return *err == 0;
}

static void
no_close_range (int err)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_autofree char *expected = NULL;
  struct rlimit limit;
  int fds[2];
  int inherited[2];
  int low;
  int high = 1000;

  g_assert_no_errno (refuse_close_range (err));
  g_assert_cmpint (syscall (SYS_close_range, 1000u, 1000u, 0), ==, -1);
  g_assert_cmpint (errno, ==, err);

  /* Without O_CLOEXEC: a pipe's write end on the lowest free fd and on an
   * fd above the soft limit (set below it afterwards, as a program that
   * lowered its limit may have). A leaked write end would also keep the
   * pipe from ever reaching end of file. */
  g_assert_no_errno (pipe (fds));
  low = fds[1];
  g_assert_false (fd_is_open (high));
  g_assert_cmpint (dup2 (fds[1], high), ==, high);
  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &limit));
  limit.rlim_cur = 256;
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));
  g_test_message ("leak candidates: %d, %d (soft limit 256), %d", fds[0], low, high);

  rec = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, only_std_fds);

  /* The same with mapped fds to keep among those to close: a pipe of tpx
   * and an inherited fd, on either side of the parent's. */
  g_assert_no_errno (pipe2 (inherited, O_CLOEXEC));
  tpx_process_launcher_set_child_fd (launcher, 4, TPX_CHILD_FD_READ, -1);
  tpx_process_launcher_set_child_fd (launcher, 200, TPX_CHILD_FD_INHERIT, inherited[1]);
  rec2 = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  expected = g_strdup_printf ("%s4 blocking\n200 blocking\n", only_std_fds);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, expected);

  g_assert_no_errno (close (fds[1]));
  g_assert_no_errno (close (high));
  g_free (read_to_eof (fds[0]));
  g_assert_no_errno (close (fds[0]));
  g_assert_no_errno (close (inherited[0]));
  g_assert_no_errno (close (inherited[1]));
}

static void
no_close_range_enosys_in_subprocess (void)
{
  no_close_range (ENOSYS);
}

static void
no_close_range_eperm_in_subprocess (void)
{
  no_close_range (EPERM);
}

static void
test_no_close_range (gconstpointer data)
{
  void (*func) (void) = data;
  int err = 0;

  if (!can_refuse_close_range (&err))
    {
      g_autofree char *reason = g_strdup_printf ("cannot install a seccomp filter here (%s)",
                                                 err == 0x7f ? "close_range() still works"
                                                             : g_strerror (err));

      g_test_skip (reason);
      return;
    }

  run_in_subprocess (func);
}

/* Where the kernel has no CLONE_PIDFD (Linux before 5.2), the child is
 * reaped through GLib's child watch: the same statuses, the same order of
 * events, signals still reach it. clone() with CLONE_PIDFD fails with
 * EINVAL under this filter, as on such a kernel. */
static int
refuse_clone_pidfd (void)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
    /* The flags: the low half of the first argument (little-endian). */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, CLONE_PIDFD, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };

  return install_seccomp_filter (filter, G_N_ELEMENTS (filter));
}

static void
no_pidfd_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) exit_argv = tpx_test_helper_argv ("exit", "3", NULL);
  g_auto(GStrv) out_argv = tpx_test_helper_argv ("write-out", "said before the end", NULL);
  g_auto(GStrv) sleep_argv = tpx_test_helper_argv ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) exited = NULL;
  g_autoptr(TpxTestRecorder) wrote = NULL;
  g_autoptr(TpxTestRecorder) killed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *trace = NULL;
  guint fds_before;

  g_assert_no_errno (refuse_clone_pidfd ());
  /* Spawn once before counting: the loop's fds are made once. */
  exited = tpx_test_run_helper_argv (launcher, (const char * const *) exit_argv, TIMEOUT_MS);
  tpx_test_assert_exited (exited->end_status, 3);
  g_assert_false (tpx_process_status_get_lost (exited->end_status));
  fds_before = tpx_test_count_fds ();

  wrote = tpx_test_run_helper_argv (launcher, (const char * const *) out_argv, TIMEOUT_MS);
  tpx_test_assert_exited (wrote->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (wrote, 1), ==, "said before the end");
  trace = tpx_test_recorder_trace (wrote);
  g_assert_true (g_str_has_suffix (trace, "ended"));
  g_assert_nonnull (strstr (trace, "exited"));
  g_assert_cmpuint (wrote->n_ended, ==, 1);

  killed = tpx_test_recorder_new (tpx_test_spawn_helper (launcher, (const char * const *) sleep_argv));
  g_object_unref (killed->transport);   /* the recorder holds its own */
  g_assert_true (tpx_process_transport_signal_process (killed->transport, "TERM", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (killed, TIMEOUT_MS);
  tpx_test_assert_killed (killed->end_status, SIGTERM);
  g_assert_false (tpx_process_transport_signal_process (killed->transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  /* The fallback holds no fd of its own once the children ended. */
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

static void
test_no_pidfd (void)
{
  int wait_status;
  pid_t pid;

  /* Whether the filter can be installed here: tried in a forked child. */
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int probe_pidfd = -1;

      if (refuse_clone_pidfd () < 0)
        _exit (1);
      if (syscall (SYS_clone, (long) (CLONE_PIDFD | SIGCHLD), 0L, &probe_pidfd, NULL, 0L) != -1 ||
          errno != EINVAL)
        _exit (2);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    {
      g_test_skip ("cannot install a seccomp filter that refuses CLONE_PIDFD here");
      return;
    }

  run_in_subprocess (no_pidfd_in_subprocess);
}

static void
test_signals_reset (void)
{
  g_autoptr(TpxTestRecorder) rec = NULL;
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  struct sigaction old_pipe;
  struct sigaction old_int;
  struct sigaction old_hup;
  sigset_t block;
  sigset_t old_mask;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("signals", NULL);

  g_assert_no_errno (sigaction (SIGPIPE, &ignore, &old_pipe));
  g_assert_no_errno (sigaction (SIGINT, &ignore, &old_int));
  g_assert_no_errno (sigaction (SIGHUP, &ignore, &old_hup));
  sigemptyset (&block);
  sigaddset (&block, SIGUSR1);
  sigaddset (&block, SIGUSR2);
  sigaddset (&block, SIGTERM);
  g_assert_no_errno (sigprocmask (SIG_BLOCK, &block, &old_mask));

  transport = tpx_test_spawn_helper (NULL, (const char * const *) argv);

  g_assert_no_errno (sigprocmask (SIG_SETMASK, &old_mask, NULL));
  g_assert_no_errno (sigaction (SIGPIPE, &old_pipe, NULL));
  g_assert_no_errno (sigaction (SIGINT, &old_int, NULL));
  g_assert_no_errno (sigaction (SIGHUP, &old_hup, NULL));

  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "mask 0\nignored 0\n");
}

/* A file without #! the kernel refuses (ENOEXEC) is an error, and no shell
 * runs it instead. */
static void
test_enoexec (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tpx-spawn-enoexec-XXXXXX", &error);
  g_autofree char *script = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *contents = NULL;

  g_assert_no_error (error);
  script = g_build_filename (dir, "not-a-program", NULL);
  marker = g_build_filename (dir, "marker", NULL);
  contents = g_strdup_printf ("/usr/bin/touch %s\n/bin/touch %s\n", marker, marker);
  g_assert_true (g_file_set_contents (script, contents, -1, &error));
  g_assert_no_error (error);
  g_assert_no_errno (chmod (script, 0755));

  assert_spawn_fails (launcher, script, NULL, G_IO_ERROR, g_io_error_from_errno (ENOEXEC), NULL);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));

  g_assert_no_errno (unlink (script));
  g_assert_no_errno (rmdir (dir));
}

static void
test_error_not_found (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  assert_spawn_fails (launcher, "/nonexistent-tpx-dir/program", NULL,
                      G_IO_ERROR, G_IO_ERROR_NOT_FOUND, NULL);
  assert_spawn_fails (launcher, "tpx-no-such-program", NULL,
                      G_IO_ERROR, G_IO_ERROR_NOT_FOUND, NULL);
}

static void
test_error_not_executable (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tpx-spawn-noexec-XXXXXX", &error);
  g_autofree char *path = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "not-executable", NULL);
  g_assert_true (g_file_set_contents (path, "#!/bin/sh\nexit 0\n", -1, &error));
  g_assert_no_error (error);
  /* No x bit at all: refused even to root. */
  g_assert_no_errno (chmod (path, 0644));

  assert_spawn_fails (launcher, path, NULL, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, NULL);

  g_assert_no_errno (unlink (path));
  g_assert_no_errno (rmdir (dir));
}

static void
test_error_directory (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tpx-spawn-dir-XXXXXX", &error);

  g_assert_no_error (error);
  assert_spawn_fails (launcher, dir, NULL, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, NULL);
  g_assert_no_errno (rmdir (dir));
}

static void
test_error_bad_cwd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "0", NULL);

  tpx_process_launcher_set_cwd (launcher, "/nonexistent-tpx-cwd");
  assert_spawn_fails (launcher, tpx_test_helper_path (), (const char * const *) argv,
                      G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "chdir");
  assert_spawn_fails (launcher, tpx_test_helper_path (), (const char * const *) argv,
                      G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "/nonexistent-tpx-cwd");

  /* A file is no directory either. */
  tpx_process_launcher_set_cwd (launcher, tpx_test_helper_path ());
  assert_spawn_fails (launcher, tpx_test_helper_path (), (const char * const *) argv,
                      G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "chdir");
}

static void
test_error_negative_child_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_child_fd (launcher, -1, TPX_CHILD_FD_READ, -1);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
}

static void
test_error_negative_parent_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, -2);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
}

static void
test_error_inherit_closed_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  int closed_fd = find_free_fd_from (100);

  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, closed_fd);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);

  /* Also with pipes to set up before it in the map. */
  tpx_process_launcher_set_child_fd (launcher, 4, TPX_CHILD_FD_READ, -1);
  tpx_process_launcher_set_child_fd (launcher, 2, TPX_CHILD_FD_INHERIT, closed_fd);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
}

/* INHERIT of the lowest free fd, with pipes to make first for the lower
 * entries: the first pipe would take that number and pass the check, and
 * the child would get one of tpx's pipe ends as its fd 5. */
static void
test_error_inherit_reused_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  int closed_fd;

  warm_up ();
  closed_fd = find_free_fd_from (0);
  g_test_message ("lowest free fd: %d", closed_fd);

  tpx_process_launcher_set_child_fd (launcher, 5, TPX_CHILD_FD_INHERIT, closed_fd);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "is not open");
}

/* The same in a fresh process, where the first spawn also makes the main
 * context (its wakeup fd) and the library's per-context state: none of
 * them may take the closed fd's number either. */
static void
inherit_reused_fd_first_spawn_in_subprocess (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  int closed_fd = find_free_fd_from (0);

  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_INHERIT, 1);
  tpx_process_launcher_set_child_fd (launcher, 2, TPX_CHILD_FD_INHERIT, 2);
  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_INHERIT, closed_fd);
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (transport);
  g_assert_false (fd_is_open (closed_fd));
  tpx_test_assert_no_children ();
}

static void
test_error_inherit_reused_fd_first_spawn (void)
{
  run_in_subprocess (inherit_reused_fd_first_spawn_in_subprocess);
}

static void
test_error_env_name (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessLauncher) launcher2 = tpx_process_launcher_new ();

  tpx_process_launcher_setenv (launcher, "TPX=BAD", "value", TRUE);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);

  tpx_process_launcher_setenv (launcher2, "", "value", TRUE);
  assert_spawn_fails (launcher2, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
}

/* EMFILE while creating the pipes */
static void
test_error_too_many_open_files (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GArray) fillers = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GError) error = NULL;
  struct rlimit old_limit;
  struct rlimit limit;
  guint n_fds;
  int highest = 0;
  int devnull;

  warm_up ();
  n_fds = tpx_test_count_fds ();

  /* Fill every hole below the highest fd: then the limit alone decides. */
  for (int fd = 0; fd < 4096; fd++)
    if (fd_is_open (fd))
      highest = fd;
  devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (devnull, >=, 0);
  g_array_append_val (fillers, devnull);
  for (int fd = 3; fd < highest; fd++)
    {
      if (fd_is_open (fd))
        continue;
      g_assert_cmpint (dup3 (devnull, fd, O_CLOEXEC), ==, fd);
      g_array_append_val (fillers, fd);
    }
  highest = MAX (highest, devnull);

  g_assert_no_errno (getrlimit (RLIMIT_NOFILE, &old_limit));
  limit = old_limit;
  /* Room for one more fd: not even one pipe can be made. */
  limit.rlim_cur = highest + 2;
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &limit));
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), NULL, &error);
  g_assert_no_errno (setrlimit (RLIMIT_NOFILE, &old_limit));

  for (guint i = 0; i < fillers->len; i++)
    g_assert_no_errno (close (g_array_index (fillers, int, i)));

  g_assert_null (transport);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
  g_assert_nonnull (strstr (error->message, tpx_test_helper_path ()));
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* After a failure, the same launcher works once the cause is gone. */
static void
test_error_then_success (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;

  tpx_process_launcher_set_cwd (launcher, "/nonexistent-tpx-cwd");
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "chdir");
  tpx_process_launcher_set_cwd (launcher, "/");
  rec = tpx_test_run_helper (launcher, "cwd", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "/\n");
}

static void
test_many_in_a_row (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  guint n_fds;

  warm_up ();
  n_fds = tpx_test_count_fds ();
  for (guint i = 0; i < N_SPAWNS_IN_A_ROW; i++)
    {
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(TpxTestRecorder) rec = NULL;
      g_autoptr(GError) error = NULL;

      transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/true", NULL, &error);
      g_assert_no_error (error);
      rec = tpx_test_recorder_new (transport);
      g_clear_object (&transport);
      tpx_test_recorder_wait (rec, TIMEOUT_MS);

      g_assert_cmpuint (rec->n_ended, ==, 1);
      g_assert_true (tpx_process_status_is_success (rec->end_status));
    }

  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* PTY: the child has a terminal on 0, 1 and 2, is a session leader with
 * it as controlling terminal, and sees the size and its changes. */
typedef struct {
  TpxTestRecorder *rec;
  const char      *wanted;
  gboolean         seen;
} WaitText;

static void
wait_text_data_cb (TpxProcessTransport *transport,
                   int                  child_fd,
                   GBytes              *data,
                   gpointer             user_data)
{
  WaitText *wait = user_data;

  if (strstr (tpx_test_recorder_text (wait->rec, 1), wait->wanted) != NULL)
    wait->seen = TRUE;
}

static void
test_pty_info (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("pty-info", NULL);
  g_autofree char *text = NULL;
  WaitText wait = { NULL, "size 24 80", FALSE };
  guint n_fds;
  gulong handler;

  warm_up ();
  n_fds = tpx_test_count_fds ();
  tpx_process_launcher_set_use_pty (launcher, TRUE);
  tpx_process_launcher_set_window_size (launcher, 24, 80);
  transport = tpx_test_spawn_helper (launcher, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);
  wait.rec = rec;
  handler = g_signal_connect (transport, "child-data", G_CALLBACK (wait_text_data_cb), &wait);

  tpx_test_run_until (&wait.seen, TIMEOUT_MS);
  g_assert_true (tpx_process_transport_set_window_size (transport, 40, 100, &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  g_signal_handler_disconnect (transport, handler);

  tpx_test_assert_exited (rec->end_status, 0);
  /* The terminal turns "\n" into "\r\n". */
  text = g_strdup (tpx_test_recorder_text (rec, 1));
  g_strdelimit (text, "\r", '\n');
  g_assert_nonnull (strstr (text, "tty0 1 tty1 1 tty2 1\n"));
  g_assert_nonnull (strstr (text, "leader 1\n"));
  g_assert_nonnull (strstr (text, "ctty 1\n"));
  g_assert_nonnull (strstr (text, "size 24 80\n"));
  g_assert_nonnull (strstr (text, "size 40 100\n"));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  g_assert_false (has_event (rec, "data:2"));

  g_clear_object (&transport);
  g_clear_pointer (&rec, tpx_test_recorder_free);
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

static void
test_pty_fds (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) listing = g_string_new (NULL);

  tpx_process_launcher_set_use_pty (launcher, TRUE);
  rec = tpx_test_run_helper (launcher, "fds", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  /* Only the terminal, on 0, 1 and 2 (with the terminal's "\r\n"). */
  lines = g_strsplit (tpx_test_recorder_text (rec, 1), "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_string_append_printf (listing, "%s\n", lines[i]);
  g_assert_cmpstr (listing->str, ==, only_std_fds);
}

static void
test_pty_with_fd_map (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_use_pty (launcher, TRUE);
  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_READ, -1);
  assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                      G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL);
}

static void
test_id_own (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *prefix = g_strdup_printf ("uid %u gid %u groups ",
                                             (guint) getuid (), (guint) getgid ());

  /* The caller's own ids need no privilege. */
  tpx_process_launcher_set_uid (launcher, getuid ());
  tpx_process_launcher_set_gid (launcher, getgid ());
  rec = tpx_test_run_helper (launcher, "id", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_true (g_str_has_prefix (tpx_test_recorder_text (rec, 1), prefix));
}

static void
test_id_other (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_uid (launcher, 65534);
  tpx_process_launcher_set_gid (launcher, 65534);

  if (geteuid () == 0)
    {
      g_autoptr(TpxTestRecorder) rec = tpx_test_run_helper (launcher, "id", TIMEOUT_MS);
      const char *text;

      tpx_test_assert_exited (rec->end_status, 0);
      text = tpx_test_recorder_text (rec, 1);
      /* Supplementary groups dropped: at most the new gid remains. */
      g_assert_true (g_str_equal (text, "uid 65534 gid 65534 groups 0\n") ||
                     g_str_equal (text, "uid 65534 gid 65534 groups 1\n"));
    }
  else
    {
      /* Unprivileged: refused, synchronously. */
      assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                          G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, NULL);
    }
}

static void
test_id_gid_only (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *expected = NULL;

  if (geteuid () != 0)
    {
      tpx_process_launcher_set_gid (launcher, 65534);
      assert_spawn_fails (launcher, tpx_test_helper_path (), NULL,
                          G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, NULL);
      return;
    }

  tpx_process_launcher_set_gid (launcher, 65534);
  rec = tpx_test_run_helper (launcher, "id", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  expected = g_strdup_printf ("uid %u gid 65534 groups ", (guint) getuid ());
  g_assert_true (g_str_has_prefix (tpx_test_recorder_text (rec, 1), expected));
}

static void
parse_pgrp (TpxTestRecorder *rec,
            int             *pid,
            int             *pgid,
            int             *sid)
{
  const char *text = tpx_test_recorder_text (rec, 1);

  g_assert_cmpint (sscanf (text, "pid %d pgid %d sid %d", pid, pgid, sid), ==, 3);
  g_assert_cmpint (*pid, ==, tpx_process_transport_get_pid (rec->transport));
}

static void
test_pgrp_default (void)
{
  g_autoptr(TpxTestRecorder) rec = tpx_test_run_helper (NULL, "pgrp", TIMEOUT_MS);
  int pid, pgid, sid;

  tpx_test_assert_exited (rec->end_status, 0);
  parse_pgrp (rec, &pid, &pgid, &sid);
  g_assert_cmpint (pgid, ==, getpgrp ());
  g_assert_cmpint (sid, ==, getsid (0));
}

static void
test_pgrp_new_group (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  int pid, pgid, sid;

  tpx_process_launcher_set_process_group (launcher, TRUE);
  rec = tpx_test_run_helper (launcher, "pgrp", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  parse_pgrp (rec, &pid, &pgid, &sid);
  g_assert_cmpint (pgid, ==, pid);
  g_assert_cmpint (sid, ==, getsid (0));
}

static void
test_pgrp_new_session (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  int pid, pgid, sid;

  tpx_process_launcher_set_new_session (launcher, TRUE);
  rec = tpx_test_run_helper (launcher, "pgrp", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  parse_pgrp (rec, &pid, &pgid, &sid);
  g_assert_cmpint (pgid, ==, pid);
  g_assert_cmpint (sid, ==, pid);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/spawn/map/default", test_default_map);
  g_test_add_func ("/tpx/spawn/map/default-directions", test_default_map_directions);
  g_test_add_func ("/tpx/spawn/map/unmapped-std-fds", test_unmapped_std_fds_stdin);
  g_test_add_func ("/tpx/spawn/map/unmapped-stdout", test_unmapped_std_fds_stdout);
  g_test_add_func ("/tpx/spawn/map/no-leak-without-cloexec", test_no_leak_without_cloexec);
  g_test_add_func ("/tpx/spawn/map/extra-fds-blocking", test_extra_fds_blocking);
  g_test_add_func ("/tpx/spawn/map/pipes-blocking-in-child", test_pipes_blocking_in_child);
  g_test_add_func ("/tpx/spawn/map/inherit", test_inherit);
  g_test_add_func ("/tpx/spawn/map/inherit-same-number", test_inherit_same_number);
  g_test_add_func ("/tpx/spawn/map/swap-std-fds", test_swap_std_fds);
  g_test_add_func ("/tpx/spawn/map/swap-extra-fds", test_swap_extra_fds);
  g_test_add_func ("/tpx/spawn/map/rotate-fds", test_rotate_fds);
  g_test_add_func ("/tpx/spawn/map/fd-limit-targets", test_fd_limit_targets);
  g_test_add_func ("/tpx/spawn/map/fd-limit-swap", test_fd_limit_swap);
  g_test_add_data_func ("/tpx/spawn/map/no-close-range/enosys",
                        no_close_range_enosys_in_subprocess, test_no_close_range);
  g_test_add_data_func ("/tpx/spawn/map/no-close-range/eperm",
                        no_close_range_eperm_in_subprocess, test_no_close_range);
  g_test_add_func ("/tpx/spawn/no-pidfd", test_no_pidfd);
  g_test_add_func ("/tpx/spawn/signals/reset", test_signals_reset);
  g_test_add_func ("/tpx/spawn/error/enoexec", test_enoexec);
  g_test_add_func ("/tpx/spawn/error/not-found", test_error_not_found);
  g_test_add_func ("/tpx/spawn/error/not-executable", test_error_not_executable);
  g_test_add_func ("/tpx/spawn/error/directory", test_error_directory);
  g_test_add_func ("/tpx/spawn/error/bad-cwd", test_error_bad_cwd);
  g_test_add_func ("/tpx/spawn/error/negative-child-fd", test_error_negative_child_fd);
  g_test_add_func ("/tpx/spawn/error/negative-parent-fd", test_error_negative_parent_fd);
  g_test_add_func ("/tpx/spawn/error/inherit-closed-fd", test_error_inherit_closed_fd);
  g_test_add_func ("/tpx/spawn/error/inherit-reused-fd", test_error_inherit_reused_fd);
  g_test_add_func ("/tpx/spawn/error/inherit-reused-fd-first-spawn", test_error_inherit_reused_fd_first_spawn);
  g_test_add_func ("/tpx/spawn/error/env-name", test_error_env_name);
  g_test_add_func ("/tpx/spawn/error/too-many-open-files", test_error_too_many_open_files);
  g_test_add_func ("/tpx/spawn/error/then-success", test_error_then_success);
  g_test_add_func ("/tpx/spawn/many-in-a-row", test_many_in_a_row);
  g_test_add_func ("/tpx/spawn/pty/info", test_pty_info);
  g_test_add_func ("/tpx/spawn/pty/fds", test_pty_fds);
  g_test_add_func ("/tpx/spawn/pty/with-fd-map", test_pty_with_fd_map);
  g_test_add_func ("/tpx/spawn/id/own", test_id_own);
  g_test_add_func ("/tpx/spawn/id/other", test_id_other);
  g_test_add_func ("/tpx/spawn/id/gid-only", test_id_gid_only);
  g_test_add_func ("/tpx/spawn/pgrp/default", test_pgrp_default);
  g_test_add_func ("/tpx/spawn/pgrp/new-group", test_pgrp_new_group);
  g_test_add_func ("/tpx/spawn/pgrp/new-session", test_pgrp_new_session);

  return g_test_run ();
}
