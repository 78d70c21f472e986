/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * wc: count the lines, words and characters of a text with wc(1).
 *
 *   tpx-example-wc [TEXT]
 *
 * The protocol writes the text to the child's standard input as soon as the
 * child is running and closes it, so that wc sees the end of its input. It
 * collects what wc prints (it may arrive in several pieces), reads the three
 * numbers once standard output is closed, and stops the main loop when the
 * child's life is over.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

#define WC_TYPE_PROTOCOL (wc_protocol_get_type ())
G_DECLARE_FINAL_TYPE (WcProtocol, wc_protocol, WC, PROTOCOL, TpxProcessProtocol)

struct _WcProtocol
{
  TpxProcessProtocol  parent_instance;

  char               *text;     /* what to count */
  GString            *output;   /* what wc printed so far */
  gboolean            counted;
  GMainLoop          *loop;
};

G_DEFINE_FINAL_TYPE (WcProtocol, wc_protocol, TPX_TYPE_PROCESS_PROTOCOL)

/* The child is running: feed it, then tell it there is no more. */
static void
wc_protocol_connection_made (TpxProcessProtocol  *protocol,
                             TpxProcessTransport *transport)
{
  WcProtocol *self = WC_PROTOCOL (protocol);

  tpx_process_transport_write (transport, (const guint8 *) self->text, strlen (self->text));
  tpx_process_transport_close_stdin (transport);
}

static void
wc_protocol_out_received (TpxProcessProtocol *protocol,
                          GBytes             *data)
{
  WcProtocol *self = WC_PROTOCOL (protocol);
  gsize len = 0;
  const char *chunk = g_bytes_get_data (data, &len);

  g_string_append_len (self->output, chunk, len);
}

/* wc closed its standard output: everything it had to say is here. */
static void
wc_protocol_out_connection_lost (TpxProcessProtocol *protocol)
{
  WcProtocol *self = WC_PROTOCOL (protocol);
  guint64 counts[3];
  char *p = self->output->str;

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      char *end = NULL;

      counts[i] = g_ascii_strtoull (p, &end, 10);
      if (end == p)
        {
          g_printerr ("wc: cannot read the counts in \"%s\"\n", self->output->str);
          return;
        }
      p = end;
    }

  self->counted = TRUE;
  g_print ("lines %" G_GUINT64_FORMAT " words %" G_GUINT64_FORMAT " chars %" G_GUINT64_FORMAT "\n",
           counts[0], counts[1], counts[2]);
}

static void
wc_protocol_process_ended (TpxProcessProtocol *protocol,
                           TpxProcessStatus   *status)
{
  WcProtocol *self = WC_PROTOCOL (protocol);
  g_autoptr(GError) error = NULL;

  if (!tpx_process_status_check (status, &error))
    {
      g_printerr ("wc: %s\n", error->message);
      self->counted = FALSE;
    }

  g_main_loop_quit (self->loop);
}

static void
wc_protocol_finalize (GObject *object)
{
  WcProtocol *self = WC_PROTOCOL (object);

  g_free (self->text);
  g_string_free (self->output, TRUE);
  g_main_loop_unref (self->loop);

  G_OBJECT_CLASS (wc_protocol_parent_class)->finalize (object);
}

static void
wc_protocol_class_init (WcProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = wc_protocol_finalize;

  protocol_class->connection_made = wc_protocol_connection_made;
  protocol_class->out_received = wc_protocol_out_received;
  protocol_class->out_connection_lost = wc_protocol_out_connection_lost;
  protocol_class->process_ended = wc_protocol_process_ended;
}

static void
wc_protocol_init (WcProtocol *self)
{
  self->output = g_string_new (NULL);
}

static WcProtocol *
wc_protocol_new (const char *text,
                 GMainLoop  *loop)
{
  WcProtocol *self = g_object_new (WC_TYPE_PROTOCOL, NULL);

  self->text = g_strdup (text);
  self->loop = g_main_loop_ref (loop);

  return self;
}

int
main (int   argc,
      char *argv[])
{
  const char *text = "tpx runs child processes\non the GLib main loop.\n";
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(WcProtocol) protocol = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  if (argc > 1)
    text = argv[1];

  protocol = wc_protocol_new (text, loop);

  /* No environment: "wc" is looked up in /bin:/usr/bin, and runs in the C
   * locale, so characters are bytes. */
  transport = tpx_spawn_process (TPX_PROCESS_PROTOCOL (protocol), "wc",
                                 (const char * const[]) { "wc", NULL },
                                 NULL, NULL, &error);
  if (transport == NULL)
    {
      g_printerr ("wc: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_main_loop_run (loop);

  return protocol->counted ? EXIT_SUCCESS : EXIT_FAILURE;
}
