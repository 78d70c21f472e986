/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "gsubprocess" column: GSubprocessLauncher with the three stdio pipes
 * and GIO's asynchronous stream calls on the default GMainContext: reads of
 * stdout and stderr to EOF, g_subprocess_wait_check_async() for the exit,
 * g_output_stream_write_all_async() for input.
 *
 * Running a child to completion uses those calls rather than
 * g_subprocess_communicate_async(): in GLib 2.74 communicate() splices into
 * memory streams on worker threads and measured ~15% slower for W1 and ~4×
 * the memory per child for W5, so this is the faster of the two idioms.
 *
 * L1 reads stdout as lines the GIO way: a GDataInputStream (256 KiB
 * buffer) on the stdout pipe, g_data_input_stream_read_line_utf8_async()
 * line after line; with --sync, blocking g_data_input_stream_read_line_utf8()
 * calls without a main loop (GDataInputStream's best case).
 */
#include "bench-common.h"

#include <gio/gio.h>
#include <string.h>

typedef struct
{
  GSubprocess   *proc;
  GOutputStream *in;
  GInputStream  *out;
  GInputStream  *err;
  int            open;        /* reads and waits still to finish */
  long long      out_bytes;
  char           out_text[64];
  long long      to_write;    /* W3 */
  gboolean       writing;     /* W4: a write is still outstanding */
  gboolean       write_next;  /* W4: the next ping waits for it */
  GDataInputStream *lines_in; /* L1 */
  long long      lines;       /* L1 */
  long long      line_bytes;  /* L1 */
} Child;

typedef struct
{
  const BenchOptions  *opts;
  GSubprocessLauncher *launcher;
  GPtrArray           *children;
  long                 remaining;
  long                 rounds;      /* W4 */
  double               end;         /* W4: when the last reply arrived */
} Bench;

static Bench bench;
/* Where the reads land; data is only counted (or, in W3, copied out). */
static unsigned char out_scratch[BENCH_PEER_READ];
static unsigned char err_scratch[BENCH_PEER_READ];

static void
child_free (gpointer data)
{
  Child *child = data;

  g_clear_object (&child->lines_in);
  g_object_unref (child->proc);
  g_free (child);
}

static void
child_part_done (Child *child)
{
  if (--child->open == 0)
    bench.remaining--;
}

static void read_done_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
start_read (Child        *child,
            GInputStream *stream)
{
  unsigned char *buffer = stream == child->out ? out_scratch : err_scratch;

  g_input_stream_read_async (stream, buffer, BENCH_PEER_READ, G_PRIORITY_DEFAULT,
                             NULL, read_done_cb, child);
}

static void write_done_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

/* A stream takes one operation at a time: the reply can overtake the
 * completion of the write that caused it. */
static void
send_ping (Child *child)
{
  if (child->writing)
    {
      child->write_next = TRUE;
      return;
    }
  child->writing = TRUE;
  g_output_stream_write_all_async (child->in, bench_chunk (), BENCH_PING, G_PRIORITY_DEFAULT,
                                   NULL, write_done_cb, child);
}

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Child *child = user_data;
  gsize written = 0;
  gsize len;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &written, &error))
    bench_fail ("write: %s", error->message);

  if (bench.opts->workload == BENCH_W4)
    {
      child->writing = FALSE;
      if (child->write_next)
        {
          child->write_next = FALSE;
          send_ping (child);
        }
      return;
    }

  child->to_write -= written;
  if (child->to_write == 0)
    {
      if (!g_output_stream_close (child->in, NULL, &error))
        bench_fail ("close: %s", error->message);
      return;
    }
  len = MIN (child->to_write, BENCH_CHUNK);
  g_output_stream_write_all_async (child->in, bench_chunk (), len, G_PRIORITY_DEFAULT,
                                   NULL, write_done_cb, child);
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
      return;
    }
  send_ping (child);
}

static void
read_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GInputStream *stream = G_INPUT_STREAM (source);
  Child *child = user_data;
  gssize n = g_input_stream_read_finish (stream, result, &error);

  if (n < 0)
    bench_fail ("read: %s", error->message);
  if (n == 0)
    {
      child_part_done (child);
      return;
    }

  if (stream == child->out)
    {
      if (bench.opts->workload == BENCH_W3 && child->out_bytes + n < (gssize) sizeof child->out_text)
        memcpy (child->out_text + child->out_bytes, out_scratch, n);
      child->out_bytes += n;
      if (bench.opts->workload == BENCH_W4)
        pong_received (child);
    }
  start_read (child, stream);
}

static void
wait_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error))
    bench_fail ("child: %s", error->message);
  child_part_done (user_data);
}

