/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * quotes: run a program that prints a quotation and show what it printed,
 * with tpx_get_process_output_async() (Twisted's getProcessOutput).
 *
 * To need nothing installed, this program is also the quotation program:
 * started as `tpx-example-quotes --quote`, it prints one and exits.
 */

#include <stdio.h>
#include <string.h>

#include <tpx/tpx.h>

static const char quote[] =
  "Simple things should be simple, complex things should be possible.\n"
  "    -- Alan Kay\n";

typedef struct {
  GMainLoop *loop;
  int        exit_status;
} Example;

static void
output_ready_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Example *example = user_data;
  g_autoptr(GBytes) output = NULL;
  g_autoptr(GError) error = NULL;

  output = tpx_get_process_output_finish (result, &error);
  if (output == NULL)
    {
      g_printerr ("quotes: %s\n", error->message);
      example->exit_status = 1;
    }
  else
    {
      gsize len = 0;
      const char *text = g_bytes_get_data (output, &len);

      fwrite (text, 1, len, stdout);
      fflush (stdout);
    }

  g_main_loop_quit (example->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *self_path = NULL;
  Example example = { 0 };

  if (argc > 1 && strcmp (argv[1], "--quote") == 0)
    {
      fputs (quote, stdout);
      return 0;
    }

  /* Our own executable, to run again as the quotation program. */
  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path == NULL)
    self_path = g_strdup (argv[0]);

  example.loop = g_main_loop_new (NULL, FALSE);

  tpx_get_process_output_async (self_path,
                                (const char * const[]) { "--quote", NULL },
                                NULL,
                                TPX_OUTPUT_FLAGS_NONE,
                                NULL,
                                output_ready_cb,
                                &example);

  g_main_loop_run (example.loop);
  g_main_loop_unref (example.loop);

  return example.exit_status;
}
