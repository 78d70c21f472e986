/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Runs each C example of examples/ and checks what it prints.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 20000

#define PTY_STDERR_COMMAND \
  "if [ -t 1 ]; then printf '\\033[1mbold\\033[0m\\n'; else echo plain; fi; echo oops >&2; exit 3"

typedef struct {
  char     *out;
  char     *err;
  GError   *error;
  gboolean  done;
} RunResult;

static char *
example_path (const char *name)
{
  g_autofree char *file = g_strconcat ("tpx-example-", name, NULL);

  return g_test_build_filename (G_TEST_BUILT, "..", "examples", file, NULL);
}

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RunResult *r = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &r->out, &r->err, &r->error);
  r->done = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  GSubprocess *process = user_data;

  g_test_message ("the example took too long: killed");
  g_subprocess_force_exit (process);

  return G_SOURCE_REMOVE;
}

/* Runs examples/tpx-example-NAME with @args (may be %NULL) to its end,
 * without standard input; returns its output, asserts it exited 0. */
static void
run_example (const char          *name,
             const char * const  *args,
             char               **out,
             char               **err)
{
  g_autofree char *path = example_path (name);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) timeout = NULL;
  RunResult r = { 0 };

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));

  g_ptr_array_add (argv, path);
  for (gsize i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);

  timeout = g_timeout_source_new (TIMEOUT_MS);
  g_source_set_callback (timeout, timeout_cb, process, NULL);
  g_source_attach (timeout, NULL);

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &r);
  tpx_test_run_until (&r.done, TIMEOUT_MS * 2);
  g_source_destroy (timeout);

  g_assert_no_error (r.error);
  {
    g_autoptr(GError) wait_error = NULL;
    gboolean ok;

    /* communicate has seen the pipes close; wait for the exit too. */
    ok = g_subprocess_wait (process, NULL, &wait_error);
    g_assert_no_error (wait_error);
    g_assert_true (ok);
  }

  g_test_message ("%s stdout:\n%s", name, r.out);
  g_test_message ("%s stderr:\n%s", name, r.err);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  *out = r.out;
  *err = r.err;
}

static void
test_example_wc (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_example ("wc", (const char * const[]) { "one two three\nfour five\n", NULL }, &out, &err);
  g_assert_cmpstr (out, ==, "lines 2 words 5 chars 24\n");
  g_assert_cmpstr (err, ==, "");
}

static void
test_example_wc_default_text (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* "tpx runs child processes\non the GLib main loop.\n" */
  run_example ("wc", NULL, &out, &err);
  g_assert_cmpstr (out, ==, "lines 2 words 9 chars 48\n");
  g_assert_cmpstr (err, ==, "");
}

static int
line_index (char       **lines,
            const char  *line)
{
  for (int i = 0; lines[i] != NULL; i++)
    if (g_str_equal (lines[i], line))
      return i;

  return -1;
}

static void
test_example_verbose (void)
{
  static const char * const expected[] = {
    "connection made",
    "in connection lost",
    "out received: got: hello",
    "err received: something went wrong",
    "out connection lost",
    "err connection lost",
    "process exited: exit code 3",
    "process ended: exit code 3",
    "main loop done",
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;

  run_example ("verbose", NULL, &out, &err);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_str_has_suffix (out, "\n"));

  /* The same lines, each once, in an order that timing may vary only where
   * it is allowed to. */
  out[strlen (out) - 1] = '\0';
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (line_index (lines, expected[i]), >=, 0);

  g_assert_cmpstr (lines[0], ==, "connection made");
  g_assert_cmpstr (lines[G_N_ELEMENTS (expected) - 2], ==, "process ended: exit code 3");
  g_assert_cmpstr (lines[G_N_ELEMENTS (expected) - 1], ==, "main loop done");
  g_assert_cmpint (line_index (lines, "out received: got: hello"), <,
                   line_index (lines, "out connection lost"));
  g_assert_cmpint (line_index (lines, "err received: something went wrong"), <,
                   line_index (lines, "err connection lost"));
  g_assert_cmpint (line_index (lines, "process exited: exit code 3"), <,
                   line_index (lines, "process ended: exit code 3"));
}

static void
test_example_gpg_fds (void)
{
  const char *message = "a passphrase travels down fd 3 and comes back up fd 4\n";
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;

  run_example ("gpg-fds", NULL, &out, &err);

  expected = g_strdup_printf ("sent on fd 3: %s"
                              "read on fd 4: %s"
                              "read on fd 1: child: copied %" G_GSIZE_FORMAT " bytes from fd 3 to fd 4\n"
                              "round trip ok\n",
                              message, message, strlen (message));
  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpstr (err, ==, "");
}

static void
test_example_quotes (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *quote = NULL;
  g_autofree char *quote_err = NULL;

  /* The example runs itself with --quote as the child that prints the
   * quotation: what it shows must be exactly that. */
  run_example ("quotes", (const char * const[]) { "--quote", NULL }, &quote, &quote_err);
  g_assert_cmpstr (quote, !=, "");

  run_example ("quotes", NULL, &out, &err);
  g_assert_cmpstr (out, ==, quote);
  g_assert_cmpstr (err, ==, "");
}

static void
test_example_trueandfalse (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_example ("trueandfalse", NULL, &out, &err);
  g_assert_cmpstr (out, ==, "true exited with 0\nfalse exited with 1\n");
  g_assert_cmpstr (err, ==, "");
}

