/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <tpx/tpx.h>

G_BEGIN_DECLS

/* The helper child program, tests/helpers/tpx-test-child (see its modes). */
const char  *tpx_test_helper_path        (void);
/* { helper, mode, args..., NULL }; free with g_strfreev */
char       **tpx_test_helper_argv        (const char *mode,
                                          ...) G_GNUC_NULL_TERMINATED;

/* Number of fds open in this process (/proc/self/fd, not counting the listing fd). */
guint        tpx_test_count_fds          (void);
/* Asserts this process has no child left, reaped or not (waitpid(-1, WNOHANG) gives ECHILD). */
void         tpx_test_assert_no_children (void);

/* Iterates the thread-default main context until *flag is TRUE; fails the test
 * (g_assert) if timeout_ms passes first. */
void         tpx_test_run_until          (const gboolean *flag,
                                          guint           timeout_ms);

/* Asserts @status is an exit with @code / a death by @signum. */
void         tpx_test_assert_exited      (TpxProcessStatus *status,
                                          int               code);
void         tpx_test_assert_killed      (TpxProcessStatus *status,
                                          int               signum);

/* Spawns the helper program with @argv (argv[0] is only its name), with
 * @launcher or a new launcher when NULL; asserts the spawn succeeded. */
TpxProcessTransport *tpx_test_spawn_helper (TpxProcessLauncher *launcher,
                                          const char * const *argv);

/* Records everything a transport emits, in order. */
typedef struct {
  TpxProcessTransport *transport;   /* strong ref */
  GPtrArray           *events;      /* char*: "data:1", "lost:0", "drained:0", "exited", "ended" */
  GByteArray          *data[8];     /* bytes received per child fd 0..7 */
  TpxProcessStatus    *exit_status; /* from process-exited */
  TpxProcessStatus    *end_status;  /* from process-ended */
  guint                n_ended;
  gboolean             exited;
  gboolean             ended;
} TpxTestRecorder;

/* Connects to the five signals of @transport. Consecutive "data:N" events for
 * the same fd are recorded once. */
TpxTestRecorder *tpx_test_recorder_new   (TpxProcessTransport *transport);
void             tpx_test_recorder_free  (TpxTestRecorder     *rec);
/* Waits for process-ended (fails after timeout_ms). */
void             tpx_test_recorder_wait  (TpxTestRecorder     *rec,
                                          guint                timeout_ms);
/* Spawns like tpx_test_spawn_helper(), records everything and waits for
 * process-ended. */
TpxTestRecorder *tpx_test_run_helper_argv (TpxProcessLauncher  *launcher,
                                          const char * const  *argv,
                                          guint                timeout_ms);
/* The same for the helper program in @mode, without arguments. */
TpxTestRecorder *tpx_test_run_helper     (TpxProcessLauncher  *launcher,
                                          const char          *mode,
                                          guint                timeout_ms);
/* The bytes received on @child_fd as a NUL-terminated string (borrowed). */
const char      *tpx_test_recorder_text  (TpxTestRecorder     *rec,
                                          int                  child_fd);
/* The events joined by " ", newly allocated. */
char            *tpx_test_recorder_trace (TpxTestRecorder     *rec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TpxTestRecorder, tpx_test_recorder_free)

G_END_DECLS
