/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * TpxProcessTransport: the signals and their order, writing and closing
 * pipes, signalling the child, flow control, lifetime and main contexts
 * (DESIGN.md §4).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>


#include "tpx-test-common.h"

#define TIMEOUT_MS 10000
#define MIB (1024 * 1024)

/* ------------------------------------------------------------------ */
/* Helpers */

static TpxProcessTransport *
spawn_helper_full (TpxProcessLauncher *launcher,
                   TpxProcessProtocol *protocol,
                   const char * const *argv)
{
  g_autoptr(TpxProcessLauncher) own_launcher = NULL;
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;

  if (launcher == NULL)
    launcher = own_launcher = tpx_process_launcher_new ();

  transport = tpx_process_launcher_spawn (launcher, protocol, argv[0], argv, &error);
  g_assert_no_error (error);
  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));

  return transport;
}

/* Spawns the helper with the default launcher: { 0: w, 1: r, 2: r }. */
static TpxProcessTransport *
spawn_helper (const char *mode,
              const char *arg)
{
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg, NULL);

  return spawn_helper_full (NULL, NULL, (const char * const *) argv);
}

typedef gboolean (*Condition) (gpointer user_data);

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
recheck_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the thread-default context until @cond holds; fails after
 * TIMEOUT_MS. For conditions that change outside the main loop (the state
 * of the child in /proc), a short timer makes the loop look again. */
static void
run_until_cond (Condition cond,
                gpointer  user_data,
                gboolean  external)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
  g_autoptr(GSource) recheck = NULL;
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
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

  g_assert_true (cond (user_data));
}

/* Dispatches everything that is ready now, without blocking. */
static void
drain_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static guint
count_events (TpxTestRecorder *rec,
              const char      *event)
{
  guint n = 0;

  for (guint i = 0; i < rec->events->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->events, i), event))
      n++;

  return n;
}

/* Index of the first @event, or -1. */
static int
first_event (TpxTestRecorder *rec,
             const char      *event)
{
  for (guint i = 0; i < rec->events->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->events, i), event))
      return (int) i;

  return -1;
}

/* Index of the last @event, or -1. */
static int
last_event (TpxTestRecorder *rec,
            const char      *event)
{
  for (guint i = rec->events->len; i > 0; i--)
    if (g_str_equal (g_ptr_array_index (rec->events, i - 1), event))
      return (int) i - 1;

  return -1;
}

static void
log_trace (TpxTestRecorder *rec)
{
  g_autofree char *trace = tpx_test_recorder_trace (rec);

  g_test_message ("events: %s", trace);
}

/* Checks the invariants every child's life must respect: exactly one
 * process-exited, exactly one process-ended, ended last, exited before it,
 * each pipe lost exactly once. */
static void
assert_well_formed (TpxTestRecorder *rec,
                    const int       *pipes,
                    guint            n_pipes)
{
  log_trace (rec);

  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_assert_cmpuint (count_events (rec, "ended"), ==, 1);
  g_assert_cmpuint (count_events (rec, "exited"), ==, 1);
  g_assert_cmpint (last_event (rec, "ended"), ==, (int) rec->events->len - 1);
  g_assert_cmpint (first_event (rec, "exited"), <, last_event (rec, "ended"));

  for (guint i = 0; i < n_pipes; i++)
    {
      g_autofree char *lost = g_strdup_printf ("lost:%d", pipes[i]);
      g_autofree char *data = g_strdup_printf ("data:%d", pipes[i]);

      g_assert_cmpuint (count_events (rec, lost), ==, 1);
      /* Nothing arrives on a pipe after it was lost. */
      g_assert_cmpint (last_event (rec, data), <, first_event (rec, lost));
    }

  g_assert_nonnull (rec->exit_status);
  g_assert_true (rec->exit_status == rec->end_status);
}

static const int std_pipes[] = { 0, 1, 2 };

static GBytes *
make_pattern (gsize len,
              guint seed)
{
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) ((i * 7 + seed + i / 251) & 0xff);

  return g_bytes_new_take (data, len);
}

static gboolean
text_has_prefix_cb (gpointer user_data)
{
  gpointer *args = user_data;
  TpxTestRecorder *rec = args[0];
  int fd = GPOINTER_TO_INT (args[1]);
  const char *prefix = args[2];

  return g_str_has_prefix (tpx_test_recorder_text (rec, fd), prefix);
}

/* Waits until the child has written @prefix on @fd. */
static void
wait_for_text (TpxTestRecorder *rec,
               int              fd,
               const char      *prefix)
{
  gpointer args[3] = { rec, GINT_TO_POINTER (fd), (gpointer) prefix };

  run_until_cond (text_has_prefix_cb, args, FALSE);
}

static gboolean
event_seen_cb (gpointer user_data)
{
  gpointer *args = user_data;

  return first_event (args[0], args[1]) >= 0;
}

static void
wait_for_event (TpxTestRecorder *rec,
                const char      *event)
{
  gpointer args[2] = { rec, (gpointer) event };

  run_until_cond (event_seen_cb, args, FALSE);
}

/* Whether @pid is asleep in a write to a full pipe (from /proc). */
static gboolean
child_blocked_in_pipe_write_cb (gpointer user_data)
{
  int pid = GPOINTER_TO_INT (user_data);
  g_autofree char *path = g_strdup_printf ("/proc/%d/wchan", pid);
  g_autofree char *wchan = NULL;

  if (!g_file_get_contents (path, &wchan, NULL, NULL))
    return FALSE;

  return strstr (wchan, "pipe_write") != NULL;
}

