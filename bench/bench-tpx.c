/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "tpx" column, through the public API only: one TpxProcessLauncher
 * (default map {0: w, 1: r, 2: r}, empty environment), the transport's
 * child-data, write-drained and process-ended signals, and
 * tpx_process_transport_write*() / close_stdin(). Handlers are connected
 * only where a workload needs the data, as a program would.
 *
 * W7 stops a tree (bench-child tree N) with tpx_process_transport_stop()
 * and times it to process-ended, in the kill mode --kill-mode names. This
 * process is a child subreaper: the tree's orphans come back to it and
 * are reaped between measurements.
 *
 * L1 reads stdout as lines through a TpxLineProtocol and a handler of its
 * line-received signal; with --vfunc, through a subclass that overrides
 * line_received instead.
 * With --socketpair, the "tpx-socket" column: the bulk fd is a SOCKET
 * (TPX_CHILD_FD_SOCKET, DESIGN §10.4) instead of a pipe, the child's
 * stdout in W2 ("0:w,1:s,2:r") and its stdin in W3 ("0:s,1:r,2:r").
 */
#include "bench-common.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <tpx/tpx.h>

typedef struct
{
  TpxProcessTransport *transport;
  gboolean             ended;
  long long            out_bytes;
  char                 out_text[64];
  long long            to_write;    /* W3: bytes not queued yet */
  long long            lines;       /* L1 */
  long long            line_bytes;  /* L1 */
} Child;

typedef struct
{
  const BenchOptions *opts;
  TpxProcessLauncher *launcher;
  GPtrArray          *children;
  GBytes             *chunk;        /* W3: the 1 MiB chunk, never copied */
  long                remaining;
  long                rounds;       /* W4 */
  double              end;          /* W4: when the last reply arrived */
} Bench;

static Bench bench;

static void
child_free (gpointer data)
{
  Child *child = data;

  g_clear_object (&child->transport);
  g_free (child);
}

static void
process_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  Child *child = user_data;

  if (!tpx_process_status_is_success (status))
    bench_fail ("child failed (wait status %d)", tpx_process_status_get_raw_status (status));
  if (child->ended)
    bench_fail ("process-ended emitted twice");
  child->ended = TRUE;
  bench.remaining--;
}

static void
send_ping (Child *child)
{
  tpx_process_transport_write (child->transport, bench_chunk (), BENCH_PING);
}

static void
child_data_cb (TpxProcessTransport *transport,
               int                  child_fd,
               GBytes              *data,
               gpointer             user_data)
{
  Child *child = user_data;
  gsize len = g_bytes_get_size (data);
  long rounds_done;

  if (child_fd != 1)
    return;

  if (bench.opts->workload == BENCH_W3 && child->out_bytes + len < sizeof child->out_text)
    memcpy (child->out_text + child->out_bytes, g_bytes_get_data (data, NULL), len);
  child->out_bytes += len;
  if (bench.opts->workload != BENCH_W4)
    return;

  rounds_done = child->out_bytes / BENCH_PING;
  if (child->out_bytes % BENCH_PING != 0 || rounds_done == bench.rounds)
    return;
  bench.rounds = rounds_done;
  if (bench.rounds == bench.opts->n)
    {
      bench.end = bench_now ();
      tpx_process_transport_close_stdin (transport);
      return;
    }
  send_ping (child);
}

/* W3: queue chunks (references, not copies) until BENCH_WINDOW chunks wait
 * in the transport. write-drained only follows data that had to be queued:
 * a chunk the pipe took at once leaves nothing to drain, so the producer
 * keeps going until the queue holds something. */
