/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-status-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/wait.h>

#include "tpx-enum-types.h"
#include "tpx-i18n-private.h"

/**
 * TpxProcessStatus:
 *
 * How a child ended: its exit code or the signal that killed it, the raw
 * wait status and its resource usage.
 *
 * A status is immutable. [method@Tpx.ProcessStatus.is_success] is
 * Twisted's `ProcessDone` (exit code 0); anything else is Twisted's
 * `ProcessTerminated`, which [method@Tpx.ProcessStatus.check] turns into a
 * `TPX_PROCESS_ERROR_TERMINATED` error.
 *
 * A status can also be *lost*: when the kernel no longer had it to give
 * (the program ignores `SIGCHLD` or sets `SA_NOCLDWAIT`, or some other
 * code reaped the child with `waitpid (-1, …)`), the child's end is still
 * reported, once, with a status whose [method@Tpx.ProcessStatus.get_lost]
 * is %TRUE: exit code -1, signal 0, not a success. tpx never makes up an
 * exit code.
 *
 * Since: 1.0
 */

struct _TpxProcessStatus
{
  GObject parent_instance;

  int      raw_status;   /* -1 when lost */
  gboolean lost;
  gint64   user_time_us;
  gint64   system_time_us;
  gint64   max_rss_kb;
};

enum {
  PROP_0,
  PROP_EXIT_CODE,
  PROP_SIGNAL,
  PROP_RAW_STATUS,
  PROP_LOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TpxProcessStatus, tpx_process_status, G_TYPE_OBJECT)

/**
 * tpx_process_error_quark:
 *
 * Gets the error domain of [error@Tpx.ProcessError], also known as
 * `TPX_PROCESS_ERROR`.
 *
 * Returns: the error domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (tpx-process-error-quark, tpx_process_error)

static gint64
timeval_to_us (const struct timeval *tv)
{
  return (gint64) tv->tv_sec * G_USEC_PER_SEC + tv->tv_usec;
}

static void
tpx_process_status_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TpxProcessStatus *self = TPX_PROCESS_STATUS (object);

  switch (prop_id)
    {
    case PROP_EXIT_CODE:
      g_value_set_int (value, tpx_process_status_get_exit_code (self));
      break;

    case PROP_SIGNAL:
      g_value_set_int (value, tpx_process_status_get_signal (self));
      break;

    case PROP_RAW_STATUS:
      g_value_set_int (value, self->raw_status);
      break;

    case PROP_LOST:
      g_value_set_boolean (value, self->lost);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tpx_process_status_class_init (TpxProcessStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  tpx_i18n_init ();

  object_class->get_property = tpx_process_status_get_property;

  /**
   * TpxProcessStatus:exit-code:
   *
   * The exit code, or -1 when the child was killed by a signal.
   *
   * Since: 1.0
   */
  properties[PROP_EXIT_CODE] =
    g_param_spec_int ("exit-code", NULL, NULL,
                      -1, 255, -1,
                      (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessStatus:signal:
   *
   * The signal that killed the child, or 0 when it exited.
   *
   * Since: 1.0
   */
  properties[PROP_SIGNAL] =
    g_param_spec_int ("signal", NULL, NULL,
                      0, G_MAXINT, 0,
                      (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessStatus:raw-status:
   *
   * The wait status, as `waitpid()` reports it, or -1 when the status
   * was lost.
   *
   * Since: 1.0
   */
  properties[PROP_RAW_STATUS] =
    g_param_spec_int ("raw-status", NULL, NULL,
                      G_MININT, G_MAXINT, 0,
                      (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * TpxProcessStatus:lost:
   *
   * Whether the child's status was lost: the child has ended, but how is
   * unknown. See [method@Tpx.ProcessStatus.get_lost].
   *
   * Since: 1.2
   */
  properties[PROP_LOST] =
    g_param_spec_boolean ("lost", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tpx_process_status_init (TpxProcessStatus *self)
{
}

TpxProcessStatus *
tpx_process_status_new (int                  wait_status,
                        const struct rusage *rusage)
{
  TpxProcessStatus *self = g_object_new (TPX_TYPE_PROCESS_STATUS, NULL);

  self->raw_status = wait_status;
  if (rusage != NULL)
    {
      self->user_time_us = timeval_to_us (&rusage->ru_utime);
      self->system_time_us = timeval_to_us (&rusage->ru_stime);
      self->max_rss_kb = rusage->ru_maxrss;
    }

  return self;
}

TpxProcessStatus *
tpx_process_status_new_lost (void)
{
  TpxProcessStatus *self = g_object_new (TPX_TYPE_PROCESS_STATUS, NULL);

  /* -1 is no wait status: WIFEXITED(), WIFSIGNALED(), WIFSTOPPED() and
   * WIFCONTINUED() are all false of it. */
  self->raw_status = -1;
  self->lost = TRUE;

  return self;
}

/**
 * tpx_process_status_get_exit_code:
 * @self: a process status
 *
 * Gets the code the child passed to `exit()`.
 *
 * Returns: the exit code, or -1 when the child was killed by a signal or
 *   its status was lost
 *
 * Since: 1.0
 */
int
tpx_process_status_get_exit_code (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), -1);

  if (self->lost)
    return -1;

  return WIFEXITED (self->raw_status) ? WEXITSTATUS (self->raw_status) : -1;
}

/**
 * tpx_process_status_get_signal:
 * @self: a process status
 *
 * Gets the signal that killed the child.
 *
 * Returns: the signal number, or 0 when the child exited or its status
 *   was lost
 *
 * Since: 1.0
 */
int
tpx_process_status_get_signal (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), 0);

  if (self->lost)
    return 0;

  return WIFSIGNALED (self->raw_status) ? WTERMSIG (self->raw_status) : 0;
}

/**
 * tpx_process_status_get_raw_status:
 * @self: a process status
 *
 * Gets the wait status, to decode with `WIFEXITED()` and friends.
 *
 * When the status was lost (see [method@Tpx.ProcessStatus.get_lost]) this
 * is -1, which none of `WIFEXITED()`, `WIFSIGNALED()`, `WIFSTOPPED()` and
 * `WIFCONTINUED()` accepts.
 *
 * Returns: the wait status, or -1 when it was lost
 *
 * Since: 1.0
 */
int
tpx_process_status_get_raw_status (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), 0);

  return self->raw_status;
}

/**
 * tpx_process_status_get_core_dumped:
 * @self: a process status
 *
 * Whether the signal that killed the child also dumped a core.
 *
 * Returns: %TRUE if a core was dumped
 *
 * Since: 1.0
 */
gboolean
tpx_process_status_get_core_dumped (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), FALSE);

  return !self->lost && WIFSIGNALED (self->raw_status) && WCOREDUMP (self->raw_status);
}