/* Whether @pid is a zombie, i.e. has exited and waits to be reaped. */
static gboolean
child_is_zombie_cb (gpointer user_data)
{
  int pid = GPOINTER_TO_INT (user_data);
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;

  paren = strrchr (stat, ')');
  return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static gsize
pipe_max_size (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/sys/fs/pipe-max-size", &text, NULL, NULL))
    return MIB;

  return (gsize) g_ascii_strtoull (text, NULL, 10);
}

static void
assert_killed_by (TpxTestRecorder *rec,
                  int              signum)
{
  g_assert_nonnull (rec->end_status);
  g_assert_cmpint (tpx_process_status_get_signal (rec->end_status), ==, signum);
  g_assert_cmpint (tpx_process_status_get_exit_code (rec->end_status), ==, -1);
}

/* ------------------------------------------------------------------ */
/* Signals */

static void
test_signals_order (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (4 * MIB, 1);
  guint n_events;

  /* More than any pipe holds, so the write is queued and drains later. */
  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));

  g_assert_cmpuint (count_events (rec, "drained:0"), ==, 1);
  g_assert_cmpint (first_event (rec, "drained:0"), <, first_event (rec, "lost:0"));
  g_assert_cmpint (first_event (rec, "data:1"), >=, 0);
  g_assert_cmpint (first_event (rec, "data:2"), ==, -1);

  g_assert_cmpmem (rec->data[1]->data, rec->data[1]->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  tpx_test_assert_exited (rec->end_status, 0);

  /* Nothing more ever comes. */
  n_events = rec->events->len;
  drain_context ();
  g_assert_cmpuint (rec->events->len, ==, n_events);
}

static void
test_signals_exit_without_reading (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("exit", "7");
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  /* The child never reads stdin: its read end goes away when it exits, and
   * the parent's write end must still be reported lost. */
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpint (first_event (rec, "data:1"), ==, -1);
  g_assert_cmpint (first_event (rec, "data:2"), ==, -1);
  g_assert_cmpint (first_event (rec, "drained:0"), ==, -1);
  tpx_test_assert_exited (rec->end_status, 7);
}

static void
test_signals_stderr (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("write-both", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "out");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "err");
  g_assert_cmpint (first_event (rec, "data:1"), <, first_event (rec, "lost:1"));
  g_assert_cmpint (first_event (rec, "data:2"), <, first_event (rec, "lost:2"));
}

/* ------------------------------------------------------------------ */
/* Writing */

static void
check_count_stdin (gboolean use_bytes)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("count-stdin", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (10 * MIB, 2);
  g_autofree char *expected = g_strdup_printf ("%d\n", 10 * MIB);
  gsize queued;

  if (use_bytes)
    tpx_process_transport_write_bytes (transport, payload);
  else
    tpx_process_transport_write (transport, g_bytes_get_data (payload, NULL),
                                 g_bytes_get_size (payload));

  /* The call came back before the child could have read 10 MiB: whatever
   * did not fit in the pipe is queued. */
  queued = tpx_process_transport_get_write_buffer_size (transport, 0);
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (queued, <=, 10 * MIB);

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, expected);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, 0);
  tpx_test_assert_exited (rec->end_status, 0);
}

static void
test_write_no_block (void)
{
  check_count_stdin (FALSE);
}

static void
test_write_bytes_no_block (void)
{
  check_count_stdin (TRUE);
}

static void
test_write_never_blocks_on_idle_child (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (4 * MIB, 3);
  g_autoptr(GError) error = NULL;
  gsize queued, accepted;

  wait_for_text (rec, 1, "ready\n");

  /* The child never reads: a blocking write would hang here for ever. */
  tpx_process_transport_write_bytes (transport, payload);
  queued = tpx_process_transport_get_write_buffer_size (transport, 0);
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (queued, <=, 4 * MIB);
  accepted = 4 * MIB - queued;
  g_assert_cmpuint (accepted, <=, pipe_max_size ());

  /* The loop may push more while the pipe has room (the library may grow
   * it), but never more than a pipe can hold; then nothing moves. */
  drain_context ();
  queued = tpx_process_transport_get_write_buffer_size (transport, 0);
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (4 * MIB - queued, <=, pipe_max_size ());
  drain_context ();
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, queued);
  g_assert_cmpint (first_event (rec, "drained:0"), ==, -1);

  /* Queues exist only for write pipes. */
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 1), ==, 0);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 2), ==, 0);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 9), ==, 0);

  /* Once the reader is gone, the rest is dropped. */
  g_assert_true (tpx_process_transport_signal_process (transport, "KILL", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, SIGKILL);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, 0);
}

static void
test_write_order (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GByteArray) expected = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* Small and large writes, through every write call, interleaved. */
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(GBytes) chunk = make_pattern ((i % 4 == 3) ? 300000 + i : 1 + i * 13, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (chunk, &len);

      switch (i % 4)
        {
        case 0:
          tpx_process_transport_write (transport, data, len);
          break;
        case 1:
          tpx_process_transport_write_bytes (transport, chunk);
          break;
        case 2:
          g_assert_true (tpx_process_transport_write_to_child (transport, 0, data, len, &error));
          g_assert_no_error (error);
          break;
        default:
          g_assert_true (tpx_process_transport_write_bytes_to_child (transport, 0, chunk, &error));
          g_assert_no_error (error);
          break;
        }

      g_byte_array_append (expected, data, len);

      /* Let some of it go through between writes, sometimes. */
      if (i % 5 == 0)
        g_main_context_iteration (NULL, FALSE);
    }

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpmem (rec->data[1]->data, rec->data[1]->len, expected->data, expected->len);
}

/* Bulk writes on a busy pipe: the bytes the child reads are the ones
 * written, even when the caller scribbles over a borrowed buffer right
 * after writing it, when stdin is closed with data still in the pipe, and
 * when the child moves the stdin pipe's pages on to its stdout with
 * splice() ("splice-echo"), where they stay until the parent reads them.
 * That last case is what makes zero-copy writes (vmsplice() from memory
 * the parent reuses) unsafe: a version that did them failed it. */
static void
test_write_bulk (gconstpointer data)
{
  const char *mode = data;
  g_autoptr(TpxProcessTransport) transport = spawn_helper (mode, NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GByteArray) expected = g_byte_array_new ();

  for (guint i = 0; i < 48; i++)
    {
      g_autoptr(GBytes) chunk = make_pattern (i % 2 == 0 ? 3 * MIB / 2 : 200 * 1024 + i, 100 + i);
      gsize len;
      const guint8 *bytes = g_bytes_get_data (chunk, &len);

      g_byte_array_append (expected, bytes, len);
      if (i % 2 == 0)
        tpx_process_transport_write_bytes (transport, chunk);
      else
        {
          g_autofree guint8 *borrowed = g_memdup2 (bytes, len);

          tpx_process_transport_write (transport, borrowed, len);
          memset (borrowed, 0xEE, len);
        }
      if (i % 8 == 0)
        g_main_context_iteration (NULL, FALSE);
    }

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpuint (rec->data[1]->len, ==, expected->len);
  g_assert_true (memcmp (rec->data[1]->data, expected->data, expected->len) == 0);
}

