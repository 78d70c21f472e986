/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "tpx-line-protocol.h"

G_BEGIN_DECLS

/* The bytes the protocol holds for unfinished lines, over all its fds (for
 * the tests of its memory bound). */
gsize tpx_line_protocol_get_buffered_size (TpxLineProtocol *self);

G_END_DECLS
