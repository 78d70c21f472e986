/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-transport.h"
#include "tpx-spawn-private.h"

G_BEGIN_DECLS

/* Takes over @result (its pipes and pidfd), starts watching the child in
 * the thread-default main context, and calls the protocol's
 * connection_made. @protocol: nullable. */
TpxProcessTransport *tpx_process_transport_new_for_child (TpxProcessProtocol *protocol,
                                                          TpxSpawnResult     *result,
                                                          gboolean            own_group);

G_END_DECLS
