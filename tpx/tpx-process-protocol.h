/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <glib-object.h>

#include "tpx-version-macros.h"
#include "tpx-process-status.h"

G_BEGIN_DECLS

#define TPX_TYPE_PROCESS_PROTOCOL (tpx_process_protocol_get_type ())

TPX_AVAILABLE_IN_1_0
G_DECLARE_DERIVABLE_TYPE (TpxProcessProtocol, tpx_process_protocol, TPX, PROCESS_PROTOCOL, GObject)

G_END_DECLS

/* The protocol and the transport refer to each other: each header declares
 * its type before it includes the other one, so that whichever comes first,
 * both types are declared once (a typedef repeated is not C99). */
#include "tpx-process-transport.h"

G_BEGIN_DECLS

/**
 * TpxProcessProtocolClass:
 * @parent_class: the parent class
 * @connection_made: the child was started; called before the spawn call
 *   returns (Twisted's `connectionMade`)
 * @child_data_received: bytes arrived from a child fd (`childDataReceived`);
 *   the default sends fd 1 to @out_received and fd 2 to @err_received
 * @child_connection_lost: a child fd was closed (`childConnectionLost`);
 *   the default sends fds 0, 1 and 2 to @in_connection_lost,
 *   @out_connection_lost and @err_connection_lost
 * @out_received: bytes from the child's standard output (`outReceived`)
 * @err_received: bytes from the child's standard error (`errReceived`)
 * @in_connection_lost: the child's standard input was closed
 *   (`inConnectionLost`)
 * @out_connection_lost: the child's standard output was closed
 *   (`outConnectionLost`)
 * @err_connection_lost: the child's standard error was closed
 *   (`errConnectionLost`)
 * @process_exited: the child was reaped; pipes may still be open
 *   (`processExited`)
 * @process_ended: the child was reaped and every pipe is closed; always the
 *   last call (`processEnded`)
 * @data_received: bytes arrived from a child fd, as a plain array: the
 *   variant of @child_data_received made for bindings (Python, gjs), which
 *   then get a `bytes` or `Uint8Array` instead of a `GLib.Bytes` per
 *   chunk. The default @child_data_received calls it instead of
 *   @out_received and @err_received when a subclass overrides it.
 *   Since: 1.2
 *
 * The virtual methods of [class@Tpx.ProcessProtocol]. The transport calls
 * each one after the user handlers of the matching
 * [class@Tpx.ProcessTransport] signal.
 *
 * Since: 1.0
 */
struct _TpxProcessProtocolClass
{
  GObjectClass parent_class;

  void (*connection_made)       (TpxProcessProtocol  *self,
                                 TpxProcessTransport *transport);
  void (*child_data_received)   (TpxProcessProtocol  *self,
                                 int                  child_fd,
                                 GBytes              *data);
  void (*child_connection_lost) (TpxProcessProtocol  *self,
                                 int                  child_fd);
  void (*out_received)          (TpxProcessProtocol  *self,
                                 GBytes              *data);
  void (*err_received)          (TpxProcessProtocol  *self,
                                 GBytes              *data);
  void (*in_connection_lost)    (TpxProcessProtocol  *self);
  void (*out_connection_lost)   (TpxProcessProtocol  *self);
  void (*err_connection_lost)   (TpxProcessProtocol  *self);
  void (*process_exited)        (TpxProcessProtocol  *self,
                                 TpxProcessStatus    *status);
  void (*process_ended)         (TpxProcessProtocol  *self,
                                 TpxProcessStatus    *status);
  void (*data_received)         (TpxProcessProtocol  *self,
                                 int                  child_fd,
                                 const guint8        *data,
                                 gsize                len);

  /*< private >*/
  gpointer _reserved[7];
};

TPX_AVAILABLE_IN_1_0
TpxProcessProtocol  *tpx_process_protocol_new           (void) G_GNUC_WARN_UNUSED_RESULT;
TPX_AVAILABLE_IN_1_0
TpxProcessTransport *tpx_process_protocol_get_transport (TpxProcessProtocol *self);

G_END_DECLS
