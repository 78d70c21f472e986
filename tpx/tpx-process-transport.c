/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-transport-private.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tpx-cgroup-private.h"
#include "tpx-child-private.h"
#include "tpx-i18n-private.h"
#include "tpx-loop-private.h"
#include "tpx-marshal.h"
#include "tpx-pipe-private.h"
#include "tpx-process-protocol-private.h"
#include "tpx-process-status-private.h"
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
 * main context of the thread that spawned the child, which may be another
 * thread's: a worker thread may spawn into the context the main thread
 * runs. The transport's methods are then to be called from the thread that
 * runs that context, except [method@Tpx.ProcessTransport.send_signal] and
 * [method@Tpx.ProcessTransport.signal_process], which any thread may call.
 *
 * Handlers and virtual methods may iterate the main context (a modal
 * dialog, a nested main loop): the transport's own events wait until the
 * handler returns, so their order holds; other transports go on.
 *
 * To write to a pipe whose child has gone away is not fatal, whatever the
 * application does with `SIGPIPE`: tpx writes with `RWF_NOSIGNAL` (Linux
 * 6.18) or `MSG_NOSIGNAL` (sockets), so no `SIGPIPE` is raised; on older
 * kernels it ignores the signal process-wide at start-up when it still has
 * its default disposition (as GIO's sockets do), and blocks it around its
 * own writes when the application restored the default later. The loss is
 * reported with `child-connection-lost`.
 *
 * A transport made with g_object_new() has no child: it emits nothing, its
 * methods fail with `G_IO_ERROR_NOT_INITIALIZED` or do nothing.
 *
 * Since: 1.0
 */

#define READS_PER_WAKE  4
#define REAP_RETRY_MIN  1      /* ms */
#define REAP_RETRY_MAX  250    /* ms */

/*
 * Life cycle, and who holds which reference:
 *
 *   NO_CHILD ─ made with g_object_new(): no child, no watch, no source;
 *              only the caller's references. Nothing is ever emitted.
 *   RUNNING  ─ made from a spawn plan: the child runs. The transport holds
 *              one reference on itself, the running reference, which
 *              belongs to the reaping watch (the pidfd watch, or GLib's
 *              child watch where there is no pidfd).
 *   REAPED   ─ the child was reaped: `status` is set and process-exited
 *              was emitted; pipes may still be open.
 *   ENDED    ─ every pipe is lost too: process-ended was emitted, nothing
 *              is watched any more, and leave() drops the running
 *              reference once the outermost event returned. Final.
 *
 *   NO_CHILD is final too; RUNNING → REAPED → ENDED, in that order only.
 *
 * Every event from the main loop (a pipe, the pidfd, GLib's child watch,
 * the idle that announces what the caller did) enters through
 * dispatch_event(), which runs it between enter and leave. While a handler
 * or vfunc of this transport runs (`depth` > 0), a nested iteration of the
 * context delivers nothing of this transport: the event is held back (its
 * watch disabled) and leave() takes it up again. Other transports flow.
 *
 * Threads: everything belongs to the thread that dispatches `context`,
 * except the child itself (TpxChild, tpx-child.c), which guards its pidfd
 * with a lock of its own, so that any thread may signal it and none can
 * signal a pid that was reused. A spawn from a thread that does not own the context
 * hands the start of watching (publish()) to the context's thread.
 */
typedef enum
{
  STATE_NO_CHILD,
  STATE_RUNNING,
  STATE_REAPED,
  STATE_ENDED,
} State;

typedef enum
{
  EVENT_PIPE,        /* a pipe's watch fired */
  EVENT_REAP,        /* the pidfd is readable, or a retry of the reaping is due */
  EVENT_WORK,        /* the idle: publish, GLib's child status, the caller's closes */
} Event;

struct _TpxProcessTransport
{
  GObject             parent_instance;

  State               state;
  TpxProcessProtocol *protocol;
  GMainContext       *context;
  TpxLoop            *loop;          /* RUNNING and REAPED */
  TpxPipe            *pipes;
  guint               n_pipes;
  int                *terminal_fds;  /* the child fds on the terminal */
  guint               n_terminal_fds;
  TpxProcessStatus   *status;        /* from REAPED on */

  TpxChild            child;         /* RUNNING on; its own lock */

  TpxLoopWatch       *pid_watch;
  GSource            *child_watch;   /* where there is no pidfd */
  GSource            *reap_retry;    /* a tracer holds the zombie: try again later */
  guint               reap_retry_ms;
  int                 child_wait_status; /* from GLib's child watch, not handled yet */
  GSource            *work_source;

  /* Lifetime control (DESIGN §10.1) */
  guint               timeout_ms;
  guint               drain_timeout_ms;
  GSource            *timeout_source;
  GSource            *drain_source;
  GQueue              waits;         /* GTask of wait_async() */

  guint               depth;         /* handlers of ours running */
  guint               running_ref : 1;
  guint               constructed : 1;
  guint               published : 1; /* watches started */
  guint               held_back : 1; /* an event waits for leave() */
  guint               child_status_due : 1;
  guint               own_group : 1;
  guint               protocol_wants_data : 1;
  guint               paused : 1;
  guint               legacy_pty : 1;
  guint               timed_out : 1;
  guint               timeout_due : 1;
  guint               drain_due : 1;
};

enum {
  PROP_0,
  PROP_PID,
  PROP_PROTOCOL,
  PROP_STATUS,
  PROP_TIMED_OUT,
  N_PROPS
};

enum {
  CHILD_DATA,
  DATA_RECEIVED,
  CHILD_CONNECTION_LOST,
  WRITE_DRAINED,
  PROCESS_EXITED,
  PROCESS_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TpxProcessTransport, tpx_process_transport, G_TYPE_OBJECT)

static void dispatch_event (TpxProcessTransport *self,
                            Event                event,
                            TpxPipe             *pipe,
                            GIOCondition         condition);

static TpxPipe *
find_pipe (TpxProcessTransport *self,
           int                  child_fd)
{
  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].child_fd == child_fd)
      return &self->pipes[i];

  return NULL;
}

