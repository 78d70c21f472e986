/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-monitor.h"

#include <glib/gi18n-lib.h>

#include "tpx-i18n-private.h"
#include "tpx-line-protocol.h"
#include "tpx-marshal.h"
#include "tpx-process-launcher-private.h"
#include "tpx-process-protocol.h"
#include "tpx-process-status.h"

/**
 * TpxProcessMonitor:
 *
 * Keeps a set of named child processes running, as Twisted's
 * `twisted.runner.procmon.ProcessMonitor`: each one is started when the
 * monitor starts and started again whenever it ends, until the monitor
 * stops.
 *
 * A child that ran for less than [property@Tpx.ProcessMonitor:threshold]
 * is started again after a delay, which starts at
 * [property@Tpx.ProcessMonitor:min-restart-delay] and doubles with each
 * such quick end, up to [property@Tpx.ProcessMonitor:max-restart-delay]; a
 * child that ran longer is started again at once, and its delay goes back
 * to `min-restart-delay`. Delays count from the child's end
 * (`process-ended`). The defaults are Twisted's: 1 s, 1 s and 1 hour.
 *
 * [method@Tpx.ProcessMonitor.stop] stops every child, through
 * [method@Tpx.ProcessTransport.stop] with a stop timeout of
 * [property@Tpx.ProcessMonitor:kill-time] (5 s): the launcher's stop
 * signal, then `SIGKILL` to what is left when that time has passed.
 * [method@Tpx.ProcessMonitor.remove_process] and
 * [method@Tpx.ProcessMonitor.restart] stop one child the same way. Nothing
 * is started again while the monitor is stopped, and finalizing a monitor
 * stops its children.
 *
 * Every child's output is read as lines (the rules of
 * [class@Tpx.LineProtocol]) and emitted as
 * [signal@Tpx.ProcessMonitor::line-received], with the process's name:
 * what procmon logs. [signal@Tpx.ProcessMonitor::process-started] and
 * [signal@Tpx.ProcessMonitor::process-ended] tell each child's start and
 * end.
 *
 * A child that cannot be started at all (no such executable) counts as a
 * child that ended at once: the spawn error is logged with `g_message()`
 * (log domain `Tpx`), and the start is tried again after the delay.
 *
 * The monitor runs its timers and starts its children in the thread-default
 * main context of the thread that created it; use it from that thread.
 *
 * Since: 1.2
 */

/* Who holds what.
 *
 * The caller owns the monitor; the monitor keeps no reference on itself.
 * It owns one Process for each added name, and a reference on each child
 * protocol (MonitorChild) it started, until that child's process-ended.
 * A child's transport owns its protocol (as for any protocol) and keeps
 * itself alive while the child runs; the MonitorChild holds a reference on
 * the transport until process-ended, and points back to its monitor and
 * its Process with plain pointers, cleared when the monitor is disposed or
 * the Process removed. Finalizing the monitor stops every child; each one
 * still ends, and is then released by its transport.
 *
 * A Process is in one of these states:
 *
 *   STOPPED  --start_process()-----------> RUNNING
 *   RUNNING  --request_stop()------------> STOPPING
 *   RUNNING  --its child ended-----------> WAITING (back-off), or STOPPED
 *                                          when the monitor is not running
 *   STOPPING --its child ended-----------> WAITING (no delay) if a restart
 *                                          was asked for, else STOPPED
 *   WAITING  --the delay passed----------> RUNNING (or WAITING again, when
 *                                          the start failed)
 *   WAITING  --request_stop()------------> STOPPED
 */
typedef enum {
  PROCESS_STOPPED,
  PROCESS_WAITING,
  PROCESS_RUNNING,
  PROCESS_STOPPING,
} ProcessState;

typedef struct _Process Process;

/* The protocol of one started child. */
typedef struct
{
  TpxLineProtocol      parent_instance;

  TpxProcessMonitor   *monitor;     /* not a reference; NULL once the monitor went */
  Process             *process;     /* NULL once the process was removed */
  char                *name;
  TpxProcessTransport *transport;   /* until process-ended */
  gint64               started_us;  /* monotonic */
} MonitorChild;

