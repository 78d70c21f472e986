/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-transport-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tpx-child-private.h"
#include "tpx-i18n-private.h"
#include "tpx-loop-private.h"
#include "tpx-process-protocol-private.h"
#include "tpx-process-status-private.h"
#include "tpx-marshal.h"
#include "tpx-write-queue-private.h"

/**
 * TpxProcessTransport:
 *
 * One running child process, as Twisted's process transport: write to its
 * pipes, close them, signal it, and hear about everything it does through
 * signals and the virtual methods of its [class@Tpx.ProcessProtocol].
 *
 * A child's life produces, in this order:
 * [signal@Tpx.ProcessTransport::child-data] as bytes arrive,
 * [signal@Tpx.ProcessTransport::child-connection-lost] as each pipe closes,
 * [signal@Tpx.ProcessTransport::write-drained] when queued writes are done,
 * [signal@Tpx.ProcessTransport::process-exited] once the child is reaped,
 * and [signal@Tpx.ProcessTransport::process-ended] when it is reaped *and*
 * every pipe is closed: always last, exactly once. A child that leaves a
 * grandchild holding one of its pipes ends only when that pipe closes, as
 * in Twisted.
 *
 * Writes never block: what the pipe cannot take at once is queued and
 * written, in order, as the child reads. Closing a write pipe first writes
 * what is queued. Nothing is ever killed implicitly: dropping references
 * or calling [method@Tpx.ProcessTransport.lose_connection] only closes
 * pipes.
 *
 * The transport keeps itself alive while the child runs, so the caller may
 * drop its reference right after spawning; the last reference the library
 * holds goes after `process-ended`. Signals are emitted in the thread-default
 * main context of the thread that spawned the child.
 *
 * To write to a pipe whose child has gone away is not fatal: tpx ignores
 * `SIGPIPE` process-wide when the signal still has its default disposition
 * (as GIO's sockets do), and reports the loss with `child-connection-lost`.
 *
 * Since: 1.0
 */

#define READ_SIZE      (64 * 1024)
#define BIG_PIPE_SIZE  (1024 * 1024)
#define READS_PER_WAKE 4
#define SMALL_READ     (4 * 1024)

typedef struct
{
  TpxProcessTransport *self;
  TpxLoopWatch        *watch;
  TpxWriteQueue        out;          /* writes the pipe did not take yet */
  gsize                read_size;    /* grows with a busy pipe */
  int                  child_fd;
  int                  fd;           /* -1 once closed */
  TpxChildFdKind       kind;
  guint                closing : 1;      /* close once the queue is written */
  guint                lost_pending : 1; /* closed; child-connection-lost still due */
  guint                lost : 1;         /* child-connection-lost emitted */
  guint                want_out : 1;     /* watching for EPOLLOUT */
  guint                grown : 1;        /* tried to enlarge the pipe */
  guint                bulk : 1;         /* the last read was large */
} Pipe;

struct _TpxProcessTransport
{
  GObject             parent_instance;

  TpxProcessProtocol *protocol;
  TpxLoop            *loop;          /* NULL once the child ended */
  GMainContext       *context;
  Pipe               *pipes;
  guint               n_pipes;
  guint               n_open;        /* pipes whose loss was not yet announced */
  GPid                pid;
  int                 pidfd;
  TpxLoopWatch       *pid_watch;
  GSource            *child_watch;   /* where there is no pidfd */
  GSource            *notify_source; /* announces losses the caller caused */
  TpxProcessStatus   *status;

  guint               is_pty : 1;
  guint               own_group : 1;
  guint               protocol_wants_data : 1;
  guint               paused : 1;
  guint               ended : 1;
};

enum {
  PROP_0,
  PROP_PID,
  PROP_PROTOCOL,
  PROP_STATUS,
  N_PROPS
};

enum {
  CHILD_DATA,
  CHILD_CONNECTION_LOST,
  WRITE_DRAINED,
  PROCESS_EXITED,
  PROCESS_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TpxProcessTransport, tpx_process_transport, G_TYPE_OBJECT)

static void maybe_end (TpxProcessTransport *self);

static Pipe *
find_pipe (TpxProcessTransport *self,
           int                  child_fd)
{
  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].child_fd == child_fd)
      return &self->pipes[i];

  return NULL;
}

/* Stops watching and closes the fd; the loss is announced separately. */
static void
pipe_close (Pipe *pipe)
{
  TpxProcessTransport *self = pipe->self;

  if (pipe->watch != NULL)
    {
      tpx_loop_remove (self->loop, pipe->watch);
      pipe->watch = NULL;
    }
  if (pipe->fd >= 0)
    {
      close (pipe->fd);
      pipe->fd = -1;
    }
  tpx_write_queue_clear (&pipe->out);
  pipe->closing = FALSE;
}

