/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 5000

/* Set in main(), before anything could start a thread. */
#define MARKER_NAME  "TPX_TEST_LAUNCHER_MARKER"
#define MARKER_VALUE "inherited value"

static int
strcmp_ptr_cb (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
sorted_joined (GPtrArray *strings)
{
  g_ptr_array_sort (strings, (GCompareFunc) strcmp_ptr_cb);
  g_ptr_array_add (strings, NULL);

  return g_strjoinv ("|", (char **) strings->pdata);
}

/* Compares the lines of @text with @expected, ignoring their order. */
static void
assert_lines_unordered (const char         *text,
                        const char * const *expected)
{
  g_autoptr(GPtrArray) got = g_ptr_array_new ();
  g_autoptr(GPtrArray) want = g_ptr_array_new ();
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *got_joined = NULL;
  g_autofree char *want_joined = NULL;

  /* Every line ends with '\n', so the last piece is empty. */
  g_assert_cmpstr (lines[g_strv_length (lines) - 1], ==, "");
  for (guint i = 0; lines[i + 1] != NULL; i++)
    g_ptr_array_add (got, lines[i]);
  for (guint i = 0; expected[i] != NULL; i++)
    g_ptr_array_add (want, (gpointer) expected[i]);

  got_joined = sorted_joined (got);
  want_joined = sorted_joined (want);
  g_assert_cmpstr (got_joined, ==, want_joined);
}

/* @text without the lines that start with @prefix */
static char *
without_line_prefix (const char *text,
                     const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GString *kept = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    if (!g_str_has_prefix (lines[i], prefix))
      g_string_append_printf (kept, "%s\n", lines[i]);

  return g_string_free (kept, FALSE);
}

/* The working directory as the kernel reports it (symlinks resolved). */
static char *
canonical_dir (const char *path)
{
  char *resolved = realpath (path, NULL);
  char *copy;

  g_assert_nonnull (resolved);
  copy = g_strdup (resolved);
  free (resolved);

  return copy;
}

static void
test_env_empty_by_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;

  g_assert_null (tpx_process_launcher_getenv (launcher, "PATH"));
  g_assert_null (tpx_process_launcher_getenv (launcher, "HOME"));
  g_assert_null (tpx_process_launcher_getenv (launcher, MARKER_NAME));

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
}

static void
test_env_set_environ (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *env[] = { "TPX_A=1", "TPX_B=two words", "TPX_C=x=y", "TPX_EMPTY=", NULL };

  tpx_process_launcher_set_environ (launcher, env);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "1");
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_B"), ==, "two words");
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_C"), ==, "x=y");
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_EMPTY"), ==, "");
  g_assert_null (tpx_process_launcher_getenv (launcher, "TPX_D"));

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  assert_lines_unordered (tpx_test_recorder_text (rec, 1), env);
}

static void
test_env_set_environ_replaces (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *first[] = { "TPX_A=1", "TPX_B=2", NULL };
  const char *second[] = { "TPX_C=3", NULL };

  tpx_process_launcher_set_environ (launcher, first);
  tpx_process_launcher_set_environ (launcher, second);
  g_assert_null (tpx_process_launcher_getenv (launcher, "TPX_A"));
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_C"), ==, "3");

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "TPX_C=3\n");
}

static void
test_env_set_environ_null (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *env[] = { "TPX_A=1", "PATH=/bin", NULL };

  tpx_process_launcher_set_environ (launcher, env);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "1");
  tpx_process_launcher_set_environ (launcher, NULL);
  g_assert_null (tpx_process_launcher_getenv (launcher, "TPX_A"));
  g_assert_null (tpx_process_launcher_getenv (launcher, "PATH"));

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");
}

static void
test_env_setenv_overwrite (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *expected[] = { "TPX_A=second", "TPX_B=kept", NULL };

  tpx_process_launcher_setenv (launcher, "TPX_A", "first", TRUE);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "first");

  /* overwrite TRUE replaces, in place: the variable is not duplicated */
  tpx_process_launcher_setenv (launcher, "TPX_A", "second", TRUE);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "second");

  /* overwrite FALSE keeps an existing value... */
  tpx_process_launcher_setenv (launcher, "TPX_A", "third", FALSE);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "second");

  /* ...but still sets a missing one */
  tpx_process_launcher_setenv (launcher, "TPX_B", "kept", FALSE);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_B"), ==, "kept");

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  assert_lines_unordered (tpx_test_recorder_text (rec, 1), expected);
}

