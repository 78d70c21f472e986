/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * keepalive: keep two programs running with a TpxProcessMonitor (Twisted's
 * procmon), one of which crashes each time it starts.
 *
 *   tpx-example-keepalive
 *
 * "ticker" prints a line and then stays up; "crasher" prints a line and
 * exits with code 3 at once, so the monitor starts it again after a delay
 * that doubles each time (100, 200, 400 ms here: Twisted's back-off with
 * short delays). Every line either writes is printed with its name. When
 * the crasher has crashed three times, the monitor is stopped: the ticker
 * gets SIGTERM, and the program ends once every child has ended.
 */

#include <stdio.h>

#include <tpx/tpx.h>

#define CRASHES 3

typedef struct {
  GMainLoop *loop;
  guint      running;   /* children started and not ended yet */
  guint      crashes;
} Keepalive;

static void
process_started_cb (TpxProcessMonitor   *monitor,
                    const char          *name,
                    TpxProcessTransport *transport,
                    gpointer             user_data)
{
  Keepalive *keepalive = user_data;

  keepalive->running++;
  printf ("started %s\n", name);
}

static void
line_received_cb (TpxProcessMonitor *monitor,
                  const char        *name,
                  int                child_fd,
                  const char        *line,
                  gpointer           user_data)
{
  printf ("%s: %s\n", name, line);
}

static void
process_ended_cb (TpxProcessMonitor *monitor,
                  const char        *name,
                  TpxProcessStatus  *status,
                  gpointer           user_data)
{
  Keepalive *keepalive = user_data;

  keepalive->running--;
  if (tpx_process_status_get_signal (status) != 0)
    printf ("ended %s: killed by signal %d\n", name, tpx_process_status_get_signal (status));
  else
    printf ("ended %s: exit code %d\n", name, tpx_process_status_get_exit_code (status));

  if (g_str_equal (name, "crasher") && ++keepalive->crashes == CRASHES)
    {
      printf ("crasher crashed %d times: stopping\n", CRASHES);
      tpx_process_monitor_stop (monitor);
    }

  if (keepalive->running == 0 && !tpx_process_monitor_get_running (monitor))
    g_main_loop_quit (keepalive->loop);
}

static gboolean
add (TpxProcessMonitor *monitor,
     const char        *name,
     const char        *script)
{
  g_autoptr(GError) error = NULL;

  if (!tpx_process_monitor_add_process (monitor, name, NULL, "/bin/sh",
                                        (const char * const[]) { "sh", "-c", script, NULL },
                                        &error))
    {
      g_printerr ("keepalive: %s\n", error->message);
      return FALSE;
    }

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TpxProcessMonitor) monitor = tpx_process_monitor_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Keepalive keepalive = { loop, 0, 0 };

  /* Short delays, to see the back-off in a second: Twisted's are 1 s to
   * 1 hour. */
  g_object_set (monitor,
                "min-restart-delay", 100,
                "max-restart-delay", 400,
                NULL);
  g_signal_connect (monitor, "process-started", G_CALLBACK (process_started_cb), &keepalive);
  g_signal_connect (monitor, "line-received", G_CALLBACK (line_received_cb), &keepalive);
  g_signal_connect (monitor, "process-ended", G_CALLBACK (process_ended_cb), &keepalive);

  /* exec: the monitor's SIGTERM then reaches sleep itself. */
  if (!add (monitor, "ticker", "echo up; exec sleep 1000") ||
      !add (monitor, "crasher", "echo starting; exit 3"))
    return 1;

  tpx_process_monitor_start (monitor);
  g_main_loop_run (loop);

  return 0;
}