typedef TpxLineProtocolClass MonitorChildClass;

struct _Process
{
  TpxProcessMonitor  *monitor;      /* not a reference: it owns this */
  char               *name;
  TpxProcessLauncher *launcher;     /* our copy */
  char               *executable;
  char              **argv;         /* NULL: { executable } */
  ProcessState        state;
  MonitorChild       *child;        /* RUNNING, STOPPING */
  GSource            *start_source; /* WAITING */
  guint               delay_ms;     /* the next back-off delay; 0: min-restart-delay */
  gboolean            then_start;   /* STOPPING: start again once it ended */
};

struct _TpxProcessMonitor
{
  GObject       parent_instance;

  GMainContext *context;            /* where timers run and children start */
  GPtrArray    *processes;          /* Process*, in the order they were added */
  GPtrArray    *children;           /* MonitorChild* (references) not ended yet */

  guint         threshold_ms;
  guint         min_restart_delay_ms;
  guint         max_restart_delay_ms;
  guint         kill_time_ms;
  gboolean      running;
};

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_THRESHOLD,
  PROP_MIN_RESTART_DELAY,
  PROP_MAX_RESTART_DELAY,
  PROP_KILL_TIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PROCESS_STARTED,
  PROCESS_ENDED,
  LINE_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define DEFAULT_THRESHOLD_MS          1000
#define DEFAULT_MIN_RESTART_DELAY_MS  1000
#define DEFAULT_MAX_RESTART_DELAY_MS  3600000
#define DEFAULT_KILL_TIME_MS          5000

static GType monitor_child_get_type (void);

G_DEFINE_FINAL_TYPE (MonitorChild, monitor_child, TPX_TYPE_LINE_PROTOCOL)
G_DEFINE_FINAL_TYPE (TpxProcessMonitor, tpx_process_monitor, G_TYPE_OBJECT)

static void start_process (Process *process);

static Process *
find_process (TpxProcessMonitor *self,
              const char        *name)
{
  for (guint i = 0; i < self->processes->len; i++)
    {
      Process *process = g_ptr_array_index (self->processes, i);

      if (g_str_equal (process->name, name))
        return process;
    }

  return NULL;
}

static void
cancel_start (Process *process)
{
  if (process->start_source != NULL)
    {
      g_source_destroy (process->start_source);
      g_clear_pointer (&process->start_source, g_source_unref);
    }
}

static void
process_free (gpointer data)
{
  Process *process = data;

  cancel_start (process);
  g_free (process->name);
  g_clear_object (&process->launcher);
  g_free (process->executable);
  g_strfreev (process->argv);
  g_free (process);
}

static gboolean
start_source_cb (gpointer user_data)
{
  Process *process = user_data;

  g_clear_pointer (&process->start_source, g_source_unref);
  start_process (process);

  return G_SOURCE_REMOVE;
}

/* WAITING: starts @process after @delay_ms (0: at the next iteration). */
static void
schedule_start (Process *process,
                guint    delay_ms)
{
  cancel_start (process);

  process->state = PROCESS_WAITING;
  process->start_source = g_timeout_source_new (delay_ms);
  g_source_set_static_name (process->start_source, "[tpx] process monitor restart");
  g_source_set_callback (process->start_source, start_source_cb, process, NULL);
  g_source_attach (process->start_source, process->monitor->context);
}

/* Twisted's back-off: how long to wait before starting @process again
 * after a child that ran @ran_us; updates the next delay. */
static guint
take_delay (Process *process,
            gint64   ran_us)
{
  TpxProcessMonitor *self = process->monitor;
  guint64 delay;

  if (ran_us >= (gint64) self->threshold_ms * 1000)
    {
      process->delay_ms = 0;
      return 0;
    }

  delay = process->delay_ms != 0 ? process->delay_ms : self->min_restart_delay_ms;
  process->delay_ms = (guint) MIN (delay * 2, (guint64) self->max_restart_delay_ms);

  return (guint) delay;
}