/**
 * tpx_process_status_is_success:
 * @self: a process status
 *
 * Whether the child exited with code 0 (Twisted's `ProcessDone`). A lost
 * status is not a success.
 *
 * Returns: %TRUE on a clean exit
 *
 * Since: 1.0
 */
gboolean
tpx_process_status_is_success (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), FALSE);

  return !self->lost && WIFEXITED (self->raw_status) && WEXITSTATUS (self->raw_status) == 0;
}

/**
 * tpx_process_status_check:
 * @self: a process status
 * @error: return location for a #GError
 *
 * Turns a failed end into an error, like Twisted's `ProcessTerminated`:
 * `TPX_PROCESS_ERROR_TERMINATED` with a message such as "exited with
 * code 3" or "killed by signal 9 (Killed)". A lost status fails too, with
 * a message that says the status is unknown.
 *
 * Returns: %TRUE if the child exited with code 0
 *
 * Since: 1.0
 */
gboolean
tpx_process_status_check (TpxProcessStatus  *self,
                          GError           **error)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (tpx_process_status_is_success (self))
    return TRUE;

  if (self->lost)
    g_set_error_literal (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED,
                         _("Child process ended with an unknown status: it was reaped elsewhere or SIGCHLD is ignored"));
  else if (WIFSIGNALED (self->raw_status))
    {
      int sig = WTERMSIG (self->raw_status);

      g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED,
                   _("Child process killed by signal %d (%s)"),
                   sig, g_strsignal (sig));
    }
  else if (WIFEXITED (self->raw_status))
    g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED,
                 _("Child process exited with code %d"),
                 WEXITSTATUS (self->raw_status));
  else
    g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_TERMINATED,
                 _("Child process ended with wait status %d"),
                 self->raw_status);

  return FALSE;
}

/**
 * tpx_process_status_get_lost:
 * @self: a process status
 *
 * Whether the child's status was lost: the child has ended, but the kernel
 * no longer had its status to give. That happens when the program ignores
 * `SIGCHLD` (`SIG_IGN`) or sets `SA_NOCLDWAIT`, which make the kernel
 * discard the statuses of all its children, or when other code of the
 * program reaped the child first (`waitpid (-1, …)`).
 *
 * The end is reported all the same, once:
 * [signal@Tpx.ProcessTransport::process-exited] and
 * [signal@Tpx.ProcessTransport::process-ended] each come exactly once. A
 * lost status has exit code -1, signal 0 and raw status -1; it is not a
 * success, [method@Tpx.ProcessStatus.check] fails with
 * `TPX_PROCESS_ERROR_TERMINATED`, and the resource usage is 0.
 *
 * Returns: %TRUE if the status was lost
 *
 * Since: 1.2
 */
gboolean
tpx_process_status_get_lost (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), FALSE);

  return self->lost;
}

/**
 * tpx_process_status_get_user_time_us:
 * @self: a process status
 *
 * Gets the CPU time the child spent in user mode, from its resource usage.
 *
 * Returns: microseconds, or 0 when unknown
 *
 * Since: 1.0
 */
gint64
tpx_process_status_get_user_time_us (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), 0);

  return self->user_time_us;
}

/**
 * tpx_process_status_get_system_time_us:
 * @self: a process status
 *
 * Gets the CPU time the kernel spent on behalf of the child.
 *
 * Returns: microseconds, or 0 when unknown
 *
 * Since: 1.0
 */
gint64
tpx_process_status_get_system_time_us (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), 0);

  return self->system_time_us;
}

/**
 * tpx_process_status_get_max_rss_kb:
 * @self: a process status
 *
 * Gets the child's peak resident set size.
 *
 * Returns: kibibytes, or 0 when unknown
 *
 * Since: 1.0
 */
gint64
tpx_process_status_get_max_rss_kb (TpxProcessStatus *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_STATUS (self), 0);

  return self->max_rss_kb;
}