static void
test_write_flush_on_close (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("count-stdin", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (3 * MIB + 17, 4);
  g_autofree char *expected = g_strdup_printf ("%d\n", 3 * MIB + 17);

  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_close_stdin (transport);

  /* A second close does nothing more. */
  tpx_process_transport_close_stdin (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, expected);
}

static void
test_write_flush_on_close_child_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "3", "1", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GBytes) payload = make_pattern (2 * MIB + 5, 5);
  g_autoptr(GError) error = NULL;
  static const int pipes[] = { 0, 1, 2, 3 };

  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_WRITE, -1);
  transport = spawn_helper_full (launcher, NULL, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);

  g_assert_true (tpx_process_transport_write_bytes_to_child (transport, 3, payload, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, 3);
  tpx_process_transport_close_child_fd (transport, 0);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, pipes, G_N_ELEMENTS (pipes));
  g_assert_cmpmem (rec->data[1]->data, rec->data[1]->len,
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  g_assert_cmpuint (count_events (rec, "drained:3"), ==, 1);
  g_assert_cmpint (first_event (rec, "drained:3"), <, first_event (rec, "lost:3"));
  tpx_test_assert_exited (rec->end_status, 0);
}

static void
test_write_flush_on_lose_connection (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("count-stdin", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GBytes) payload = make_pattern (2 * MIB + 3, 6);
  g_autofree char *expected = g_strdup_printf ("%d\n", 2 * MIB + 3);
  g_autoptr(GError) error = NULL;
  static const int pipes[] = { 0, 2 };
  char buffer[64] = { 0 };
  int out[2];

  /* lose_connection closes stdout too, so the count goes to a pipe of our
   * own that the child inherits as its fd 1. */
  g_assert_cmpint (pipe2 (out, O_CLOEXEC), ==, 0);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_INHERIT, out[1]);

  transport = spawn_helper_full (launcher, NULL, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);
  close (out[1]);

  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_lose_connection (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, pipes, G_N_ELEMENTS (pipes));
  g_assert_cmpint (first_event (rec, "lost:1"), ==, -1);
  tpx_test_assert_exited (rec->end_status, 0);

  g_assert_cmpint (read (out[0], buffer, sizeof buffer - 1), ==, strlen (expected));
  g_assert_cmpstr (buffer, ==, expected);
  close (out[0]);
}

static void
test_write_after_close_dropped (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("count-stdin", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) more = g_bytes_new_static ("ghi", 3);

  tpx_process_transport_write (transport, (const guint8 *) "abc", 3);
  tpx_process_transport_close_stdin (transport);

  /* Silently dropped: no critical (they are fatal here), nothing queued. */
  tpx_process_transport_write (transport, (const guint8 *) "def", 3);
  tpx_process_transport_write_bytes (transport, more);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), <=, 3);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "3\n");

  /* And after the end, too. */
  tpx_process_transport_write (transport, (const guint8 *) "jkl", 3);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, 0);
}