static gboolean
is_terminal_fd (TpxProcessTransport *self,
                int                  child_fd)
{
  for (guint i = 0; i < self->n_terminal_fds; i++)
    if (self->terminal_fds[i] == child_fd)
      return TRUE;

  return FALSE;
}

/* Where writes to @child_fd go: its pipe or socket, or the terminal's
 * writing side for any fd on the terminal. */
static TpxPipe *
find_writer (TpxProcessTransport *self,
             int                  child_fd)
{
  /* set_use_pty() keeps 1.0's rule: only fd 0 is written to. */
  gboolean terminal = !self->legacy_pty && is_terminal_fd (self, child_fd);

  for (guint i = 0; i < self->n_pipes; i++)
    {
      TpxPipe *pipe = &self->pipes[i];

      if (pipe->kind == TPX_CHILD_FD_READ)
        continue;
      if (terminal ? pipe->is_terminal : pipe->child_fd == child_fd)
        return pipe;
    }

  return NULL;
}

static gboolean
has_child (TpxProcessTransport  *self,
           GError              **error)
{
  if (self->state != STATE_NO_CHILD)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                       _("This transport has no child process: only a launcher makes transports with one"));
  return FALSE;
}

static gboolean
work_cb (gpointer user_data)
{
  TpxProcessTransport *self = user_data;

  g_clear_pointer (&self->work_source, g_source_unref);
  dispatch_event (self, EVENT_WORK, NULL, 0);

  return G_SOURCE_REMOVE;
}

/* Something is to be done from the main loop: a loss the caller caused
 * (announced there, never inside the caller's own call), or an event that
 * was held back. */
static void
schedule_work (TpxProcessTransport *self)
{
  if (self->work_source != NULL || !self->constructed || self->state == STATE_ENDED)
    return;

  self->work_source = g_idle_source_new ();
  g_source_set_priority (self->work_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->work_source, "[tpx] transport work");
  g_source_set_callback (self->work_source, work_cb, self, NULL);
  g_source_attach (self->work_source, self->context);
}

static void
pipe_event_cb (GIOCondition condition,
               gpointer     user_data)
{
  TpxPipe *pipe = user_data;

  dispatch_event (pipe->owner, EVENT_PIPE, pipe, condition);
}

static void
pidfd_event_cb (GIOCondition condition,
                gpointer     user_data)
{
  dispatch_event (user_data, EVENT_REAP, NULL, condition);
}

static gboolean
reap_retry_cb (gpointer user_data)
{
  TpxProcessTransport *self = user_data;

  g_clear_pointer (&self->reap_retry, g_source_unref);
  dispatch_event (self, EVENT_REAP, NULL, 0);

  return G_SOURCE_REMOVE;
}

static void
child_watch_cb (GPid     pid,
                int      wait_status,
                gpointer user_data)
{
  TpxProcessTransport *self = user_data;

  g_clear_pointer (&self->child_watch, g_source_unref);
  self->child_wait_status = wait_status;
  self->child_status_due = TRUE;
  dispatch_event (self, EVENT_WORK, NULL, 0);
}

static gboolean
wants_data (TpxProcessTransport *self)
{
  return self->protocol_wants_data ||
         g_signal_has_handler_pending (self, signals[CHILD_DATA], 0, FALSE) ||
         g_signal_has_handler_pending (self, signals[DATA_RECEIVED], 0, FALSE);
}

static void
emit_data (TpxProcessTransport *self,
           int                  child_fd,
           GBytes              *bytes)
{
  if (g_signal_has_handler_pending (self, signals[CHILD_DATA], 0, FALSE))
    g_signal_emit (self, signals[CHILD_DATA], 0, child_fd, bytes);
  if (g_signal_has_handler_pending (self, signals[DATA_RECEIVED], 0, FALSE))
    {
      gsize len;
      gconstpointer data = g_bytes_get_data (bytes, &len);

      /* A read is at most 1 MiB: an int holds it. */
      g_signal_emit (self, signals[DATA_RECEIVED], 0, child_fd, data, (int) len);
    }
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->child_data_received (self->protocol, child_fd, bytes);
}

