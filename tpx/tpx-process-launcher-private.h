/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-launcher.h"

G_BEGIN_DECLS

/* A new launcher with every setting of @self, for the process monitor,
 * which keeps a copy of the launcher it is given. */
TpxProcessLauncher *tpx_process_launcher_copy (TpxProcessLauncher *self);

G_END_DECLS