static void
test_env_unsetenv (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *env[] = { "TPX_A=1", "TPX_B=2", "TPX_C=3", NULL };
  const char *expected[] = { "TPX_A=1", "TPX_C=3", NULL };

  tpx_process_launcher_set_environ (launcher, env);
  tpx_process_launcher_unsetenv (launcher, "TPX_B");
  g_assert_null (tpx_process_launcher_getenv (launcher, "TPX_B"));
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "TPX_A"), ==, "1");

  /* Removing a variable that is not there changes nothing. */
  tpx_process_launcher_unsetenv (launcher, "TPX_NOT_THERE");

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  assert_lines_unordered (tpx_test_recorder_text (rec, 1), expected);
}

static void
test_env_inherit (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_auto(GStrv) parent_env = g_get_environ ();
  g_autofree char *child_text = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpstr (g_getenv (MARKER_NAME), ==, MARKER_VALUE);

  tpx_process_launcher_inherit_environ (launcher);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, MARKER_NAME), ==, MARKER_VALUE);
  g_assert_cmpstr (tpx_process_launcher_getenv (launcher, "G_TEST_BUILDDIR"), ==,
                   g_getenv ("G_TEST_BUILDDIR"));

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  /* valgrind rewrites LD_PRELOAD on the way into an untraced child. */
  parent_env = g_environ_unsetenv (parent_env, "LD_PRELOAD");
  child_text = without_line_prefix (tpx_test_recorder_text (rec, 1), "LD_PRELOAD=");
  assert_lines_unordered (child_text, (const char * const *) parent_env);

  /* The copy can then be edited like any other environment. */
  tpx_process_launcher_setenv (launcher, MARKER_NAME, "edited", TRUE);
  tpx_process_launcher_unsetenv (launcher, "G_TEST_BUILDDIR");
  g_assert_cmpstr (g_getenv (MARKER_NAME), ==, MARKER_VALUE);

  rec2 = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  text = g_strconcat ("\n", tpx_test_recorder_text (rec2, 1), NULL);
  g_assert_nonnull (strstr (text, "\n" MARKER_NAME "=edited\n"));
  g_assert_null (strstr (text, "\n" MARKER_NAME "=" MARKER_VALUE "\n"));
  g_assert_null (strstr (text, "\nG_TEST_BUILDDIR="));
}

static void
test_env_inherit_then_set_environ (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;

  tpx_process_launcher_inherit_environ (launcher);
  tpx_process_launcher_set_environ (launcher, NULL);
  g_assert_null (tpx_process_launcher_getenv (launcher, MARKER_NAME));

  rec = tpx_test_run_helper (launcher, "env", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");
}

static void
test_cwd_set (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tpx-launcher-cwd-XXXXXX", &error);
  g_autofree char *canonical = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *parent_cwd = g_get_current_dir ();

  g_assert_no_error (error);
  canonical = canonical_dir (dir);
  expected = g_strconcat (canonical, "\n", NULL);
  g_assert_cmpstr (canonical, !=, parent_cwd);

  tpx_process_launcher_set_cwd (launcher, dir);
  rec = tpx_test_run_helper (launcher, "cwd", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, expected);

  /* The parent did not move. */
  g_free (g_steal_pointer (&parent_cwd));
  parent_cwd = g_get_current_dir ();
  g_assert_cmpstr (parent_cwd, !=, canonical);

  g_assert_no_errno (rmdir (dir));
}

static void
test_cwd_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *canonical = canonical_dir (cwd);
  g_autofree char *expected = g_strconcat (canonical, "\n", NULL);

  rec = tpx_test_run_helper (launcher, "cwd", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, expected);

  /* NULL goes back to the parent's directory. */
  tpx_process_launcher_set_cwd (launcher, "/");
  tpx_process_launcher_set_cwd (launcher, NULL);
  rec2 = tpx_test_run_helper (launcher, "cwd", TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, expected);
}

static void
test_cwd_root (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;

  tpx_process_launcher_set_cwd (launcher, "/");
  rec = tpx_test_run_helper (launcher, "cwd", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "/\n");
}