static void
announce_lost (Pipe *pipe)
{
  TpxProcessTransport *self = pipe->self;

  if (pipe->lost)
    return;

  pipe->lost = TRUE;
  pipe->lost_pending = FALSE;
  self->n_open--;

  g_signal_emit (self, signals[CHILD_CONNECTION_LOST], 0, pipe->child_fd);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->child_connection_lost (self->protocol, pipe->child_fd);

  maybe_end (self);
}

/* Closing a PTY's reading side ends its writing side too: the child is gone. */
static void
pipe_lost_now (Pipe *pipe)
{
  TpxProcessTransport *self = pipe->self;

  pipe_close (pipe);
  announce_lost (pipe);

  if (self->is_pty && pipe->kind == TPX_CHILD_FD_READ)
    {
      Pipe *writer = find_pipe (self, 0);

      if (writer != NULL && !writer->lost)
        {
          pipe_close (writer);
          announce_lost (writer);
        }
    }
}

static gboolean
notify_cb (gpointer user_data)
{
  TpxProcessTransport *self = g_object_ref (user_data);

  g_clear_pointer (&self->notify_source, g_source_unref);

  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].lost_pending)
      announce_lost (&self->pipes[i]);

  g_object_unref (self);

  return G_SOURCE_REMOVE;
}

/* For losses the caller causes: announced from the main loop, never from
 * inside the caller's own call, so the order of signals always holds. */
static void
pipe_lost_later (Pipe *pipe)
{
  TpxProcessTransport *self = pipe->self;

  pipe_close (pipe);
  if (pipe->lost)
    return;

  pipe->lost_pending = TRUE;

  if (self->notify_source == NULL)
    {
      self->notify_source = g_idle_source_new ();
      g_source_set_priority (self->notify_source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (self->notify_source, "[tpx] pipe closed");
      g_source_set_callback (self->notify_source, notify_cb, self, NULL);
      g_source_attach (self->notify_source, self->context);
    }
}

static void
pipe_watch_output (Pipe     *pipe,
                   gboolean  want_out)
{
  if (pipe->want_out == want_out || pipe->watch == NULL)
    return;

  pipe->want_out = want_out;
  tpx_loop_modify (pipe->self->loop, pipe->watch, want_out ? EPOLLOUT : 0);
}

/* Writes as much of the queue as the pipe takes. FALSE if the pipe broke. */
static gboolean
pipe_flush (Pipe *pipe)
{
  if (!tpx_write_queue_flush (&pipe->out, pipe->fd))
    return FALSE;

  pipe_watch_output (pipe, tpx_write_queue_get_size (&pipe->out) > 0);
  return TRUE;
}

static void
handle_writable (Pipe    *pipe,
                 guint32  events)
{
  TpxProcessTransport *self = pipe->self;
  gboolean had_data = tpx_write_queue_get_size (&pipe->out) > 0;

  if (!had_data)
    {
      /* Nothing to write, yet the fd woke up: the child closed its end. */
      if (events & (EPOLLERR | EPOLLHUP))
        pipe_lost_now (pipe);
      return;
    }

  if (!pipe_flush (pipe))
    {
      pipe_lost_now (pipe);
      return;
    }

  if (tpx_write_queue_get_size (&pipe->out) > 0)
    return;

  if (g_signal_has_handler_pending (self, signals[WRITE_DRAINED], 0, FALSE))
    g_signal_emit (self, signals[WRITE_DRAINED], 0, pipe->child_fd);

  if (pipe->closing && tpx_write_queue_get_size (&pipe->out) == 0 && pipe->fd >= 0)
    pipe_lost_now (pipe);
}

/* A pipe that keeps filling up gets a bigger kernel buffer, so that each
 * wake-up moves more data; idle pipes keep the default and cost nothing. */
static void
pipe_grow (Pipe *pipe)
{
  int size;

  pipe->grown = TRUE;
  size = fcntl (pipe->fd, F_SETPIPE_SZ, BIG_PIPE_SIZE);
  if (size > 0 && pipe->kind == TPX_CHILD_FD_READ)
    pipe->read_size = MAX (pipe->read_size, (gsize) size);
}

static GPrivate scratch_key = G_PRIVATE_INIT (g_free);

static guint8 *
get_scratch_buffer (void)
{
  guint8 *scratch = g_private_get (&scratch_key);

  if (scratch == NULL)
    {
      scratch = g_malloc (READ_SIZE);
      g_private_set (&scratch_key, scratch);
    }

  return scratch;
}

/* One read; FALSE when the pipe is drained for now (or gone).
 *
 * A busy pipe is read straight into the buffer its GBytes will own, so
 * bulk data is never copied. A trickle (or data nobody listens to) is read
 * into a per-thread scratch buffer, and only the few bytes that came are
 * copied out: no 64 KiB allocation for a 64-byte message. */
static gboolean
read_once (Pipe *pipe)
{
  TpxProcessTransport *self = pipe->self;
  gboolean wanted = self->protocol_wants_data ||
                    g_signal_has_handler_pending (self, signals[CHILD_DATA], 0, FALSE);
  gboolean direct = wanted && pipe->bulk;
  gsize size = direct ? pipe->read_size : READ_SIZE;
  guint8 *buffer = direct ? g_malloc (size) : get_scratch_buffer ();
  gssize n;

  do
    n = read (pipe->fd, buffer, size);
  while (n < 0 && errno == EINTR);

  if (n > 0)
    {
      pipe->bulk = n >= SMALL_READ;

      if (wanted)
        {
          g_autoptr(GBytes) bytes = NULL;

          if (direct)
            bytes = g_bytes_new_take ((gsize) n < size ? g_realloc (buffer, n) : buffer, n);
          else
            bytes = g_bytes_new (buffer, n);

          if (g_signal_has_handler_pending (self, signals[CHILD_DATA], 0, FALSE))
            g_signal_emit (self, signals[CHILD_DATA], 0, pipe->child_fd, bytes);
          if (self->protocol != NULL)
            TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->child_data_received (self->protocol, pipe->child_fd, bytes);
        }

      if ((gsize) n < size)
        return FALSE;
      if (!pipe->grown && !self->is_pty)
        pipe_grow (pipe);
      return TRUE;
    }

  if (direct)
    g_free (buffer);

  if (n < 0 && errno == EAGAIN)
    return FALSE;

  /* End of file; or EIO, which is how a terminal says its child is gone. */
  pipe_lost_now (pipe);
  return FALSE;
}

static void
handle_readable (Pipe *pipe)
{
  /* A full buffer means more is waiting: take a few more before going
   * back to the main loop. A handler may pause or close the pipe. */
  for (guint i = 0; i < READS_PER_WAKE; i++)
    {
      if (!read_once (pipe) || pipe->watch == NULL)
        break;
    }
}

static void
pipe_event_cb (guint32  events,
               gpointer user_data)
{
  Pipe *pipe = user_data;
  TpxProcessTransport *self = g_object_ref (pipe->self);

  if (pipe->kind == TPX_CHILD_FD_READ)
    handle_readable (pipe);
  else
    handle_writable (pipe, events);

  g_object_unref (self);
}

/* @status: (transfer full) */
static void
child_exited (TpxProcessTransport *self,
              TpxProcessStatus    *status)
{
  if (self->pid_watch != NULL)
    {
      tpx_loop_remove (self->loop, self->pid_watch);
      self->pid_watch = NULL;
    }
  if (self->pidfd >= 0)
    {
      close (self->pidfd);
      self->pidfd = -1;
    }
  if (self->child_watch != NULL)
    {
      g_source_destroy (self->child_watch);
      g_clear_pointer (&self->child_watch, g_source_unref);
    }

  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);

  g_signal_emit (self, signals[PROCESS_EXITED], 0, self->status);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->process_exited (self->protocol, self->status);

  maybe_end (self);
}

