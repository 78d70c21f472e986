/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tpx-version-macros.h"
#include "tpx-process-launcher.h"
#include "tpx-process-transport.h"

G_BEGIN_DECLS

#define TPX_TYPE_PROCESS_MONITOR (tpx_process_monitor_get_type ())

TPX_AVAILABLE_IN_1_2
G_DECLARE_FINAL_TYPE (TpxProcessMonitor, tpx_process_monitor, TPX, PROCESS_MONITOR, GObject)

TPX_AVAILABLE_IN_1_2
TpxProcessMonitor   *tpx_process_monitor_new                   (void) G_GNUC_WARN_UNUSED_RESULT;
TPX_AVAILABLE_IN_1_2
gboolean             tpx_process_monitor_add_process           (TpxProcessMonitor   *self,
                                                                const char          *name,
                                                                TpxProcessLauncher  *launcher,
                                                                const char          *executable,
                                                                const char * const  *argv,
                                                                GError             **error);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_remove_process        (TpxProcessMonitor   *self,
                                                                const char          *name);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_start                 (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_stop                  (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_restart               (TpxProcessMonitor   *self,
                                                                const char          *name);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_restart_all           (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
TpxProcessTransport *tpx_process_monitor_get_transport         (TpxProcessMonitor   *self,
                                                                const char          *name);
TPX_AVAILABLE_IN_1_2
char               **tpx_process_monitor_dup_names             (TpxProcessMonitor   *self);

TPX_AVAILABLE_IN_1_2
gboolean             tpx_process_monitor_get_running           (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
guint                tpx_process_monitor_get_threshold         (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_set_threshold         (TpxProcessMonitor   *self,
                                                                guint                threshold_ms);
TPX_AVAILABLE_IN_1_2
guint                tpx_process_monitor_get_min_restart_delay (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_set_min_restart_delay (TpxProcessMonitor   *self,
                                                                guint                delay_ms);
TPX_AVAILABLE_IN_1_2
guint                tpx_process_monitor_get_max_restart_delay (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_set_max_restart_delay (TpxProcessMonitor   *self,
                                                                guint                delay_ms);
TPX_AVAILABLE_IN_1_2
guint                tpx_process_monitor_get_kill_time         (TpxProcessMonitor   *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_monitor_set_kill_time         (TpxProcessMonitor   *self,
                                                                guint                kill_time_ms);

G_END_DECLS