static void
test_write_to_child_errors (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("zz", 2);
  g_autoptr(GError) error = NULL;
  static const int pipes[] = { 0, 1 };

  /* stderr goes to our own stderr: not a pipe of the transport. */
  tpx_process_launcher_set_child_fd (launcher, 2, TPX_CHILD_FD_INHERIT, 2);
  transport = spawn_helper_full (launcher, NULL, (const char * const *) argv);
  rec = tpx_test_recorder_new (transport);

  /* A read pipe, an inherited fd, an fd not in the map. */
  g_assert_false (tpx_process_transport_write_to_child (transport, 1, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_write_to_child (transport, 2, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_write_bytes_to_child (transport, 7, bytes, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "hi", 2, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_stdin (transport);

  g_assert_false (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_write_bytes_to_child (transport, 0, bytes, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, pipes, G_N_ELEMENTS (pipes));
  g_assert_cmpint (first_event (rec, "lost:2"), ==, -1);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "hi");

  g_assert_false (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

static void
test_write_reader_gone (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("close-stdin-wait", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (2 * MIB, 7);
  g_autoptr(GError) error = NULL;

  /* The child has closed its stdin: writing now meets EPIPE. This process
   * started with SIGPIPE at its default action (see main()), which kills:
   * the transport must keep that from happening. */
  wait_for_text (rec, 1, "closed\n");
  tpx_process_transport_write_bytes (transport, payload);
  wait_for_event (rec, "lost:0");

  g_assert_cmpuint (count_events (rec, "lost:0"), ==, 1);
  g_assert_cmpuint (tpx_process_transport_get_write_buffer_size (transport, 0), ==, 0);
  g_assert_false (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  tpx_process_transport_write (transport, (const guint8 *) "x", 1);

  /* The child is still there, and only a signal ends it. */
  g_assert_false (rec->exited);
  g_assert_true (tpx_process_transport_signal_process (transport, "TERM", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, SIGTERM);
}

/* ------------------------------------------------------------------ */
/* Closing read pipes */

typedef struct {
  TpxProcessTransport *transport;
  int                  child_fd;
  gboolean             closed;
  gsize                bytes_after_close;
  gsize                bytes_before_close;
} CloseOnData;

static void
close_on_first_data_cb (TpxProcessTransport *transport,
                        int                  child_fd,
                        GBytes              *data,
                        gpointer             user_data)
{
  CloseOnData *c = user_data;

  if (child_fd != c->child_fd)
    return;

  if (c->closed)
    {
      c->bytes_after_close += g_bytes_get_size (data);
      return;
    }

  c->bytes_before_close += g_bytes_get_size (data);
  c->closed = TRUE;
  tpx_process_transport_close_child_fd (transport, child_fd);
}

static void
test_close_stdout_in_handler (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("big", "20000000");
  g_autoptr(TpxTestRecorder) rec = NULL;
  CloseOnData c = { transport, 1 };

  /* Connected first, so it runs before the recorder's handler. */
  g_signal_connect (transport, "child-data", G_CALLBACK (close_on_first_data_cb), &c);
  rec = tpx_test_recorder_new (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));

  g_assert_true (c.closed);
  g_assert_cmpuint (c.bytes_before_close, >, 0);
  g_assert_cmpuint (c.bytes_after_close, ==, 0);
  g_assert_cmpuint (rec->data[1]->len, ==, c.bytes_before_close);
  /* The child met a closed pipe long before writing 20 MB. */
  g_assert_cmpuint (rec->data[1]->len, <, 20000000);
}

static void
test_close_stdout_at_once (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("big", "20000000");
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  tpx_process_transport_close_stdout (transport);
  tpx_process_transport_close_stdout (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpint (first_event (rec, "data:1"), ==, -1);
  g_assert_cmpuint (rec->data[1]->len, ==, 0);
}

static void
test_close_stderr (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo-stderr", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GBytes) payload = make_pattern (MIB, 8);

  /* The child waits for input: it cannot write or end before we feed it. */
  tpx_process_transport_close_stderr (transport);
  wait_for_event (rec, "lost:2");
  g_assert_false (rec->exited);

  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_close_stdin (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpint (first_event (rec, "data:2"), ==, -1);
  g_assert_cmpuint (rec->data[2]->len, ==, 0);
}

static void
test_close_child_fd_read (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "0", "4", NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GBytes) payload = make_pattern (MIB, 9);
  CloseOnData c = { NULL, 4 };
  static const int pipes[] = { 0, 1, 2, 4 };

  tpx_process_launcher_set_child_fd (launcher, 4, TPX_CHILD_FD_READ, -1);
  transport = spawn_helper_full (launcher, NULL, (const char * const *) argv);
  c.transport = transport;
  g_signal_connect (transport, "child-data", G_CALLBACK (close_on_first_data_cb), &c);
  rec = tpx_test_recorder_new (transport);

  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_close_stdin (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, pipes, G_N_ELEMENTS (pipes));
  g_assert_true (c.closed);
  g_assert_cmpuint (c.bytes_after_close, ==, 0);
  g_assert_cmpuint (rec->data[4]->len, ==, c.bytes_before_close);
}

/* Closing a write pipe that the child already closed, or an fd that is not
 * a pipe, is harmless. */
static void
test_close_child_fd_unknown (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  tpx_process_transport_close_child_fd (transport, 9);
  tpx_process_transport_write (transport, (const guint8 *) "ok", 2);
  tpx_process_transport_close_child_fd (transport, 0);
  tpx_process_transport_close_child_fd (transport, 0);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "ok");
}

/* ------------------------------------------------------------------ */
/* lose_connection */

static void
test_lose_connection (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  tpx_process_transport_lose_connection (transport);
  tpx_process_transport_lose_connection (transport);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpint (first_event (rec, "data:1"), ==, -1);
  /* The child saw EOF on stdin and finished normally. */
  tpx_test_assert_exited (rec->end_status, 0);
}

static void
test_lose_connection_child_alive (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");
  tpx_process_transport_lose_connection (transport);
  wait_for_event (rec, "lost:0");
  wait_for_event (rec, "lost:1");
  wait_for_event (rec, "lost:2");
  drain_context ();

  /* Nothing was sent to the child: it is alive... */
  g_assert_false (rec->exited);
  g_assert_true (tpx_process_transport_signal_process (transport, "0", &error));
  g_assert_no_error (error);

  /* ...and the first signal it gets is ours. */
  g_assert_true (tpx_process_transport_signal_process (transport, "USR1", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, SIGUSR1);
}

/* ------------------------------------------------------------------ */
/* Output and the end */

static void
test_output_all_before_ended (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("big", "1000000");
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  const char *text;

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));

  g_assert_cmpuint (rec->data[1]->len, ==, 1000000);
  text = tpx_test_recorder_text (rec, 1);
  for (gsize i = 0; i < 1000000; i++)
    if (text[i] != (char) ('0' + i % 10))
      g_error ("byte %" G_GSIZE_FORMAT " is '%c'", i, text[i]);
  tpx_test_assert_exited (rec->end_status, 0);
}

static void
test_output_grandchild (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("grandchild", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  /* The helper exits at once; its grandchild holds stdin, stdout and stderr
   * until we close stdin. */
  tpx_test_run_until (&rec->exited, TIMEOUT_MS);
  g_assert_cmpint (tpx_process_status_get_exit_code (rec->exit_status), ==, 0);
  g_assert_true (tpx_process_transport_get_status (transport) == rec->exit_status);

  drain_context ();
  g_assert_false (rec->ended);
  g_assert_cmpint (first_event (rec, "lost:1"), ==, -1);
  g_assert_cmpint (first_event (rec, "lost:2"), ==, -1);

  /* Reaped already: no signal can be sent any more. */
  g_assert_false (tpx_process_transport_signal_process (transport, "0", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "grandchild\n");
  g_assert_cmpint (first_event (rec, "exited"), <, first_event (rec, "lost:1"));
  g_assert_cmpint (first_event (rec, "exited"), <, first_event (rec, "data:1"));
}

/* ------------------------------------------------------------------ */
/* Signals to the child */

typedef struct {
  const char *name;
  int         signum;
} SignalCase;

static const SignalCase signal_cases[] = {
  { "TERM", SIGTERM },
  { "SIGTERM", SIGTERM },
  { "KILL", SIGKILL },
  { "SIGKILL", SIGKILL },
  { "9", SIGKILL },
  { "15", SIGTERM },
  { "INT", SIGINT },
  { "SIGHUP", SIGHUP },
  { "USR1", SIGUSR1 },
  { "SIGUSR2", SIGUSR2 },
};

static void
test_signal_process_name (gconstpointer user_data)
{
  const SignalCase *sc = user_data;
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");

  g_assert_true (tpx_process_transport_signal_process (transport, "0", &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_signal_process (transport, sc->name, &error));
  g_assert_no_error (error);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, sc->signum);
  g_assert_false (tpx_process_status_is_success (rec->end_status));
}

static void
test_signal_stop_cont (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");

  /* A stopped child has not exited. */
  g_assert_true (tpx_process_transport_signal_process (transport, "STOP", &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_signal_process (transport, "SIGCONT", &error));
  g_assert_no_error (error);
  drain_context ();
  g_assert_false (rec->exited);

  g_assert_true (tpx_process_transport_signal_process (transport, "SIGINT", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, SIGINT);
}

static void
test_signal_invalid (void)
{
  static const char * const invalid[] = {
    "65", "-1", "64x", "BOGUS", "SIGBOGUS", "", "SIG", "1000000000000", " 9",
  };
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("signal name '%s'", invalid[i]);
      g_assert_false (tpx_process_transport_signal_process (transport, invalid[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

  /* None of them reached the child. */
  drain_context ();
  g_assert_false (rec->exited);

  g_assert_true (tpx_process_transport_signal_process (transport, "KILL", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_killed_by (rec, SIGKILL);
}

static void
test_signal_exited_already (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("exit", "0");
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  g_assert_false (tpx_process_transport_signal_process (transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_signal_process (transport, "0", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_send_signal (transport, SIGKILL, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
}

static void
test_signal_ignored_term (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("ignore-term", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");

  g_assert_true (tpx_process_transport_signal_process (transport, "TERM", &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_signal_process (transport, "KILL", &error));
  g_assert_no_error (error);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_killed_by (rec, SIGKILL);
}

static void
test_send_signal (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("sleep-forever", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  wait_for_text (rec, 1, "ready\n");

  g_assert_true (tpx_process_transport_send_signal (transport, 0, &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_send_signal (transport, SIGUSR2, &error));
  g_assert_no_error (error);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  assert_killed_by (rec, SIGUSR2);
}

/* ------------------------------------------------------------------ */
/* Flow control */

#define BIG_FOR_PAUSE "6000000"

static void
check_rest_after_resume (TpxProcessTransport *transport,
                         TpxTestRecorder     *rec)
{
  const char *text;

  tpx_process_transport_resume_producing (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  tpx_test_assert_exited (rec->end_status, 0);

  g_assert_cmpuint (rec->data[1]->len, ==, 6000000);
  text = tpx_test_recorder_text (rec, 1);
  for (gsize i = 0; i < 6000000; i++)
    if (text[i] != (char) ('0' + i % 10))
      g_error ("byte %" G_GSIZE_FORMAT " is '%c'", i, text[i]);
}

static void
test_pause_resume (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("big", BIG_FOR_PAUSE);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  int pid = tpx_process_transport_get_pid (transport);

  tpx_process_transport_pause_producing (transport);

  /* Nobody reads, so the child fills the pipe and blocks there. */
  run_until_cond (child_blocked_in_pipe_write_cb, GINT_TO_POINTER (pid), TRUE);
  drain_context ();
  g_assert_cmpuint (rec->data[1]->len, ==, 0);
  g_assert_false (rec->exited);

  /* Paused is a state, not a count (as in Twisted): after two pauses, one
   * resume restarts reading. */
  tpx_process_transport_pause_producing (transport);
  check_rest_after_resume (transport, rec);
}

typedef struct {
  TpxProcessTransport *transport;
  gboolean             paused;
  gsize                at_pause;
  gsize                total;
  gboolean             resumed;
  gsize                while_paused;
} PauseOnData;

static void
pause_on_first_data_cb (TpxProcessTransport *transport,
                        int                  child_fd,
                        GBytes              *data,
                        gpointer             user_data)
{
  PauseOnData *p = user_data;

  if (p->paused && !p->resumed)
    p->while_paused += g_bytes_get_size (data);

  p->total += g_bytes_get_size (data);

  if (!p->paused)
    {
      p->paused = TRUE;
      p->at_pause = p->total;
      tpx_process_transport_pause_producing (transport);
    }
}

static void
test_pause_resume_mid_stream (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("big", BIG_FOR_PAUSE);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  int pid = tpx_process_transport_get_pid (transport);
  PauseOnData p = { transport };

  g_signal_connect (transport, "child-data", G_CALLBACK (pause_on_first_data_cb), &p);

  tpx_test_run_until (&p.paused, TIMEOUT_MS);
  run_until_cond (child_blocked_in_pipe_write_cb, GINT_TO_POINTER (pid), TRUE);
  drain_context ();

  g_assert_cmpuint (p.while_paused, ==, 0);
  g_assert_cmpuint (rec->data[1]->len, ==, p.at_pause);
  g_assert_cmpuint (p.at_pause, <, 6000000);
  g_assert_false (rec->exited);

  p.resumed = TRUE;
  check_rest_after_resume (transport, rec);
  g_assert_cmpuint (p.total, ==, 6000000);
}

/* ------------------------------------------------------------------ */
/* Lifetime */

typedef struct {
  GString  *trace;
  GByteArray *out;       /* bytes received on fd 1 */
  gboolean  ended;
  gboolean  alive_in_ended;
  int       end_signal;
  gpointer  weak_transport;
} Unowned;

static void
unowned_data_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 GBytes              *data,
                 gpointer             user_data)
{
  Unowned *u = user_data;
  g_autofree char *event = g_strdup_printf ("data:%d ", child_fd);
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  /* One "data:N" per run of chunks on the same fd. */
  if (!g_str_has_suffix (u->trace->str, event))
    g_string_append (u->trace, event);

  if (child_fd == 1)
    g_byte_array_append (u->out, bytes, len);
}

static void
unowned_lost_cb (TpxProcessTransport *transport,
                 int                  child_fd,
                 gpointer             user_data)
{
  Unowned *u = user_data;

  g_string_append_printf (u->trace, "lost:%d ", child_fd);
}

static void
unowned_drained_cb (TpxProcessTransport *transport,
                    int                  child_fd,
                    gpointer             user_data)
{
  Unowned *u = user_data;

  g_string_append_printf (u->trace, "drained:%d ", child_fd);
}

static void
unowned_exited_cb (TpxProcessTransport *transport,
                   TpxProcessStatus    *status,
                   gpointer             user_data)
{
  Unowned *u = user_data;

  g_string_append_printf (u->trace, "exited:%d ", tpx_process_status_get_exit_code (status));
}

static void
unowned_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  Unowned *u = user_data;

  g_string_append_printf (u->trace, "ended:%d", tpx_process_status_get_exit_code (status));
  u->alive_in_ended = (u->weak_transport == transport);
  u->end_signal = tpx_process_status_get_signal (status);
  u->ended = TRUE;
}

static void
connect_unowned (TpxProcessTransport *transport,
                 Unowned             *u)
{
  g_signal_connect (transport, "child-data", G_CALLBACK (unowned_data_cb), u);
  g_signal_connect (transport, "child-connection-lost", G_CALLBACK (unowned_lost_cb), u);
  g_signal_connect (transport, "write-drained", G_CALLBACK (unowned_drained_cb), u);
  g_signal_connect (transport, "process-exited", G_CALLBACK (unowned_exited_cb), u);
  g_signal_connect (transport, "process-ended", G_CALLBACK (unowned_ended_cb), u);
}

static gboolean
pointer_is_null_cb (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

static void
test_lifetime_dropped_reference (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);
  TpxProcessProtocol *protocol = tpx_process_protocol_new ();
  TpxProcessTransport *transport;
  gpointer weak_protocol = protocol;
  g_autoptr(GBytes) payload = g_bytes_new_static ("ping", 4);
  Unowned u = { g_string_new (NULL), g_byte_array_new () };

  transport = spawn_helper_full (launcher, protocol, (const char * const *) argv);
  connect_unowned (transport, &u);
  u.weak_transport = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &u.weak_transport);
  g_object_add_weak_pointer (G_OBJECT (protocol), &weak_protocol);

  /* Queue the work, then let go of everything. Big enough to be queued, so
   * write-drained comes too. */
  {
    g_autoptr(GBytes) filler = make_pattern (2 * MIB, 10);

    tpx_process_transport_write_bytes (transport, filler);
  }
  tpx_process_transport_write_bytes (transport, payload);
  tpx_process_transport_close_stdin (transport);
  g_object_unref (transport);
  g_object_unref (protocol);
  g_assert_nonnull (u.weak_transport);

  tpx_test_run_until (&u.ended, TIMEOUT_MS);
  g_test_message ("trace: %s", u.trace->str);
  g_assert_true (u.alive_in_ended);
  g_assert_nonnull (strstr (u.trace->str, "drained:0 "));
  g_assert_nonnull (strstr (u.trace->str, "lost:0 "));
  g_assert_nonnull (strstr (u.trace->str, "lost:1 "));
  g_assert_nonnull (strstr (u.trace->str, "lost:2 "));
  g_assert_nonnull (strstr (u.trace->str, "data:1 "));
  g_assert_cmpuint (u.out->len, ==, 2 * MIB + 4);
  g_assert_cmpmem (u.out->data + 2 * MIB, 4, "ping", 4);
  g_assert_cmpint (strstr (u.trace->str, "data:1 ") - u.trace->str, <,
                   strstr (u.trace->str, "lost:1 ") - u.trace->str);
  g_assert_nonnull (strstr (u.trace->str, "exited:0 "));
  g_assert_true (g_str_has_suffix (u.trace->str, " ended:0"));

  /* The library's last reference goes after process-ended; the protocol
   * goes with the transport. */
  run_until_cond (pointer_is_null_cb, &u.weak_transport, FALSE);
  run_until_cond (pointer_is_null_cb, &weak_protocol, FALSE);

  g_string_free (u.trace, TRUE);
  g_byte_array_unref (u.out);
}

static gboolean
count_reached_cb (gpointer user_data)
{
  gpointer *args = user_data;
  GByteArray *array = args[0];

  return array->len >= GPOINTER_TO_SIZE (args[1]);
}

static void
test_lifetime_dropped_reference_no_kill (void)
{
  g_auto(GStrv) argv = tpx_test_helper_argv ("sleep-forever", NULL);
  TpxProcessTransport *transport;
  Unowned u = { g_string_new (NULL), g_byte_array_new () };
  gpointer ready[2] = { u.out, GSIZE_TO_POINTER (6) };
  int pid;

  transport = spawn_helper_full (NULL, NULL, (const char * const *) argv);
  connect_unowned (transport, &u);
  u.weak_transport = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &u.weak_transport);
  pid = tpx_process_transport_get_pid (transport);
  g_assert_cmpint (pid, >, 0);

  run_until_cond (count_reached_cb, ready, FALSE);
  g_assert_cmpmem (u.out->data, u.out->len, "ready\n", 6);
  g_object_unref (transport);
  drain_context ();

  /* Still running, still watched. */
  g_assert_nonnull (u.weak_transport);
  g_assert_null (strstr (u.trace->str, "exited"));
  g_assert_cmpint (kill (pid, 0), ==, 0);

  /* The first signal the child gets is ours: had the library sent one when
   * the last reference went, the child would have died of that instead. */
  g_assert_cmpint (kill (pid, SIGUSR1), ==, 0);
  tpx_test_run_until (&u.ended, TIMEOUT_MS);
  g_test_message ("trace: %s", u.trace->str);
  g_assert_cmpint (u.end_signal, ==, SIGUSR1);

  run_until_cond (pointer_is_null_cb, &u.weak_transport, FALSE);
  g_string_free (u.trace, TRUE);
  g_byte_array_unref (u.out);
}

/* ------------------------------------------------------------------ */
/* pid and status */

static void
check_status_in_exited_cb (TpxProcessTransport *transport,
                           TpxProcessStatus    *status,
                           gpointer             user_data)
{
  gboolean *checked = user_data;

  g_assert_true (TPX_IS_PROCESS_STATUS (status));
  g_assert_true (tpx_process_transport_get_status (transport) == status);
  *checked = TRUE;
}

static void
test_pid_and_status (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("exit", "3");
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  gboolean checked = FALSE;
  int pid;

  pid = tpx_process_transport_get_pid (transport);
  g_assert_cmpint (pid, >, 0);
  g_assert_null (tpx_process_transport_get_status (transport));

  g_signal_connect (transport, "process-exited", G_CALLBACK (check_status_in_exited_cb), &checked);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  g_assert_true (checked);

  g_assert_cmpint (tpx_process_transport_get_pid (transport), ==, pid);
  g_assert_true (tpx_process_transport_get_status (transport) == rec->exit_status);
  tpx_test_assert_exited (rec->end_status, 3);
  g_assert_false (tpx_process_status_is_success (rec->end_status));
  g_assert_false (tpx_process_status_check (rec->end_status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
}

static void
test_pid_is_the_child (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("pgrp", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autofree char *prefix = NULL;

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  prefix = g_strdup_printf ("pid %d ", tpx_process_transport_get_pid (transport));
  g_assert_true (g_str_has_prefix (tpx_test_recorder_text (rec, 1), prefix));
  g_assert_true (tpx_process_status_is_success (rec->end_status));
}

/* ------------------------------------------------------------------ */
/* Main contexts */

typedef struct {
  GMainContext *expected;
  GThread      *thread;
  guint         n_calls;
  guint         n_wrong;
} ContextCheck;

/* Connected swapped: the check comes first, the signal's own arguments are
 * not needed. */
static void
context_check_cb (ContextCheck *c)
{
  GSource *source = g_main_current_source ();

  c->n_calls++;
  if (g_thread_self () != c->thread)
    c->n_wrong++;
  else if (!g_main_context_is_owner (c->expected))
    c->n_wrong++;
  else if (source != NULL && g_source_get_context (source) != c->expected)
    c->n_wrong++;
}

static void
connect_context_check (TpxProcessTransport *transport,
                       ContextCheck        *c)
{
  static const char * const names[] = {
    "child-data", "child-connection-lost", "write-drained",
    "process-exited", "process-ended",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_signal_connect_swapped (transport, names[i], G_CALLBACK (context_check_cb), c);
}

static void
test_context_thread_default (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-both", NULL);
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  ContextCheck c = { context, g_thread_self () };
  gpointer weak;
  int pid;

  g_main_context_push_thread_default (context);
  transport = spawn_helper_full (NULL, NULL, (const char * const *) argv);
  g_main_context_pop_thread_default (context);

  weak = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &weak);
  connect_context_check (transport, &c);
  rec = tpx_test_recorder_new (transport);
  pid = tpx_process_transport_get_pid (transport);

  /* Let the child write and exit while only the global default context
   * runs: nothing may be emitted there. */
  run_until_cond (child_is_zombie_cb, GINT_TO_POINTER (pid), TRUE);
  drain_context ();
  g_assert_cmpuint (c.n_calls, ==, 0);
  g_assert_cmpuint (rec->events->len, ==, 0);

  g_main_context_push_thread_default (context);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "out");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "err");
  g_assert_cmpuint (c.n_calls, >=, 7);
  g_assert_cmpuint (c.n_wrong, ==, 0);

  tpx_test_recorder_free (rec);
  g_object_unref (transport);
  run_until_cond (pointer_is_null_cb, &weak, FALSE);
  g_main_context_pop_thread_default (context);
}

static gpointer
spawn_in_thread_cb (gpointer user_data)
{
  ContextCheck *c = user_data;
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  gpointer weak;

  c->expected = g_main_context_new ();
  c->thread = g_thread_self ();
  g_main_context_push_thread_default (c->expected);

  transport = spawn_helper_full (NULL, NULL, (const char * const *) argv);
  weak = transport;
  g_object_add_weak_pointer (G_OBJECT (transport), &weak);
  connect_context_check (transport, c);
  rec = tpx_test_recorder_new (transport);

  tpx_process_transport_write (transport, (const guint8 *) "thread", 6);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "thread");

  tpx_test_recorder_free (rec);
  g_object_unref (transport);
  run_until_cond (pointer_is_null_cb, &weak, FALSE);

  g_main_context_pop_thread_default (c->expected);
  g_main_context_unref (c->expected);

  return NULL;
}

static void
test_context_other_thread (void)
{
  ContextCheck c = { 0 };
  GThread *thread;

  thread = g_thread_new ("tpx-test-spawner", spawn_in_thread_cb, &c);
  g_thread_join (thread);

  g_assert_cmpuint (c.n_calls, >=, 5);
  g_assert_cmpuint (c.n_wrong, ==, 0);
}

/* ------------------------------------------------------------------ */
/* Nothing left behind */

/* Number of pipe ends open in this process. */
static guint
count_pipe_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && g_str_has_prefix (target, "pipe:"))
        n++;
    }

  return n;
}

typedef struct {
  guint fds_during;
  guint pipes_during;
  guint pipes_at_end;
} FdCounts;

static void
count_pipes_at_end_cb (TpxProcessTransport *transport,
                       TpxProcessStatus    *status,
                       gpointer             user_data)
{
  FdCounts *counts = user_data;

  counts->pipes_at_end = count_pipe_fds ();
}

static void
run_echo_to_the_end (FdCounts *counts)
{
  g_autoptr(TpxProcessTransport) transport = spawn_helper ("echo", NULL);
  TpxTestRecorder *rec = tpx_test_recorder_new (transport);
  gpointer weak = transport;

  g_object_add_weak_pointer (G_OBJECT (transport), &weak);
  if (counts != NULL)
    {
      counts->fds_during = tpx_test_count_fds ();
      counts->pipes_during = count_pipe_fds ();
      g_signal_connect (transport, "process-ended", G_CALLBACK (count_pipes_at_end_cb), counts);
    }

  tpx_process_transport_write (transport, (const guint8 *) "abc", 3);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  assert_well_formed (rec, std_pipes, G_N_ELEMENTS (std_pipes));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "abc");

  tpx_test_recorder_free (rec);
  g_clear_object (&transport);
  run_until_cond (pointer_is_null_cb, &weak, FALSE);
}

static void
test_no_fd_leak (void)
{
  FdCounts counts = { 0 };
  guint before, pipes_before, after;

  /* A first run creates whatever lives as long as the process. */
  run_echo_to_the_end (NULL);

  before = tpx_test_count_fds ();
  pipes_before = count_pipe_fds ();
  run_echo_to_the_end (&counts);
  after = tpx_test_count_fds ();

  g_test_message ("fds: %u before, %u during, %u after; pipes: %u before, %u during, %u at the end",
                  before, counts.fds_during, after,
                  pipes_before, counts.pipes_during, counts.pipes_at_end);

  /* Three pipes while it runs, none left when process-ended is emitted,
   * and nothing at all once the transport is gone. */
  g_assert_cmpuint (counts.pipes_during, ==, pipes_before + 3);
  g_assert_cmpuint (counts.pipes_at_end, ==, pipes_before);
  g_assert_cmpuint (after, ==, before);
  tpx_test_assert_no_children ();
}

/* ------------------------------------------------------------------ */

typedef struct
{
  GString  *text;
  gboolean  ended;
} DataReceived;

static void
data_received_cb (TpxProcessTransport *transport,
                  int                  child_fd,
                  gconstpointer        data,
                  int                  len,
                  gpointer             user_data)
{
  DataReceived *dr = user_data;

  g_assert_cmpint (child_fd, ==, 1);
  g_assert_cmpint (len, >, 0);
  g_string_append_len (dr->text, data, len);
}

static void
data_received_ended_cb (TpxProcessTransport *transport,
                        TpxProcessStatus    *status,
                        gpointer             user_data)
{
  ((DataReceived *) user_data)->ended = TRUE;
}

/* data-received: the same bytes as child-data, as a plain array, for
 * bindings; a handler of it alone is enough to get the data read. */
static void
test_signals_data_received (void)
{
  g_auto(GStrv) argv = tpx_test_helper_argv ("big", "300000", NULL);
  g_autoptr(TpxProcessTransport) transport = tpx_test_spawn_helper (NULL, (const char * const *) argv);
  DataReceived dr = { g_string_new (NULL), FALSE };

  g_signal_connect (transport, "data-received", G_CALLBACK (data_received_cb), &dr);
  g_signal_connect (transport, "process-ended", G_CALLBACK (data_received_ended_cb), &dr);
  tpx_test_run_until (&dr.ended, 60000);

  g_assert_cmpuint (dr.text->len, ==, 300000);
  for (gsize i = 0; i < dr.text->len; i++)
    if (dr.text->str[i] != (char) ('0' + i % 10))
      g_assert_cmpuint (i, ==, G_MAXSIZE);
  g_string_free (dr.text, TRUE);
}

int
main (int    argc,
      char **argv)
{
  /* Start as a plain C program does, with SIGPIPE killing the process
   * (meson may have started us with it ignored). */
  signal (SIGPIPE, SIG_DFL);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/process-transport/signals/order", test_signals_order);
  g_test_add_func ("/tpx/process-transport/signals/exit-without-reading", test_signals_exit_without_reading);
  g_test_add_func ("/tpx/process-transport/signals/stderr", test_signals_stderr);
  g_test_add_func ("/tpx/process-transport/signals/data-received", test_signals_data_received);

  g_test_add_func ("/tpx/process-transport/write/no-block", test_write_no_block);
  g_test_add_func ("/tpx/process-transport/write/bytes-no-block", test_write_bytes_no_block);
  g_test_add_func ("/tpx/process-transport/write/idle-child", test_write_never_blocks_on_idle_child);
  g_test_add_func ("/tpx/process-transport/write/order", test_write_order);
  g_test_add_data_func ("/tpx/process-transport/write/bulk/read", "echo", test_write_bulk);
  g_test_add_data_func ("/tpx/process-transport/write/bulk/spliced-on", "splice-echo", test_write_bulk);
  g_test_add_func ("/tpx/process-transport/write/flush-on-close", test_write_flush_on_close);
  g_test_add_func ("/tpx/process-transport/write/flush-on-close-child-fd", test_write_flush_on_close_child_fd);
  g_test_add_func ("/tpx/process-transport/write/flush-on-lose-connection", test_write_flush_on_lose_connection);
  g_test_add_func ("/tpx/process-transport/write/after-close-dropped", test_write_after_close_dropped);
  g_test_add_func ("/tpx/process-transport/write/to-child-errors", test_write_to_child_errors);
  g_test_add_func ("/tpx/process-transport/write/reader-gone", test_write_reader_gone);

  g_test_add_func ("/tpx/process-transport/close/stdout-in-handler", test_close_stdout_in_handler);
  g_test_add_func ("/tpx/process-transport/close/stdout-at-once", test_close_stdout_at_once);
  g_test_add_func ("/tpx/process-transport/close/stderr", test_close_stderr);
  g_test_add_func ("/tpx/process-transport/close/child-fd-read", test_close_child_fd_read);
  g_test_add_func ("/tpx/process-transport/close/child-fd-unknown", test_close_child_fd_unknown);

  g_test_add_func ("/tpx/process-transport/lose-connection/basic", test_lose_connection);
  g_test_add_func ("/tpx/process-transport/lose-connection/child-alive", test_lose_connection_child_alive);

  g_test_add_func ("/tpx/process-transport/output/all-before-ended", test_output_all_before_ended);
  g_test_add_func ("/tpx/process-transport/output/grandchild", test_output_grandchild);

  for (gsize i = 0; i < G_N_ELEMENTS (signal_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tpx/process-transport/signal/name/%s",
                                               signal_cases[i].name);

      g_test_add_data_func (path, &signal_cases[i], test_signal_process_name);
    }
  g_test_add_func ("/tpx/process-transport/signal/stop-cont", test_signal_stop_cont);
  g_test_add_func ("/tpx/process-transport/signal/invalid", test_signal_invalid);
  g_test_add_func ("/tpx/process-transport/signal/exited-already", test_signal_exited_already);
  g_test_add_func ("/tpx/process-transport/signal/ignored-term", test_signal_ignored_term);
  g_test_add_func ("/tpx/process-transport/signal/send-signal", test_send_signal);

  g_test_add_func ("/tpx/process-transport/producer/pause-resume", test_pause_resume);
  g_test_add_func ("/tpx/process-transport/producer/pause-mid-stream", test_pause_resume_mid_stream);

  g_test_add_func ("/tpx/process-transport/lifetime/dropped-reference", test_lifetime_dropped_reference);
  g_test_add_func ("/tpx/process-transport/lifetime/no-implicit-kill", test_lifetime_dropped_reference_no_kill);

  g_test_add_func ("/tpx/process-transport/status/pid-and-status", test_pid_and_status);
  g_test_add_func ("/tpx/process-transport/status/pid-is-the-child", test_pid_is_the_child);

  g_test_add_func ("/tpx/process-transport/context/thread-default", test_context_thread_default);
  g_test_add_func ("/tpx/process-transport/context/other-thread", test_context_other_thread);

  g_test_add_func ("/tpx/process-transport/no-fd-leak", test_no_fd_leak);

  return g_test_run ();
}
