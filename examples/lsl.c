/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * lsl: list a directory with `ls -l` and read what it prints line by line,
 * with a TpxLineProtocol.
 *
 *   tpx-example-lsl [DIRECTORY]
 *
 * The protocol's line-received signal hands over one line at a time,
 * without its newline, however the reads cut ls's output. Each entry is
 * printed as its kind, its size and its name, then a summary. ls runs with
 * an empty environment (Twisted's default): found in /bin:/usr/bin, it
 * prints in the C locale, so the layout of its lines is known. Lines of
 * its standard error come through the same signal, on fd 2.
 */

#include <stdio.h>
#include <string.h>

#include <tpx/tpx.h>

typedef struct {
  GMainLoop *loop;
  guint      n_entries;
  guint64    file_bytes;
  gboolean   ok;
} Listing;

/* The next field of a line of `ls -l`, or NULL at its end. */
static const char *
next_field (const char **cursor,
            gsize       *len)
{
  const char *start = *cursor;

  while (*start == ' ')
    start++;
  if (*start == '\0')
    return NULL;
  *len = strcspn (start, " ");
  *cursor = start + *len;

  return start;
}

static void
entry_line (Listing    *listing,
            const char *line)
{
  const char *cursor = line;
  const char *mode, *size = NULL, *name;
  gsize mode_len, size_len = 0, len;
  const char *kind;

  /* mode, links, owner, group, size, month, day, time or year, name */
  mode = next_field (&cursor, &mode_len);
  for (int i = 1; i < 8 && mode != NULL; i++)
    {
      const char *field = next_field (&cursor, &len);

      if (field == NULL)
        return;
      if (i == 4)
        {
          size = field;
          size_len = len;
        }
    }
  name = cursor;
  while (*name == ' ')
    name++;
  if (mode == NULL || *name == '\0')
    return;

  switch (mode[0])
    {
    case '-':
      kind = "file";
      listing->file_bytes += g_ascii_strtoull (size, NULL, 10);
      break;
    case 'd':
      kind = "dir";
      break;
    case 'l':
      kind = "link";
      break;
    default:
      kind = "other";
    }

  listing->n_entries++;
  if (mode[0] == 'l' && strstr (name, " -> ") != NULL)
    printf ("%s %.*s %.*s\n", kind, (int) size_len, size,
            (int) (strstr (name, " -> ") - name), name);
  else if (mode[0] == '-')
    printf ("%s %.*s %s\n", kind, (int) size_len, size, name);
  else
    printf ("%s - %s\n", kind, name);
}

static void
line_received_cb (TpxLineProtocol *protocol,
                  int              child_fd,
                  const char      *line,
                  gpointer         user_data)
{
  Listing *listing = user_data;

  if (child_fd == 2)
    g_printerr ("ls says: %s\n", line);
  else if (!g_str_has_prefix (line, "total "))
    entry_line (listing, line);
}

static void
process_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  Listing *listing = user_data;
  g_autoptr(GError) error = NULL;

  listing->ok = tpx_process_status_check (status, &error);
  if (listing->ok)
    printf ("%u entries, %" G_GUINT64_FORMAT " bytes in files\n",
            listing->n_entries, listing->file_bytes);
  else
    g_printerr ("lsl: %s\n", error->message);

  g_main_loop_quit (listing->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TpxLineProtocol) protocol = tpx_line_protocol_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  const char *directory = argc > 1 ? argv[1] : ".";
  Listing listing = { loop, 0, 0, FALSE };

  g_signal_connect (protocol, "line-received", G_CALLBACK (line_received_cb), &listing);

  transport = tpx_spawn_process (TPX_PROCESS_PROTOCOL (protocol), "ls",
                                 (const char * const[]) { "ls", "-l", "--", directory, NULL },
                                 NULL, NULL, &error);
  if (transport == NULL)
    {
      g_printerr ("lsl: %s\n", error->message);
      return 1;
    }
  g_signal_connect (transport, "process-ended", G_CALLBACK (process_ended_cb), &listing);

  g_main_loop_run (loop);

  return listing.ok ? 0 : 1;
}