/* Stops @process's child, if it has one, and any start to come. */
static void
request_stop (Process *process)
{
  process->then_start = FALSE;
  cancel_start (process);

  switch (process->state)
    {
    case PROCESS_WAITING:
      process->state = PROCESS_STOPPED;
      break;

    case PROCESS_RUNNING:
      process->state = PROCESS_STOPPING;
      tpx_process_transport_stop (process->child->transport);
      break;

    case PROCESS_STOPPED:
    case PROCESS_STOPPING:
      break;
    }
}

/* STOPPED or WAITING → RUNNING, or WAITING again when the spawn fails. */
static void
start_process (Process *process)
{
  TpxProcessMonitor *self = process->monitor;
  g_autoptr(GMainContext) current = g_main_context_ref_thread_default ();
  g_autoptr(GError) error = NULL;
  MonitorChild *child;
  TpxProcessTransport *transport;

  cancel_start (process);

  child = g_object_new (monitor_child_get_type (), NULL);
  child->name = g_strdup (process->name);

  tpx_process_launcher_set_stop_timeout (process->launcher, self->kill_time_ms);
  if (current != self->context)
    g_main_context_push_thread_default (self->context);
  child->started_us = g_get_monotonic_time ();
  transport = tpx_process_launcher_spawn (process->launcher, TPX_PROCESS_PROTOCOL (child),
                                          process->executable,
                                          (const char * const *) process->argv, &error);
  if (current != self->context)
    g_main_context_pop_thread_default (self->context);

  if (transport == NULL)
    {
      g_message ("Process monitor: cannot start %s: %s", process->name, error->message);
      g_object_unref (child);
      process->state = PROCESS_STOPPED;
      if (self->running)
        schedule_start (process, take_delay (process, 0));
      return;
    }

  child->monitor = self;
  child->process = process;
  child->transport = transport;
  process->child = child;
  process->state = PROCESS_RUNNING;
  g_ptr_array_add (self->children, child);

  /* Last: a handler may remove the process. */
  g_signal_emit (self, signals[PROCESS_STARTED], 0, child->name, transport);
}

/* The child of @child ended: what comes next for its process, then
 * process-ended. */
static void
child_ended (MonitorChild     *child,
             TpxProcessStatus *status)
{
  TpxProcessMonitor *self = child->monitor;
  Process *process = child->process;
  gint64 ran_us = g_get_monotonic_time () - child->started_us;
  guint index;

  g_clear_object (&child->transport);
  if (self == NULL)
    return;

  child->monitor = NULL;
  child->process = NULL;

  if (process != NULL)
    {
      process->child = NULL;
      if (process->state == PROCESS_STOPPING && process->then_start)
        {
          process->then_start = FALSE;
          schedule_start (process, 0);
        }
      else if (process->state == PROCESS_RUNNING && self->running)
        schedule_start (process, take_delay (process, ran_us));
      else
        process->state = PROCESS_STOPPED;
    }

  g_object_ref (self);
  g_signal_emit (self, signals[PROCESS_ENDED], 0, child->name, status);
  if (g_ptr_array_find (self->children, child, &index))
    g_ptr_array_remove_index_fast (self->children, index);
  g_object_unref (self);
}

static void
monitor_child_line_received (TpxLineProtocol *protocol,
                             int              child_fd,
                             const char      *line)
{
  MonitorChild *child = (MonitorChild *) protocol;

  if (child->monitor != NULL &&
      g_signal_has_handler_pending (child->monitor, signals[LINE_RECEIVED], 0, FALSE))
    g_signal_emit (child->monitor, signals[LINE_RECEIVED], 0, child->name, child_fd, line);
}

static void
monitor_child_process_ended (TpxProcessProtocol *protocol,
                             TpxProcessStatus   *status)
{
  child_ended ((MonitorChild *) protocol, status);
}

