/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * gpg-fds: talk to a child on file descriptors other than 0, 1 and 2, the
 * way gpg takes a passphrase on one fd and reports its status on another.
 *
 * The child fd map is {0: w, 1: r, 2: 2, 3: w, 4: r}: pipes for stdin and
 * stdout, the child's stderr is our own, and two more pipes, fd 3 from us to
 * the child and fd 4 from the child to us. The parent writes a message to
 * the child's fd 3 and closes it; the child copies fd 3 to fd 4 and says on
 * stdout how much it copied; the parent checks that the message came back.
 *
 * So that nothing needs to be installed, the child is this program again,
 * started as `tpx-example-gpg-fds --child`.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tpx/tpx.h>

static const char message[] = "a passphrase travels down fd 3 and comes back up fd 4\n";

/* ------------------------------------------------------------------ */
/* The child side */

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

static int
run_child (void)
{
  char buffer[4096];
  gsize total = 0;
  g_autofree char *report = NULL;

  for (;;)
    {
      ssize_t n = read (3, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return EXIT_FAILURE;
      if (n == 0)
        break;
      if (!write_all (4, buffer, (gsize) n))
        return EXIT_FAILURE;
      total += (gsize) n;
    }

  report = g_strdup_printf ("child: copied %" G_GSIZE_FORMAT " bytes from fd 3 to fd 4\n", total);

  return write_all (1, report, strlen (report)) ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------------ */
/* The parent side */

#define FDS_TYPE_PROTOCOL (fds_protocol_get_type ())
G_DECLARE_FINAL_TYPE (FdsProtocol, fds_protocol, FDS, PROTOCOL, TpxProcessProtocol)

struct _FdsProtocol
{
  TpxProcessProtocol  parent_instance;

  GString            *from_fd4;  /* the message, on its way back */
  GString            *from_fd1;  /* the child's report */
  gboolean            success;
  GMainLoop          *loop;
};

G_DEFINE_FINAL_TYPE (FdsProtocol, fds_protocol, TPX_TYPE_PROCESS_PROTOCOL)

static void
fds_protocol_connection_made (TpxProcessProtocol  *protocol,
                              TpxProcessTransport *transport)
{
  g_autoptr(GError) error = NULL;

  /* The child reads fd 3 to its end: write the message, then close it.
   * It never reads stdin, so close that too. */
  if (!tpx_process_transport_write_to_child (transport, 3, (const guint8 *) message,
                                             strlen (message), &error))
    g_printerr ("gpg-fds: %s\n", error->message);
  tpx_process_transport_close_child_fd (transport, 3);
  tpx_process_transport_close_child_fd (transport, 0);
}

/* Not out_received: with extra fds, everything comes through here. */
static void
fds_protocol_child_data_received (TpxProcessProtocol *protocol,
                                  int                 child_fd,
                                  GBytes             *data)
{
  FdsProtocol *self = FDS_PROTOCOL (protocol);
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  if (child_fd == 4)
    g_string_append_len (self->from_fd4, text, len);
  else if (child_fd == 1)
    g_string_append_len (self->from_fd1, text, len);
}

static void
fds_protocol_process_ended (TpxProcessProtocol *protocol,
                            TpxProcessStatus   *status)
{
  FdsProtocol *self = FDS_PROTOCOL (protocol);
  g_autoptr(GError) error = NULL;

  g_print ("sent on fd 3: %s", message);
  g_print ("read on fd 4: %s", self->from_fd4->str);
  g_print ("read on fd 1: %s", self->from_fd1->str);

  if (!tpx_process_status_check (status, &error))
    g_printerr ("gpg-fds: %s\n", error->message);
  else if (strcmp (self->from_fd4->str, message) != 0)
    g_printerr ("gpg-fds: the message did not come back intact\n");
  else
    self->success = TRUE;

  g_print ("%s\n", self->success ? "round trip ok" : "round trip FAILED");
  g_main_loop_quit (self->loop);
}

static void
fds_protocol_finalize (GObject *object)
{
  FdsProtocol *self = FDS_PROTOCOL (object);

  g_string_free (self->from_fd4, TRUE);
  g_string_free (self->from_fd1, TRUE);
  g_clear_pointer (&self->loop, g_main_loop_unref);

  G_OBJECT_CLASS (fds_protocol_parent_class)->finalize (object);
}

static void
fds_protocol_class_init (FdsProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  TpxProcessProtocolClass *protocol_class = TPX_PROCESS_PROTOCOL_CLASS (klass);

  object_class->finalize = fds_protocol_finalize;

  protocol_class->connection_made = fds_protocol_connection_made;
  protocol_class->child_data_received = fds_protocol_child_data_received;
  protocol_class->process_ended = fds_protocol_process_ended;
}

static void
fds_protocol_init (FdsProtocol *self)
{
  self->from_fd4 = g_string_new (NULL);
  self->from_fd1 = g_string_new (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(FdsProtocol) protocol = NULL;
  g_autoptr(TpxProcessLauncher) launcher = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *self_path = NULL;

  if (argc > 1 && strcmp (argv[1], "--child") == 0)
    return run_child ();

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path == NULL)
    self_path = g_strdup (argv[0]);

  launcher = tpx_process_launcher_new ();
  if (!tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:2,3:w,4:r", &error))
    {
      g_printerr ("gpg-fds: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  protocol = g_object_new (FDS_TYPE_PROTOCOL, NULL);
  protocol->loop = g_main_loop_ref (loop);

  transport = tpx_process_launcher_spawn (launcher, TPX_PROCESS_PROTOCOL (protocol), self_path,
                                          (const char * const[]) { argv[0], "--child", NULL },
                                          &error);
  if (transport == NULL)
    {
      g_printerr ("gpg-fds: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_main_loop_run (loop);

  return protocol->success ? EXIT_SUCCESS : EXIT_FAILURE;
}
