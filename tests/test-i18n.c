/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The user-visible messages of tpx come out in the user's language.
 *
 * Each test runs in a child process of its own, in C.UTF-8 (a locale every
 * Debian system has without generating any), and picks its language with
 * LANGUAGE, which gettext honours in any locale but plain "C". The
 * catalogues are the ones just built: the build's po/ folder holds
 * po/LANG/LC_MESSAGES/tpx.mo, a locale directory of its own. tpx binds its
 * domain to the installed catalogues when the first launcher class
 * initializes; binding it again to the build's afterwards wins, as the
 * last bindtextdomain() call always does.
 */

#include "config.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include <gio/gio.h>

#include "tpx-test-common.h"

#define TIMEOUT_MS 10000
#define MISSING    "/nonexistent/tpx-i18n-missing"

/* What tpx says in one language, as the catalogues of po/ translate it. */
typedef struct {
  const char *language;         /* for LANGUAGE; NULL: unset */
  const char *spawn_missing;    /* the start of the message, up to strerror() */
  const char *exited_3;
  const char *exited_already;   /* "%d": the pid */
  const char *unknown_signal;
  const char *unexpected_stderr;
} Expected;

static const Expected untranslated = {
  NULL,
  "Failed to spawn “" MISSING "”: execute " MISSING ": ",
  "Child process exited with code 3",
  "Child process %d has already exited",
  "Unknown signal “NOPE”",
  "The child process wrote to its standard error: oops",
};

static const Expected german = {
  "de",
  "„" MISSING "“ konnte nicht gestartet werden: Ausführen von " MISSING ": ",
  "Kindprozess wurde mit Exit-Code 3 beendet",
  "Kindprozess %d hat sich bereits beendet",
  "Unbekanntes Signal „NOPE“",
  "Der Kindprozess hat in seine Standardfehlerausgabe geschrieben: oops",
};

/* French puts a no-break space inside guillemets and before a colon. */
static const Expected french = {
  "fr",
  "Impossible de lancer «\u00a0" MISSING "\u00a0»\u00a0: exécution de " MISSING "\u00a0: ",
  "Processus enfant terminé avec le code de sortie 3",
  "Le processus enfant %d s’est déjà terminé",
  "Signal inconnu «\u00a0NOPE\u00a0»",
  "Le processus enfant a écrit sur sa sortie d’erreur standard\u00a0: oops",
};

/* Runs in a fresh child process (see run_in_language()), before anything
 * has started a thread: the one place where changing the environment is
 * safe. */
static void
use_language (const Expected *expected)
{
  if (expected->language != NULL)
    g_setenv ("LANGUAGE", expected->language, TRUE);
  else
    g_unsetenv ("LANGUAGE");

  g_assert_nonnull (setlocale (LC_ALL, ""));
}

static void
test_spawn_missing (gconstpointer data)
{
  const Expected *expected = data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, MISSING, NULL, &error);

  g_assert_null (transport);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_test_message ("message: %s", error->message);
  g_assert_true (g_str_has_prefix (error->message, expected->spawn_missing));
  /* strerror()'s part: whatever libc says, but something. */
  g_assert_cmpuint (strlen (error->message), >, strlen (expected->spawn_missing));
}

static void
test_spawn_missing_bare_name (gconstpointer data)
{
  const Expected *expected = data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *start = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, "tpx-i18n-missing", NULL, &error);

  g_assert_null (transport);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_test_message ("message: %s", error->message);
  /* Only the part before the step: which PATH entry the step names is
   * the launcher's business. */
  start = g_strndup (expected->spawn_missing,
                     strstr (expected->spawn_missing, MISSING) - expected->spawn_missing);
  g_assert_true (g_str_has_prefix (error->message, start));
  g_assert_nonnull (strstr (error->message, "tpx-i18n-missing"));
}

static void
test_exit_status (gconstpointer data)
{
  const Expected *expected = data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) recorder = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("exit", "3", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *exited_already = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  recorder = tpx_test_recorder_new (transport);
  tpx_test_recorder_wait (recorder, TIMEOUT_MS);

  g_assert_false (tpx_process_status_check (recorder->end_status, &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED);
  g_assert_cmpstr (error->message, ==, expected->exited_3);
  g_clear_error (&error);

  g_assert_false (tpx_process_transport_signal_process (transport, "TERM", &error));
  g_assert_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY);
  exited_already = g_strdup_printf (expected->exited_already,
                                    tpx_process_transport_get_pid (transport));
  g_assert_cmpstr (error->message, ==, exited_already);
}