static void
monitor_child_finalize (GObject *object)
{
  MonitorChild *child = (MonitorChild *) object;

  g_clear_object (&child->transport);
  g_free (child->name);

  G_OBJECT_CLASS (monitor_child_parent_class)->finalize (object);
}

static void
monitor_child_class_init (MonitorChildClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = monitor_child_finalize;
  TPX_PROCESS_PROTOCOL_CLASS (klass)->process_ended = monitor_child_process_ended;
  klass->line_received = monitor_child_line_received;
}

static void
monitor_child_init (MonitorChild *child)
{
}

static void
tpx_process_monitor_dispose (GObject *object)
{
  TpxProcessMonitor *self = TPX_PROCESS_MONITOR (object);

  self->running = FALSE;

  /* Every child is stopped and forgotten: it still ends, on its own. */
  for (guint i = 0; i < self->children->len; i++)
    {
      MonitorChild *child = g_ptr_array_index (self->children, i);

      child->monitor = NULL;
      child->process = NULL;
      if (child->transport != NULL)
        tpx_process_transport_stop (child->transport);
    }
  g_ptr_array_set_size (self->children, 0);
  g_ptr_array_set_size (self->processes, 0);

  G_OBJECT_CLASS (tpx_process_monitor_parent_class)->dispose (object);
}

static void
tpx_process_monitor_finalize (GObject *object)
{
  TpxProcessMonitor *self = TPX_PROCESS_MONITOR (object);

  g_ptr_array_unref (self->children);
  g_ptr_array_unref (self->processes);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (tpx_process_monitor_parent_class)->finalize (object);
}