static void
fill_window (Child *child)
{
  while (child->to_write > 0 &&
         tpx_process_transport_get_write_buffer_size (child->transport, 0) < BENCH_WINDOW * BENCH_CHUNK)
    {
      if (child->to_write >= BENCH_CHUNK)
        tpx_process_transport_write_bytes (child->transport, bench.chunk);
      else
        {
          g_autoptr(GBytes) tail = g_bytes_new_from_bytes (bench.chunk, 0, child->to_write);

          tpx_process_transport_write_bytes (child->transport, tail);
        }
      child->to_write -= MIN (child->to_write, BENCH_CHUNK);
    }
  if (child->to_write == 0)
    tpx_process_transport_close_stdin (child->transport);
}

static void
write_drained_cb (TpxProcessTransport *transport,
                  int                  child_fd,
                  gpointer             user_data)
{
  Child *child = user_data;

  if (child_fd == 0 && child->to_write > 0)
    fill_window (child);
}

static Child *
spawn_child_with (char               **argv,
                  TpxProcessProtocol  *protocol,
                  Child               *child)
{
  g_autoptr(GError) error = NULL;

  child->transport = tpx_process_launcher_spawn (bench.launcher, protocol, argv[0],
                                                 (const char * const *) argv, &error);
  if (child->transport == NULL)
    bench_fail ("spawn: %s", error->message);
  g_signal_connect (child->transport, "process-ended", G_CALLBACK (process_ended_cb), child);
  switch (bench.opts->workload)
    {
    case BENCH_W3:
      g_signal_connect (child->transport, "write-drained", G_CALLBACK (write_drained_cb), child);
      G_GNUC_FALLTHROUGH;
    case BENCH_W2:
    case BENCH_W4:
      g_signal_connect (child->transport, "child-data", G_CALLBACK (child_data_cb), child);
      break;
    default:
      break;
    }
  bench.remaining++;
  g_ptr_array_add (bench.children, child);

  return child;
}

static Child *
spawn_child (char **argv)
{
  return spawn_child_with (argv, NULL, g_new0 (Child, 1));
}

/* L1, --vfunc: what a C program that subclasses the protocol does. */
typedef struct
{
  TpxLineProtocol parent_instance;
  Child          *child;
} BenchLines;

typedef TpxLineProtocolClass BenchLinesClass;

G_DEFINE_TYPE (BenchLines, bench_lines, TPX_TYPE_LINE_PROTOCOL)

static void
bench_lines_line_received (TpxLineProtocol *protocol,
                           int              child_fd,
                           const char      *line)
{
  Child *child = ((BenchLines *) protocol)->child;

  if (child_fd != 1)
    return;
  child->lines++;
  child->line_bytes += strlen (line);
}

static void
bench_lines_class_init (BenchLinesClass *klass)
{
  klass->line_received = bench_lines_line_received;
}

static void
bench_lines_init (BenchLines *self)
{
}

/* L1: what a C program that connects to the signal does. */
static void
line_received_cb (TpxLineProtocol *protocol,
                  int              child_fd,
                  const char      *line,
                  gpointer         user_data)
{
  Child *child = user_data;

  if (child_fd != 1)
    return;
  child->lines++;
  child->line_bytes += strlen (line);
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
      Child *child = spawn_child (argv);

      tpx_process_transport_close_stdin (child->transport);
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
  double start = bench_now ();
  Child *child = spawn_child (bench_child_argv (opts));

  tpx_process_transport_close_stdin (child->transport);
  while (!child->ended)
    g_main_context_iteration (NULL, TRUE);
  if (child->out_bytes != opts->bytes)
    bench_fail ("read %lld bytes, expected %lld", child->out_bytes, opts->bytes);
  run_until_all_ended ();
  bench_report (opts->workload_name, opts->bytes / (bench_now () - start) / 1e6, "MB/s");
}

