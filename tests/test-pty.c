/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Pseudo-terminals, sessions and process groups: a child under a PTY sees a
 * terminal on fds 0-2, leads its own session, owns the terminal, reads the
 * window size the parent sets, and everything it writes arrives as child
 * fd 1 before process-ended. Sessions and groups are checked with the
 * helper's `pgrp` mode and by signalling a grandchild through its group.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 10000
#define BIG_OUTPUT (200 * 1000)

/* Waits until the text received on one child fd contains a string. */
typedef struct
{
  TpxTestRecorder *rec;
  int              child_fd;
  const char      *needle;
  gboolean         found;
} TextWait;

static void
text_wait_data_cb (TpxProcessTransport *transport,
                   int                  child_fd,
                   GBytes              *data,
                   gpointer             user_data)
{
  TextWait *wait = user_data;

  /* Connected after the recorder's handler, so its buffer is up to date. */
  if (child_fd == wait->child_fd &&
      strstr (tpx_test_recorder_text (wait->rec, child_fd), wait->needle) != NULL)
    wait->found = TRUE;
}

static void
wait_for_text (TpxTestRecorder *rec,
               int              child_fd,
               const char      *needle)
{
  TextWait wait = { rec, child_fd, needle, FALSE };
  gulong id;

  if (strstr (tpx_test_recorder_text (rec, child_fd), needle) != NULL)
    return;

  id = g_signal_connect (rec->transport, "child-data", G_CALLBACK (text_wait_data_cb), &wait);
  tpx_test_run_until (&wait.found, TIMEOUT_MS);
  g_signal_handler_disconnect (rec->transport, id);
}

/* The recorded text of fd 1 without the '\r' a terminal adds before '\n'. */
static char *
terminal_text (TpxTestRecorder *rec)
{
  const char *text = tpx_test_recorder_text (rec, 1);
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\r')
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}

static gboolean
has_event (TpxTestRecorder *rec,
           const char      *event)
{
  return g_ptr_array_find_with_equal_func (rec->events, event, g_str_equal, NULL);
}

static gboolean
has_event_prefix (TpxTestRecorder *rec,
                  const char      *prefix)
{
  for (guint i = 0; i < rec->events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (rec->events, i), prefix))
      return TRUE;

  return FALSE;
}

static void
assert_last_event_is_ended (TpxTestRecorder *rec)
{
  g_autofree char *trace = tpx_test_recorder_trace (rec);

  g_test_message ("events: %s", trace);
  g_assert_cmpuint (rec->n_ended, ==, 1);
  g_assert_cmpuint (rec->events->len, >, 0);
  g_assert_cmpstr (g_ptr_array_index (rec->events, rec->events->len - 1), ==, "ended");
}

static TpxProcessLauncher *
pty_launcher_new (void)
{
  TpxProcessLauncher *launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_use_pty (launcher, TRUE);

  return launcher;
}

static TpxProcessTransport *
spawn_helper (TpxProcessLauncher *launcher,
              const char         *mode,
              const char         *arg)
{
  g_auto(GStrv) argv = tpx_test_helper_argv (mode, arg, NULL);
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  g_assert_true (TPX_IS_PROCESS_TRANSPORT (transport));

  return transport;
}