static void
pidfd_event_cb (guint32  events,
                gpointer user_data)
{
  TpxProcessTransport *self = g_object_ref (user_data);
  struct rusage rusage;
  gboolean lost;
  int wait_status;

  if (tpx_child_try_reap (self->pid, self->pidfd, &wait_status, &rusage, &lost))
    child_exited (self, lost ? tpx_process_status_new_lost ()
                             : tpx_process_status_new (wait_status, &rusage));

  g_object_unref (self);
}

static void
child_watch_cb (GPid     pid,
                int      wait_status,
                gpointer user_data)
{
  TpxProcessTransport *self = g_object_ref (user_data);

  child_exited (self, tpx_process_status_new (wait_status, NULL));
  g_object_unref (self);
}

static void
maybe_end (TpxProcessTransport *self)
{
  if (self->ended || self->status == NULL || self->n_open > 0)
    return;

  self->ended = TRUE;

  g_signal_emit (self, signals[PROCESS_ENDED], 0, self->status);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->process_ended (self->protocol, self->status);

  /* Nothing is watched any more: let the context's loop go if this was
   * its last child, then the reference held while the child ran. */
  g_clear_pointer (&self->loop, tpx_loop_unref);
  g_object_unref (self);
}

static void
ignore_sigpipe (void)
{
  struct sigaction sa;

  if (sigaction (SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
      !(sa.sa_flags & SA_SIGINFO))
    {
      sa.sa_handler = SIG_IGN;
      sigaction (SIGPIPE, &sa, NULL);
    }
}

static void
tpx_process_transport_dispose (GObject *object)
{
  TpxProcessTransport *self = TPX_PROCESS_TRANSPORT (object);

  for (guint i = 0; i < self->n_pipes; i++)
    pipe_close (&self->pipes[i]);

  if (self->pid_watch != NULL)
    {
      tpx_loop_remove (self->loop, self->pid_watch);
      self->pid_watch = NULL;
    }
  if (self->child_watch != NULL)
    {
      g_source_destroy (self->child_watch);
      g_clear_pointer (&self->child_watch, g_source_unref);
    }
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_clear_pointer (&self->notify_source, g_source_unref);
    }

  g_clear_object (&self->protocol);

  G_OBJECT_CLASS (tpx_process_transport_parent_class)->dispose (object);
}