static void
emit_lost (TpxProcessTransport *self,
           int                  child_fd)
{
  g_signal_emit (self, signals[CHILD_CONNECTION_LOST], 0, child_fd);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->child_connection_lost (self->protocol, child_fd);
}

static gboolean
timeout_cb (gpointer user_data)
{
  TpxProcessTransport *self = user_data;

  g_clear_pointer (&self->timeout_source, g_source_unref);
  self->timeout_due = TRUE;
  dispatch_event (self, EVENT_WORK, NULL, 0);

  return G_SOURCE_REMOVE;
}

static gboolean
drain_cb (gpointer user_data)
{
  TpxProcessTransport *self = user_data;

  g_clear_pointer (&self->drain_source, g_source_unref);
  self->drain_due = TRUE;
  dispatch_event (self, EVENT_WORK, NULL, 0);

  return G_SOURCE_REMOVE;
}

static GSource *
start_timer (TpxProcessTransport *self,
             guint                timeout_ms,
             GSourceFunc          func,
             const char          *name)
{
  GSource *source = g_timeout_source_new (timeout_ms);

  g_source_set_static_name (source, name);
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
stop_timer (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Which watches should be on: every open pipe's, but a read pipe's not
 * while paused; the pidfd's unless a retry of the reaping is waiting. */
static void
update_watches (TpxProcessTransport *self)
{
  for (guint i = 0; i < self->n_pipes; i++)
    {
      TpxPipe *pipe = &self->pipes[i];

      tpx_pipe_set_watched (pipe, self->loop, !(self->paused && tpx_pipe_reads (pipe)));
    }

  if (self->pid_watch != NULL)
    tpx_loop_set_enabled (self->loop, self->pid_watch, self->reap_retry == NULL);
}

/* Starts watching the child, in the context's thread (or one that
 * acquired the context). */
static void
publish (TpxProcessTransport *self)
{
  self->published = TRUE;
  update_watches (self);

  if (self->timeout_ms > 0 && self->state == STATE_RUNNING)
    self->timeout_source = start_timer (self, self->timeout_ms, timeout_cb, "[tpx] timeout");

  if (self->pid_watch == NULL && self->state == STATE_RUNNING)
    {
      self->child_watch = g_child_watch_source_new (self->child.pid);
      g_source_set_callback (self->child_watch, (GSourceFunc) (void (*)(void)) child_watch_cb, self, NULL);
      g_source_attach (self->child_watch, self->context);
    }
}

static void
reaped (TpxProcessTransport *self,
        TpxProcessStatus    *status)
{
  /* Out of the epoll set before the fd closes: a closed fd cannot be
   * removed, and its number may be another fd's already. */
  if (self->pid_watch != NULL)
    {
      tpx_loop_remove (self->loop, self->pid_watch);
      self->pid_watch = NULL;
    }

  tpx_child_mark_reaped (&self->child);
  if (self->reap_retry != NULL)
    {
      g_source_destroy (self->reap_retry);
      g_clear_pointer (&self->reap_retry, g_source_unref);
    }

  self->state = STATE_REAPED;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);

  g_signal_emit (self, signals[PROCESS_EXITED], 0, self->status);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->process_exited (self->protocol, self->status);

  /* A bounded wait for pipes something else still holds (§10.1). */
  if (self->drain_timeout_ms != G_MAXUINT && self->drain_source == NULL)
    for (guint i = 0; i < self->n_pipes; i++)
      if (tpx_pipe_is_open (&self->pipes[i]))
        {
          self->drain_source = start_timer (self, self->drain_timeout_ms, drain_cb, "[tpx] drain");
          break;
        }
}

/* The drain timeout expired: what is readable now is read, then every
 * pipe still open is closed. */
static void
drain_now (TpxProcessTransport *self)
{
  for (guint i = 0; i < self->n_pipes; i++)
    {
      TpxPipe *pipe = &self->pipes[i];

      /* Bounded: a grandchild that keeps writing must not keep us here. */
      for (guint n = 0; n < 16 && tpx_pipe_is_open (pipe) && tpx_pipe_reads (pipe); n++)
        {
          g_autoptr(GBytes) bytes = NULL;
          TpxPipeReadResult result = tpx_pipe_read (pipe, self->loop, wants_data (self), &bytes);

          if (bytes != NULL)
            emit_data (self, pipe->child_fd, bytes);
          if (result == TPX_PIPE_READ_AGAIN || result == TPX_PIPE_READ_EOF)
            break;
        }
      tpx_pipe_release_fd (pipe, self->loop);
    }
}

static void
time_out (TpxProcessTransport *self)
{
  if (self->state == STATE_ENDED)
    return;

  self->timed_out = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMED_OUT]);
  tpx_process_transport_stop (self);
}

/* One wait_async(): returned once, by the end or by its cancellable
 * (whose handler may run in any thread), whichever claims it first. */
