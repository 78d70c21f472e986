/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * libFuzzer target: the line splitting of TpxLineProtocol, which takes
 * whatever bytes a child writes.
 *
 * Input: byte 0 picks max-line-length (1 … 32, or the default 65536),
 * byte 1 seeds the sizes of the reads; the rest is what the child wrote.
 * The bytes are fed three ways: in one read, in reads of pseudo-random
 * sizes, one byte per read; then the pipe closes. Each way must give the
 * same lines (DESIGN.md §10.2: where reads end does not matter), every
 * line valid UTF-8, no longer than max-line-length bytes before invalid
 * bytes became U+FFFD (so at most three times that), and the protocol
 * never holding more than max-line-length + 2 bytes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

#include "tpx-line-protocol-private.h"

typedef struct {
  GString *lines;     /* each line and a '\n' */
  gsize    max;
  gsize    max_held;
} Run;

static G_GNUC_NORETURN void
fail (const char *what)
{
  fprintf (stderr, "fuzz-line-protocol: %s\n", what);
  abort ();
}

static void
line_received_cb (TpxLineProtocol *protocol,
                  int              child_fd,
                  const char      *line,
                  gpointer         user_data)
{
  Run *run = user_data;
  gsize len = strlen (line);

  if (child_fd != 1)
    fail ("a line from the wrong fd");
  if (!g_utf8_validate (line, -1, NULL))
    fail ("a line that is not valid UTF-8");
  if (len > run->max * 3)
    fail ("a line longer than max-line-length allows");
  if (strchr (line, '\n') != NULL)
    fail ("a newline inside a line");

  g_string_append_len (run->lines, line, (gssize) len);
  g_string_append_c (run->lines, '\n');
  run->max_held = MAX (run->max_held, tpx_line_protocol_get_buffered_size (protocol));
}

static void
feed (TpxLineProtocol *protocol,
      const uint8_t   *data,
      size_t           len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  TPX_PROCESS_PROTOCOL_GET_CLASS (protocol)->child_data_received (TPX_PROCESS_PROTOCOL (protocol),
                                                                  1, bytes);
}

/* @step 0: one read; 1: one byte per read; else reads sized from @seed. */
static char *
split (const uint8_t *data,
       size_t         size,
       gsize          max,
       guint          step,
       guint          seed)
{
  g_autoptr(TpxLineProtocol) protocol = tpx_line_protocol_new ();
  Run run = { g_string_new (NULL), max, 0 };

  tpx_line_protocol_set_max_line_length (protocol, max);
  g_signal_connect (protocol, "line-received", G_CALLBACK (line_received_cb), &run);

  for (size_t done = 0; done < size;)
    {
      size_t n = size - done;

      if (step == 1)
        n = 1;
      else if (step > 1)
        {
          seed = seed * 1103515245u + 12345u;
          n = MIN (n, 1 + (seed >> 16) % 17);
        }
      feed (protocol, data + done, n);
      done += n;
    }
  TPX_PROCESS_PROTOCOL_GET_CLASS (protocol)->child_connection_lost (TPX_PROCESS_PROTOCOL (protocol), 1);

  if (run.max_held > max + 2)
    fail ("more than max-line-length + 2 bytes held");
  if (tpx_line_protocol_get_buffered_size (protocol) != 0)
    fail ("bytes still held after the pipe closed");

  return g_string_free (run.lines, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *whole = NULL;
  g_autofree char *bytewise = NULL;
  g_autofree char *chunked = NULL;
  gsize max;
  guint seed;

  if (size < 2)
    return 0;

  max = data[0] >= 0xe0 ? 65536 : 1 + data[0] % 32;
  seed = data[1];
  data += 2;
  size -= 2;

  whole = split (data, size, max, 0, 0);
  bytewise = split (data, size, max, 1, 0);
  chunked = split (data, size, max, 2, seed);

  if (strcmp (whole, bytewise) != 0)
    fail ("one byte per read gives other lines than one read");
  if (strcmp (whole, chunked) != 0)
    fail ("reads of other sizes give other lines than one read");

  return 0;
}