/* Releases the test's last references, then checks nothing is left. */
static void
finish (TpxTestRecorder     *rec,
        TpxProcessTransport *transport,
        guint                fds_before)
{
  tpx_test_recorder_free (rec);
  g_object_unref (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* `pty-info`: a terminal on 0-2, session leader, controlling terminal, the
 * launcher's size, then the transport's new size after SIGWINCH. */
static void
test_pty_info (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  tpx_process_launcher_set_window_size (launcher, 24, 80);
  transport = spawn_helper (launcher, "pty-info", NULL);
  rec = tpx_test_recorder_new (transport);

  /* The helper blocks SIGWINCH before it prints anything, so resizing once
   * the first size is out cannot be missed. */
  wait_for_text (rec, 1, "size 24 80\r\n");
  g_assert_true (tpx_process_transport_set_window_size (transport, 40, 132, &error));
  g_assert_no_error (error);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  text = terminal_text (rec);
  g_assert_cmpstr (text, ==,
                   "tty0 1 tty1 1 tty2 1\n"
                   "leader 1\n"
                   "ctty 1\n"
                   "size 24 80\n"
                   "size 40 132\n");
  tpx_test_assert_exited (rec->end_status, 0);
  assert_last_event_is_ended (rec);

  /* Everything arrives as fd 1; nothing as fd 2. */
  g_assert_cmpuint (rec->data[2]->len, ==, 0);
  g_assert_false (has_event (rec, "data:2"));

  /* The terminal is gone with the child. */
  g_assert_false (tpx_process_transport_set_window_size (transport, 10, 10, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);

  finish (rec, transport, fds_before);
}

/* Without a launcher size the terminal starts at whatever the kernel gives
 * a new PTY (0 x 0 on Linux); a resize still reaches the child. */
static void
test_pty_info_default_size (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "pty-info", NULL);
  rec = tpx_test_recorder_new (transport);

  wait_for_text (rec, 1, "size 0 0\r\n");
  g_assert_true (tpx_process_transport_set_window_size (transport, 5, 7, &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  text = terminal_text (rec);
  g_assert_true (g_str_has_suffix (text, "size 0 0\nsize 5 7\n"));
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

/* An interactive shell: its prompt arrives through child-data(1), it runs
 * what is typed, it has job control (so it owns the terminal), and its exit
 * code comes back. */
static void
test_pty_shell (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *argv[] = { "sh", "-i", NULL };
  const char *command = "echo hello-$((6*7)); tty -s && echo on-a-tty\n";
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  /* A fixed prompt, so that the test does not depend on who runs it. */
  tpx_process_launcher_setenv (launcher, "PS1", "tpx-prompt> ", TRUE);
  tpx_process_launcher_setenv (launcher, "PATH", "/usr/bin:/bin", TRUE);
  transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/sh", argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  wait_for_text (rec, 1, "tpx-prompt> ");
  tpx_process_transport_write (transport, (const guint8 *) command, strlen (command));

  /* The answer, not the terminal's echo of the command: the echo says
   * "$((6*7))". */
  wait_for_text (rec, 1, "\nhello-42\r\n");
  /* The output, then the next prompt (the echoed command line also ends
   * with "on-a-tty"). */
  wait_for_text (rec, 1, "\non-a-tty\r\ntpx-prompt> ");
  tpx_process_transport_write (transport, (const guint8 *) "exit 3\n", 7);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  text = terminal_text (rec);
  g_test_message ("shell session:\n%s", text);
  /* The terminal echoes what is typed. */
  g_assert_nonnull (strstr (text, "echo hello-$((6*7))"));
  /* A shell without a controlling terminal says it cannot do job control. */
  g_assert_null (strstr (text, "job control"));
  g_assert_null (strstr (text, "can't access tty"));
  /* Prompt, command output, prompt again. */
  g_assert_true (g_str_has_prefix (text, "tpx-prompt> "));
  g_assert_nonnull (strstr (text, "hello-42\non-a-tty\ntpx-prompt> exit 3\n"));
  g_assert_cmpuint (rec->data[2]->len, ==, 0);

  tpx_test_assert_exited (rec->end_status, 3);
  assert_last_event_is_ended (rec);

  finish (rec, transport, fds_before);
}

/* A child that writes a lot to the terminal and exits at once: every byte
 * is read (EIO on the master is the end, not an error) before
 * process-ended. */
static void
test_pty_all_output (void)
{
  g_autofree char *count = g_strdup_printf ("%d", BIG_OUTPUT);

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
      TpxProcessTransport *transport;
      TpxTestRecorder *rec;
      guint fds_before = tpx_test_count_fds ();
      GByteArray *out;

      transport = spawn_helper (launcher, "big", count);
      rec = tpx_test_recorder_new (transport);
      tpx_test_recorder_wait (rec, TIMEOUT_MS);

      out = rec->data[1];
      g_assert_cmpuint (out->len, ==, BIG_OUTPUT);
      for (guint i = 0; i < out->len; i++)
        {
          if (out->data[i] != '0' + i % 10)
            g_error ("round %u: byte %u is '%c', not '%c'", round, i, out->data[i], '0' + i % 10);
        }
      tpx_test_assert_exited (rec->end_status, 0);
      assert_last_event_is_ended (rec);
      /* The terminal ends once for reading (fd 1) and for writing (fd 0). */
      g_assert_true (has_event (rec, "lost:1"));
      g_assert_true (has_event (rec, "lost:0"));

      finish (rec, transport, fds_before);
    }
}

/* close_stdin/stdout/stderr (and close_child_fd) do nothing on a terminal:
 * the child still reads what is written and its output still arrives.
 * Typing the terminal's end-of-file character is how the child's input
 * ends. */
static void
test_pty_close_is_noop (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "echo", NULL);
  rec = tpx_test_recorder_new (transport);

  tpx_process_transport_close_stdin (transport);
  tpx_process_transport_close_stdout (transport);
  tpx_process_transport_close_stderr (transport);
  tpx_process_transport_close_child_fd (transport, 0);
  tpx_process_transport_close_child_fd (transport, 1);

  /* A round trip through the child: the terminal's echo, then the child's
   * copy. By then a close would have been announced from the main loop. */
  tpx_process_transport_write (transport, (const guint8 *) "ping\n", 5);
  wait_for_text (rec, 1, "ping\r\nping\r\n");
  g_assert_false (has_event_prefix (rec, "lost:"));
  g_assert_false (rec->exited);

  /* Ctrl-D at the start of a line: read() returns 0 in the child. */
  tpx_process_transport_write (transport, (const guint8 *) "\004", 1);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  assert_last_event_is_ended (rec);

  finish (rec, transport, fds_before);
}

/* lose_connection closes the terminal: the child, which would otherwise
 * wait forever, is hung up (SIGHUP) and ends. */
static void
test_pty_lose_connection (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "sleep-forever", NULL);
  rec = tpx_test_recorder_new (transport);

  wait_for_text (rec, 1, "ready\r\n");
  tpx_process_transport_lose_connection (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_killed (rec->end_status, SIGHUP);
  assert_last_event_is_ended (rec);
  g_assert_true (has_event (rec, "lost:0"));
  g_assert_true (has_event (rec, "lost:1"));
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "ready\r\n");

  finish (rec, transport, fds_before);
}

/* The child side of a terminal is not reachable fd by fd. */
static void
test_pty_write_to_child (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "count-stdin", NULL);
  rec = tpx_test_recorder_new (transport);

  /* fd 0 is the terminal's input; fd 1 and 2 are not written to. */
  g_assert_false (tpx_process_transport_write_to_child (transport, 1, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_write_to_child (transport, 2, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "abc\n", 4, &error));
  g_assert_no_error (error);
  tpx_process_transport_write (transport, (const guint8 *) "\004", 1);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  /* The echo of "abc", then the count: "abc\n" is 4 bytes in the child. */
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "abc\r\n4\r\n");
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

/* A terminal and a custom fd map cannot be combined (as Twisted, which
 * raises ValueError); reported before anything is created. */
static void
test_pty_with_fd_map (void)
{
  const char *maps[] = { "0:w,1:r,2:r,3:r", "0:w,1:r", "0:w,1:r,2:2", "" };
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "0", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
    {
      g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
      g_autoptr(TpxProcessTransport) transport = NULL;
      g_autoptr(GError) error = NULL;
      guint fds_before = tpx_test_count_fds ();

      g_test_message ("map “%s”", maps[i]);
      g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, maps[i], &error));
      g_assert_no_error (error);

      transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                              (const char * const *) argv, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (transport);
      g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
      tpx_test_assert_no_children ();
    }
}

