/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * pty-stderr: run a program on a terminal, with its standard error kept
 * apart on a pipe.
 *
 *   tpx-example-pty-stderr [PROGRAM ARG...]
 *
 * The child fd map is {0: p, 1: p, 2: r}: the child's stdin and stdout are
 * one pseudo-terminal (so it line-buffers, colours its output, and asks
 * isatty() with success), its stderr is a pipe of its own. The terminal's
 * output arrives as fd 1 (out_received), with the terminal's \r\n line
 * ends; stderr arrives as fd 2 (err_received), untouched.
 *
 * Without arguments the child is a shell script that says which of its
 * fds are a terminal, then writes a line to stderr. With arguments, it is
 * that program: `tpx-example-pty-stderr ls --color=auto -d / /nonexistent`
 * shows ls colouring its output for the terminal, and its complaint apart.
 * The child inherits our environment, with TERM set if we have none, since
 * programs look there for what the terminal can do.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

static const char script[] =
  "for fd in 0 1 2; do "
  "if [ -t $fd ]; then echo \"fd $fd: a terminal\"; "
  "else echo \"fd $fd: not a terminal\"; fi; "
  "done; "
  "echo 'this line went to stderr' >&2";

#define PTY_TYPE_PROTOCOL (pty_protocol_get_type ())
G_DECLARE_FINAL_TYPE (PtyProtocol, pty_protocol, PTY, PROTOCOL, TpxProcessProtocol)

struct _PtyProtocol
{
  TpxProcessProtocol  parent_instance;

  GString            *terminal;  /* what came through the terminal */
  GString            *errors;    /* what came through the stderr pipe */
  gboolean            ran;
  GMainLoop          *loop;
};

G_DEFINE_FINAL_TYPE (PtyProtocol, pty_protocol, TPX_TYPE_PROCESS_PROTOCOL)

/* Everything the terminal carries comes as fd 1, so here. */
static void
pty_protocol_out_received (TpxProcessProtocol *protocol,
                           GBytes             *data)
{
  PtyProtocol *self = PTY_PROTOCOL (protocol);
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  g_string_append_len (self->terminal, text, len);
}

static void
pty_protocol_err_received (TpxProcessProtocol *protocol,
                           GBytes             *data)
{
  PtyProtocol *self = PTY_PROTOCOL (protocol);
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  g_string_append_len (self->errors, text, len);
}

/* Prints each line of @text after @prefix, without the terminal's \r. */
static void
print_lines (const char *prefix,
             GString    *text)
{
  g_auto(GStrv) lines = NULL;

  g_string_replace (text, "\r\n", "\n", 0);
  if (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);
  if (text->len == 0)
    return;

  lines = g_strsplit (text->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_print ("%s: %s\n", prefix, lines[i]);
}

static void
pty_protocol_process_ended (TpxProcessProtocol *protocol,
                            TpxProcessStatus   *status)
{
  PtyProtocol *self = PTY_PROTOCOL (protocol);

  print_lines ("terminal", self->terminal);
  print_lines ("stderr", self->errors);
  if (tpx_process_status_get_signal (status) != 0)
    g_print ("killed by signal %d\n", tpx_process_status_get_signal (status));
  else
    g_print ("exit code %d\n", tpx_process_status_get_exit_code (status));

  self->ran = TRUE;
  g_main_loop_quit (self->loop);
}

static void
pty_protocol_finalize (GObject *object)
{
  PtyProtocol *self = PTY_PROTOCOL (object);

  g_string_free (self->terminal, TRUE);
  g_string_free (self->errors, TRUE);
  g_clear_pointer (&self->loop, g_main_loop_unref);

  G_OBJECT_CLASS (pty_protocol_parent_class)->finalize (object);
}

static void
pty_protocol_class_init (PtyProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = pty_protocol_finalize;

  protocol_class->out_received = pty_protocol_out_received;
  protocol_class->err_received = pty_protocol_err_received;
  protocol_class->process_ended = pty_protocol_process_ended;
}

static void
pty_protocol_init (PtyProtocol *self)
{
  self->terminal = g_string_new (NULL);
  self->errors = g_string_new (NULL);
}

int
main (int   argc,
      char *argv[])
{
  const char *default_argv[] = { "/bin/sh", "-c", script, NULL };
  const char * const *child_argv = argc > 1 ? (const char * const *) argv + 1 : default_argv;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(PtyProtocol) protocol = NULL;
  g_autoptr(TpxProcessLauncher) launcher = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  launcher = tpx_process_launcher_new ();
  tpx_process_launcher_inherit_environ (launcher);
  tpx_process_launcher_setenv (launcher, "TERM", "xterm-256color", FALSE);
  /* fds 0 and 1 on one terminal, fd 2 a pipe: "0:p,1:p,2:r". */
  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 0, TPX_CHILD_FD_PTY, -1);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_PTY, -1);
  tpx_process_launcher_set_child_fd (launcher, 2, TPX_CHILD_FD_READ, -1);

  loop = g_main_loop_new (NULL, FALSE);
  protocol = g_object_new (PTY_TYPE_PROTOCOL, NULL);
  protocol->loop = g_main_loop_ref (loop);

  transport = tpx_process_launcher_spawn (launcher, TPX_PROCESS_PROTOCOL (protocol),
                                          child_argv[0], child_argv, &error);
  if (transport == NULL)
    {
      g_printerr ("pty-stderr: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_main_loop_run (loop);

  return protocol->ran ? EXIT_SUCCESS : EXIT_FAILURE;
}