static void
tpx_process_transport_finalize (GObject *object)
{
  TpxProcessTransport *self = TPX_PROCESS_TRANSPORT (object);

  if (self->pidfd >= 0)
    close (self->pidfd);
  g_clear_pointer (&self->pipes, g_free);
  g_clear_object (&self->status);
  g_clear_pointer (&self->loop, tpx_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (tpx_process_transport_parent_class)->finalize (object);
}

static void
tpx_process_transport_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TpxProcessTransport *self = TPX_PROCESS_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_PID:
      g_value_set_int (value, self->pid);
      break;

    case PROP_PROTOCOL:
      g_value_set_object (value, self->protocol);
      break;

    case PROP_STATUS:
      g_value_set_object (value, self->status);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tpx_process_transport_class_init (TpxProcessTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  tpx_i18n_init ();

  object_class->dispose = tpx_process_transport_dispose;
  object_class->finalize = tpx_process_transport_finalize;
  object_class->get_property = tpx_process_transport_get_property;

  /**
   * TpxProcessTransport:pid:
   *
   * The child's process id; still readable after it exited.
   *
   * Since: 1.0
   */
  properties[PROP_PID] =
    g_param_spec_int ("pid", NULL, NULL,
                      0, G_MAXINT, 0,
                      (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessTransport:protocol:
   *
   * The protocol the transport reports to, if any.
   *
   * Since: 1.0
   */
  properties[PROP_PROTOCOL] =
    g_param_spec_object ("protocol", NULL, NULL,
                         TPX_TYPE_PROCESS_PROTOCOL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessTransport:status:
   *
   * How the child ended, or %NULL while it has not been reaped.
   *
   * Since: 1.0
   */
  properties[PROP_STATUS] =
    g_param_spec_object ("status", NULL, NULL,
                         TPX_TYPE_PROCESS_STATUS,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TpxProcessTransport::child-data:
   * @self: the transport
   * @child_fd: the child's fd the bytes came from (1 for everything a
   *   pseudo-terminal carries)
   * @data: the bytes
   *
   * Bytes arrived from a pipe the parent reads (Twisted's
   * `childDataReceived`). The protocol's
   * [vfunc@Tpx.ProcessProtocol.child_data_received] is called after the
   * handlers.
   *
   * Since: 1.0
   */
  signals[CHILD_DATA] =
    g_signal_new ("child-data",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _tpx_marshal_VOID__INT_BOXED,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_BYTES);
  g_signal_set_va_marshaller (signals[CHILD_DATA], G_TYPE_FROM_CLASS (klass),
                              _tpx_marshal_VOID__INT_BOXEDv);

  /**
   * TpxProcessTransport::child-connection-lost:
   * @self: the transport
   * @child_fd: the child's fd whose pipe closed
   *
   * A pipe closed: the child closed it (end of file), the parent did
   * (`close_*`, `lose_connection`), or the child stopped reading a pipe the
   * parent writes (Twisted's `childConnectionLost`). Emitted once per pipe.
   *
   * Since: 1.0
   */
  signals[CHILD_CONNECTION_LOST] =
    g_signal_new ("child-connection-lost",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);

  /**
   * TpxProcessTransport::write-drained:
   * @self: the transport
   * @child_fd: the child's fd whose queue emptied
   *
   * Everything queued for a pipe has been written. Emitted only after
   * writes had to wait in the queue; see
   * [method@Tpx.ProcessTransport.get_write_buffer_size].
   *
   * Since: 1.0
   */
  signals[WRITE_DRAINED] =
    g_signal_new ("write-drained",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);

  /**
   * TpxProcessTransport::process-exited:
   * @self: the transport
   * @status: how the child ended
   *
   * The child has been reaped; some pipes may still be open (Twisted's
   * `processExited`).
   *
   * Since: 1.0
   */
  signals[PROCESS_EXITED] =
    g_signal_new ("process-exited",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TPX_TYPE_PROCESS_STATUS);

  /**
   * TpxProcessTransport::process-ended:
   * @self: the transport
   * @status: how the child ended
   *
   * The child has been reaped and every pipe is closed (Twisted's
   * `processEnded`): always the last signal, emitted exactly once. Every
   * byte the child wrote before it exited has been delivered.
   *
   * Since: 1.0
   */
  signals[PROCESS_ENDED] =
    g_signal_new ("process-ended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TPX_TYPE_PROCESS_STATUS);

  ignore_sigpipe ();
}

static void
tpx_process_transport_init (TpxProcessTransport *self)
{
  self->pidfd = -1;
}

TpxProcessTransport *
tpx_process_transport_new_for_child (TpxProcessProtocol *protocol,
                                     TpxLoop            *loop,
                                     TpxSpawnResult     *result,
                                     gboolean            own_group)
{
  TpxProcessTransport *self;

  self = g_object_new (TPX_TYPE_PROCESS_TRANSPORT, NULL);
  self->context = g_main_context_ref (tpx_loop_get_context (loop));
  self->loop = loop;
  self->pid = result->pid;
  self->pidfd = result->pidfd;
  self->is_pty = result->is_pty;
  self->own_group = !!own_group;
  self->n_pipes = result->n_pipes;
  self->n_open = result->n_pipes;
  self->pipes = g_new0 (Pipe, result->n_pipes);
  self->protocol = protocol != NULL ? g_object_ref (protocol) : NULL;

  for (guint i = 0; i < result->n_pipes; i++)
    {
      Pipe *pipe = &self->pipes[i];

      pipe->self = self;
      pipe->child_fd = result->pipes[i].child_fd;
      pipe->kind = result->pipes[i].kind;
      pipe->fd = result->pipes[i].fd;
      pipe->read_size = READ_SIZE;
      tpx_write_queue_init (&pipe->out);
    }

  g_clear_pointer (&result->pipes, g_free);
  result->n_pipes = 0;
  result->pidfd = -1;

  /* Held until process-ended. */
  g_object_ref (self);

  for (guint i = 0; i < self->n_pipes; i++)
    {
      Pipe *pipe = &self->pipes[i];

      /* A write pipe is watched even while idle: EPOLLERR tells the child
       * closed its end. */
      pipe->watch = tpx_loop_add (self->loop, pipe->fd,
                                  pipe->kind == TPX_CHILD_FD_READ ? EPOLLIN : 0,
                                  pipe_event_cb, pipe);
      if (pipe->watch == NULL)
        {
          g_warning ("Cannot watch fd %d of child %d: %s", pipe->child_fd,
                     (int) self->pid, g_strerror (errno));
          pipe_lost_later (pipe);
        }
    }

  if (self->pidfd >= 0)
    self->pid_watch = tpx_loop_add (self->loop, self->pidfd, EPOLLIN, pidfd_event_cb, self);

  if (self->pid_watch == NULL)
    {
      self->child_watch = g_child_watch_source_new (self->pid);
      g_source_set_callback (self->child_watch, (GSourceFunc) (void (*)(void)) child_watch_cb, self, NULL);
      g_source_attach (self->child_watch, self->context);
    }

  if (self->protocol != NULL)
    {
      self->protocol_wants_data = tpx_process_protocol_wants_data (self->protocol);
      tpx_process_protocol_set_transport (self->protocol, self);
      TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->connection_made (self->protocol, self);
    }

  return self;
}

/**
 * tpx_process_transport_get_pid:
 * @self: a transport
 *
 * Gets the child's process id. It stays readable after the child exited,
 * but then names no process of ours: use
 * [method@Tpx.ProcessTransport.send_signal], never `kill()`.
 *
 * Returns: the process id
 *
 * Since: 1.0
 */
int
tpx_process_transport_get_pid (TpxProcessTransport *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), 0);

  return self->pid;
}

/**
 * tpx_process_transport_get_protocol:
 * @self: a transport
 *
 * Gets the protocol the transport reports to.
 *
 * Returns: (transfer none) (nullable): the protocol
 *
 * Since: 1.0
 */
TpxProcessProtocol *
tpx_process_transport_get_protocol (TpxProcessTransport *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), NULL);

  return self->protocol;
}

/**
 * tpx_process_transport_get_status:
 * @self: a transport
 *
 * Gets how the child ended.
 *
 * Returns: (transfer none) (nullable): the status, or %NULL until the child
 *   has been reaped
 *
 * Since: 1.0
 */
TpxProcessStatus *
tpx_process_transport_get_status (TpxProcessTransport *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), NULL);

  return self->status;
}

