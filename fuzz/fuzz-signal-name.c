/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * libFuzzer target: the signal-name parser of
 * tpx_process_transport_signal_process() (a static function of
 * tpx-process-transport.c), reached through the public call.
 *
 * The transport is that of a child which has already been reaped: the name
 * is parsed first, and then a valid name fails with
 * TPX_PROCESS_ERROR_EXITED_ALREADY (no signal is ever sent, to anyone),
 * an invalid one with G_IO_ERROR_INVALID_ARGUMENT. Which it is must agree
 * with the contract (DESIGN.md §4): Twisted's names with or without "SIG",
 * or a decimal number 0 … 64. Names the contract does not list may go
 * either way, but only if they are upper-case letters and digits.
 * signal_process_group() parses the same way.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

typedef enum {
  NAME_INVALID,
  NAME_VALID,
  NAME_EITHER,
} Verdict;

static const char * const contract_names[] = {
  "KILL", "TERM", "INT", "HUP", "QUIT", "USR1", "USR2", "STOP", "CONT",
};

static TpxProcessTransport *reaped;

static G_GNUC_NORETURN void
fail (const char *name,
      const char *what)
{
  fprintf (stderr, "fuzz-signal-name: %s for \"%s\"\n", what, name);
  abort ();
}

static Verdict
judge (const char *name)
{
  const char *bare = g_str_has_prefix (name, "SIG") ? name + 3 : name;
  gboolean digits = *name != '\0';
  gint64 value = 0;

  for (const char *p = name; *p != '\0' && digits; p++)
    {
      digits = g_ascii_isdigit (*p);
      if (digits && value <= 64)
        value = value * 10 + (*p - '0');
    }
  if (digits)
    return value <= 64 ? NAME_VALID : NAME_INVALID;

  for (gsize i = 0; i < G_N_ELEMENTS (contract_names); i++)
    if (strcmp (bare, contract_names[i]) == 0)
      return NAME_VALID;

  if (*bare == '\0')
    return NAME_INVALID;
  for (const char *p = bare; *p != '\0'; p++)
    if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p))
      return NAME_INVALID;

  return NAME_EITHER;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
exited_cb (TpxProcessTransport *transport,
           TpxProcessStatus    *status,
           gpointer             user_data)
{
  *(gboolean *) user_data = TRUE;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(GError) error = NULL;
  const char *true_argv[] = { "true", NULL };
  gboolean exited = FALSE;
  guint tick;

  reaped = tpx_process_launcher_spawn (launcher, NULL, "/bin/true", true_argv, &error);
  if (reaped == NULL)
    {
      fprintf (stderr, "fuzz-signal-name: cannot spawn /bin/true: %s\n", error->message);
      abort ();
    }
  g_signal_connect (reaped, "process-exited", G_CALLBACK (exited_cb), &exited);

  /* A timer, so that an iteration never blocks for good. */
  tick = g_timeout_add (10, tick_cb, NULL);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  return 0;
}

static void
check (const char *name,
       gboolean    ok,
       GError     *error,
       GQuark      valid_domain,
       int         valid_code)
{
  Verdict verdict = judge (name);

  if (ok)
    fail (name, "signalled a reaped child");
  if (g_error_matches (error, valid_domain, valid_code))
    {
      if (verdict == NAME_INVALID)
        fail (name, "accepted an invalid name");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    {
      if (verdict == NAME_VALID)
        fail (name, "refused a valid name");
      if (!g_utf8_validate (error->message, -1, NULL))
        fail (name, "error message is not valid UTF-8");
    }
  else
    fail (name, "unexpected error");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *name = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) group_error = NULL;
  gboolean ok;

  ok = tpx_process_transport_signal_process (reaped, name, &error);
  check (name, ok, error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);

  /* The child has no group of its own: a valid name gets that far. */
  ok = tpx_process_transport_signal_process_group (reaped, name, &group_error);
  check (name, ok, group_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

  return 0;
}
