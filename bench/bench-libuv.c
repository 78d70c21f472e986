/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "libuv" column: uv_spawn() with three UV_CREATE_PIPE stdio handles
 * (libuv makes them socketpairs), uv_read_start() / uv_write() on them and
 * the exit callback, on uv_default_loop(). Debian's libuv1-dev, bench only.
 */
#include "bench-common.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct
{
  uv_process_t proc;
  uv_pipe_t    in;
  uv_pipe_t    out;
  uv_pipe_t    err;
  uv_write_t   writes[BENCH_WINDOW];
  int          free_writes[BENCH_WINDOW];
  int          n_free_writes;
  int          open;        /* handles not closed yet */
  int          in_open;
  long long    out_bytes;
  char         out_text[64];
  long long    to_write;    /* W3: bytes not queued yet */
} Child;

typedef struct
{
  const BenchOptions *opts;
  uv_loop_t          *loop;
  long                remaining;
  long                rounds;     /* W4 */
  double              end;        /* W4: when the last reply arrived */
} Bench;

static Bench bench;
static char out_scratch[BENCH_PEER_READ];
static char err_scratch[BENCH_PEER_READ];

static void
check (int         status,
       const char *what)
{
  if (status < 0)
    bench_fail ("%s: %s", what, uv_strerror (status));
}

static void
close_cb (uv_handle_t *handle)
{
  Child *child = handle->data;

  if (--child->open == 0)
    bench.remaining--;
}

static void
close_stdin (Child *child)
{
  if (!child->in_open)
    return;
  child->in_open = 0;
  uv_close ((uv_handle_t *) &child->in, close_cb);
}

static void
alloc_cb (uv_handle_t *handle,
          size_t       suggested_size,
          uv_buf_t    *buf)
{
  Child *child = handle->data;
  char *base = handle == (uv_handle_t *) &child->out ? out_scratch : err_scratch;

  *buf = uv_buf_init (base, BENCH_PEER_READ);
}

static void
send_ping (Child *child)
{
  uv_buf_t buf = uv_buf_init ((char *) bench_chunk (), BENCH_PING);

  /* A 64-byte message always fits: the child has read the previous one. */
  if (uv_try_write ((uv_stream_t *) &child->in, &buf, 1) != BENCH_PING)
    bench_fail ("uv_try_write did not take the whole message");
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
      close_stdin (child);
      return;
    }
  send_ping (child);
}

static void
read_cb (uv_stream_t    *stream,
         ssize_t         nread,
         const uv_buf_t *buf)
{
  Child *child = stream->data;

  if (nread == UV_EOF)
    {
      uv_close ((uv_handle_t *) stream, close_cb);
      return;
    }
  check (nread, "read");
  if (stream != (uv_stream_t *) &child->out)
    return;

  if (bench.opts->workload == BENCH_W3 && child->out_bytes + nread < (ssize_t) sizeof child->out_text)
    memcpy (child->out_text + child->out_bytes, buf->base, nread);
  child->out_bytes += nread;
  if (bench.opts->workload == BENCH_W4)
    pong_received (child);
}

static void
exit_cb (uv_process_t *proc,
         int64_t       exit_status,
         int           term_signal)
{
  if (exit_status != 0 || term_signal != 0)
    bench_fail ("child failed (exit %ld, signal %d)", (long) exit_status, term_signal);
  uv_close ((uv_handle_t *) proc, close_cb);
}

static void write_cb (uv_write_t *req,
                      int         status);

/* W3: keeps up to BENCH_WINDOW chunks queued. */
static void
fill_window (Child *child)
{
  while (child->to_write > 0 && child->n_free_writes > 0)
    {
      int slot = child->free_writes[--child->n_free_writes];
      size_t len = child->to_write < BENCH_CHUNK ? (size_t) child->to_write : BENCH_CHUNK;
      uv_buf_t buf = uv_buf_init ((char *) bench_chunk (), len);

      child->writes[slot].data = child;
      check (uv_write (&child->writes[slot], (uv_stream_t *) &child->in, &buf, 1, write_cb), "uv_write");
      child->to_write -= len;
    }
  if (child->to_write == 0 && child->n_free_writes == BENCH_WINDOW)
    close_stdin (child);
}

static void
write_cb (uv_write_t *req,
          int         status)
{
  Child *child = req->data;

  check (status, "write");
  child->free_writes[child->n_free_writes++] = req - child->writes;
  fill_window (child);
}