/* Queues @data (borrowed) or @bytes (referenced when queued). */
static void
pipe_write (Pipe         *pipe,
            const guint8 *data,
            gsize         len,
            GBytes       *bytes)
{
  gssize n = 0;

  if (len == 0)
    return;

  if (tpx_write_queue_get_size (&pipe->out) == 0)
    {
      /* Nothing waits: try the pipe at once, it usually takes it all. */
      do
        n = write (pipe->fd, data, len);
      while (n < 0 && errno == EINTR);

      if (n == (gssize) len)
        return;

      if (!pipe->grown && !pipe->self->is_pty)
        pipe_grow (pipe);

      if (n < 0)
        {
          if (errno != EAGAIN)
            {
              pipe_lost_later (pipe);
              return;
            }
          n = 0;
        }
    }

  if (bytes != NULL && n > 0)
    {
      g_autoptr(GBytes) rest = g_bytes_new_from_bytes (bytes, n, len - n);

      tpx_write_queue_push (&pipe->out, NULL, len - n, rest);
    }
  else
    tpx_write_queue_push (&pipe->out, data + n, len - n, bytes);

  pipe_watch_output (pipe, TRUE);
}

static gboolean
write_to_child (TpxProcessTransport  *self,
                int                   child_fd,
                const guint8         *data,
                gsize                 len,
                GBytes               *bytes,
                GError              **error)
{
  Pipe *pipe = find_pipe (self, child_fd);

  if (pipe == NULL || pipe->kind != TPX_CHILD_FD_WRITE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Child fd %d is not a pipe the parent writes"), child_fd);
      return FALSE;
    }

  if (pipe->fd < 0 || pipe->closing)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("Child fd %d is closed"), child_fd);
      return FALSE;
    }

  pipe_write (pipe, data, len, bytes);
  return TRUE;
}

