/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <glib-object.h>

#include "tpx-version-macros.h"

G_BEGIN_DECLS

/**
 * TPX_PROCESS_ERROR:
 *
 * The error domain of [error@Tpx.ProcessError].
 *
 * Since: 1.0
 */
#define TPX_PROCESS_ERROR (tpx_process_error_quark ())

/**
 * TpxProcessError:
 * @TPX_PROCESS_ERROR_FAILED: a generic failure
 * @TPX_PROCESS_ERROR_EXITED_ALREADY: the child has already been reaped
 *   (Twisted's `ProcessExitedAlready`)
 * @TPX_PROCESS_ERROR_TERMINATED: the child exited with a non-zero code,
 *   was killed by a signal, or ended with a lost status (Twisted's
 *   `ProcessTerminated`)
 * @TPX_PROCESS_ERROR_UNEXPECTED_STDERR: the child wrote to its standard
 *   error where no output was expected there
 *
 * Errors in the `TPX_PROCESS_ERROR` domain.
 *
 * Since: 1.0
 */
typedef enum {
  TPX_PROCESS_ERROR_FAILED,
  TPX_PROCESS_ERROR_EXITED_ALREADY,
  TPX_PROCESS_ERROR_TERMINATED,
  TPX_PROCESS_ERROR_UNEXPECTED_STDERR,
} TpxProcessError;

TPX_AVAILABLE_IN_1_0
GQuark tpx_process_error_quark (void);

#define TPX_TYPE_PROCESS_STATUS (tpx_process_status_get_type ())

TPX_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (TpxProcessStatus, tpx_process_status, TPX, PROCESS_STATUS, GObject)

TPX_AVAILABLE_IN_1_0
int      tpx_process_status_get_exit_code      (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
int      tpx_process_status_get_signal         (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
int      tpx_process_status_get_raw_status     (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
gboolean tpx_process_status_get_core_dumped    (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
gboolean tpx_process_status_is_success         (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
gboolean tpx_process_status_check              (TpxProcessStatus  *self,
                                                GError           **error);
TPX_AVAILABLE_IN_1_0
gint64   tpx_process_status_get_user_time_us   (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
gint64   tpx_process_status_get_system_time_us (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_0
gint64   tpx_process_status_get_max_rss_kb     (TpxProcessStatus  *self);
TPX_AVAILABLE_IN_1_2
gboolean tpx_process_status_get_lost           (TpxProcessStatus  *self);

G_END_DECLS