typedef struct
{
  int           claimed;       /* atomic */
  GCancellable *cancellable;
  gulong        cancelled_id;
} Wait;

static void
wait_free (gpointer data)
{
  Wait *wait = data;

  g_clear_object (&wait->cancellable);
  g_free (wait);
}

static gboolean
wait_claim (GTask *task)
{
  Wait *wait = g_task_get_task_data (task);

  return g_atomic_int_compare_and_exchange (&wait->claimed, 0, 1);
}

static gboolean
wait_return_status_cb (gpointer user_data)
{
  GTask *task = user_data;
  TpxProcessTransport *self = g_task_get_source_object (task);

  if (wait_claim (task))
    g_task_return_pointer (task, g_object_ref (self->status), g_object_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_return_cancelled_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (wait_claim (task))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("The wait for the child process was cancelled"));
  return G_SOURCE_REMOVE;
}

/* Returns from an idle of the task's own context: never inside the call
 * that asked, nor from another thread. */
static void
wait_return_later (GTask       *task,
                   GSourceFunc  func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[tpx] wait");
  g_source_set_callback (source, func, g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

static void
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  wait_return_later (user_data, wait_return_cancelled_cb);
}

static void
complete_waits (TpxProcessTransport *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->waits)) != NULL)
    {
      Wait *wait = g_task_get_task_data (task);

      if (wait->cancellable != NULL)
        g_cancellable_disconnect (wait->cancellable, wait->cancelled_id);
      if (wait_claim (task))
        g_task_return_pointer (task, g_object_ref (self->status), g_object_unref);
      g_object_unref (task);
    }
}

static void
handle_reap (TpxProcessTransport *self)
{
  struct rusage rusage;
  gboolean lost;
  int wait_status;

  if (self->state != STATE_RUNNING || self->child.pidfd < 0)
    return;

  if (tpx_child_try_reap (self->child.pid, self->child.pidfd, &wait_status, &rusage, &lost))
    {
      reaped (self, lost ? tpx_process_status_new_lost () : tpx_process_status_new (wait_status, &rusage));
      return;
    }

  /* The pidfd says the child exited, yet there is nothing to reap: a
   * tracer (strace -p, gdb) holds the zombie. The level-triggered watch
   * would fire on every iteration until it lets go, so it rests, and the
   * reaping is tried again later, less and less often. */
  if (self->reap_retry == NULL)
    {
      self->reap_retry_ms = CLAMP (self->reap_retry_ms * 2, REAP_RETRY_MIN, REAP_RETRY_MAX);
      self->reap_retry = g_timeout_source_new (self->reap_retry_ms);
      g_source_set_static_name (self->reap_retry, "[tpx] reap a traced child");
      g_source_set_callback (self->reap_retry, reap_retry_cb, self, NULL);
      g_source_attach (self->reap_retry, self->context);
      update_watches (self);
    }
}

static void
handle_readable (TpxProcessTransport *self,
                 TpxPipe             *pipe)
{
  /* A full buffer means more is waiting: take a few more before going
   * back to the main loop. A handler may pause or close the pipe. */
  for (guint i = 0; i < READS_PER_WAKE && tpx_pipe_is_open (pipe) && !self->paused; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      TpxPipeReadResult result;

      result = tpx_pipe_read (pipe, self->loop, wants_data (self), &bytes);
      if (bytes != NULL)
        emit_data (self, pipe->child_fd, bytes);
      if (result != TPX_PIPE_READ_MORE)
        break;
    }
}

static void
handle_writable (TpxProcessTransport *self,
                 TpxPipe             *pipe,
                 GIOCondition         condition)
{
  if (tpx_write_queue_get_size (&pipe->out) == 0)
    {
      /* Nothing to write, yet the fd woke up: the child closed its end
       * (a socket says so by end of file, when read). */
      if ((condition & (G_IO_ERR | G_IO_HUP)) && pipe->kind == TPX_CHILD_FD_WRITE)
        tpx_pipe_release_fd (pipe, self->loop);
      return;
    }

  if (!tpx_pipe_flush (pipe, self->loop))
    {
      tpx_pipe_release_fd (pipe, self->loop);
      return;
    }

  if (tpx_write_queue_get_size (&pipe->out) > 0)
    return;

  if (g_signal_has_handler_pending (self, signals[WRITE_DRAINED], 0, FALSE))
    g_signal_emit (self, signals[WRITE_DRAINED], 0, pipe->child_fd);

  if (pipe->kind == TPX_CHILD_FD_WRITE && pipe->state == TPX_PIPE_CLOSING &&
      tpx_write_queue_get_size (&pipe->out) == 0)
    tpx_pipe_release_fd (pipe, self->loop);
}

/* Emits what the state calls for, in order: the losses of closed pipes,
 * then, once the child is reaped and every pipe lost, process-ended. */
