/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <tpx/tpx.h>

G_BEGIN_DECLS

TpxProcessLauncher *parent_launcher_new (const char *cwd);

G_END_DECLS