static void
run_w3 (const BenchOptions *opts)
{
  double start = bench_now ();
  Child *child = spawn_child (bench_child_argv (opts));

  child->to_write = opts->bytes;
  fill_window (child);
  while (!child->ended)
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

  send_ping (child);
  while (!child->ended)
    g_main_context_iteration (NULL, TRUE);
  if (bench.rounds != opts->n || child->out_bytes != opts->n * BENCH_PING)
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
    tpx_process_transport_close_stdin (spawn_child (argv)->transport);
  rss = bench_rss_bytes () - rss;
  run_until_all_ended ();

  bench_report_w5 (opts, bench_now () - start, bench_cpu_seconds () - cpu, rss);
}

static void
run_w6 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  long iterations = 0;
  double start, elapsed;

  for (long i = 0; i < opts->n; i++)
    spawn_child (argv);
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
  for (guint i = 0; i < bench.children->len; i++)
    {
      Child *child = g_ptr_array_index (bench.children, i);

      tpx_process_transport_close_stdin (child->transport);
    }
  run_until_all_ended ();

  bench_report (opts->workload_name, iterations / elapsed, "iterations/s");
}

static void
run_l1 (const BenchOptions *opts)
{
  Child *child = g_new0 (Child, 1);
  g_autoptr(TpxLineProtocol) protocol = NULL;
  double start = bench_now ();

  if (opts->vfunc)
    {
      protocol = g_object_new (bench_lines_get_type (), NULL);
      ((BenchLines *) protocol)->child = child;
    }
  else
    {
      protocol = tpx_line_protocol_new ();
      g_signal_connect (protocol, "line-received", G_CALLBACK (line_received_cb), child);
    }

  spawn_child_with (bench_child_argv (opts), TPX_PROCESS_PROTOCOL (protocol), child);
  tpx_process_transport_close_stdin (child->transport);
  while (!child->ended)
    g_main_context_iteration (NULL, TRUE);

  bench_report_l1 (opts, bench_now () - start, child->lines, child->line_bytes);
  run_until_all_ended ();
}

typedef struct
{
  gboolean ready;
  double   end;
} Tree;

static void
tree_data_cb (TpxProcessTransport *transport,
              int                  child_fd,
              GBytes              *data,
              gpointer             user_data)
{
  Tree *tree = user_data;

  if (child_fd == 1 && memchr (g_bytes_get_data (data, NULL), '\n', g_bytes_get_size (data)))
    tree->ready = TRUE;
}

static void
tree_ended_cb (TpxProcessTransport *transport,
               TpxProcessStatus    *status,
               gpointer             user_data)
{
  Tree *tree = user_data;

  tree->end = bench_now ();
  if (tpx_process_status_get_signal (status) != SIGTERM)
    bench_fail ("the tree's child did not die of SIGTERM (wait status %d)",
                tpx_process_status_get_raw_status (status));
}

/* Our children that are not zombies (orphans of a tree that came back to
 * us), each sent SIGKILL. For PROCESS mode, where stop() reaches none of
 * them: a process that is exiting would count too. */