static void
announce (TpxProcessTransport *self)
{
  gboolean again = TRUE;

  while (again)
    {
      again = FALSE;
      for (guint i = 0; i < self->n_pipes; i++)
        if (tpx_pipe_mark_lost (&self->pipes[i]))
          {
            emit_lost (self, self->pipes[i].child_fd);
            again = TRUE;   /* a handler may have closed another */
          }
    }

  if (self->state != STATE_REAPED)
    return;
  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].state != TPX_PIPE_LOST)
      return;

  self->state = STATE_ENDED;
  stop_timer (&self->work_source);
  stop_timer (&self->timeout_source);
  stop_timer (&self->drain_source);
  /* The cgroup goes once its last process did, even after us. */
  if (self->child.cgroup != NULL)
    tpx_cgroup_remove_when_empty (self->child.cgroup, self->context);
  tpx_child_forget_stop_if_gone (&self->child);

  g_signal_emit (self, signals[PROCESS_ENDED], 0, self->status);
  if (self->protocol != NULL)
    TPX_PROCESS_PROTOCOL_GET_CLASS (self->protocol)->process_ended (self->protocol, self->status);
  complete_waits (self);

  /* Nothing is watched any more: let the context's loop go if this was
   * its last child. */
  g_clear_pointer (&self->loop, tpx_loop_unref);
}

/* An event came while a handler of ours runs: it waits for leave(). */
static void
hold_back (TpxProcessTransport *self,
           Event                event,
           TpxPipe             *pipe)
{
  self->held_back = TRUE;

  if (event == EVENT_PIPE)
    tpx_pipe_set_watched (pipe, self->loop, FALSE);
  else if (event == EVENT_REAP && self->pid_watch != NULL)
    tpx_loop_set_enabled (self->loop, self->pid_watch, FALSE);
}

/* The end of every event, and the one place that drops the running
 * reference: after it, @self may be gone. */
static void
leave_and_maybe_release (TpxProcessTransport *self)
{
  if (--self->depth > 0)
    return;

  if (self->state == STATE_ENDED)
    {
      if (self->running_ref)
        {
          self->running_ref = FALSE;
          g_object_unref (self);
        }
      return;
    }

  if (self->held_back)
    {
      self->held_back = FALSE;
      update_watches (self);
      schedule_work (self);
    }
}

static void
dispatch_event (TpxProcessTransport *self,
                Event                event,
                TpxPipe             *pipe,
                GIOCondition         condition)
{
  if (self->depth > 0)
    {
      hold_back (self, event, pipe);
      return;
    }

  self->depth++;

  switch (event)
    {
    case EVENT_PIPE:
      if (!tpx_pipe_is_open (pipe))
        break;
      if (pipe->kind != TPX_CHILD_FD_READ && (condition & (G_IO_OUT | G_IO_ERR | G_IO_HUP)))
        handle_writable (self, pipe, condition);
      if (tpx_pipe_reads (pipe) && tpx_pipe_is_open (pipe) &&
          (condition & (G_IO_IN | G_IO_ERR | G_IO_HUP)))
        handle_readable (self, pipe);
      break;

    case EVENT_REAP:
      handle_reap (self);
      break;

    case EVENT_WORK:
      if (!self->published)
        publish (self);
      if (self->child_status_due && self->state == STATE_RUNNING)
        {
          self->child_status_due = FALSE;
          reaped (self, tpx_process_status_new (self->child_wait_status, NULL));
        }
      if (self->timeout_due)
        {
          self->timeout_due = FALSE;
          time_out (self);
        }
      if (self->drain_due && self->state == STATE_REAPED)
        {
          self->drain_due = FALSE;
          drain_now (self);
        }
      /* A reap retry held back: the pidfd watch, re-enabled, says again. */
      break;
    }

  announce (self);
  leave_and_maybe_release (self);
}

/* Also run by g_object_run_dispose() on a running transport: the protocol
 * goes (no more callbacks; GObject drops the signal handlers), but the
 * child is still read, reaped and ended, and the running reference then
 * goes as always. */
static void
tpx_process_transport_dispose (GObject *object)
{
  TpxProcessTransport *self = TPX_PROCESS_TRANSPORT (object);

  self->protocol_wants_data = FALSE;
  g_clear_object (&self->protocol);

  G_OBJECT_CLASS (tpx_process_transport_parent_class)->dispose (object);
}

