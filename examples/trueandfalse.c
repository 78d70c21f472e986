/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * trueandfalse: get the exit codes of `true` and then `false` with
 * tpx_get_process_value_async() (Twisted's getProcessValue).
 *
 * The child's environment is empty, so the bare names are looked up in
 * /bin:/usr/bin.
 */

#include <tpx/tpx.h>

typedef struct {
  GMainLoop *loop;
  int        exit_status;
} Example;

static void false_done_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data);

static gboolean
report_value (const char   *program,
              GAsyncResult *result,
              Example      *example)
{
  g_autoptr(GError) error = NULL;
  int value;

  value = tpx_get_process_value_finish (result, &error);
  if (error != NULL)
    {
      g_printerr ("trueandfalse: %s: %s\n", program, error->message);
      example->exit_status = 1;
      return FALSE;
    }

  g_print ("%s exited with %d\n", program, value);

  return TRUE;
}

static void
true_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Example *example = user_data;

  if (!report_value ("true", result, example))
    {
      g_main_loop_quit (example->loop);
      return;
    }

  tpx_get_process_value_async ("false", NULL, NULL, NULL, false_done_cb, example);
}

static void
false_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Example *example = user_data;

  report_value ("false", result, example);
  g_main_loop_quit (example->loop);
}

int
main (int   argc,
      char *argv[])
{
  Example example = { 0 };

  example.loop = g_main_loop_new (NULL, FALSE);

  tpx_get_process_value_async ("true", NULL, NULL, NULL, true_done_cb, &example);

  g_main_loop_run (example.loop);
  g_main_loop_unref (example.loop);

  return example.exit_status;
}