/* The default map: 0 is written by the parent, 1 and 2 read by it. */
static void
test_fds_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("echo", NULL);
  g_auto(GStrv) argv2 = tpx_test_helper_argv ("echo-stderr", NULL);
  g_autoptr(TpxTestRecorder) rec2 = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  g_assert_false (tpx_process_transport_write_to_child (transport, 1, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "ping", 4, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "ping");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  g_assert_true (g_ptr_array_find_with_equal_func (rec->events, "lost:0", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (rec->events, "lost:1", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (rec->events, "lost:2", g_str_equal, NULL));

  /* fd 2 is a pipe the parent reads as well */
  g_clear_object (&transport);
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv2, &error);
  g_assert_no_error (error);
  rec2 = tpx_test_recorder_new (transport);
  tpx_process_transport_write (transport, (const guint8 *) "to stderr", 9);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec2, TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, "");
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 2), ==, "to stderr");
}

static void
test_fds_set_child_fd (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "3", "4", NULL);

  tpx_process_launcher_set_child_fd (launcher, 3, TPX_CHILD_FD_WRITE, -1);
  tpx_process_launcher_set_child_fd (launcher, 4, TPX_CHILD_FD_READ, -1);

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  g_assert_true (tpx_process_transport_write_to_child (transport, 3, (const guint8 *) "via fd 3", 8, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, 3);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 4), ==, "via fd 3");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");
  g_assert_true (g_ptr_array_find_with_equal_func (rec->events, "lost:3", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (rec->events, "lost:4", g_str_equal, NULL));
}

/* Setting an fd that is already in the map replaces its entry. */
static void
test_fds_set_child_fd_replaces (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "1", "2", NULL);

  /* fd 1 turns from a pipe the parent reads into one it writes. */
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_WRITE, -1);

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  g_assert_true (tpx_process_transport_write_to_child (transport, 1, (const guint8 *) "replaced", 8, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, 1);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "replaced");
  g_assert_false (g_ptr_array_find_with_equal_func (rec->events, "data:1", g_str_equal, NULL));
}

static void
test_fds_remove (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autofree char *trace = NULL;

  /* fd 2 is no pipe any more, but /dev/null: writing it still works. */
  tpx_process_launcher_remove_child_fd (launcher, 2);
  /* Removing an fd that is not in the map changes nothing. */
  tpx_process_launcher_remove_child_fd (launcher, 7);

  rec = tpx_test_run_helper (launcher, "write-both", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "out");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
  trace = tpx_test_recorder_trace (rec);
  g_assert_null (strstr (trace, ":2"));
  g_assert_nonnull (strstr (trace, "lost:1"));
}

static void
test_fds_clear (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("count-stdin", NULL);
  g_autofree char *trace = NULL;

  tpx_process_launcher_clear_child_fds (launcher);
  tpx_process_launcher_set_child_fd (launcher, 1, TPX_CHILD_FD_READ, -1);

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);

  /* No stdin pipe any more. */
  g_assert_false (tpx_process_transport_write_to_child (transport, 0, (const guint8 *) "x", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  /* stdin was /dev/null: end of file at once */
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "0\n");
  trace = tpx_test_recorder_trace (rec);
  g_assert_null (strstr (trace, ":0"));
  g_assert_null (strstr (trace, ":2"));
}

static void
test_fds_clear_all (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "7", NULL);
  g_autofree char *trace = NULL;

  tpx_process_launcher_clear_child_fds (launcher);
  rec = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 7);
  trace = tpx_test_recorder_trace (rec);
  g_assert_cmpstr (trace, ==, "exited ended");
}

static void
test_fds_from_string (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "3", "5", NULL);
  g_autofree char *trace = NULL;
  int fds[2];
  char buffer[64] = { 0 };
  g_autofree char *spec = NULL;

  /* GPG style, with an inherited parent fd as child fd 5 */
  g_assert_no_errno (pipe2 (fds, O_CLOEXEC));
  spec = g_strdup_printf ("0:w,1:r,3:w,5:%d", fds[1]);

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, spec, &error));
  g_assert_no_error (error);

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  g_assert_no_errno (close (fds[1]));
  rec = tpx_test_recorder_new (transport);

  g_assert_true (tpx_process_transport_write_to_child (transport, 3, (const guint8 *) "spec", 4, &error));
  g_assert_no_error (error);
  tpx_process_transport_close_child_fd (transport, 3);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);

  /* The child has exited and the parent closed its copy: all of it is in
   * the pipe, followed by end of file (nonblocking, so a leaked copy of the
   * write end fails the test instead of hanging it). */
  g_assert_no_errno (fcntl (fds[0], F_SETFL, O_NONBLOCK));
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer - 1), ==, 4);
  g_assert_cmpstr (buffer, ==, "spec");
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer - 1), ==, 0);
  g_assert_no_errno (close (fds[0]));

  /* 2 was left out of the map: no pipe */
  trace = tpx_test_recorder_trace (rec);
  g_assert_null (strstr (trace, ":2"));
  g_assert_nonnull (strstr (trace, "lost:1"));
  g_assert_nonnull (strstr (trace, "lost:3"));
}