/* The default map spelt out again is still the default: allowed. */
static void
test_pty_with_default_map (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r", &error));
  g_assert_no_error (error);
  transport = spawn_helper (launcher, "write-out", "hi\n");
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "hi\r\n");
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

/* A failure after the terminal was opened leaks neither of its ends. */
static void
test_pty_spawn_error (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  guint fds_before = tpx_test_count_fds ();

  tpx_process_launcher_set_cwd (launcher, "/nonexistent/tpx-test");
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (), NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "chdir"));
  g_assert_null (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();

  g_clear_error (&error);
  tpx_process_launcher_set_cwd (launcher, NULL);
  transport = tpx_process_launcher_spawn (launcher, NULL, "/nonexistent/tpx-test-program", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, fds_before);
  tpx_test_assert_no_children ();
}

/* A PTY-only call on a pipe transport. */
static void
test_pipe_window_size (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  /* Set on the launcher without a PTY: ignored, not an error. */
  tpx_process_launcher_set_window_size (launcher, 24, 80);
  transport = spawn_helper (launcher, "wait-stdin", NULL);
  rec = tpx_test_recorder_new (transport);

  g_assert_false (tpx_process_transport_set_window_size (transport, 24, 80, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

  /* On pipes, close_stdin does close: the child sees end of file. */
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

/* Parses "pid P pgid G sid S". */
static void
parse_pgrp (const char *text,
            int        *pid,
            int        *pgid,
            int        *sid)
{
  g_assert_cmpint (sscanf (text, "pid %d pgid %d sid %d", pid, pgid, sid), ==, 3);
}

static void
run_pgrp (TpxProcessLauncher *launcher,
          int                *child_pid,
          int                *pid,
          int                *pgid,
          int                *sid)
{
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "pgrp", NULL);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  *child_pid = tpx_process_transport_get_pid (transport);
  parse_pgrp (tpx_test_recorder_text (rec, 1), pid, pgid, sid);
  g_assert_cmpint (*pid, ==, *child_pid);

  finish (rec, transport, fds_before);
}

static void
test_session_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  int child_pid, pid, pgid, sid;

  run_pgrp (launcher, &child_pid, &pid, &pgid, &sid);
  g_assert_cmpint (pgid, ==, getpgrp ());
  g_assert_cmpint (sid, ==, getsid (0));
}

static void
test_session_new_session (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  int child_pid, pid, pgid, sid;

  tpx_process_launcher_set_new_session (launcher, TRUE);
  run_pgrp (launcher, &child_pid, &pid, &pgid, &sid);
  g_assert_cmpint (sid, ==, child_pid);
  g_assert_cmpint (pgid, ==, child_pid);

  /* The parent stays where it was. */
  g_assert_cmpint (getsid (0), !=, child_pid);
}

static void
test_session_process_group (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  int child_pid, pid, pgid, sid;

  tpx_process_launcher_set_process_group (launcher, TRUE);
  run_pgrp (launcher, &child_pid, &pid, &pgid, &sid);
  g_assert_cmpint (pgid, ==, child_pid);
  /* Same session as the parent: only the group is new. */
  g_assert_cmpint (sid, ==, getsid (0));
  g_assert_cmpint (getpgrp (), !=, child_pid);
}

static void
test_session_pty (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();
  int child_pid, pid, pgid, sid;

  run_pgrp (launcher, &child_pid, &pid, &pgid, &sid);
  g_assert_cmpint (sid, ==, child_pid);
  g_assert_cmpint (pgid, ==, child_pid);
}

/* signal_process_group reaches a grandchild that stayed in the group: the
 * grandchild holds the child's stdout, so process-ended (which waits for
 * every pipe) can only come once it is dead too. */
static void
check_group_kill (TpxProcessLauncher *launcher)
{
  g_autoptr(GError) error = NULL;
  /* The shell starts the helper in the background (same group), waits. */
  const char *argv[] = { "sh", "-c", "\"$0\" sleep-forever & wait", tpx_test_helper_path (), NULL };
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/sh", argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  /* The grandchild is running once it has said so. */
  wait_for_text (rec, 1, "ready");
  g_assert_true (tpx_process_transport_signal_process_group (transport, "TERM", &error));
  g_assert_no_error (error);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_killed (rec->end_status, SIGTERM);
  assert_last_event_is_ended (rec);

  /* After the reap the group is gone: no signal can go astray. */
  g_assert_false (tpx_process_transport_signal_process_group (transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  finish (rec, transport, fds_before);
}

static void
test_group_signal_process_group (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_process_group (launcher, TRUE);
  check_group_kill (launcher);
}

static void
test_group_signal_new_session (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_new_session (launcher, TRUE);
  check_group_kill (launcher);
}

/* Under a PTY the child leads its own session, hence its own group. The
 * shell is not interactive, so its background job stays in its group. */
static void
test_group_signal_pty (void)
{
  g_autoptr(TpxProcessLauncher) launcher = pty_launcher_new ();

  check_group_kill (launcher);
}

/* Without a group of its own, signalling "the group" would hit the
 * parent's own group: refused. */
static void
test_group_signal_no_group (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  transport = spawn_helper (launcher, "wait-stdin", NULL);
  rec = tpx_test_recorder_new (transport);

  g_assert_false (tpx_process_transport_signal_process_group (transport, "TERM", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_signal_process_group (transport, "0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  /* The child was not signalled. */
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

static void
test_group_signal_bad_name (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  TpxProcessTransport *transport;
  TpxTestRecorder *rec;
  guint fds_before = tpx_test_count_fds ();

  tpx_process_launcher_set_process_group (launcher, TRUE);
  transport = spawn_helper (launcher, "wait-stdin", NULL);
  rec = tpx_test_recorder_new (transport);

  g_assert_false (tpx_process_transport_signal_process_group (transport, "NOPE", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (tpx_process_transport_signal_process_group (transport, "65", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* 0 checks that the group exists. */
  g_assert_true (tpx_process_transport_signal_process_group (transport, "0", &error));
  g_assert_no_error (error);

  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  finish (rec, transport, fds_before);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* The default main context keeps a wake-up fd for the rest of the run:
   * create it now, so that it does not count as a leak in the first test. */
  (void) g_main_context_default ();

  g_test_add_func ("/tpx/pty/info", test_pty_info);
  g_test_add_func ("/tpx/pty/info-default-size", test_pty_info_default_size);
  g_test_add_func ("/tpx/pty/shell", test_pty_shell);
  g_test_add_func ("/tpx/pty/all-output", test_pty_all_output);
  g_test_add_func ("/tpx/pty/close-is-noop", test_pty_close_is_noop);
  g_test_add_func ("/tpx/pty/lose-connection", test_pty_lose_connection);
  g_test_add_func ("/tpx/pty/write-to-child", test_pty_write_to_child);
  g_test_add_func ("/tpx/pty/error/fd-map", test_pty_with_fd_map);
  g_test_add_func ("/tpx/pty/default-fd-map", test_pty_with_default_map);
  g_test_add_func ("/tpx/pty/error/no-leak", test_pty_spawn_error);
  g_test_add_func ("/tpx/pty/error/window-size-on-pipes", test_pipe_window_size);
  g_test_add_func ("/tpx/session/default", test_session_default);
  g_test_add_func ("/tpx/session/new-session", test_session_new_session);
  g_test_add_func ("/tpx/session/process-group", test_session_process_group);
  g_test_add_func ("/tpx/session/pty", test_session_pty);
  g_test_add_func ("/tpx/session/signal-group/process-group", test_group_signal_process_group);
  g_test_add_func ("/tpx/session/signal-group/new-session", test_group_signal_new_session);
  g_test_add_func ("/tpx/session/signal-group/pty", test_group_signal_pty);
  g_test_add_func ("/tpx/session/signal-group/no-group", test_group_signal_no_group);
  g_test_add_func ("/tpx/session/signal-group/bad-name", test_group_signal_bad_name);

  return g_test_run ();
}