static Child *
spawn_child (char **argv)
{
  uv_process_options_t options;
  uv_stdio_container_t stdio[3];
  Child *child = calloc (1, sizeof *child);

  uv_pipe_init (bench.loop, &child->in, 0);
  uv_pipe_init (bench.loop, &child->out, 0);
  uv_pipe_init (bench.loop, &child->err, 0);
  child->proc.data = child->in.data = child->out.data = child->err.data = child;

  stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  stdio[0].data.stream = (uv_stream_t *) &child->in;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *) &child->out;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *) &child->err;

  memset (&options, 0, sizeof options);
  options.file = argv[0];
  options.args = argv;
  options.env = bench_empty_environ;
  options.exit_cb = exit_cb;
  options.stdio_count = 3;
  options.stdio = stdio;
  check (uv_spawn (bench.loop, &child->proc, &options), "uv_spawn");

  check (uv_read_start ((uv_stream_t *) &child->out, alloc_cb, read_cb), "uv_read_start");
  check (uv_read_start ((uv_stream_t *) &child->err, alloc_cb, read_cb), "uv_read_start");
  child->open = 4;
  child->in_open = 1;
  for (int i = 0; i < BENCH_WINDOW; i++)
    child->free_writes[i] = i;
  child->n_free_writes = BENCH_WINDOW;
  bench.remaining++;

  return child;
}

static void
run_until_all_ended (void)
{
  uv_run (bench.loop, UV_RUN_DEFAULT);
  if (bench.remaining != 0)
    bench_fail ("the loop stopped with %ld children left", bench.remaining);
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

      close_stdin (child);
      run_until_all_ended ();
      free (child);
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
  run_until_all_ended ();
  if (child->out_bytes != opts->bytes)
    bench_fail ("read %lld bytes, expected %lld", child->out_bytes, opts->bytes);
  free (child);
  bench_report (opts->workload_name, opts->bytes / (bench_now () - start) / 1e6, "MB/s");
}

static void
run_w3 (const BenchOptions *opts)
{
  double start = bench_now ();
  Child *child = spawn_child (bench_child_argv (opts));

  child->to_write = opts->bytes;
  fill_window (child);
  run_until_all_ended ();
  if (bench_parse_count (child->out_text, child->out_bytes) != opts->bytes)
    bench_fail ("the child counted %.*s, expected %lld",
                (int) child->out_bytes, child->out_text, opts->bytes);
  free (child);
  bench_report (opts->workload_name, opts->bytes / (bench_now () - start) / 1e6, "MB/s");
}

static void
run_w4 (const BenchOptions *opts)
{
  Child *child = spawn_child (bench_child_argv (opts));
  double start = bench_now ();

  send_ping (child);
  run_until_all_ended ();
  if (child->out_bytes != opts->n * BENCH_PING)
    bench_fail ("got %lld bytes back, expected %ld", child->out_bytes, opts->n * BENCH_PING);
  free (child);
  bench_report (opts->workload_name, opts->n / (bench.end - start), "round-trips/s");
}

static void
run_w5 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  Child **children = calloc (opts->n, sizeof *children);
  double start, cpu;
  long rss;

  rss = bench_rss_bytes ();
  cpu = bench_cpu_seconds ();
  start = bench_now ();
  for (long i = 0; i < opts->n; i++)
    {
      children[i] = spawn_child (argv);
      close_stdin (children[i]);
    }
  rss = bench_rss_bytes () - rss;
  run_until_all_ended ();

  bench_report_w5 (opts, bench_now () - start, bench_cpu_seconds () - cpu, rss);
  for (long i = 0; i < opts->n; i++)
    free (children[i]);
  free (children);
}

static void
run_w6 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  Child **children = calloc (opts->n, sizeof *children);
  long iterations = 0;
  double start, elapsed;

  for (long i = 0; i < opts->n; i++)
    children[i] = spawn_child (argv);
  uv_run (bench.loop, UV_RUN_NOWAIT);

  start = bench_now ();
  do
    {
      for (int i = 0; i < 256; i++)
        uv_run (bench.loop, UV_RUN_NOWAIT);
      iterations += 256;
      elapsed = bench_now () - start;
    }
  while (elapsed < opts->seconds);

  if (bench.remaining != opts->n)
    bench_fail ("an idle child ended early");
  for (long i = 0; i < opts->n; i++)
    close_stdin (children[i]);
  run_until_all_ended ();
  for (long i = 0; i < opts->n; i++)
    free (children[i]);
  free (children);

  bench_report (opts->workload_name, iterations / elapsed, "iterations/s");
}

int
main (int argc, char **argv)
{
  static const BenchColumn column = {
    "libuv", run_w1, run_w2, run_w3, run_w4, run_w5, run_w6,
  };
  BenchOptions opts;

  bench_parse_options (argc, argv, &opts);
  bench.opts = &opts;
  bench.loop = uv_default_loop ();

  bench_run_workload (&column, &opts);

  uv_loop_close (bench.loop);
  return 0;
}