static void
test_fds_from_string_malformed (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cat-fd", "0", "3", NULL);
  g_autofree char *trace = NULL;
  const char *bad[] = {
    "0:x", "zero:r", "0", "0:", ":r", "0:w,,1:r", "0:w;1:r", "0:w,1:r,",
    ",0:w", "0:w 1:r", "0:rw", "0:-1", "-1:r", "0:w,0:r", "0:w,1:r,3:4x", " 0:w",
  };

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,3:r", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("spec “%s”", bad[i]);
      g_assert_false (tpx_process_launcher_set_child_fds_from_string (launcher, bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

  /* The map is still {0: w, 3: r}. */
  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_process_transport_write (transport, (const guint8 *) "unchanged", 9);
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 3), ==, "unchanged");
  trace = tpx_test_recorder_trace (rec);
  g_assert_null (strstr (trace, ":1"));
  g_assert_null (strstr (trace, ":2"));
}

static void
test_fds_from_string_empty (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("write-both", NULL);
  g_autofree char *trace = NULL;

  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "", &error));
  g_assert_no_error (error);

  rec = tpx_test_run_helper_argv (launcher, (const char * const *) argv, TIMEOUT_MS);
  /* 1 and 2 are /dev/null: the writes succeed and go nowhere */
  tpx_test_assert_exited (rec->end_status, 0);
  trace = tpx_test_recorder_trace (rec);
  g_assert_cmpstr (trace, ==, "exited ended");
}

static void
test_fds_from_string_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;

  /* Back to the default map after an empty one */
  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "", &error));
  g_assert_true (tpx_process_launcher_set_child_fds_from_string (launcher, "0:w,1:r,2:r", &error));
  g_assert_no_error (error);

  rec = tpx_test_run_helper (launcher, "write-both", TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "out");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "err");
}

static void
test_spawn_process_convenience (void)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("env", NULL);
  const char *envp[] = { "TPX_ONE=1", "TPX_TWO=2", NULL };

  transport = tpx_spawn_process (NULL, tpx_test_helper_path (), (const char * const *) argv,
                                 envp, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (transport);
  g_assert_cmpint (tpx_process_transport_get_pid (transport), >, 0);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  assert_lines_unordered (tpx_test_recorder_text (rec, 1), envp);
}

static void
test_spawn_process_convenience_path (void)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("cwd", NULL);

  transport = tpx_spawn_process (NULL, tpx_test_helper_path (), (const char * const *) argv,
                                 NULL, "/", &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "/\n");
}

static void
test_spawn_process_convenience_defaults (void)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxProcessTransport) transport2 = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env_argv = tpx_test_helper_argv ("env", NULL);
  g_auto(GStrv) cwd_argv = tpx_test_helper_argv ("cwd", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *canonical = canonical_dir (cwd);
  g_autofree char *expected = g_strconcat (canonical, "\n", NULL);

  /* envp NULL: an empty environment, not the parent's */
  transport = tpx_spawn_process (NULL, tpx_test_helper_path (), (const char * const *) env_argv,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "");

  /* path NULL: the parent's directory */
  transport2 = tpx_spawn_process (NULL, tpx_test_helper_path (), (const char * const *) cwd_argv,
                                  NULL, NULL, &error);
  g_assert_no_error (error);
  rec2 = tpx_test_recorder_new (transport2);
  tpx_test_recorder_wait (rec2, TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 1), ==, expected);
}

