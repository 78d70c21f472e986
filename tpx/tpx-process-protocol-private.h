/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-protocol.h"

G_BEGIN_DECLS

/* Points the protocol at its transport (a weak pointer: the transport owns
 * the protocol, never the other way round). */
void tpx_process_protocol_set_transport (TpxProcessProtocol  *self,
                                         TpxProcessTransport *transport);

/* FALSE when the protocol's class ignores data (no override of
 * child_data_received, out_received or err_received): reads may then skip
 * building GBytes when no signal handler listens either. */
gboolean tpx_process_protocol_wants_data (TpxProcessProtocol *self);

G_END_DECLS
