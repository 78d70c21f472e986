/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tpx-version-macros.h"
#include "tpx-process-launcher.h"

G_BEGIN_DECLS

/**
 * TpxOutputFlags:
 * @TPX_OUTPUT_FLAGS_NONE: standard output only; any standard error output
 *   fails the call
 * @TPX_OUTPUT_FLAGS_ERRORTOO: standard error is collected together with
 *   standard output, in arrival order (Twisted's `errortoo=True`)
 *
 * Options of [func@Tpx.get_process_output_async].
 *
 * Since: 1.0
 */
typedef enum /*< flags >*/ {
  TPX_OUTPUT_FLAGS_NONE     = 0,
  TPX_OUTPUT_FLAGS_ERRORTOO = 1 << 0,
} TpxOutputFlags;

TPX_AVAILABLE_IN_1_0
void      tpx_get_process_output_async            (const char           *executable,
                                                   const char * const   *args,
                                                   TpxProcessLauncher   *launcher,
                                                   TpxOutputFlags        flags,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
TPX_AVAILABLE_IN_1_0
GBytes   *tpx_get_process_output_finish           (GAsyncResult         *result,
                                                   GError              **error);
TPX_AVAILABLE_IN_1_0
void      tpx_get_process_value_async             (const char           *executable,
                                                   const char * const   *args,
                                                   TpxProcessLauncher   *launcher,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
TPX_AVAILABLE_IN_1_0
int       tpx_get_process_value_finish            (GAsyncResult         *result,
                                                   GError              **error);
TPX_AVAILABLE_IN_1_0
void      tpx_get_process_output_and_value_async  (const char           *executable,
                                                   const char * const   *args,
                                                   TpxProcessLauncher   *launcher,
                                                   GBytes               *stdin_bytes,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
TPX_AVAILABLE_IN_1_0
gboolean  tpx_get_process_output_and_value_finish (GAsyncResult         *result,
                                                   GBytes              **out,
                                                   GBytes              **err,
                                                   int                  *exit_code,
                                                   GError              **error);

G_END_DECLS
