/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-protocol-private.h"

#include "tpx-process-transport.h"

/**
 * TpxProcessProtocol:
 *
 * The receiving end of a child process, as Twisted's `ProcessProtocol`.
 *
 * Subclass it and override the virtual methods you care about: the
 * transport calls them as the child's life goes on, each one after the
 * user handlers of the matching [class@Tpx.ProcessTransport] signal.
 * [vfunc@Tpx.ProcessProtocol.connection_made] runs while the child is being
 * spawned, before the spawn call returns.
 *
 * The default [vfunc@Tpx.ProcessProtocol.child_data_received] sends standard
 * output to [vfunc@Tpx.ProcessProtocol.out_received] and standard error to
 * [vfunc@Tpx.ProcessProtocol.err_received]; the default
 * [vfunc@Tpx.ProcessProtocol.child_connection_lost] sends fds 0, 1 and 2 to
 * the `in_`, `out_` and `err_connection_lost` methods. Every other default
 * does nothing.
 *
 * From Python, override `do_out_received` and friends; from gjs,
 * `vfunc_out_received` and friends.
 *
 * Since: 1.0
 */

typedef struct
{
  GWeakRef transport;
} TpxProcessProtocolPrivate;

enum {
  PROP_0,
  PROP_TRANSPORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE_WITH_PRIVATE (TpxProcessProtocol, tpx_process_protocol, G_TYPE_OBJECT)

static void
tpx_process_protocol_real_data_received (TpxProcessProtocol *self,
                                         int                 child_fd,
                                         const guint8       *data,
                                         gsize               len)
{
}

static void
tpx_process_protocol_real_child_data_received (TpxProcessProtocol *self,
                                               int                 child_fd,
                                               GBytes             *data)
{
  TpxProcessProtocolClass *klass = TPX_PROCESS_PROTOCOL_GET_CLASS (self);

  /* A binding's subclass: a plain array, no GBytes wrapper per chunk. */
  if (klass->data_received != tpx_process_protocol_real_data_received)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (data, &len);

      klass->data_received (self, child_fd, bytes, len);
    }
  else if (child_fd == 1)
    klass->out_received (self, data);
  else if (child_fd == 2)
    klass->err_received (self, data);
}

static void
tpx_process_protocol_real_child_connection_lost (TpxProcessProtocol *self,
                                                 int                 child_fd)
{
  TpxProcessProtocolClass *klass = TPX_PROCESS_PROTOCOL_GET_CLASS (self);

  if (child_fd == 0)
    klass->in_connection_lost (self);
  else if (child_fd == 1)
    klass->out_connection_lost (self);
  else if (child_fd == 2)
    klass->err_connection_lost (self);
}

/* The other defaults do nothing; they exist so that every vfunc can be
 * called, and chained up to, without a NULL check. */
static void
tpx_process_protocol_real_connection_made (TpxProcessProtocol  *self,
                                           TpxProcessTransport *transport)
{
}

static void
tpx_process_protocol_real_data (TpxProcessProtocol *self,
                                GBytes             *data)
{
}

static void
tpx_process_protocol_real_lost (TpxProcessProtocol *self)
{
}

static void
tpx_process_protocol_real_status (TpxProcessProtocol *self,
                                  TpxProcessStatus   *status)
{
}

static void
tpx_process_protocol_finalize (GObject *object)
{
  TpxProcessProtocol *self = TPX_PROCESS_PROTOCOL (object);
  TpxProcessProtocolPrivate *priv = tpx_process_protocol_get_instance_private (self);

  g_weak_ref_clear (&priv->transport);

  G_OBJECT_CLASS (tpx_process_protocol_parent_class)->finalize (object);
}

static void
tpx_process_protocol_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TpxProcessProtocol *self = TPX_PROCESS_PROTOCOL (object);
  TpxProcessProtocolPrivate *priv = tpx_process_protocol_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      g_value_take_object (value, g_weak_ref_get (&priv->transport));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/**
 * TpxProcessProtocolClass::connection_made:
 * @self: the protocol
 * @transport: the transport of the child that was just started
 *
 * The child is running. Called during [method@Tpx.ProcessLauncher.spawn],
 * before it returns, once the transport is set: the place to write the
 * child's first input (Twisted's `connectionMade`). The default does
 * nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::child_data_received:
 * @self: the protocol
 * @child_fd: the child's fd the bytes came from
 * @data: the bytes
 *
 * Bytes arrived from a pipe the parent reads (Twisted's
 * `childDataReceived`). The default calls
 * [vfunc@Tpx.ProcessProtocol.data_received] if the subclass overrides it;
 * otherwise [vfunc@Tpx.ProcessProtocol.out_received] for fd 1 and
 * [vfunc@Tpx.ProcessProtocol.err_received] for fd 2, ignoring other fds.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::child_connection_lost:
 * @self: the protocol
 * @child_fd: the child's fd whose pipe closed
 *
 * A pipe to the child closed (Twisted's `childConnectionLost`). The
 * default calls [vfunc@Tpx.ProcessProtocol.in_connection_lost],
 * [vfunc@Tpx.ProcessProtocol.out_connection_lost] or
 * [vfunc@Tpx.ProcessProtocol.err_connection_lost] for fds 0, 1 and 2, and
 * ignores other fds.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::out_received:
 * @self: the protocol
 * @data: the bytes
 *
 * Bytes arrived from the child's standard output (Twisted's
 * `outReceived`). The default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::err_received:
 * @self: the protocol
 * @data: the bytes
 *
 * Bytes arrived from the child's standard error (Twisted's
 * `errReceived`). The default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::in_connection_lost:
 * @self: the protocol
 *
 * The child's standard input closed (Twisted's `inConnectionLost`). The
 * default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::out_connection_lost:
 * @self: the protocol
 *
 * The child's standard output closed (Twisted's `outConnectionLost`). The
 * default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::err_connection_lost:
 * @self: the protocol
 *
 * The child's standard error closed (Twisted's `errConnectionLost`). The
 * default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::process_exited:
 * @self: the protocol
 * @status: how the child ended
 *
 * The child has been reaped; some pipes may still be open (Twisted's
 * `processExited`). The default does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::process_ended:
 * @self: the protocol
 * @status: how the child ended
 *
 * The child has been reaped and every pipe is closed (Twisted's
 * `processEnded`): always the last call, made exactly once. The default
 * does nothing.
 *
 * Since: 1.0
 */