static void
tpx_process_monitor_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TpxProcessMonitor *self = TPX_PROCESS_MONITOR (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;

    case PROP_THRESHOLD:
      g_value_set_uint (value, self->threshold_ms);
      break;

    case PROP_MIN_RESTART_DELAY:
      g_value_set_uint (value, self->min_restart_delay_ms);
      break;

    case PROP_MAX_RESTART_DELAY:
      g_value_set_uint (value, self->max_restart_delay_ms);
      break;

    case PROP_KILL_TIME:
      g_value_set_uint (value, self->kill_time_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tpx_process_monitor_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TpxProcessMonitor *self = TPX_PROCESS_MONITOR (object);

  switch (prop_id)
    {
    case PROP_THRESHOLD:
      tpx_process_monitor_set_threshold (self, g_value_get_uint (value));
      break;

    case PROP_MIN_RESTART_DELAY:
      tpx_process_monitor_set_min_restart_delay (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RESTART_DELAY:
      tpx_process_monitor_set_max_restart_delay (self, g_value_get_uint (value));
      break;

    case PROP_KILL_TIME:
      tpx_process_monitor_set_kill_time (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tpx_process_monitor_class_init (TpxProcessMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tpx_process_monitor_dispose;
  object_class->finalize = tpx_process_monitor_finalize;
  object_class->get_property = tpx_process_monitor_get_property;
  object_class->set_property = tpx_process_monitor_set_property;

  /**
   * TpxProcessMonitor:running:
   *
   * Whether the monitor runs: between [method@Tpx.ProcessMonitor.start]
   * and [method@Tpx.ProcessMonitor.stop] (Twisted's `running`). Children
   * are started only while it runs.
   *
   * Since: 1.2
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessMonitor:threshold:
   *
   * How long a child must run, in milliseconds, to be started again at
   * once when it ends; one that ended sooner waits for the restart delay
   * (Twisted's `threshold`, 1 s).
   *
   * Since: 1.2
   */
  properties[PROP_THRESHOLD] =
    g_param_spec_uint ("threshold", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_THRESHOLD_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessMonitor:min-restart-delay:
   *
   * The first delay, in milliseconds, before starting again a child that
   * ended within [property@Tpx.ProcessMonitor:threshold]; it doubles with
   * each such end (Twisted's `minRestartDelay`, 1 s).
   *
   * Since: 1.2
   */
  properties[PROP_MIN_RESTART_DELAY] =
    g_param_spec_uint ("min-restart-delay", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MIN_RESTART_DELAY_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessMonitor:max-restart-delay:
   *
   * The longest restart delay, in milliseconds: the doubling stops there
   * (Twisted's `maxRestartDelay`, 1 hour).
   *
   * Since: 1.2
   */
  properties[PROP_MAX_RESTART_DELAY] =
    g_param_spec_uint ("max-restart-delay", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_RESTART_DELAY_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessMonitor:kill-time:
   *
   * How long, in milliseconds, a child that is being stopped has between
   * its stop signal and `SIGKILL`: the stop timeout of
   * [method@Tpx.ProcessTransport.stop] (Twisted's `killTime`, 5 s). It
   * applies to children started after it is set.
   *
   * Since: 1.2
   */
  properties[PROP_KILL_TIME] =
    g_param_spec_uint ("kill-time", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_KILL_TIME_MS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TpxProcessMonitor::process-started:
   * @self: the monitor
   * @name: the process's name
   * @transport: the transport of its new child
   *
   * A child was started for @name: when the monitor starts, when an added
   * process starts on a running monitor, and at each restart.
   *
   * Since: 1.2
   */
  signals[PROCESS_STARTED] =
    g_signal_new ("process-started",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _tpx_marshal_VOID__STRING_OBJECT,
                  G_TYPE_NONE, 2, G_TYPE_STRING, TPX_TYPE_PROCESS_TRANSPORT);
  g_signal_set_va_marshaller (signals[PROCESS_STARTED], G_TYPE_FROM_CLASS (klass),
                              _tpx_marshal_VOID__STRING_OBJECTv);

  /**
   * TpxProcessMonitor::process-ended:
   * @self: the monitor
   * @name: the process's name
   * @status: how its child ended
   *
   * A child of @name ended (its transport's
   * [signal@Tpx.ProcessTransport::process-ended]). What comes next is
   * already decided: [method@Tpx.ProcessMonitor.get_transport] returns
   * %NULL, and a restart is scheduled if there is to be one. Emitted also
   * for a child whose process was removed or whose monitor stopped.
   *
   * Since: 1.2
   */
  signals[PROCESS_ENDED] =
    g_signal_new ("process-ended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _tpx_marshal_VOID__STRING_OBJECT,
                  G_TYPE_NONE, 2, G_TYPE_STRING, TPX_TYPE_PROCESS_STATUS);
  g_signal_set_va_marshaller (signals[PROCESS_ENDED], G_TYPE_FROM_CLASS (klass),
                              _tpx_marshal_VOID__STRING_OBJECTv);

  /**
   * TpxProcessMonitor::line-received:
   * @self: the monitor
   * @name: the process's name
   * @child_fd: the child's fd the line came from
   * @line: the line, without its `\n` (or `\r\n`), valid UTF-8
   *
   * A child wrote a line, on any fd the parent reads (what procmon logs).
   * The rules of [class@Tpx.LineProtocol] apply: a line longer than 64 KiB
   * comes in pieces, a last line without a newline comes when its pipe
   * closes.
   *
   * Since: 1.2
   */
  signals[LINE_RECEIVED] =
    g_signal_new ("line-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, _tpx_marshal_VOID__STRING_INT_STRING,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[LINE_RECEIVED], G_TYPE_FROM_CLASS (klass),
                              _tpx_marshal_VOID__STRING_INT_STRINGv);
}

static void
tpx_process_monitor_init (TpxProcessMonitor *self)
{
  tpx_i18n_init ();

  self->context = g_main_context_ref_thread_default ();
  self->processes = g_ptr_array_new_with_free_func (process_free);
  self->children = g_ptr_array_new_with_free_func (g_object_unref);
  self->threshold_ms = DEFAULT_THRESHOLD_MS;
  self->min_restart_delay_ms = DEFAULT_MIN_RESTART_DELAY_MS;
  self->max_restart_delay_ms = DEFAULT_MAX_RESTART_DELAY_MS;
  self->kill_time_ms = DEFAULT_KILL_TIME_MS;
}

/**
 * tpx_process_monitor_new:
 *
 * Creates a monitor with no processes, not running, with Twisted's
 * defaults. It uses the thread-default main context of the calling
 * thread.
 *
 * Returns: (transfer full): a new process monitor
 *
 * Since: 1.2
 */
TpxProcessMonitor *
tpx_process_monitor_new (void)
{
  return g_object_new (TPX_TYPE_PROCESS_MONITOR, NULL);
}

/**
 * tpx_process_monitor_add_process:
 * @self: a process monitor
 * @name: a name for the process, unique in this monitor (UTF-8)
 * @launcher: (nullable): the options to start it with, copied now; %NULL
 *   for a new [class@Tpx.ProcessLauncher] (empty environment)
 * @executable: (type filename): the program to run, as for
 *   [method@Tpx.ProcessLauncher.spawn]
 * @argv: (array zero-terminated=1) (element-type filename) (nullable): its
 *   arguments, `argv[0]` included; %NULL for `{ executable }`
 * @error: return location for a #GError
 *
 * Adds a process to keep running (Twisted's `addProcess`). The launcher is
 * copied: changing it afterwards changes nothing here. On a running
 * monitor the process starts at once.
 *
 * Returns: %TRUE, or %FALSE with `G_IO_ERROR_EXISTS` when @name is taken
 *
 * Since: 1.2
 */
gboolean
tpx_process_monitor_add_process (TpxProcessMonitor   *self,
                                 const char          *name,
                                 TpxProcessLauncher  *launcher,
                                 const char          *executable,
                                 const char * const  *argv,
                                 GError             **error)
{
  Process *process;

  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), FALSE);
  g_return_val_if_fail (name != NULL && g_utf8_validate (name, -1, NULL), FALSE);
  g_return_val_if_fail (launcher == NULL || TPX_IS_PROCESS_LAUNCHER (launcher), FALSE);
  g_return_val_if_fail (executable != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (find_process (self, name) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("There is already a process named “%s”; remove it first"), name);
      return FALSE;
    }

  process = g_new0 (Process, 1);
  process->monitor = self;
  process->name = g_strdup (name);
  process->launcher = launcher != NULL ? tpx_process_launcher_copy (launcher) : tpx_process_launcher_new ();
  process->executable = g_strdup (executable);
  process->argv = g_strdupv ((char **) argv);
  process->state = PROCESS_STOPPED;
  g_ptr_array_add (self->processes, process);

  if (self->running)
    start_process (process);

  return TRUE;
}

/**
 * tpx_process_monitor_remove_process:
 * @self: a process monitor
 * @name: the name of a process
 *
 * Stops the child of @name, if it has one, and forgets the process
 * (Twisted's `removeProcess`): it is not started again, and its name can
 * be added again at once. The child still ends on its own, with
 * [signal@Tpx.ProcessMonitor::process-ended]. Nothing happens when no
 * process has that name.
 *
 * Since: 1.2
 */
void
tpx_process_monitor_remove_process (TpxProcessMonitor *self,
                                    const char        *name)
{
  Process *process;

  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));
  g_return_if_fail (name != NULL);

  process = find_process (self, name);
  if (process == NULL)
    return;

  request_stop (process);
  if (process->child != NULL)
    {
      process->child->process = NULL;
      process->child = NULL;
    }
  g_ptr_array_remove (self->processes, process);
}

/**
 * tpx_process_monitor_start:
 * @self: a process monitor
 *
 * Starts the monitor, and with it every process (Twisted's
 * `startService`). Does nothing on a running monitor.
 *
 * Since: 1.2
 */
void
tpx_process_monitor_start (TpxProcessMonitor *self)
{
  g_auto(GStrv) names = NULL;

  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->running)
    return;

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  /* By name: a process-started handler may add or remove processes. */
  names = tpx_process_monitor_dup_names (self);
  for (guint i = 0; names[i] != NULL && self->running; i++)
    {
      Process *process = find_process (self, names[i]);

      if (process == NULL)
        continue;
      if (process->state == PROCESS_STOPPED)
        start_process (process);
      else if (process->state == PROCESS_STOPPING)
        process->then_start = TRUE;
    }
}

/**
 * tpx_process_monitor_stop:
 * @self: a process monitor
 *
 * Stops the monitor (Twisted's `stopService`): every child is stopped
 * with [method@Tpx.ProcessTransport.stop] (its stop signal, then
 * `SIGKILL` after [property@Tpx.ProcessMonitor:kill-time]), no restart
 * waits any more, and nothing starts again until
 * [method@Tpx.ProcessMonitor.start]. Returns at once; each child's
 * [signal@Tpx.ProcessMonitor::process-ended] follows.
 *
 * Since: 1.2
 */
void
tpx_process_monitor_stop (TpxProcessMonitor *self)
{
  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->running)
    {
      self->running = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
    }

  for (guint i = 0; i < self->processes->len; i++)
    request_stop (g_ptr_array_index (self->processes, i));
}

/**
 * tpx_process_monitor_restart:
 * @self: a process monitor
 * @name: the name of a process
 *
 * Stops the child of @name, as [method@Tpx.ProcessMonitor.stop] does, and
 * starts it again as soon as it has ended, without a restart delay; a
 * process waiting for its restart starts now. Its restart delay goes back
 * to [property@Tpx.ProcessMonitor:min-restart-delay]. Does nothing on a
 * monitor that is not running, or when no process has that name.
 *
 * Since: 1.2
 */
void
tpx_process_monitor_restart (TpxProcessMonitor *self,
                             const char        *name)
{
  Process *process;

  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));
  g_return_if_fail (name != NULL);

  process = find_process (self, name);
  if (process == NULL || !self->running)
    return;

  process->delay_ms = 0;
  switch (process->state)
    {
    case PROCESS_STOPPED:
    case PROCESS_WAITING:
      start_process (process);
      break;

    case PROCESS_RUNNING:
      request_stop (process);
      process->then_start = TRUE;
      break;

    case PROCESS_STOPPING:
      process->then_start = TRUE;
      break;
    }
}

/**
 * tpx_process_monitor_restart_all:
 * @self: a process monitor
 *
 * Restarts every process, as [method@Tpx.ProcessMonitor.restart] (Twisted's
 * `restartAll`).
 *
 * Since: 1.2
 */
void
tpx_process_monitor_restart_all (TpxProcessMonitor *self)
{
  g_auto(GStrv) names = NULL;

  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  names = tpx_process_monitor_dup_names (self);
  for (guint i = 0; names[i] != NULL; i++)
    tpx_process_monitor_restart (self, names[i]);
}

/**
 * tpx_process_monitor_get_transport:
 * @self: a process monitor
 * @name: the name of a process
 *
 * Gets the transport of the child of @name, from its
 * [signal@Tpx.ProcessMonitor::process-started] to its
 * [signal@Tpx.ProcessMonitor::process-ended].
 *
 * Returns: (transfer none) (nullable): the transport, or %NULL when the
 *   process has no child (or no process has that name)
 *
 * Since: 1.2
 */
TpxProcessTransport *
tpx_process_monitor_get_transport (TpxProcessMonitor *self,
                                   const char        *name)
{
  Process *process;

  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  process = find_process (self, name);
  if (process == NULL || process->child == NULL)
    return NULL;

  return process->child->transport;
}

/**
 * tpx_process_monitor_dup_names:
 * @self: a process monitor
 *
 * Gets the names of the processes, in the order they were added.
 *
 * Returns: (transfer full) (array zero-terminated=1): the names
 *
 * Since: 1.2
 */
char **
tpx_process_monitor_dup_names (TpxProcessMonitor *self)
{
  GStrvBuilder *builder;
  char **names;

  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->processes->len; i++)
    g_strv_builder_add (builder, ((Process *) g_ptr_array_index (self->processes, i))->name);
  names = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return names;
}

/**
 * tpx_process_monitor_get_running:
 * @self: a process monitor
 *
 * Gets [property@Tpx.ProcessMonitor:running].
 *
 * Returns: whether the monitor runs
 *
 * Since: 1.2
 */
gboolean
tpx_process_monitor_get_running (TpxProcessMonitor *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), FALSE);

  return self->running;
}

/**
 * tpx_process_monitor_get_threshold:
 * @self: a process monitor
 *
 * Gets [property@Tpx.ProcessMonitor:threshold].
 *
 * Returns: the threshold, in milliseconds
 *
 * Since: 1.2
 */
guint
tpx_process_monitor_get_threshold (TpxProcessMonitor *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), 0);

  return self->threshold_ms;
}