static void
test_spawn_process_convenience_error (void)
{
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  guint n_fds = tpx_test_count_fds ();

  transport = tpx_spawn_process (NULL, "/nonexistent/tpx-no-such-program", NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* argv NULL: the child's argv is { executable }. /bin/sh shows its $0. */
static void
test_argv_null (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  const char *script = "echo \"$0|$#\"\n";

  transport = tpx_process_launcher_spawn (launcher, NULL, "/bin/sh", NULL, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_process_transport_write (transport, (const guint8 *) script, strlen (script));
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "/bin/sh|0\n");
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, "");
}

/* An empty argv is { executable } too, never argc 0 (CVE-2021-4034): the
 * helper without a mode prints its argc and argv[0] on stderr. */
static void
test_argv_empty (void)
{
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(TpxTestRecorder) rec2 = NULL;
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  const char *empty[] = { NULL };
  g_autofree char *expected = g_strdup_printf ("usage: tpx-test-child MODE [ARGS...] (argc 1, argv[0] %s)\n",
                                               tpx_test_helper_path ());

  rec = tpx_test_run_helper_argv (NULL, empty, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 1);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 2), ==, expected);

  /* The same through tpx_spawn_process(). */
  transport = tpx_spawn_process (NULL, tpx_test_helper_path (), empty, NULL, NULL, &error);
  g_assert_no_error (error);
  rec2 = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec2, TIMEOUT_MS);
  tpx_test_assert_exited (rec2->end_status, 1);
  g_assert_cmpstr (tpx_test_recorder_text (rec2, 2), ==, expected);
}

static void
test_argv_zero_differs (void)
{
  g_autoptr(TpxTestRecorder) rec = NULL;
  const char *argv[] = { "not-the-executable", "argv", "two words", "", "last", NULL };

  rec = tpx_test_run_helper_argv (NULL, argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==,
                   "not-the-executable\nargv\ntwo words\n\nlast\n");
}

static void
test_argv_zero_is_executable (void)
{
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("argv", "$HOME", "*", NULL);
  g_autofree char *expected = g_strdup_printf ("%s\nargv\n$HOME\n*\n", tpx_test_helper_path ());

  /* No shell: $HOME and * reach the child as they are. */
  rec = tpx_test_run_helper_argv (NULL, (const char * const *) argv, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, expected);
}

/* A bare name is looked up in the PATH of the child's environment. */
static void
test_path_child_env (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *helper_dir = g_path_get_dirname (tpx_test_helper_path ());
  g_autofree char *search = g_strconcat ("/nonexistent-tpx-dir:", helper_dir, NULL);
  const char *argv[] = { "tpx-test-child", "write-out", "found", NULL };

  tpx_process_launcher_setenv (launcher, "PATH", search, TRUE);
  transport = tpx_process_launcher_spawn (launcher, NULL, "tpx-test-child", argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);

  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "found");
}

/* ...not in the parent's PATH: the child's PATH wins even if it lacks a
 * program the parent would find. */
static void
test_path_not_parent (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *helper_dir = g_path_get_dirname (tpx_test_helper_path ());
  g_autofree char *in_parent = g_find_program_in_path ("true");
  guint n_fds = tpx_test_count_fds ();

  g_assert_nonnull (in_parent);
  tpx_process_launcher_setenv (launcher, "PATH", helper_dir, TRUE);
  transport = tpx_process_launcher_spawn (launcher, NULL, "true", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "true"));
  g_assert_null (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* Without PATH in the child's environment: /bin:/usr/bin. */
static void
test_path_default (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "echo", "default path", NULL };
  const char *helper_argv[] = { "tpx-test-child", "exit", "0", NULL };
  guint n_fds;

  g_assert_null (tpx_process_launcher_getenv (launcher, "PATH"));
  transport = tpx_process_launcher_spawn (launcher, NULL, "echo", argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "default path\n");

  /* The helper's directory is in no default PATH. */
  g_clear_object (&transport);
  n_fds = tpx_test_count_fds ();
  transport = tpx_process_launcher_spawn (launcher, NULL, "tpx-test-child", helper_argv, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "tpx-test-child"));
  g_assert_null (transport);
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* Runs one child to its end, so that what the library keeps per main
 * context exists before a test counts fds. */
static void
warm_up (void)
{
  static gboolean done;
  g_autoptr(TpxTestRecorder) rec = NULL;

  if (done)
    return;
  rec = tpx_test_run_helper (NULL, "env", TIMEOUT_MS);
  done = TRUE;
}

/* Spawns @name with PATH set to @search; asserts it fails with @code, with
 * a message that names @name as written and none of the paths tried. */