/**
 * TpxProcessProtocolClass::data_received:
 * @self: the protocol
 * @child_fd: the child's fd the bytes came from (1 for everything a
 *   pseudo-terminal carries)
 * @data: (array length=len) (element-type guint8): the bytes, valid during
 *   the call
 * @len: how many
 *
 * Bytes arrived from a pipe the parent reads, as a plain array: the data
 * path made for bindings. Python (`do_data_received`) gets `bytes`, gjs
 * (`vfunc_data_received`) a `Uint8Array`, so that no `GLib.Bytes` wrapper
 * per chunk waits for a garbage collection (gjs keeps every one of them
 * alive until its next collection, and may refuse a callback while it
 * collects). The default [vfunc@Tpx.ProcessProtocol.child_data_received]
 * calls it, instead of [vfunc@Tpx.ProcessProtocol.out_received] and
 * [vfunc@Tpx.ProcessProtocol.err_received], when a subclass overrides it;
 * C code keeps the zero-copy `GBytes` of those.
 *
 * Since: 1.2
 */

static void
tpx_process_protocol_class_init (TpxProcessProtocolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tpx_process_protocol_finalize;
  object_class->get_property = tpx_process_protocol_get_property;

  klass->child_data_received = tpx_process_protocol_real_child_data_received;
  klass->child_connection_lost = tpx_process_protocol_real_child_connection_lost;
  klass->connection_made = tpx_process_protocol_real_connection_made;
  klass->out_received = tpx_process_protocol_real_data;
  klass->err_received = tpx_process_protocol_real_data;
  klass->in_connection_lost = tpx_process_protocol_real_lost;
  klass->out_connection_lost = tpx_process_protocol_real_lost;
  klass->err_connection_lost = tpx_process_protocol_real_lost;
  klass->process_exited = tpx_process_protocol_real_status;
  klass->process_ended = tpx_process_protocol_real_status;
  klass->data_received = tpx_process_protocol_real_data_received;

  /**
   * TpxProcessProtocol:transport:
   *
   * The transport of the child this protocol is connected to, or %NULL
   * before [vfunc@Tpx.ProcessProtocol.connection_made] and after the
   * transport is gone. The protocol does not keep the transport alive.
   *
   * Since: 1.0
   */
  properties[PROP_TRANSPORT] =
    g_param_spec_object ("transport", NULL, NULL,
                         TPX_TYPE_PROCESS_TRANSPORT,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tpx_process_protocol_init (TpxProcessProtocol *self)
{
  TpxProcessProtocolPrivate *priv = tpx_process_protocol_get_instance_private (self);

  g_weak_ref_init (&priv->transport, NULL);
}

void
tpx_process_protocol_set_transport (TpxProcessProtocol  *self,
                                    TpxProcessTransport *transport)
{
  TpxProcessProtocolPrivate *priv = tpx_process_protocol_get_instance_private (self);

  g_weak_ref_set (&priv->transport, transport);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT]);
}

gboolean
tpx_process_protocol_wants_data (TpxProcessProtocol *self)
{
  TpxProcessProtocolClass *klass = TPX_PROCESS_PROTOCOL_GET_CLASS (self);

  return klass->child_data_received != tpx_process_protocol_real_child_data_received ||
         klass->data_received != tpx_process_protocol_real_data_received ||
         klass->out_received != tpx_process_protocol_real_data ||
         klass->err_received != tpx_process_protocol_real_data;
}

/**
 * tpx_process_protocol_new:
 *
 * Creates a protocol that ignores everything: useful when only the
 * transport's signals are wanted.
 *
 * Returns: (transfer full): a new protocol
 *
 * Since: 1.0
 */
TpxProcessProtocol *
tpx_process_protocol_new (void)
{
  return g_object_new (TPX_TYPE_PROCESS_PROTOCOL, NULL);
}

/**
 * tpx_process_protocol_get_transport:
 * @self: a process protocol
 *
 * Gets the transport of the child this protocol is connected to.
 *
 * Returns: (transfer none) (nullable): the transport, or %NULL
 *
 * Since: 1.0
 */
TpxProcessTransport *
tpx_process_protocol_get_transport (TpxProcessProtocol *self)
{
  TpxProcessProtocolPrivate *priv;
  TpxProcessTransport *transport;

  g_return_val_if_fail (TPX_IS_PROCESS_PROTOCOL (self), NULL);

  priv = tpx_process_protocol_get_instance_private (self);

  /* The transport holds this protocol, so while it lives the reference
   * taken here is never the last one. */
  transport = g_weak_ref_get (&priv->transport);
  if (transport != NULL)
    g_object_unref (transport);

  return transport;
}