static void
tpx_process_transport_finalize (GObject *object)
{
  TpxProcessTransport *self = TPX_PROCESS_TRANSPORT (object);

  /* Only NO_CHILD and ENDED transports get here: nothing is watched. */
  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].fd >= 0)
      close (self->pipes[i].fd);
  if (self->state != STATE_NO_CHILD)
    tpx_child_clear (&self->child);
  g_clear_pointer (&self->pipes, g_free);
  g_clear_pointer (&self->terminal_fds, g_free);
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
      g_value_set_int (value, self->child.pid);
      break;

    case PROP_PROTOCOL:
      g_value_set_object (value, self->protocol);
      break;

    case PROP_STATUS:
      g_value_set_object (value, self->status);
      break;

    case PROP_TIMED_OUT:
      g_value_set_boolean (value, self->timed_out);
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

  /**
   * TpxProcessTransport:timed-out:
   *
   * Whether the launcher's timeout expired (and the transport then
   * stopped the child's tree). See
   * [method@Tpx.ProcessLauncher.set_timeout].
   *
   * Since: 1.2
   */
  properties[PROP_TIMED_OUT] =
    g_param_spec_boolean ("timed-out", NULL, NULL,
                          FALSE,
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
   * TpxProcessTransport::data-received:
   * @self: the transport
   * @child_fd: the child's fd the bytes came from
   * @data: (array length=len) (element-type guint8): the bytes, valid during
   *   the emission
   * @len: how many (an `int`: gjs 1.74 takes no other type of length here)
   *
   * The same bytes as [signal@Tpx.ProcessTransport::child-data], right
   * after it, as a plain array: the signal made for bindings, where a
   * handler gets a `Uint8Array` (gjs) or `bytes` (Python) instead of a
   * `GLib.Bytes` per chunk. Emitted only when a handler is connected.
   *
   * Since: 1.2
   */
  signals[DATA_RECEIVED] =
    g_signal_new ("data-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_POINTER, G_TYPE_INT);

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

  tpx_write_ignore_sigpipe ();
}

static void
tpx_process_transport_init (TpxProcessTransport *self)
{
  self->state = STATE_NO_CHILD;
  self->child.pidfd = -1;
  g_queue_init (&self->waits);
}

/* The thread-default context of this thread: is it ours to start watching
 * in? Not when another thread runs it (a worker spawning into the main
 * thread's context): publish() is then handed to that thread. */
static void
publish_or_hand_over (TpxProcessTransport *self)
{
  gboolean closed_early = FALSE;

  self->constructed = TRUE;

  for (guint i = 0; i < self->n_pipes; i++)
    closed_early |= self->pipes[i].state == TPX_PIPE_CLOSED;

  if (g_main_context_acquire (self->context))
    {
      publish (self);
      g_main_context_release (self->context);
      /* Closed in connection_made: said from the main loop. */
      if (closed_early)
        schedule_work (self);
    }
  else
    schedule_work (self);
}

TpxProcessTransport *
tpx_process_transport_new_for_plan (TpxProcessProtocol  *protocol,
                                    const TpxSpawnPlan  *plan,
                                    GError             **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(TpxCgroup) cgroup = NULL;
  TpxSpawnPlan spawn_plan = *plan;
  TpxProcessTransport *self;
  TpxSpawnResult result;
  TpxLoop *loop;
  guint n_watches;

  /* Room to watch the child first (its pipes and its pidfd): that may
   * take an fd, possibly the last free one. */
  n_watches = 1;
  if (plan->use_pty)
    n_watches += 2;
  else
    for (guint i = 0; i < plan->n_fds; i++)
      n_watches += plan->fds[i].kind != TPX_CHILD_FD_INHERIT;

  loop = tpx_loop_ref_for_context (context);
  if (!tpx_loop_reserve (loop, n_watches))
    {
      int saved_errno = errno;

      tpx_loop_unref (loop);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Failed to spawn “%s”: %s: %s"),
                   plan->executable, _("create an epoll set"), g_strerror (saved_errno));
      return NULL;
    }

  if (plan->kill_mode == TPX_KILL_MODE_PROCESS_GROUP && !plan->new_session && !plan->use_pty)
    spawn_plan.new_group = TRUE;

  if (plan->kill_mode == TPX_KILL_MODE_CGROUP)
    {
      cgroup = tpx_cgroup_new (plan->cgroup_parent, error);
      if (cgroup == NULL)
        {
          g_prefix_error (error, _("Failed to spawn “%s”: "), plan->executable);
          tpx_loop_compact (loop);
          tpx_loop_unref (loop);
          return NULL;
        }
      spawn_plan.cgroup_procs_fd = tpx_cgroup_get_procs_fd (cgroup);
    }

  if (!tpx_spawn (&spawn_plan, &result, error))
    {
      tpx_loop_compact (loop);
      tpx_loop_unref (loop);
      return NULL;
    }

  self = g_object_new (TPX_TYPE_PROCESS_TRANSPORT, NULL);
  self->state = STATE_RUNNING;
  self->context = g_steal_pointer (&context);
  self->loop = loop;
  tpx_child_init (&self->child, result.pid, result.pidfd, plan->kill_mode,
                  g_steal_pointer (&cgroup), plan->stop_signal, plan->stop_timeout_ms);
  self->own_group = spawn_plan.new_session || spawn_plan.new_group || spawn_plan.use_pty;
  self->legacy_pty = plan->legacy_pty;
  self->timeout_ms = plan->timeout_ms;
  self->drain_timeout_ms = plan->drain_timeout_ms;
  self->n_pipes = result.n_pipes;
  self->pipes = g_new0 (TpxPipe, result.n_pipes);

  for (guint i = 0; i < result.n_pipes; i++)
    {
      TpxPipe *pipe = &self->pipes[i];

      tpx_pipe_init (pipe, result.pipes[i].child_fd, result.pipes[i].kind,
                     result.pipes[i].fd, result.pipes[i].is_terminal);
      pipe->owner = self;
    }
  g_clear_pointer (&result.pipes, g_free);

  /* The terminal: its reader and writer are the last two, in that order. */
  if (result.is_pty)
    {
      TpxPipe *reader = &self->pipes[self->n_pipes - 2];
      TpxPipe *writer = &self->pipes[self->n_pipes - 1];

      tpx_pipe_pair_terminal (reader, writer);
      /* One fd on the terminal: its loss is said once. */
      writer->silent = writer->child_fd == reader->child_fd;
      self->terminal_fds = g_new (int, spawn_plan.n_fds);
      for (guint i = 0; i < spawn_plan.n_fds; i++)
        if (spawn_plan.fds[i].kind == TPX_CHILD_FD_PTY)
          self->terminal_fds[self->n_terminal_fds++] = spawn_plan.fds[i].child_fd;
    }

  /* The running reference: the reaping watch's, until the end. */
  self->running_ref = TRUE;
  g_object_ref (self);

  if (protocol != NULL)
    {
      self->protocol = g_object_ref (protocol);
      self->protocol_wants_data = tpx_process_protocol_wants_data (protocol);
      tpx_process_protocol_set_transport (protocol, self);
      TPX_PROCESS_PROTOCOL_GET_CLASS (protocol)->connection_made (protocol, self);
    }

  /* Watches start disabled, so that all of them are in place before any
   * can fire, in whichever thread runs the context. */
  for (guint i = 0; i < self->n_pipes; i++)
    {
      TpxPipe *pipe = &self->pipes[i];

      if (tpx_pipe_is_open (pipe) && !tpx_pipe_watch (pipe, self->loop, pipe_event_cb, pipe))
        {
          g_warning ("Cannot watch fd %d of child %d: %s", pipe->child_fd,
                     (int) self->child.pid, g_strerror (errno));
          tpx_pipe_release_fd (pipe, self->loop);
        }
    }
  if (self->child.pidfd >= 0)
    self->pid_watch = tpx_loop_add (self->loop, self->child.pidfd, G_IO_IN, FALSE, pidfd_event_cb, self);

  publish_or_hand_over (self);

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

  return self->child.pid;
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

static gboolean
write_to_child (TpxProcessTransport  *self,
                int                   child_fd,
                const guint8         *data,
                gsize                 len,
                GBytes               *bytes,
                GError              **error)
{
  TpxPipe *pipe;

  if (!has_child (self, error))
    return FALSE;

  pipe = find_writer (self, child_fd);
  if (pipe == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Child fd %d is not a pipe the parent writes"), child_fd);
      return FALSE;
    }

  if (pipe->state != TPX_PIPE_OPEN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("Child fd %d is closed"), child_fd);
      return FALSE;
    }

  /* A broken pipe is a loss like any other; it is announced from the
   * main loop, and what was written is dropped (the child is gone). */
  if (!tpx_pipe_write (pipe, self->loop, data, len, bytes))
    {
      tpx_pipe_release_fd (pipe, self->loop);
      schedule_work (self);
    }
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
  TpxPipe *pipe;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), 0);

  pipe = find_writer (self, child_fd);
  return pipe != NULL ? tpx_write_queue_get_size (&pipe->out) : 0;
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
  TpxPipe *pipe;

  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  pipe = find_pipe (self, child_fd);
  if (pipe != NULL && !is_terminal_fd (self, child_fd) && tpx_pipe_request_close (pipe, self->loop))
    schedule_work (self);
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
      TpxPipe *pipe = &self->pipes[i];

      /* Closing a terminal is a hang-up: what the child did not read yet
       * would never be read, so it is dropped rather than waited for. */
      if (pipe->is_terminal && tpx_pipe_is_open (pipe))
        tpx_pipe_release_fd (pipe, self->loop);
      else
        tpx_pipe_request_close (pipe, self->loop);
    }
  schedule_work (self);
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

  return has_child (self, error) && tpx_child_signal (&self->child, signum, error);
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

  if (!has_child (self, error))
    return FALSE;

  if (!self->own_group)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Child process %d has no process group of its own"), (int) self->child.pid);
      return FALSE;
    }

  return tpx_child_signal_group (&self->child, signum, error);
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

  /* Disabled rather than muted (a hang-up would still wake it), yet kept
   * in the loop: resuming needs no new fd. */
  if (self->published)
    update_watches (self);
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

  if (self->published && self->depth == 0)
    update_watches (self);
  else
    self->held_back = TRUE;   /* inside a handler: once it returns */
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
  gboolean is_terminal = FALSE;
  int fd = -1;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!has_child (self, error))
    return FALSE;

  for (guint i = 0; i < self->n_pipes; i++)
    if (self->pipes[i].is_terminal)
      {
        is_terminal = TRUE;
        if (self->pipes[i].fd >= 0)
          fd = self->pipes[i].fd;
      }

  if (!is_terminal)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Child process %d has no pseudo-terminal"), (int) self->child.pid);
      return FALSE;
    }

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                   _("The pseudo-terminal of child process %d is closed"), (int) self->child.pid);
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