static void
assert_path_search_fails (const char *search,
                          const char *name,
                          int         code)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *step = g_strdup_printf ("execute %s:", name);
  g_autofree char *joined = g_strdup_printf ("/%s", name);
  guint n_fds;

  warm_up ();
  n_fds = tpx_test_count_fds ();

  tpx_process_launcher_setenv (launcher, "PATH", search, TRUE);
  transport = tpx_process_launcher_spawn (launcher, NULL, name, NULL, &error);
  g_assert_null (transport);
  g_assert_error (error, G_IO_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, step));
  g_assert_null (strstr (error->message, joined));
  g_assert_cmpuint (tpx_test_count_fds (), ==, n_fds);
  tpx_test_assert_no_children ();
}

/* Runs @name (the helper, in @argv) with PATH set to @search, and @cwd. */
static void
assert_path_search_runs (const char *search,
                         const char *cwd)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) rec = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "tpx-test-child", "write-out", "found", NULL };

  tpx_process_launcher_setenv (launcher, "PATH", search, TRUE);
  tpx_process_launcher_set_cwd (launcher, cwd);
  transport = tpx_process_launcher_spawn (launcher, NULL, "tpx-test-child", argv, &error);
  g_assert_no_error (error);
  rec = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (rec, TIMEOUT_MS);
  tpx_test_assert_exited (rec->end_status, 0);
  g_assert_cmpstr (tpx_test_recorder_text (rec, 1), ==, "found");
}

/* Found nowhere is NOT_FOUND, even when the last entry is a plain file
 * (execve() says ENOTDIR there): the last entry's errno does not win. */
static void
test_path_not_found_last_entry_file (void)
{
  g_autofree char *search = g_strconcat ("/nonexistent-tpx-dir:", tpx_test_helper_path (), NULL);
  g_autofree char *search2 = g_strconcat (tpx_test_helper_path (), NULL);

  assert_path_search_fails (search, "tpx-no-such-program", G_IO_ERROR_NOT_FOUND);
  assert_path_search_fails (search2, "tpx-no-such-program", G_IO_ERROR_NOT_FOUND);
}

/* An entry that refused the program (no x bit) makes a failed search
 * PERMISSION_DENIED; a later entry that has it still runs it. */
static void
test_path_permission_denied (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tpx-path-eacces-XXXXXX", &error);
  g_autofree char *helper_dir = g_path_get_dirname (tpx_test_helper_path ());
  g_autofree char *file = NULL;
  g_autofree char *search = NULL;
  g_autofree char *search2 = NULL;

  g_assert_no_error (error);
  file = g_build_filename (dir, "tpx-test-child", NULL);
  g_assert_true (g_file_set_contents (file, "#!/bin/sh\nexit 3\n", -1, &error));
  g_assert_no_error (error);
  g_assert_no_errno (chmod (file, 0644));

  search = g_strconcat (dir, ":/nonexistent-tpx-dir", NULL);
  assert_path_search_fails (search, "tpx-test-child", G_IO_ERROR_PERMISSION_DENIED);

  search2 = g_strconcat (dir, ":", helper_dir, NULL);
  assert_path_search_runs (search2, NULL);

  g_assert_no_errno (unlink (file));
  g_assert_no_errno (rmdir (dir));
}

/* An entry too long to join with the name is skipped, as by execvp(),
 * not a fatal ENAMETOOLONG. */
static void
test_path_long_entry (void)
{
  g_autofree char *helper_dir = g_path_get_dirname (tpx_test_helper_path ());
  g_autofree char *padding = g_strnfill (PATH_MAX, 'x');
  g_autofree char *long_entry = g_strconcat ("/", padding, NULL);
  g_autofree char *search = g_strconcat (long_entry, ":", helper_dir, NULL);

  assert_path_search_runs (search, NULL);
  assert_path_search_fails (long_entry, "tpx-test-child", G_IO_ERROR_NOT_FOUND);
}

/* PATH set but empty is one empty entry, the working directory (as for
 * execvp()); so is an empty entry among others. */
static void
test_path_empty_entry (void)
{
  g_autofree char *helper_dir = g_path_get_dirname (tpx_test_helper_path ());

  assert_path_search_runs ("", helper_dir);
  assert_path_search_runs ("/nonexistent-tpx-dir::/bin", helper_dir);
  assert_path_search_fails ("", "tpx-no-such-program", G_IO_ERROR_NOT_FOUND);
}

