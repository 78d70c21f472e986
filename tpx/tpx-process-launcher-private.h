/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-launcher.h"

G_BEGIN_DECLS

/* A new launcher with every setting of @self, for the process monitor,
 * which keeps a copy of the launcher it is given. */
TpxProcessLauncher *tpx_process_launcher_copy (TpxProcessLauncher *self);

/* The run-time limit of tpx_process_launcher_set_timeout(), in
 * milliseconds (0: none), for the output helpers' TIMED_OUT message. */
guint tpx_process_launcher_get_timeout_ms (TpxProcessLauncher *self);

G_END_DECLS