/**
 * tpx_process_monitor_set_threshold:
 * @self: a process monitor
 * @threshold_ms: the threshold, in milliseconds
 *
 * Sets [property@Tpx.ProcessMonitor:threshold].
 *
 * Since: 1.2
 */
void
tpx_process_monitor_set_threshold (TpxProcessMonitor *self,
                                   guint              threshold_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->threshold_ms == threshold_ms)
    return;

  self->threshold_ms = threshold_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
}

/**
 * tpx_process_monitor_get_min_restart_delay:
 * @self: a process monitor
 *
 * Gets [property@Tpx.ProcessMonitor:min-restart-delay].
 *
 * Returns: the first restart delay, in milliseconds
 *
 * Since: 1.2
 */
guint
tpx_process_monitor_get_min_restart_delay (TpxProcessMonitor *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), 0);

  return self->min_restart_delay_ms;
}

/**
 * tpx_process_monitor_set_min_restart_delay:
 * @self: a process monitor
 * @delay_ms: the first restart delay, in milliseconds
 *
 * Sets [property@Tpx.ProcessMonitor:min-restart-delay].
 *
 * Since: 1.2
 */
void
tpx_process_monitor_set_min_restart_delay (TpxProcessMonitor *self,
                                           guint              delay_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->min_restart_delay_ms == delay_ms)
    return;

  self->min_restart_delay_ms = delay_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MIN_RESTART_DELAY]);
}