/* A directory with one of each kind of entry, for the lsl example. */
static char *
make_listing_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("tpx-lsl-XXXXXX", &error);
  g_autofree char *file = NULL;
  g_autofree char *spaced = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *link = NULL;

  g_assert_no_error (error);
  file = g_build_filename (dir, "a.txt", NULL);
  spaced = g_build_filename (dir, "with space", NULL);
  sub = g_build_filename (dir, "sub", NULL);
  link = g_build_filename (dir, "link", NULL);
  g_file_set_contents (file, "hello", 5, &error);
  g_assert_no_error (error);
  g_file_set_contents (spaced, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_cmpint (symlink ("a.txt", link), ==, 0);

  return dir;
}

static void
remove_listing_dir (const char *dir)
{
  static const char * const names[] = { "a.txt", "with space", "sub", "link" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_example_lsl (void)
{
  g_autofree char *dir = make_listing_dir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_example ("lsl", (const char * const[]) { dir, NULL }, &out, &err);
  g_assert_cmpstr (out, ==,
                   "file 5 a.txt\n"
                   "link 5 link\n"
                   "dir - sub\n"
                   "file 0 with space\n"
                   "4 entries, 5 bytes in files\n");
  g_assert_cmpstr (err, ==, "");

  remove_listing_dir (dir);
}

/* The lines of @out that mention @name, joined by "|". */
static char *
lines_about (const char *out,
             const char *name)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GString *joined = g_string_new (NULL);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], name) == NULL)
        continue;
      if (joined->len > 0)
        g_string_append_c (joined, '|');
      g_string_append (joined, lines[i]);
    }

  return g_string_free (joined, FALSE);
}

static void
test_example_keepalive (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *ticker = NULL;
  g_autofree char *crasher = NULL;

  run_example ("keepalive", NULL, &out, &err);
  g_assert_cmpstr (err, ==, "");

  /* The two children's lines interleave as timing has it; each one's
   * own lines come in order. */
  ticker = lines_about (out, "ticker");
  crasher = lines_about (out, "crasher");
  g_assert_cmpstr (ticker, ==, "started ticker|ticker: up|ended ticker: killed by signal 15");
  g_assert_cmpstr (crasher, ==,
                   "started crasher|crasher: starting|ended crasher: exit code 3|"
                   "started crasher|crasher: starting|ended crasher: exit code 3|"
                   "started crasher|crasher: starting|ended crasher: exit code 3|"
                   "crasher crashed 3 times: stopping");
  g_assert_true (g_str_has_suffix (out, "ended ticker: killed by signal 15\n"));
}

static void
test_example_build_timeout (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *rest = NULL;

  /* The pretend build never ends in time: its whole tree is stopped (the
   * linker, which ignores SIGTERM, after the stop timeout), in a cgroup
   * where the system allows one, else in a process group. */
  run_example ("build-timeout", NULL, &out, &err);
  g_assert_cmpstr (err, ==, "");
  if (g_str_has_prefix (out, "kill mode: cgroup\n"))
    rest = g_strdup (out + strlen ("kill mode: cgroup\n"));
  else if (g_str_has_prefix (out, "kill mode: process-group\n"))
    rest = g_strdup (out + strlen ("kill mode: process-group\n"));
  g_assert_nonnull (rest);
  g_assert_cmpstr (rest, ==,
                   "build: 2 compilers and a linker, for 60 s\n"
                   "time limit of 1000 ms reached, 7 processes in the build's tree: stopping it\n"
                   "the build ended: killed by signal 15\n"
                   "processes left in its tree: 0\n");
}

/* The child's fds 0 and 1 on a terminal, its stderr apart. */
static void
test_example_pty_stderr (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_example ("pty-stderr", NULL, &out, &err);
  g_assert_cmpstr (out, ==,
                   "terminal: fd 0: a terminal\n"
                   "terminal: fd 1: a terminal\n"
                   "terminal: fd 2: not a terminal\n"
                   "stderr: this line went to stderr\n"
                   "exit code 0\n");
  g_assert_cmpstr (err, ==, "");
}

/* A program given on the command line: it colours its output only on a
 * terminal, as ls --color=auto does. */
static void
test_example_pty_stderr_command (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  run_example ("pty-stderr",
               (const char * const[]) { "/bin/sh", "-c", PTY_STDERR_COMMAND, NULL },
               &out, &err);
  g_assert_cmpstr (out, ==,
                   "terminal: \033[1mbold\033[0m\n"
                   "stderr: oops\n"
                   "exit code 3\n");
  g_assert_cmpstr (err, ==, "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/examples/wc", test_example_wc);
  g_test_add_func ("/tpx/examples/wc-default-text", test_example_wc_default_text);
  g_test_add_func ("/tpx/examples/verbose", test_example_verbose);
  g_test_add_func ("/tpx/examples/gpg-fds", test_example_gpg_fds);
  g_test_add_func ("/tpx/examples/quotes", test_example_quotes);
  g_test_add_func ("/tpx/examples/trueandfalse", test_example_trueandfalse);
  g_test_add_func ("/tpx/examples/lsl", test_example_lsl);
  g_test_add_func ("/tpx/examples/keepalive", test_example_keepalive);
  g_test_add_func ("/tpx/examples/build-timeout", test_example_build_timeout);
  g_test_add_func ("/tpx/examples/pty-stderr", test_example_pty_stderr);
  g_test_add_func ("/tpx/examples/pty-stderr-command", test_example_pty_stderr_command);

  return g_test_run ();
}