static long
kill_our_children (void)
{
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  long n = 0;

  if (tasks == NULL)
    bench_fail ("cannot list /proc/self/task");
  while ((tid = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/children", tid);
      g_autofree char *text = NULL;
      g_auto(GStrv) pids = NULL;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      pids = g_strsplit (g_strstrip (text), " ", -1);
      for (guint i = 0; pids[i] != NULL; i++)
        {
          g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", pids[i]);
          g_autofree char *stat = NULL;
          const char *after_name;

          if (pids[i][0] == '\0' || !g_file_get_contents (stat_path, &stat, NULL, NULL))
            continue;
          after_name = strrchr (stat, ')');
          if (after_name == NULL || after_name[2] == 'Z')
            continue;
          n++;
          kill ((pid_t) g_ascii_strtoll (pids[i], NULL, 10), SIGKILL);
        }
    }

  return n;
}

static void
run_w7 (const BenchOptions *opts)
{
  static const TpxKillMode modes[] = {
    [BENCH_KILL_PROCESS] = TPX_KILL_MODE_PROCESS,
    [BENCH_KILL_PROCESS_GROUP] = TPX_KILL_MODE_PROCESS_GROUP,
    [BENCH_KILL_CGROUP] = TPX_KILL_MODE_CGROUP,
  };
  static const char * const names[] = { "process", "process-group", "cgroup" };
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  char **argv = bench_child_argv (opts);
  long left_running = 0;
  double total = 0;

  bench_become_subreaper ();
  tpx_process_launcher_set_kill_mode (launcher, modes[opts->kill_mode]);
  /* PROCESS mode reaches the child alone: the rest of the tree keeps the
   * pipes, and process-ended would never come without a drain timeout. */
  if (opts->kill_mode == BENCH_KILL_PROCESS)
    tpx_process_launcher_set_drain_timeout (launcher, 0);

  for (long i = 0; i < opts->n; i++)
    {
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(GError) error = NULL;
      Tree tree = { FALSE, 0 };
      double start;

      transport = tpx_process_launcher_spawn (launcher, NULL, argv[0],
                                              (const char * const *) argv, &error);
      if (transport == NULL)
        bench_fail ("spawn (kill mode %s): %s", names[opts->kill_mode], error->message);
      g_signal_connect (transport, "child-data", G_CALLBACK (tree_data_cb), &tree);
      g_signal_connect (transport, "process-ended", G_CALLBACK (tree_ended_cb), &tree);
      tpx_process_transport_close_stdin (transport);
      while (!tree.ready)
        g_main_context_iteration (NULL, TRUE);

      start = bench_now ();
      tpx_process_transport_stop (transport);
      while (tree.end == 0)
        g_main_context_iteration (NULL, TRUE);
      total += tree.end - start;

      /* Not timed: the reaping, which checks that stop() ended all of the
       * tree; in PROCESS mode, killing what it left running first. */
      if (opts->kill_mode == BENCH_KILL_PROCESS)
        {
          left_running += kill_our_children ();
          bench_reap_children (opts->tree_size - 1, SIGKILL);
        }
      else
        bench_reap_children (opts->tree_size - 1, SIGTERM);
      /* The tree is gone: CGROUP mode's watch removes its cgroup now. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  printf ("# %s: %.3f ms from stop() to process-ended (mean of %ld trees of %ld); "
          "%ld of %ld processes were left running\n",
          names[opts->kill_mode], total * 1e3 / opts->n, opts->n, opts->tree_size,
          left_running / opts->n, opts->tree_size);
  bench_report (opts->workload_name, opts->n / total, "trees/s");
}

/* --socketpair: the fd W2 or W3 moves its bytes through is a SOCKET. */
static void
set_socket_map (const BenchOptions *opts)
{
  g_autoptr(GError) error = NULL;
  const char *map;

  if (opts->workload == BENCH_W2)
    map = "0:w,1:s,2:r";
  else if (opts->workload == BENCH_W3)
    map = "0:s,1:r,2:r";
  else
    bench_fail ("--socketpair is for W2 and W3 only");
  if (!tpx_process_launcher_set_child_fds_from_string (bench.launcher, map, &error))
    bench_fail ("child fds %s: %s", map, error->message);
}

int
main (int argc, char **argv)
{
  static const BenchColumn column = {
    "tpx", run_w1, run_w2, run_w3, run_w4, run_w5, run_w6, run_w7,
    .l1 = run_l1,
  };
  BenchOptions opts;

  bench_parse_options (argc, argv, &opts);
  bench.opts = &opts;
  bench.children = g_ptr_array_new_with_free_func (child_free);
  bench.launcher = tpx_process_launcher_new ();
  if (opts.socketpair)
    set_socket_map (&opts);
  bench.chunk = g_bytes_new_static (bench_chunk (), BENCH_CHUNK);

  bench_run_workload (&column, &opts);

  g_bytes_unref (bench.chunk);
  g_ptr_array_unref (bench.children);
  g_object_unref (bench.launcher);
  return 0;
}
