/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tpx-version-macros.h"
#include "tpx-process-status.h"

G_BEGIN_DECLS

#define TPX_TYPE_PROCESS_TRANSPORT (tpx_process_transport_get_type ())

TPX_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (TpxProcessTransport, tpx_process_transport, TPX, PROCESS_TRANSPORT, GObject)

G_END_DECLS

/* The protocol and the transport refer to each other: each header declares
 * its type before it includes the other one, so that whichever comes first,
 * both types are declared once (a typedef repeated is not C99). */
#include "tpx-process-protocol.h"

G_BEGIN_DECLS

TPX_AVAILABLE_IN_1_0
int                  tpx_process_transport_get_pid               (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
TpxProcessProtocol  *tpx_process_transport_get_protocol          (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
TpxProcessStatus    *tpx_process_transport_get_status            (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_write                 (TpxProcessTransport  *self,
                                                                  const guint8         *data,
                                                                  gsize                 len);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_write_bytes           (TpxProcessTransport  *self,
                                                                  GBytes               *bytes);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_write_to_child        (TpxProcessTransport  *self,
                                                                  int                   child_fd,
                                                                  const guint8         *data,
                                                                  gsize                 len,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_write_bytes_to_child  (TpxProcessTransport  *self,
                                                                  int                   child_fd,
                                                                  GBytes               *bytes,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
gsize                tpx_process_transport_get_write_buffer_size (TpxProcessTransport  *self,
                                                                  int                   child_fd);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_close_stdin           (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_close_stdout          (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_close_stderr          (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_close_child_fd        (TpxProcessTransport  *self,
                                                                  int                   child_fd);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_lose_connection       (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_signal_process        (TpxProcessTransport  *self,
                                                                  const char           *signal,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_send_signal           (TpxProcessTransport  *self,
                                                                  int                   signum,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_signal_process_group  (TpxProcessTransport  *self,
                                                                  const char           *signal,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_pause_producing       (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_transport_resume_producing      (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_transport_stop                  (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_2
gboolean             tpx_process_transport_signal_tree           (TpxProcessTransport  *self,
                                                                  const char           *signal,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_2
gboolean             tpx_process_transport_get_timed_out         (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_2
guint                tpx_process_transport_get_n_tree_processes  (TpxProcessTransport  *self);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_transport_wait_async            (TpxProcessTransport  *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
TPX_AVAILABLE_IN_1_2
TpxProcessStatus    *tpx_process_transport_wait_finish           (TpxProcessTransport  *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_transport_set_window_size       (TpxProcessTransport  *self,
                                                                  guint16               rows,
                                                                  guint16               cols,
                                                                  GError              **error);

G_END_DECLS