static void
test_unknown_signal (gconstpointer data)
{
  const Expected *expected = data;
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();
  g_autoptr(TpxProcessTransport) transport = NULL;
  g_autoptr(TpxTestRecorder) recorder = NULL;
  g_auto(GStrv) argv = tpx_test_helper_argv ("wait-stdin", NULL);
  g_autoptr(GError) error = NULL;

  transport = tpx_process_launcher_spawn (launcher, NULL, tpx_test_helper_path (),
                                          (const char * const *) argv, &error);
  g_assert_no_error (error);
  recorder = tpx_test_recorder_new (transport);

  g_assert_false (tpx_process_transport_signal_process (transport, "NOPE", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, expected->unknown_signal);

  /* The child reads its standard input to the end, then exits. */
  tpx_process_transport_close_stdin (transport);
  tpx_test_recorder_wait (recorder, TIMEOUT_MS);
  g_assert_true (tpx_process_status_is_success (recorder->end_status));
}

typedef struct {
  GBytes   *output;
  GError   *error;
  gboolean  done;
} OutputResult;

static void
output_ready_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  OutputResult *r = user_data;

  r->output = tpx_get_process_output_finish (result, &r->error);
  r->done = TRUE;
}

static void
test_unexpected_stderr (gconstpointer data)
{
  const Expected *expected = data;
  const char * const args[] = { "write-err", "oops", NULL };
  OutputResult r = { NULL, NULL, FALSE };

  tpx_get_process_output_async (tpx_test_helper_path (), args, NULL,
                                TPX_OUTPUT_FLAGS_NONE, NULL,
                                output_ready_cb, &r);
  tpx_test_run_until (&r.done, TIMEOUT_MS);

  g_assert_null (r.output);
  g_assert_error (r.error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_UNEXPECTED_STDERR);
  g_assert_cmpstr (r.error->message, ==, expected->unexpected_stderr);
  g_clear_error (&r.error);
}

typedef struct {
  const Expected *expected;
  GTestDataFunc   body;
} LanguageTest;

/* Each test runs in a child process of its own, which sets LANGUAGE
 * first: this process keeps its environment untouched once threads may
 * exist. */
static void
run_in_language (gconstpointer data)
{
  const LanguageTest *test = data;

  if (g_test_subprocess ())
    {
      use_language (test->expected);
      test->body (test->expected);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
add_tests (const char     *name,
           const Expected *expected)
{
  static const struct {
    const char    *path;
    GTestDataFunc  body;
  } tests[] = {
    { "spawn-missing", test_spawn_missing },
    { "spawn-missing-bare-name", test_spawn_missing_bare_name },
    { "exit-status", test_exit_status },
    { "unknown-signal", test_unknown_signal },
    { "unexpected-stderr", test_unexpected_stderr },
  };

  /* Static, not allocated: a test run in a subprocess exits without
   * freeing the other tests' data, which LeakSanitizer would report. */
  static LanguageTest cases[3 * G_N_ELEMENTS (tests)];
  static gsize n_cases;

  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strconcat ("/tpx/i18n/", name, "/", tests[i].path, NULL);
      LanguageTest *test;

      g_assert_cmpuint (n_cases, <, G_N_ELEMENTS (cases));
      test = &cases[n_cases++];
      test->expected = expected;
      test->body = tests[i].body;
      g_test_add_data_func (path, test, run_in_language);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TpxProcessLauncher) launcher = NULL;
  g_autofree char *localedir = NULL;
  g_autofree char *catalogue = NULL;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);

  /* The first launcher binds the domain to the installed catalogues... */
  launcher = tpx_process_launcher_new ();

  /* ...and this binds it to the build's, for good. */
  localedir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  catalogue = g_build_filename (localedir, "de", "LC_MESSAGES", "tpx.mo", NULL);
  if (!g_file_test (catalogue, G_FILE_TEST_EXISTS))
    g_error ("%s is missing: build the catalogues of po/ first", catalogue);
  g_assert_cmpstr (bindtextdomain ("tpx", localedir), ==, localedir);

  /* Without LANGUAGE the messages stay English: binding the domain does
   * not pick a language by itself. */
  add_tests ("untranslated", &untranslated);
  add_tests ("de", &german);
  add_tests ("fr", &french);

  return g_test_run ();
}
