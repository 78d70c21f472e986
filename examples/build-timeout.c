/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * build-timeout: run a build with a time limit, and when it runs out stop
 * the build's whole tree, not just the process we started.
 *
 *   tpx-example-build-timeout [--timeout MS] [COMMAND [ARG...]]
 *
 * Without a command it runs a pretend build that never finishes in time:
 * a shell that starts two compilers and a linker, each a shell running
 * `sleep`, the linker ignoring SIGTERM. With one (`make -j8`), it runs
 * that, with this program's environment.
 *
 * A build tool's processes are a tree: killing the tool alone leaves its
 * compilers running, holding the output pipe, so the end never comes. The
 * launcher puts the whole tree in a cgroup of its own where it can (kill
 * mode CGROUP: double-forked daemons included), and in a process group
 * where it cannot (Flatpak, containers without a writable cgroup). Once
 * the time limit is reached the transport stops the tree: SIGTERM to all
 * of it, then SIGKILL to whatever still runs after the stop timeout (the
 * linker, here).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tpx/tpx.h>

#define DEFAULT_TIMEOUT_MS 1000
#define STOP_TIMEOUT_MS 500

static const char pretend_build[] =
  "echo 'build: 2 compilers and a linker, for 60 s'\n"
  "sh -c 'sleep 60; echo cc parser.c' &\n"
  "sh -c 'sleep 60; echo cc lexer.c' &\n"
  "sh -c 'trap \"\" TERM; sleep 60; echo ld' &\n"
  "wait\n";

typedef struct {
  GMainLoop *loop;
  guint      timeout_ms;
  gboolean   ended;
} Build;

static void
child_data_cb (TpxProcessTransport *transport,
               int                  child_fd,
               GBytes              *data,
               gpointer             user_data)
{
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);

  fwrite (bytes, 1, len, child_fd == 2 ? stderr : stdout);
}

static void
timed_out_cb (TpxProcessTransport *transport,
              GParamSpec          *pspec,
              gpointer             user_data)
{
  Build *build = user_data;

  /* The transport calls tpx_process_transport_stop() right after this. */
  g_print ("time limit of %u ms reached, %u processes in the build's tree: stopping it\n",
           build->timeout_ms, tpx_process_transport_get_n_tree_processes (transport));
}

static void
process_ended_cb (TpxProcessTransport *transport,
                  TpxProcessStatus    *status,
                  gpointer             user_data)
{
  Build *build = user_data;

  if (tpx_process_status_get_signal (status) != 0)
    g_print ("the build ended: killed by signal %d\n", tpx_process_status_get_signal (status));
  else
    g_print ("the build ended: exit code %d\n", tpx_process_status_get_exit_code (status));
  g_print ("processes left in its tree: %u\n",
           tpx_process_transport_get_n_tree_processes (transport));

  build->ended = TRUE;
  g_main_loop_quit (build->loop);
}

/* CGROUP mode where this system lets us make a cgroup, else a process
 * group (which does not reach a process that leaves it, a daemon). */
static TpxProcessTransport *
spawn_build (TpxProcessLauncher  *launcher,
             const char * const  *argv,
             GError             **error)
{
  g_autoptr(GError) cgroup_error = NULL;
  TpxProcessTransport *transport;

  tpx_process_launcher_set_kill_mode (launcher, TPX_KILL_MODE_CGROUP);
  transport = tpx_process_launcher_spawn (launcher, NULL, argv[0], argv, &cgroup_error);
  if (transport != NULL)
    {
      g_print ("kill mode: cgroup\n");
      return transport;
    }
  if (!g_error_matches (cgroup_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) &&
      !g_error_matches (cgroup_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      g_propagate_error (error, g_steal_pointer (&cgroup_error));
      return NULL;
    }

  g_debug ("No cgroup of our own: %s", cgroup_error->message);
  tpx_process_launcher_set_kill_mode (launcher, TPX_KILL_MODE_PROCESS_GROUP);
  transport = tpx_process_launcher_spawn (launcher, NULL, argv[0], argv, error);
  if (transport != NULL)
    g_print ("kill mode: process-group\n");

  return transport;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  const char *sh_argv[] = { "/bin/sh", "-c", pretend_build, NULL };
  const char * const *command = sh_argv;
  Build build = { loop, DEFAULT_TIMEOUT_MS, FALSE };
  int first = 1;

  /* Each line is printed as it happens, even into a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  if (argc > 2 && strcmp (argv[1], "--timeout") == 0)
    {
      build.timeout_ms = (guint) g_ascii_strtoull (argv[2], NULL, 10);
      first = 3;
    }
  if (argc > first)
    command = (const char * const *) argv + first;

  /* A build needs PATH, HOME and the rest. */
  tpx_process_launcher_inherit_environ (launcher);
  tpx_process_launcher_set_timeout (launcher, build.timeout_ms);
  tpx_process_launcher_set_stop_timeout (launcher, STOP_TIMEOUT_MS);

  transport = spawn_build (launcher, command, &error);
  if (transport == NULL)
    {
      g_printerr ("build-timeout: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_signal_connect (transport, "child-data", G_CALLBACK (child_data_cb), &build);
  g_signal_connect (transport, "notify::timed-out", G_CALLBACK (timed_out_cb), &build);
  g_signal_connect (transport, "process-ended", G_CALLBACK (process_ended_cb), &build);
  /* Nothing to say to the build. */
  tpx_process_transport_close_stdin (transport);

  g_main_loop_run (loop);

  return build.ended ? EXIT_SUCCESS : EXIT_FAILURE;
}
