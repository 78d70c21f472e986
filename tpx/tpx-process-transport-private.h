/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-transport.h"
#include "tpx-spawn-private.h"

G_BEGIN_DECLS

/* The one way to make a transport with a child: spawns @plan (borrowed,
 * read only during the call) in the thread-default main context, starts
 * watching the child there and calls the protocol's connection_made.
 * @protocol: nullable. */
TpxProcessTransport *tpx_process_transport_new_for_plan (TpxProcessProtocol  *protocol,
                                                         const TpxSpawnPlan  *plan,
                                                         GError             **error);

G_END_DECLS