static Child *
spawn_child (char **argv)
{
  g_autoptr(GError) error = NULL;
  Child *child = g_new0 (Child, 1);

  child->proc = g_subprocess_launcher_spawnv (bench.launcher, (const char * const *) argv, &error);
  if (child->proc == NULL)
    bench_fail ("spawn: %s", error->message);
  child->in = g_subprocess_get_stdin_pipe (child->proc);
  child->out = g_subprocess_get_stdout_pipe (child->proc);
  child->err = g_subprocess_get_stderr_pipe (child->proc);
  bench.remaining++;
  g_ptr_array_add (bench.children, child);

  return child;
}

/* Reads stdout and stderr to EOF and waits for the exit. */
static void
watch_child (Child *child)
{
  child->open = 3;
  start_read (child, child->out);
  start_read (child, child->err);
  g_subprocess_wait_check_async (child->proc, NULL, wait_done_cb, child);
}

static void
close_stdin (Child *child)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_close (child->in, NULL, &error))
    bench_fail ("close: %s", error->message);
}

/* What a program does with a child it only runs: no input, wait for the end. */
static void
run_to_end (Child *child)
{
  close_stdin (child);
  watch_child (child);
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
      run_to_end (spawn_child (argv));
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

  close_stdin (child);
  watch_child (child);
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
  double start = bench_now ();
  Child *child = spawn_child (bench_child_argv (opts));

  watch_child (child);
  child->to_write = opts->bytes;
  g_output_stream_write_all_async (child->in, bench_chunk (), MIN (opts->bytes, BENCH_CHUNK),
                                   G_PRIORITY_DEFAULT, NULL, write_done_cb, child);
  while (child->open > 0)
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
  double start;

  watch_child (child);
  start = bench_now ();
  send_ping (child);
  while (bench.rounds < opts->n || child->writing)
    g_main_context_iteration (NULL, TRUE);
  close_stdin (child);
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
    run_to_end (spawn_child (argv));
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
    watch_child (spawn_child (argv));
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
    close_stdin (g_ptr_array_index (bench.children, i));
  run_until_all_ended ();

  bench_report (opts->workload_name, iterations / elapsed, "iterations/s");
}

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Child *child = user_data;
  gsize len;
  char *line = g_data_input_stream_read_line_finish_utf8 (child->lines_in, result, &len, &error);

  if (line == NULL)
    {
      if (error != NULL)
        bench_fail ("read_line: %s", error->message);
      child_part_done (child);
      return;
    }
  child->lines++;
  child->line_bytes += len;
  g_free (line);

  g_data_input_stream_read_line_async (child->lines_in, G_PRIORITY_DEFAULT, NULL,
                                       read_line_cb, child);
}

static void
run_l1 (const BenchOptions *opts)
{
  double start = bench_now ();
  Child *child = spawn_child (bench_child_argv (opts));

  close_stdin (child);
  child->lines_in = g_data_input_stream_new (child->out);
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (child->lines_in), BENCH_PEER_READ);
  g_data_input_stream_set_newline_type (child->lines_in, G_DATA_STREAM_NEWLINE_TYPE_LF);

  if (opts->sync)
    {
      g_autoptr(GError) error = NULL;
      char *line;
      gsize len;

      while ((line = g_data_input_stream_read_line_utf8 (child->lines_in, &len, NULL, &error)) != NULL)
        {
          child->lines++;
          child->line_bytes += len;
          g_free (line);
        }
      if (error != NULL)
        bench_fail ("read_line: %s", error->message);
      child->open = 2;
      start_read (child, child->err);
      g_subprocess_wait_check_async (child->proc, NULL, wait_done_cb, child);
    }
  else
    {
      child->open = 3;
      g_data_input_stream_read_line_async (child->lines_in, G_PRIORITY_DEFAULT, NULL,
                                           read_line_cb, child);
      start_read (child, child->err);
      g_subprocess_wait_check_async (child->proc, NULL, wait_done_cb, child);
    }
  while (child->open > 0)
    g_main_context_iteration (NULL, TRUE);

  bench_report_l1 (opts, bench_now () - start, child->lines, child->line_bytes);
  run_until_all_ended ();
}

int
main (int argc, char **argv)
{
  static const BenchColumn column = {
    "gsubprocess", run_w1, run_w2, run_w3, run_w4, run_w5, run_w6,
    .l1 = run_l1,
  };
  BenchOptions opts;

  bench_parse_options (argc, argv, &opts);
  bench.opts = &opts;
  bench.children = g_ptr_array_new_with_free_func (child_free);
  bench.launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                              G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (bench.launcher, bench_empty_environ);

  bench_run_workload (&column, &opts);

  g_object_unref (bench.launcher);
  return 0;
}