/**
 * tpx_process_transport_write:
 * @self: a transport
 * @data: (array length=len) (element-type guint8): the bytes
 * @len: how many
 *
 * Writes to the child's standard input (Twisted's `write`). It never
 * blocks: what the pipe cannot take now is queued. Once standard input is
 * closed, the data is dropped.
 *
 * Since: 1.0
 */
void
tpx_process_transport_write (TpxProcessTransport *self,
                             const guint8        *data,
                             gsize                len)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));
  g_return_if_fail (data != NULL || len == 0);

  write_to_child (self, 0, data, len, NULL, NULL);
}

/**
 * tpx_process_transport_write_bytes:
 * @self: a transport
 * @bytes: the bytes
 *
 * Like [method@Tpx.ProcessTransport.write]; a queued @bytes is referenced,
 * not copied.
 *
 * Since: 1.0
 */
void
tpx_process_transport_write_bytes (TpxProcessTransport *self,
                                   GBytes              *bytes)
{
  gsize len;
  const guint8 *data;

  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));
  g_return_if_fail (bytes != NULL);

  data = g_bytes_get_data (bytes, &len);
  write_to_child (self, 0, data, len, bytes, NULL);
}

/**
 * tpx_process_transport_write_to_child:
 * @self: a transport
 * @child_fd: a child fd mapped as %TPX_CHILD_FD_WRITE
 * @data: (array length=len) (element-type guint8): the bytes
 * @len: how many
 * @error: return location for a #GError
 *
 * Writes to one of the child's pipes (Twisted's `writeToChild`), without
 * blocking.
 *
 * Returns: %TRUE if the data was written or queued; %FALSE with
 *   `G_IO_ERROR_NOT_FOUND` if @child_fd is not a pipe the parent writes, or
 *   `G_IO_ERROR_CLOSED` if it is closed
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_write_to_child (TpxProcessTransport  *self,
                                      int                   child_fd,
                                      const guint8         *data,
                                      gsize                 len,
                                      GError              **error)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return write_to_child (self, child_fd, data, len, NULL, error);
}

/**
 * tpx_process_transport_write_bytes_to_child:
 * @self: a transport
 * @child_fd: a child fd mapped as %TPX_CHILD_FD_WRITE
 * @bytes: the bytes
 * @error: return location for a #GError
 *
 * Like [method@Tpx.ProcessTransport.write_to_child]; a queued @bytes is
 * referenced, not copied.
 *
 * Returns: %TRUE if the data was written or queued
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_write_bytes_to_child (TpxProcessTransport  *self,
                                            int                   child_fd,
                                            GBytes               *bytes,
                                            GError              **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &len);
  return write_to_child (self, child_fd, data, len, bytes, error);
}

/**
 * tpx_process_transport_get_write_buffer_size:
 * @self: a transport
 * @child_fd: a child fd
 *
 * Gets how many bytes wait in the queue of one of the child's pipes.
 *
 * Returns: the number of queued bytes; 0 for an fd that is not a write pipe
 *
 * Since: 1.0
 */
gsize
tpx_process_transport_get_write_buffer_size (TpxProcessTransport *self,
                                             int                  child_fd)
{
  Pipe *pipe;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), 0);

  pipe = find_pipe (self, child_fd);
  return pipe != NULL ? tpx_write_queue_get_size (&pipe->out) : 0;
}