/* A slash in the name means no lookup at all, even with PATH set. */
static void
test_path_slash_is_literal (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  tpx_process_launcher_setenv (launcher, "PATH", "/bin:/usr/bin", TRUE);
  transport = tpx_process_launcher_spawn (launcher, NULL, "nonexistent-tpx-dir/true", NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (transport);
  tpx_test_assert_no_children ();
}

int
main (int    argc,
      char **argv)
{
  g_setenv (MARKER_NAME, MARKER_VALUE, TRUE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/process-launcher/env/empty-by-default", test_env_empty_by_default);
  g_test_add_func ("/tpx/process-launcher/env/set-environ", test_env_set_environ);
  g_test_add_func ("/tpx/process-launcher/env/set-environ-replaces", test_env_set_environ_replaces);
  g_test_add_func ("/tpx/process-launcher/env/set-environ-null", test_env_set_environ_null);
  g_test_add_func ("/tpx/process-launcher/env/setenv-overwrite", test_env_setenv_overwrite);
  g_test_add_func ("/tpx/process-launcher/env/unsetenv", test_env_unsetenv);
  g_test_add_func ("/tpx/process-launcher/env/inherit", test_env_inherit);
  g_test_add_func ("/tpx/process-launcher/env/inherit-then-set-environ", test_env_inherit_then_set_environ);
  g_test_add_func ("/tpx/process-launcher/cwd/set", test_cwd_set);
  g_test_add_func ("/tpx/process-launcher/cwd/default", test_cwd_default);
  g_test_add_func ("/tpx/process-launcher/cwd/root", test_cwd_root);
  g_test_add_func ("/tpx/process-launcher/fds/default", test_fds_default);
  g_test_add_func ("/tpx/process-launcher/fds/set-child-fd", test_fds_set_child_fd);
  g_test_add_func ("/tpx/process-launcher/fds/set-child-fd-replaces", test_fds_set_child_fd_replaces);
  g_test_add_func ("/tpx/process-launcher/fds/remove", test_fds_remove);
  g_test_add_func ("/tpx/process-launcher/fds/clear", test_fds_clear);
  g_test_add_func ("/tpx/process-launcher/fds/clear-all", test_fds_clear_all);
  g_test_add_func ("/tpx/process-launcher/fds/from-string", test_fds_from_string);
  g_test_add_func ("/tpx/process-launcher/fds/from-string-malformed", test_fds_from_string_malformed);
  g_test_add_func ("/tpx/process-launcher/fds/from-string-empty", test_fds_from_string_empty);
  g_test_add_func ("/tpx/process-launcher/fds/from-string-default", test_fds_from_string_default);
  g_test_add_func ("/tpx/process-launcher/spawn-process/env", test_spawn_process_convenience);
  g_test_add_func ("/tpx/process-launcher/spawn-process/path", test_spawn_process_convenience_path);
  g_test_add_func ("/tpx/process-launcher/spawn-process/defaults", test_spawn_process_convenience_defaults);
  g_test_add_func ("/tpx/process-launcher/spawn-process/error", test_spawn_process_convenience_error);
  g_test_add_func ("/tpx/process-launcher/argv/null", test_argv_null);
  g_test_add_func ("/tpx/process-launcher/argv/empty", test_argv_empty);
  g_test_add_func ("/tpx/process-launcher/argv/zero-differs", test_argv_zero_differs);
  g_test_add_func ("/tpx/process-launcher/argv/zero-is-executable", test_argv_zero_is_executable);
  g_test_add_func ("/tpx/process-launcher/path/child-env", test_path_child_env);
  g_test_add_func ("/tpx/process-launcher/path/not-parent", test_path_not_parent);
  g_test_add_func ("/tpx/process-launcher/path/default", test_path_default);
  g_test_add_func ("/tpx/process-launcher/path/slash-is-literal", test_path_slash_is_literal);
  g_test_add_func ("/tpx/process-launcher/path/not-found-last-entry-file", test_path_not_found_last_entry_file);
  g_test_add_func ("/tpx/process-launcher/path/permission-denied", test_path_permission_denied);
  g_test_add_func ("/tpx/process-launcher/path/long-entry", test_path_long_entry);
  g_test_add_func ("/tpx/process-launcher/path/empty-entry", test_path_empty_entry);

  return g_test_run ();
}
