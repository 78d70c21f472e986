/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <glib-object.h>

#include "tpx-version-macros.h"
#include "tpx-process-protocol.h"

G_BEGIN_DECLS

#define TPX_TYPE_LINE_PROTOCOL (tpx_line_protocol_get_type ())

TPX_AVAILABLE_IN_1_2
G_DECLARE_DERIVABLE_TYPE (TpxLineProtocol, tpx_line_protocol, TPX, LINE_PROTOCOL, TpxProcessProtocol)

/**
 * TpxLineProtocolClass:
 * @parent_class: the parent class
 * @line_received: a line arrived from a child fd (Twisted's
 *   `LineReceiver.lineReceived`, with the fd it came from)
 *
 * The virtual methods of [class@Tpx.LineProtocol].
 *
 * Since: 1.2
 */
struct _TpxLineProtocolClass
{
  TpxProcessProtocolClass parent_class;

  void (*line_received) (TpxLineProtocol *self,
                         int              child_fd,
                         const char      *line);

  /*< private >*/
  gpointer _reserved[8];
};

TPX_AVAILABLE_IN_1_2
TpxLineProtocol *tpx_line_protocol_new                 (void) G_GNUC_WARN_UNUSED_RESULT;
TPX_AVAILABLE_IN_1_2
void             tpx_line_protocol_set_max_line_length (TpxLineProtocol *self,
                                                        gsize            max);
TPX_AVAILABLE_IN_1_2
gsize            tpx_line_protocol_get_max_line_length (TpxLineProtocol *self);

G_END_DECLS