static void
close_pipe (Pipe *pipe)
{
  if (pipe == NULL || pipe->fd < 0 || pipe->closing)
    return;

  if (pipe->kind == TPX_CHILD_FD_WRITE && tpx_write_queue_get_size (&pipe->out) > 0)
    pipe->closing = TRUE;   /* closed once the queue is written */
  else
    pipe_lost_later (pipe);
}

/**
 * tpx_process_transport_close_child_fd:
 * @self: a transport
 * @child_fd: a child fd
 *
 * Closes one of the child's pipes (Twisted's `closeChildFD`). A pipe the
 * parent writes is closed once its queue is written, so the child reads
 * every byte and then end of file; a pipe the parent reads stops being
 * read at once. [signal@Tpx.ProcessTransport::child-connection-lost]
 * follows from the main loop. It does nothing on a pseudo-terminal.
 *
 * Since: 1.0
 */
void
tpx_process_transport_close_child_fd (TpxProcessTransport *self,
                                      int                  child_fd)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  if (!self->is_pty)
    close_pipe (find_pipe (self, child_fd));
}

/**
 * tpx_process_transport_close_stdin:
 * @self: a transport
 *
 * Closes the child's standard input once what is queued is written
 * (Twisted's `closeStdin`). Does nothing on a pseudo-terminal.
 *
 * Since: 1.0
 */
void
tpx_process_transport_close_stdin (TpxProcessTransport *self)
{
  tpx_process_transport_close_child_fd (self, 0);
}

/**
 * tpx_process_transport_close_stdout:
 * @self: a transport
 *
 * Stops reading the child's standard output and closes it (Twisted's
 * `closeStdout`). Does nothing on a pseudo-terminal.
 *
 * Since: 1.0
 */
void
tpx_process_transport_close_stdout (TpxProcessTransport *self)
{
  tpx_process_transport_close_child_fd (self, 1);
}

/**
 * tpx_process_transport_close_stderr:
 * @self: a transport
 *
 * Stops reading the child's standard error and closes it (Twisted's
 * `closeStderr`). Does nothing on a pseudo-terminal.
 *
 * Since: 1.0
 */
void
tpx_process_transport_close_stderr (TpxProcessTransport *self)
{
  tpx_process_transport_close_child_fd (self, 2);
}

/**
 * tpx_process_transport_lose_connection:
 * @self: a transport
 *
 * Closes every pipe to the child, write pipes once their queues are
 * written (Twisted's `loseConnection`). A pseudo-terminal is closed at
 * once and input still queued for it is dropped: the child gets a hang-up,
 * and could not read it any more. The child is not killed.
 *
 * Since: 1.0
 */
void
tpx_process_transport_lose_connection (TpxProcessTransport *self)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  for (guint i = 0; i < self->n_pipes; i++)
    {
      /* Closing a terminal is a hang-up: what the child did not read yet
       * would never be read, so it is dropped rather than waited for. */
      if (self->is_pty && self->pipes[i].fd >= 0)
        pipe_lost_later (&self->pipes[i]);
      else
        close_pipe (&self->pipes[i]);
    }
}

