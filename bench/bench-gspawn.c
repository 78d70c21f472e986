/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "gspawn" column: g_spawn_async_with_pipes_and_fds() with the three
 * stdio pipes, g_unix_fd_add() sources for the pipes and g_child_watch_add()
 * for the exit, on the default GMainContext — what a GLib program does
 * without GSubprocess.
 *
 * By default the spawn passes G_SPAWN_LEAVE_DESCRIPTORS_OPEN, which is what
 * lets GLib 2.74 take its posix_spawn() path instead of fork(); every fd of
 * this program is O_CLOEXEC, so nothing leaks. --close-fds measures the
 * default (fork) path instead.
 */
#include "bench-common.h"

#include <errno.h>
#include <glib.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  GPid       pid;
  int        in_fd;
  int        out_fd;
  int        err_fd;
  guint      in_id;
  int        open;        /* stdout, stderr and the exit still to come */
  long long  out_bytes;
  char       out_text[64];
  long long  to_write;    /* W3 */
} Child;

typedef struct
{
  const BenchOptions *opts;
  GPtrArray          *children;    /* every Child spawned, freed by run_until_all_ended */
  long                remaining;   /* children not finished yet */
  long                rounds;      /* W4 */
  double              end;         /* W4: when the last reply arrived */
} Bench;

static Bench bench;
static unsigned char scratch[BENCH_PEER_READ];

static void
child_part_done (Child *child)
{
  if (--child->open == 0)
    bench.remaining--;
}

static void
pong_received (Child *child)
{
  long rounds_done = child->out_bytes / BENCH_PING;

  if (child->out_bytes % BENCH_PING != 0 || rounds_done == bench.rounds)
    return;
  bench.rounds = rounds_done;
  if (bench.rounds == bench.opts->n)
    {
      bench.end = bench_now ();
      close (child->in_fd);
      child->in_fd = -1;
      return;
    }
  if (write (child->in_fd, bench_chunk (), BENCH_PING) != BENCH_PING)
    bench_fail ("write: %s", g_strerror (errno));
}

static gboolean
read_fd (Child *child,
         int   *fd,
         int    is_stdout)
{
  ssize_t n = read (*fd, scratch, sizeof scratch);

  if (n < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return G_SOURCE_CONTINUE;
      bench_fail ("read: %s", g_strerror (errno));
    }
  if (n == 0)
    {
      close (*fd);
      *fd = -1;
      child_part_done (child);
      return G_SOURCE_REMOVE;
    }

  if (is_stdout)
    {
      if (bench.opts->workload == BENCH_W3 && child->out_bytes + n < (long long) sizeof child->out_text)
        memcpy (child->out_text + child->out_bytes, scratch, n);
      child->out_bytes += n;
      if (bench.opts->workload == BENCH_W4)
        pong_received (child);
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
stdout_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  Child *child = user_data;

  return read_fd (child, &child->out_fd, TRUE);
}

static gboolean
stderr_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  Child *child = user_data;

  return read_fd (child, &child->err_fd, FALSE);
}

static void
exited_cb (GPid     pid,
           int      wait_status,
           gpointer user_data)
{
  Child *child = user_data;

  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    bench_fail ("child failed (wait status %d)", wait_status);
  g_spawn_close_pid (pid);
  child_part_done (child);
}

static gboolean
stdin_cb (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  Child *child = user_data;
  size_t offset = (bench.opts->bytes - child->to_write) % BENCH_CHUNK;
  size_t len = MIN ((long long) (BENCH_CHUNK - offset), child->to_write);
  ssize_t n = write (fd, bench_chunk () + offset, len);

  if (n < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return G_SOURCE_CONTINUE;
      bench_fail ("write: %s", g_strerror (errno));
    }
  child->to_write -= n;
  if (child->to_write > 0)
    return G_SOURCE_CONTINUE;

  close (child->in_fd);
  child->in_fd = -1;
  child->in_id = 0;
  return G_SOURCE_REMOVE;
}

static Child *
spawn_child (char **argv)
{
  g_autoptr(GError) error = NULL;
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD;
  Child *child = g_new0 (Child, 1);

  if (!bench.opts->close_fds)
    flags |= G_SPAWN_LEAVE_DESCRIPTORS_OPEN;

  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv,
                                         (const char * const *) bench_empty_environ,
                                         flags, NULL, NULL, -1, -1, -1, NULL, NULL, 0,
                                         &child->pid, &child->in_fd, &child->out_fd,
                                         &child->err_fd, &error))
    bench_fail ("g_spawn: %s", error->message);

  g_unix_set_fd_nonblocking (child->out_fd, TRUE, NULL);
  g_unix_set_fd_nonblocking (child->err_fd, TRUE, NULL);
  g_unix_fd_add (child->out_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, stdout_cb, child);
  g_unix_fd_add (child->err_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, stderr_cb, child);
  g_child_watch_add (child->pid, exited_cb, child);
  child->open = 3;
  bench.remaining++;
  g_ptr_array_add (bench.children, child);

  return child;
}

