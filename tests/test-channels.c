/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * DESIGN §10.4: a pseudo-terminal as one kind of fd among pipes (so that
 * standard error can stay apart), and duplex sockets.
 */

#include "config.h"

#include <string.h>

#include <tpx/tpx.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 60000

/* @arg, @arg2: nullable, in that order. */
static TpxProcessTransport *
spawn_with_map (const char  *map,
                const char  *mode,
                const char  *arg,
                const char  *arg2)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg, arg2, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, map, &error));
  g_assert_no_error (error);
  return tpx_test_spawn_helper (launcher, (const char * const *) argv);
}

static gboolean
has_event (TpxTestRecorder *rec,
           const char      *event)
{
  for (guint i = 0; i < rec->events->len; i++)
    if (g_str_equal (g_ptr_array_index (rec->events, i), event))
      return TRUE;
  return FALSE;
}

/* 0:p,1:p,2:r: a program on a terminal, its standard error apart. */
static void
test_pty_with_stderr_apart (void)
{
  guint fds_before = tpx_test_count_fds ();
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:p,1:p,2:r", "ttys", NULL, NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  /* The terminal's output is fd 1 (with its \r\n); stderr is a pipe. */
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "tty0 1 tty1 1 tty2 0\r\nleader 1 ctty 1\r\n");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "stderr apart\n");
  g_assert_true (has_event (rec, "lost:1"));
  g_assert_true (has_event (rec, "lost:2"));
  g_assert_true (has_event (rec, "lost:0"));

  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
}

/* Writes to any fd on the terminal reach it; close_* on it do nothing;
 * a window size can be set. */
static void
test_pty_writes_and_closes (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:p,1:p,2:r", "count-stdin", NULL, NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_transport_set_window_size (transport, 30, 100, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_stdin (transport);
  tpx_process_transport_close_child_fd (transport, 1);
  g_assert_true (tpx_process_transport_write_to_child (transport, 1, (const guint8 *) "ab\n", 3, &error));
  g_assert_no_error (error);
  g_assert_true (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "c\n\004", 3, &error));
  g_assert_no_error (error);
  /* fd 2 is a read pipe: not written to. */
  g_assert_false (tpx_process_transport_write_to_child (transport, 2, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  /* The echo of both writes, then the count of what the child read. */
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "ab\r\nc\r\n5\r\n");
}

/* A terminal on fd 0 only: its output comes as fd 0, the rest are pipes. */
static void
test_pty_on_stdin_only (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:p,1:r,2:r", "count-stdin", NULL, NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  guint n_lost0 = 0;

  tpx_process_transport_write (transport, (const guint8 *) "abcd\n\004", 6);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "5\n");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 0), ==, "abcd\r\n");
  /* One fd, one loss, although the terminal has two fds of ours. */
  for (guint i = 0; i < rec->events->len; i++)
    n_lost0 += g_str_equal (g_ptr_array_index (rec->events, i), "lost:0");
  g_assert_cmpuint (n_lost0, ==, 1);
}

/* A socket at fd 3, used both ways, with a half-close: the child reads
 * end of file after close_child_fd() and still answers. */
static void
test_socket_half_close (void)
{
  guint fds_before = tpx_test_count_fds ();
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:w,1:r,2:r,3:s", "echo-after-eof", "3", NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_transport_write_to_child (transport, 3, (const guint8 *) "hello ", 6, &error));
  g_assert_true (tpx_process_transport_write_to_child (transport, 3, (const guint8 *) "socket", 6, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, 3);
  /* Closed for writing at once; reading goes on. */
  g_assert_false (tpx_process_transport_write_to_child (transport, 3, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 3), ==, "hello socket");
  g_assert_true (has_event (rec, "lost:3"));

  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
}

/* 64 MiB through a socket, echoed back as it comes, intact. */
static void
test_socket_bulk (void)
{
  const gsize total = 64 * 1024 * 1024;
  const gsize chunk = 1024 * 1024;
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:w,1:r,2:r,3:s", "cat-fd", "3", "3");
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree guint8 *data = g_malloc (total);
  guint32 state = 12345;

  for (gsize i = 0; i < total; i++)
    {
      state = state * 1103515245 + 12345;
      data[i] = state >> 24;
    }

  rec = tpx_test_recorder_new (transport);
  for (gsize off = 0; off < total; off += chunk)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (data + off, chunk);

      g_assert_true (tpx_process_transport_write_bytes_to_child (transport, 3, bytes, NULL));
    }
  tpx_process_transport_close_child_fd (transport, 3);

  tpx_test_recorder_wait (rec, TIMEOUT_MS * 4);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpuint (rec->data[3]->len, ==, total);
  g_assert_true (memcmp (rec->data[3]->data, data, total) == 0);
}

/* Sockets on stdin and stdout, for a child that only reads and writes. */
static void
test_socket_on_stdio (void)
{
  g_autoptr(TpxProcessTransport) transport = spawn_with_map ("0:s,1:s,2:r", "echo", NULL, NULL);
  g_autoptr(TpxTestRecorder) rec = tpx_test_recorder_new (transport);

  tpx_process_transport_write (transport, (const guint8 *) "through sockets\n", 16);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "through sockets\n");
}

static void
test_spec_letters (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:p,1:p,2:r,3:s", &error));
  g_assert_no_error (error);
  g_assert_false (tpx_process_launcher_set_child_fds_from_string (launcher, "0:q", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* use_pty with a custom map stays refused: a map with p is the way. */
  tpx_process_launcher_set_use_pty (launcher, TRUE);
  g_assert_null (tpx_process_launcher_spawn (launcher, NULL, "/bin/true", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Its wake-up fd, made once and for good, is no leak. */
  g_main_context_default ();

  g_test_add_func ("/tpx/channels/pty/stderr-apart", test_pty_with_stderr_apart);
  g_test_add_func ("/tpx/channels/pty/writes-and-closes", test_pty_writes_and_closes);
  g_test_add_func ("/tpx/channels/pty/stdin-only", test_pty_on_stdin_only);
  g_test_add_func ("/tpx/channels/socket/half-close", test_socket_half_close);
  g_test_add_func ("/tpx/channels/socket/bulk", test_socket_bulk);
  g_test_add_func ("/tpx/channels/socket/stdio", test_socket_on_stdio);
  g_test_add_func ("/tpx/channels/spec-letters", test_spec_letters);

  return g_test_run ();
}