/**
 * tpx_process_monitor_get_max_restart_delay:
 * @self: a process monitor
 *
 * Gets [property@Tpx.ProcessMonitor:max-restart-delay].
 *
 * Returns: the longest restart delay, in milliseconds
 *
 * Since: 1.2
 */
guint
tpx_process_monitor_get_max_restart_delay (TpxProcessMonitor *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), 0);

  return self->max_restart_delay_ms;
}

/**
 * tpx_process_monitor_set_max_restart_delay:
 * @self: a process monitor
 * @delay_ms: the longest restart delay, in milliseconds
 *
 * Sets [property@Tpx.ProcessMonitor:max-restart-delay].
 *
 * Since: 1.2
 */
void
tpx_process_monitor_set_max_restart_delay (TpxProcessMonitor *self,
                                           guint              delay_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->max_restart_delay_ms == delay_ms)
    return;

  self->max_restart_delay_ms = delay_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RESTART_DELAY]);
}

/**
 * tpx_process_monitor_get_kill_time:
 * @self: a process monitor
 *
 * Gets [property@Tpx.ProcessMonitor:kill-time].
 *
 * Returns: the time between the stop signal and `SIGKILL`, in milliseconds
 *
 * Since: 1.2
 */
guint
tpx_process_monitor_get_kill_time (TpxProcessMonitor *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_MONITOR (self), 0);

  return self->kill_time_ms;
}

/**
 * tpx_process_monitor_set_kill_time:
 * @self: a process monitor
 * @kill_time_ms: the time between the stop signal and `SIGKILL`, in
 *   milliseconds
 *
 * Sets [property@Tpx.ProcessMonitor:kill-time]. It applies to children
 * started afterwards.
 *
 * Since: 1.2
 */
void
tpx_process_monitor_set_kill_time (TpxProcessMonitor *self,
                                   guint              kill_time_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_MONITOR (self));

  if (self->kill_time_ms == kill_time_ms)
    return;

  self->kill_time_ms = kill_time_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KILL_TIME]);
}