/**
 * tpx_process_transport_stop:
 * @self: a transport
 *
 * Ends the child's tree gracefully, in one call (systemd's stop): the
 * launcher's stop signal (%SIGTERM unless
 * [method@Tpx.ProcessLauncher.set_stop_signal] said otherwise) goes to the
 * tree of the launcher's kill mode, and `SIGKILL` follows if anything of
 * the tree is still alive after the stop timeout (5 s unless
 * [method@Tpx.ProcessLauncher.set_stop_timeout] said otherwise; 0 sends
 * `SIGKILL` at once). It returns at once;
 * [signal@Tpx.ProcessTransport::process-ended] follows as always. Calling
 * it again does nothing. Any thread may call it.
 *
 * Since: 1.2
 */
void
tpx_process_transport_stop (TpxProcessTransport *self)
{
  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));

  if (self->state != STATE_NO_CHILD)
    tpx_child_stop (&self->child, self->context, G_OBJECT (self));
}

/**
 * tpx_process_transport_signal_tree:
 * @self: a transport
 * @signal: a signal name or number, as for
 *   [method@Tpx.ProcessTransport.signal_process]
 * @error: return location for a #GError
 *
 * Sends a signal to the child's whole tree, as the launcher's kill mode
 * defines it ([enum@Tpx.KillMode]): the child alone, its process group,
 * or every process of its cgroup. After the child was reaped it still
 * reaches what is left of a process group or a cgroup. Any thread may
 * call it.
 *
 * Returns: %TRUE if the signal was sent; %FALSE with
 *   `TPX_PROCESS_ERROR_EXITED_ALREADY` once nothing of the tree is left,
 *   or `G_IO_ERROR_INVALID_ARGUMENT` for an unknown signal
 *
 * Since: 1.2
 */