/**
 * tpx_process_transport_send_signal:
 * @self: a transport
 * @signum: a signal number, 0 … 64; 0 only checks that the child is alive
 * @error: return location for a #GError
 *
 * Sends a signal to the child. Through a pidfd, the signal can never reach
 * another process that reused the child's pid.
 *
 * Returns: %TRUE if the signal was sent; %FALSE with
 *   `TPX_PROCESS_ERROR_EXITED_ALREADY` once the child has been reaped, or
 *   `G_IO_ERROR_INVALID_ARGUMENT` for a number out of range
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_send_signal (TpxProcessTransport  *self,
                                   int                   signum,
                                   GError              **error)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (signum < 0 || signum > 64)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Invalid signal number %d"), signum);
      return FALSE;
    }

  if (self->status != NULL)
    {
      g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                   _("Child process %d has already exited"), (int) self->pid);
      return FALSE;
    }

  /* Not reaped yet: even a kill() fallback cannot reach a reused pid. */
  if (!tpx_child_send_signal (self->pid, self->pidfd, signum))
    {
      int saved_errno = errno;

      if (saved_errno == ESRCH)
        g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                     _("Child process %d has already exited"), (int) self->pid);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                     _("Cannot send signal %d to child process %d: %s"),
                     signum, (int) self->pid, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/**
 * tpx_process_transport_signal_process:
 * @self: a transport
 * @signal: a signal name as in Twisted (`"KILL"`, `"TERM"`, `"INT"`,
 *   `"HUP"`, `"QUIT"`, `"USR1"`, …, with or without `"SIG"`) or a decimal
 *   number 0 … 64
 * @error: return location for a #GError
 *
 * Sends a signal to the child, by name (Twisted's `signalProcess`).
 *
 * Returns: %TRUE if the signal was sent; %FALSE with
 *   `G_IO_ERROR_INVALID_ARGUMENT` for an unknown name, or
 *   `TPX_PROCESS_ERROR_EXITED_ALREADY` once the child has been reaped
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_signal_process (TpxProcessTransport  *self,
                                      const char           *signal,
                                      GError              **error)
{
  int signum;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (signal != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  signum = tpx_child_signal_from_name (signal, error);
  if (signum < 0)
    return FALSE;

  return tpx_process_transport_send_signal (self, signum, error);
}

/**
 * tpx_process_transport_signal_process_group:
 * @self: a transport
 * @signal: a signal name or number, as for
 *   [method@Tpx.ProcessTransport.signal_process]
 * @error: return location for a #GError
 *
 * Sends a signal to the child's whole process group: the child and every
 * descendant that stayed in its group. The child must have been started
 * with [method@Tpx.ProcessLauncher.set_new_session],
 * [method@Tpx.ProcessLauncher.set_process_group] or a pseudo-terminal;
 * otherwise this fails with `G_IO_ERROR_NOT_SUPPORTED`.
 *
 * Returns: %TRUE if the signal was sent
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_signal_process_group (TpxProcessTransport  *self,
                                            const char           *signal,
                                            GError              **error)
{
  int signum;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (signal != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  signum = tpx_child_signal_from_name (signal, error);
  if (signum < 0)
    return FALSE;

  if (!self->own_group)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Child process %d has no process group of its own"), (int) self->pid);
      return FALSE;
    }

  if (self->status != NULL)
    {
      g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                   _("Child process %d has already exited"), (int) self->pid);
      return FALSE;
    }

  /* The group cannot be reused while its leader, our child, is unreaped. */
  if (kill (-self->pid, signum) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot send signal %d to process group %d: %s"),
                   signum, (int) self->pid, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/**
 * tpx_process_transport_pause_producing:
 * @self: a transport
 *
 * Stops reading every pipe from the child; a child that keeps writing
 * blocks once a pipe is full. Nothing is lost.
 *
 * Since: 1.0
 */
void
tpx_process_transport_pause_producing (TpxProcessTransport *self)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  if (self->paused)
    return;
  self->paused = TRUE;

  /* Removed from epoll rather than muted: a hang-up would still wake it. */
  for (guint i = 0; i < self->n_pipes; i++)
    {
      Pipe *pipe = &self->pipes[i];

      if (pipe->kind == TPX_CHILD_FD_READ && pipe->watch != NULL)
        {
          tpx_loop_remove (self->loop, pipe->watch);
          pipe->watch = NULL;
        }
    }
}

/**
 * tpx_process_transport_resume_producing:
 * @self: a transport
 *
 * Starts reading the child's pipes again after
 * [method@Tpx.ProcessTransport.pause_producing].
 *
 * Since: 1.0
 */
void
tpx_process_transport_resume_producing (TpxProcessTransport *self)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  if (!self->paused)
    return;
  self->paused = FALSE;

  for (guint i = 0; i < self->n_pipes; i++)
    {
      Pipe *pipe = &self->pipes[i];

      if (pipe->kind == TPX_CHILD_FD_READ && pipe->fd >= 0 && pipe->watch == NULL &&
          self->loop != NULL)
        {
          pipe->watch = tpx_loop_add (self->loop, pipe->fd, EPOLLIN, pipe_event_cb, pipe);
          if (pipe->watch == NULL)
            pipe_lost_later (pipe);
        }
    }
}

/**
 * tpx_process_transport_set_window_size:
 * @self: a transport
 * @rows: the number of rows
 * @cols: the number of columns
 * @error: return location for a #GError
 *
 * Resizes the child's pseudo-terminal; the child gets `SIGWINCH`.
 *
 * Returns: %TRUE on success; %FALSE with `G_IO_ERROR_NOT_SUPPORTED` for a
 *   child without a pseudo-terminal, or `G_IO_ERROR_CLOSED` once it is
 *   closed
 *
 * Since: 1.0
 */
gboolean
tpx_process_transport_set_window_size (TpxProcessTransport  *self,
                                       guint16               rows,
                                       guint16               cols,
                                       GError              **error)
{
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  int fd = -1;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->is_pty)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Child process %d has no pseudo-terminal"), (int) self->pid);
      return FALSE;
    }

  for (guint i = 0; i < self->n_pipes && fd < 0; i++)
    fd = self->pipes[i].fd;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("The pseudo-terminal of child process %d is closed"), (int) self->pid);
      return FALSE;
    }

  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot resize the pseudo-terminal: %s"), g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}