static void
close_stdin (Child *child)
{
  close (child->in_fd);
  child->in_fd = -1;
}

static void
run_until_all_ended (void)
{
  while (bench.remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  g_ptr_array_set_size (bench.children, 0);
}

static void
run_w1 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  double start, elapsed;
  long done = 0;

  bench_touch_heap (opts->heap_mib);

  start = bench_now ();
  do
    {
      close_stdin (spawn_child (argv));
      run_until_all_ended ();
      done++;
      elapsed = bench_now () - start;
    }
  while (done < opts->n && elapsed < opts->seconds);

  bench_report (opts->workload_name, done / elapsed, "spawn/s");
}

static void
run_w2 (const BenchOptions *opts)
{
  Child *child;
  double start;

  start = bench_now ();
  child = spawn_child (bench_child_argv (opts));
  close_stdin (child);
  while (child->open > 0)
    g_main_context_iteration (NULL, TRUE);
  if (child->out_bytes != opts->bytes)
    bench_fail ("read %lld bytes, expected %lld", child->out_bytes, opts->bytes);
  run_until_all_ended ();
  bench_report (opts->workload_name, opts->bytes / (bench_now () - start) / 1e6, "MB/s");
}

static void
run_w3 (const BenchOptions *opts)
{
  Child *child;
  double start;

  start = bench_now ();
  child = spawn_child (bench_child_argv (opts));
  child->to_write = opts->bytes;
  g_unix_set_fd_nonblocking (child->in_fd, TRUE, NULL);
  child->in_id = g_unix_fd_add (child->in_fd, G_IO_OUT | G_IO_ERR, stdin_cb, child);
  while (child->in_fd >= 0 || child->out_fd >= 0)
    g_main_context_iteration (NULL, TRUE);
  if (bench_parse_count (child->out_text, child->out_bytes) != opts->bytes)
    bench_fail ("the child counted %.*s, expected %lld",
                (int) child->out_bytes, child->out_text, opts->bytes);
  run_until_all_ended ();
  bench_report (opts->workload_name, opts->bytes / (bench_now () - start) / 1e6, "MB/s");
}

static void
run_w4 (const BenchOptions *opts)
{
  Child *child = spawn_child (bench_child_argv (opts));
  double start = bench_now ();

  if (write (child->in_fd, bench_chunk (), BENCH_PING) != BENCH_PING)
    bench_fail ("write: %s", g_strerror (errno));
  while (bench.rounds < opts->n)
    g_main_context_iteration (NULL, TRUE);
  if (child->out_bytes != opts->n * BENCH_PING)
    bench_fail ("got %lld bytes back, expected %ld", child->out_bytes, opts->n * BENCH_PING);
  run_until_all_ended ();
  bench_report (opts->workload_name, opts->n / (bench.end - start), "round-trips/s");
}

static void
run_w5 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  double start, cpu;
  long rss;

  rss = bench_rss_bytes ();
  cpu = bench_cpu_seconds ();
  start = bench_now ();
  for (long i = 0; i < opts->n; i++)
    close_stdin (spawn_child (argv));
  rss = bench_rss_bytes () - rss;
  run_until_all_ended ();

  bench_report_w5 (opts, bench_now () - start, bench_cpu_seconds () - cpu, rss);
}

static void
run_w6 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  Child **children = g_new0 (Child *, opts->n);
  long iterations = 0;
  double start, elapsed;

  for (long i = 0; i < opts->n; i++)
    children[i] = spawn_child (argv);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  start = bench_now ();
  do
    {
      for (int i = 0; i < 256; i++)
        g_main_context_iteration (NULL, FALSE);
      iterations += 256;
      elapsed = bench_now () - start;
    }
  while (elapsed < opts->seconds);

  if (bench.remaining != opts->n)
    bench_fail ("an idle child ended early");
  for (long i = 0; i < opts->n; i++)
    close_stdin (children[i]);
  g_free (children);
  run_until_all_ended ();

  bench_report (opts->workload_name, iterations / elapsed, "iterations/s");
}

int
main (int argc, char **argv)
{
  static const BenchColumn column = {
    "gspawn", run_w1, run_w2, run_w3, run_w4, run_w5, run_w6,
  };
  BenchOptions opts;

  bench_parse_options (argc, argv, &opts);
  bench.opts = &opts;
  bench.children = g_ptr_array_new_with_free_func (g_free);

  bench_run_workload (&column, &opts);

  return 0;
}
