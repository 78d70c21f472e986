/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * libFuzzer target: tpx_process_launcher_set_child_fds_from_string().
 *
 * Every input (up to its first NUL) is a spec string. Besides the
 * sanitizers' own checks, the result must agree with an independent
 * reading of the grammar below, a failure must be a
 * G_IO_ERROR_INVALID_ARGUMENT whose message is valid UTF-8, and a spec
 * that was accepted once is accepted again.
 *
 *   spec  = "" | entry *("," entry)
 *   entry = fd ":" ("w" | "r" | fd)       one entry per child fd
 *   fd    = 1*DIGIT                       child fd < 2^20, parent fd <= G_MAXINT
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

#define MAX_CHILD_FD (1 << 20)

static G_GNUC_NORETURN void
fail (const char *spec,
      const char *what)
{
  fprintf (stderr, "fuzz-child-fds: %s for spec \"%s\"\n", what, spec);
  abort ();
}

/* Reads the digits of [*p, end) up to a non-digit; FALSE if there are none
 * or the value passes @max. */
static gboolean
read_number (const char **p,
             const char  *end,
             gint64       max,
             gint64      *value)
{
  const char *start = *p;

  *value = 0;
  while (*p < end && **p >= '0' && **p <= '9')
    {
      *value = *value * 10 + (**p - '0');
      if (*value > max)
        return FALSE;
      (*p)++;
    }

  return *p > start;
}

static gboolean
spec_is_valid (const char *spec)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gint64 *children = NULL;
  const char *end = spec + strlen (spec);
  const char *p = spec;
  guint n = 0;

  if (p == end)
    return TRUE;

  children = g_new (gint64, strlen (spec) + 1);

  for (;;)
    {
      gint64 child;
      gint64 parent;

      if (!read_number (&p, end, MAX_CHILD_FD - 1, &child))
        return FALSE;
      if (p == end || *p++ != ':')
        return FALSE;
      if (p < end && (*p == 'w' || *p == 'r' || *p == 'p' || *p == 's'))
        p++;
      else if (!read_number (&p, end, G_MAXINT, &parent))
        return FALSE;

      children[n] = child;
      if (g_hash_table_contains (seen, &children[n]))
        return FALSE;
      g_hash_table_add (seen, &children[n]);
      n++;

      if (p == end)
        return TRUE;
      if (*p++ != ',')
        return FALSE;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static TpxProcessLauncher *launcher;
  g_autofree char *spec = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  gboolean accepted;

  if (launcher == NULL)
    launcher = tpx_process_launcher_new ();

  accepted = tpx_process_launcher_set_child_fds_from_string (launcher, spec, &error);

  if (accepted != spec_is_valid (spec))
    fail (spec, accepted ? "accepted an invalid map" : "refused a valid map");

  if (accepted)
    {
      if (error != NULL)
        fail (spec, "accepted with an error set");
      if (!tpx_process_launcher_set_child_fds_from_string (launcher, spec, NULL))
        fail (spec, "accepted once, refused the second time");
    }
  else
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        fail (spec, "refused without G_IO_ERROR_INVALID_ARGUMENT");
      if (!g_utf8_validate (error->message, -1, NULL))
        fail (spec, "error message is not valid UTF-8");
    }

  return 0;
}