gboolean
tpx_process_transport_signal_tree (TpxProcessTransport  *self,
                                   const char           *signal,
                                   GError              **error)
{
  int signum;

  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (signal != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  signum = tpx_child_signal_from_name (signal, error);
  if (signum < 0 || !has_child (self, error))
    return FALSE;

  return tpx_child_signal_tree (&self->child, signum, error);
}

/**
 * tpx_process_transport_get_timed_out:
 * @self: a transport
 *
 * Gets whether the launcher's timeout expired; see
 * [property@Tpx.ProcessTransport:timed-out].
 *
 * Returns: %TRUE once the timeout stopped the child
 *
 * Since: 1.2
 */
gboolean
tpx_process_transport_get_timed_out (TpxProcessTransport *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), FALSE);

  return self->timed_out;
}

/**
 * tpx_process_transport_get_n_tree_processes:
 * @self: a transport
 *
 * Counts the live processes of the child's tree: 1 or 0 for
 * %TPX_KILL_MODE_PROCESS, the members of the process group or of the
 * cgroup otherwise.
 *
 * Returns: the number of live processes in the tree
 *
 * Since: 1.2
 */
guint
tpx_process_transport_get_n_tree_processes (TpxProcessTransport *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), 0);

  return self->state == STATE_NO_CHILD ? 0 : tpx_child_count_tree (&self->child);
}

/**
 * tpx_process_transport_wait_async:
 * @self: a transport
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): what to call once the transport ended
 * @user_data: data for @callback
 *
 * Waits for [signal@Tpx.ProcessTransport::process-ended], the GIO way, so
 * that Python and gjs (`Gio._promisify`) can `await` a child. Called after
 * the end, it completes at the next iteration of the caller's
 * thread-default main context. Cancelling fails the wait with
 * `G_IO_ERROR_CANCELLED` and does nothing to the child.
 *
 * Since: 1.2
 */
void
tpx_process_transport_wait_async (TpxProcessTransport *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Wait *wait;

  g_return_if_fail (TPX_IS_PROCESS_TRANSPORT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tpx_process_transport_wait_async);
  wait = g_new0 (Wait, 1);
  g_task_set_task_data (task, wait, wait_free);

  if (self->state == STATE_NO_CHILD)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("This transport has no child process: only a launcher makes transports with one"));
      return;
    }

  if (self->state == STATE_ENDED)
    {
      wait_return_later (task, wait_return_status_cb);
      return;
    }

  g_queue_push_tail (&self->waits, g_object_ref (task));
  if (cancellable != NULL)
    {
      wait->cancellable = g_object_ref (cancellable);
      wait->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb),
                                                  g_object_ref (task), g_object_unref);
    }
}

/**
 * tpx_process_transport_wait_finish:
 * @self: a transport
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Tpx.ProcessTransport.wait_async].
 *
 * Returns: (transfer full): how the child ended, or %NULL with
 *   `G_IO_ERROR_CANCELLED`
 *
 * Since: 1.2
 */
TpxProcessStatus *
tpx_process_transport_wait_finish (TpxProcessTransport  *self,
                                   GAsyncResult         *result,
                                   GError              **error)
{
  g_return_val_if_fail (TPX_IS_PROCESS_TRANSPORT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
