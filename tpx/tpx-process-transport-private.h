/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-loop-private.h"
#include "tpx-process-transport.h"
#include "tpx-spawn-private.h"

G_BEGIN_DECLS

/* Takes over @loop (the thread-default context's, taken before the spawn
 * so that running out of fds fails the spawn, not the watching) and
 * @result (its pipes and pidfd), starts watching the child, and calls the
 * protocol's connection_made. @protocol: nullable. */
TpxProcessTransport *tpx_process_transport_new_for_child (TpxProcessProtocol *protocol,
                                                          TpxLoop            *loop,
                                                          TpxSpawnResult     *result,
                                                          gboolean            own_group);

G_END_DECLS
