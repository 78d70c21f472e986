/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-process-protocol.h"

G_BEGIN_DECLS

/* Points the protocol at its transport (a weak pointer: the transport owns
 * the protocol, never the other way round). */
void tpx_process_protocol_set_transport (TpxProcessProtocol  *self,
                                         TpxProcessTransport *transport);

G_END_DECLS
