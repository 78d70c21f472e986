/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/resource.h>

#include "tpx-process-status.h"

G_BEGIN_DECLS

/* @rusage: nullable */
TpxProcessStatus *tpx_process_status_new (int                  wait_status,
                                          const struct rusage *rusage);
/* The end of a child whose status the kernel no longer had. */
TpxProcessStatus *tpx_process_status_new_lost (void);

G_END_DECLS
