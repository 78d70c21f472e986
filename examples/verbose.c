/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * verbose: say when each method of a process protocol is called.
 *
 * The child is a small shell script that reads one line, answers on its
 * standard output, complains on its standard error and exits with code 3.
 * Each virtual method of the protocol prints one line, so the output shows
 * the order in which a child's life is reported. Standard output and
 * standard error are separate pipes: which of them is reported first
 * depends on timing, and so does the place of "process exited" among the
 * "connection lost" lines; "connection made" always comes first and
 * "process ended" always last.
 */

#include <stdio.h>
#include <stdlib.h>

#include <tpx/tpx.h>

#define VERBOSE_TYPE_PROTOCOL (verbose_protocol_get_type ())
G_DECLARE_FINAL_TYPE (VerboseProtocol, verbose_protocol, VERBOSE, PROTOCOL, TpxProcessProtocol)

struct _VerboseProtocol
{
  TpxProcessProtocol  parent_instance;

  GMainLoop          *loop;
  gboolean            ended;
};

G_DEFINE_FINAL_TYPE (VerboseProtocol, verbose_protocol, TPX_TYPE_PROCESS_PROTOCOL)

static const char script[] =
  "read line\n"
  "echo \"got: $line\"\n"
  "echo 'something went wrong' >&2\n"
  "exit 3\n";

/* Prints @data without its trailing newline. */
static void
print_data (const char *what,
            GBytes     *data)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  if (len > 0 && text[len - 1] == '\n')
    len--;

  g_print ("%s: %.*s\n", what, (int) len, text);
}

static char *
describe_status (TpxProcessStatus *status)
{
  if (tpx_process_status_get_signal (status) != 0)
    return g_strdup_printf ("killed by signal %d", tpx_process_status_get_signal (status));

  return g_strdup_printf ("exit code %d", tpx_process_status_get_exit_code (status));
}

static void
verbose_protocol_connection_made (TpxProcessProtocol  *protocol,
                                  TpxProcessTransport *transport)
{
  g_print ("connection made\n");

  /* Answer the script's `read`, and let it know nothing else follows. */
  tpx_process_transport_write (transport, (const guint8 *) "hello\n", 6);
  tpx_process_transport_close_stdin (transport);
}

static void
verbose_protocol_out_received (TpxProcessProtocol *protocol,
                               GBytes             *data)
{
  print_data ("out received", data);
}

static void
verbose_protocol_err_received (TpxProcessProtocol *protocol,
                               GBytes             *data)
{
  print_data ("err received", data);
}

static void
verbose_protocol_in_connection_lost (TpxProcessProtocol *protocol)
{
  g_print ("in connection lost\n");
}

static void
verbose_protocol_out_connection_lost (TpxProcessProtocol *protocol)
{
  g_print ("out connection lost\n");
}

static void
verbose_protocol_err_connection_lost (TpxProcessProtocol *protocol)
{
  g_print ("err connection lost\n");
}

static void
verbose_protocol_process_exited (TpxProcessProtocol *protocol,
                                 TpxProcessStatus   *status)
{
  g_autofree char *text = describe_status (status);

  g_print ("process exited: %s\n", text);
}

static void
verbose_protocol_process_ended (TpxProcessProtocol *protocol,
                                TpxProcessStatus   *status)
{
  VerboseProtocol *self = VERBOSE_PROTOCOL (protocol);
  g_autofree char *text = describe_status (status);

  g_print ("process ended: %s\n", text);

  self->ended = TRUE;
  g_main_loop_quit (self->loop);
}

static void
verbose_protocol_finalize (GObject *object)
{
  VerboseProtocol *self = VERBOSE_PROTOCOL (object);

  g_clear_pointer (&self->loop, g_main_loop_unref);

  G_OBJECT_CLASS (verbose_protocol_parent_class)->finalize (object);
}

static void
verbose_protocol_class_init (VerboseProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = verbose_protocol_finalize;

  /* child_data_received and child_connection_lost keep their defaults,
   * which call the stdin/stdout/stderr methods below. */
  protocol_class->connection_made = verbose_protocol_connection_made;
  protocol_class->out_received = verbose_protocol_out_received;
  protocol_class->err_received = verbose_protocol_err_received;
  protocol_class->in_connection_lost = verbose_protocol_in_connection_lost;
  protocol_class->out_connection_lost = verbose_protocol_out_connection_lost;
  protocol_class->err_connection_lost = verbose_protocol_err_connection_lost;
  protocol_class->process_exited = verbose_protocol_process_exited;
  protocol_class->process_ended = verbose_protocol_process_ended;
}

static void
verbose_protocol_init (VerboseProtocol *self)
{
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(VerboseProtocol) protocol = g_object_new (VERBOSE_TYPE_PROTOCOL, NULL);
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  protocol->loop = g_main_loop_ref (loop);

  /* Each line is printed as it happens, even into a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  transport = tpx_spawn_process (TPX_PROCESS_PROTOCOL (protocol), "/bin/sh",
                                 (const char * const[]) { "sh", "-c", script, NULL },
                                 NULL, NULL, &error);
  if (transport == NULL)
    {
      g_printerr ("verbose: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_main_loop_run (loop);
  g_print ("main loop done\n");

  return protocol->ended ? EXIT_SUCCESS : EXIT_FAILURE;
}
