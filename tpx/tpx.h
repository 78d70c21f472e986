/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <gio/gio.h>

#define TPX_INSIDE
# include "tpx-version.h"
# include "tpx-version-macros.h"
# include "tpx-enum-types.h"
# include "tpx-line-protocol.h"
# include "tpx-process-launcher.h"
# include "tpx-process-monitor.h"
# include "tpx-process-protocol.h"
# include "tpx-process-status.h"
# include "tpx-process-transport.h"
# include "tpx-utils.h"
#undef TPX_INSIDE
