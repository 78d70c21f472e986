/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-child-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tpx-i18n-private.h"
#include "tpx-process-status.h"

static const struct {
  const char *name;
  int         signum;
} signal_names[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
  { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
  { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
  { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
  { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
  { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
  { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static int
parse_signal (const char *name)
{
  int value = 0;

  if (g_ascii_isdigit (*name))
    {
      for (const char *p = name; *p != '\0'; p++)
        {
          if (!g_ascii_isdigit (*p))
            return -1;
          value = value * 10 + (*p - '0');
          if (value > 64)
            return -1;
        }
      return value;
    }

  if (g_str_has_prefix (name, "SIG"))
    name += 3;

  for (guint i = 0; i < G_N_ELEMENTS (signal_names); i++)
    if (strcmp (name, signal_names[i].name) == 0)
      return signal_names[i].signum;

  return -1;
}

int
tpx_child_signal_from_name (const char  *name,
                            GError     **error)
{
  int signum = parse_signal (name);

  if (signum < 0)
    {
      g_autofree char *display = g_utf8_make_valid (name, -1);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Unknown signal “%s”"), display);
    }

  return signum;
}

gboolean
tpx_child_send_signal (GPid pid,
                       int  pidfd,
                       int  signum)
{
  long ret = -1;

  errno = ENOSYS;
  if (pidfd >= 0)
    ret = syscall (SYS_pidfd_send_signal, pidfd, signum, NULL, 0);
  /* Without pidfd_send_signal (or under valgrind). */
  if (ret < 0 && errno == ENOSYS)
    ret = kill (pid, signum);

  return ret == 0;
}

gboolean
tpx_child_try_reap (GPid           pid,
                    int            pidfd,
                    int           *wait_status,
                    struct rusage *rusage,
                    gboolean      *lost)
{
  siginfo_t info;
  long ret;

  memset (&info, 0, sizeof info);
  memset (rusage, 0, sizeof *rusage);
  *wait_status = 0;
  *lost = FALSE;

  do
    ret = syscall (SYS_waitid, P_PIDFD, pidfd, &info, WEXITED | WNOHANG, rusage);
  while (ret < 0 && errno == EINTR);

  if (ret < 0 && errno == EINVAL)
    {
      /* A kernel with CLONE_PIDFD but not yet P_PIDFD (5.2, 5.3). */
      do
        ret = syscall (SYS_waitid, P_PID, pid, &info, WEXITED | WNOHANG, rusage);
      while (ret < 0 && errno == EINTR);
    }

  if (ret < 0)
    {
      /* ECHILD: the child is gone and its status with it. Somebody else
       * reaped it (a waitpid(-1) elsewhere in the program), or the kernel
       * discarded it because SIGCHLD is ignored or has SA_NOCLDWAIT. The
       * pidfd said the child exited, so this is its end all the same;
       * never make a status up. */
      *lost = TRUE;
      return TRUE;
    }

  if (info.si_pid == 0)
    return FALSE;   /* not yet */

  if (info.si_code == CLD_EXITED)
    *wait_status = W_EXITCODE (info.si_status, 0);
  else if (info.si_code == CLD_DUMPED)
    *wait_status = info.si_status | WCOREFLAG;
  else
    *wait_status = info.si_status;

  return TRUE;
}

/* In the kernel's task flags (include/linux/sched.h): set as exiting
 * starts, before the process closes its files. */
#define TPX_PF_EXITING 0x00000004

gboolean
tpx_child_pid_is_live (GPid  pid,
                       GPid *pgrp)
{
  char path[32];
  g_autofree char *stat = NULL;
  const char *after_name;
  char state;
  int ppid, group;
  unsigned int flags;
  long n_threads;

  g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;

  /* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
   * majflt cmajflt utime stime cutime cstime priority nice num_threads
   * ...; comm may hold anything, even ")". */
  after_name = strrchr (stat, ')');
  if (after_name == NULL ||
      sscanf (after_name + 1, " %c %d %d %*s %*s %*s %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %ld",
              &state, &ppid, &group, &flags, &n_threads) != 5)
    return FALSE;

  if (pgrp != NULL)
    *pgrp = group;

  /* A main thread that ended (pthread_exit()) is a zombie with the
   * process's other threads still running. */
  return n_threads > 1 || (state != 'Z' && state != 'X' && (flags & TPX_PF_EXITING) == 0);
}

guint
tpx_child_count_group (GPid pgid)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      GPid pgrp = 0;

      if (g_ascii_isdigit (name[0]) &&
          tpx_child_pid_is_live ((GPid) strtol (name, NULL, 10), &pgrp) &&
          pgrp == pgid)
        n++;
    }

  return n;
}

void
tpx_child_init (TpxChild    *child,
                GPid         pid,
                int          pidfd,
                TpxKillMode  kill_mode,
                TpxCgroup   *cgroup,
                int          stop_signal,
                guint        stop_timeout_ms)
{
  g_mutex_init (&child->lock);
  child->pid = pid;
  child->pidfd = pidfd;
  child->reaped = FALSE;
  child->kill_mode = kill_mode;
  child->cgroup = cgroup;
  child->stop_signal = stop_signal;
  child->stop_timeout_ms = stop_timeout_ms;
  child->stopping = 0;
}

void
tpx_child_clear (TpxChild *child)
{
  if (child->pidfd >= 0)
    close (child->pidfd);
  child->pidfd = -1;
  g_clear_pointer (&child->cgroup, tpx_cgroup_unref);
  g_clear_pointer (&child->stop_source, g_source_unref);
  g_mutex_clear (&child->lock);
}

void
tpx_child_mark_reaped (TpxChild *child)
{
  g_mutex_lock (&child->lock);
  child->reaped = TRUE;
  if (child->pidfd >= 0)
    {
      close (child->pidfd);
      child->pidfd = -1;
    }
  g_mutex_unlock (&child->lock);
}

static void
set_exited_already (TpxChild  *child,
                    GError   **error)
{
  g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
               _("Child process %d has already exited"), (int) child->pid);
}

gboolean
tpx_child_signal (TpxChild  *child,
                  int        signum,
                  GError   **error)
{
  gboolean sent;
  int saved_errno;

  /* Under the lock the child cannot be reaped meanwhile: even the kill()
   * fallback cannot reach a reused pid. */
  g_mutex_lock (&child->lock);
  if (child->reaped)
    {
      g_mutex_unlock (&child->lock);
      set_exited_already (child, error);
      return FALSE;
    }
  sent = tpx_child_send_signal (child->pid, child->pidfd, signum);
  saved_errno = errno;
  g_mutex_unlock (&child->lock);

  if (sent)
    return TRUE;
  if (saved_errno == ESRCH)
    set_exited_already (child, error);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Cannot send signal %d to child process %d: %s"),
                 signum, (int) child->pid, g_strerror (saved_errno));
  return FALSE;
}

/* kill (-pgid): FALSE with EXITED_ALREADY for a group that is gone. */
static gboolean
signal_pgid (TpxChild  *child,
             int        signum,
             gboolean   whole_tree,
             GError   **error)
{
  int saved_errno;

  if (kill (-child->pid, signum) == 0)
    return TRUE;

  saved_errno = errno;
  if (saved_errno == ESRCH && whole_tree)
    g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                 _("Nothing is left of the tree of child process %d"), (int) child->pid);
  else if (saved_errno == ESRCH)
    set_exited_already (child, error);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Cannot send signal %d to process group %d: %s"),
                 signum, (int) child->pid, g_strerror (saved_errno));
  return FALSE;
}

gboolean
tpx_child_signal_group (TpxChild  *child,
                        int        signum,
                        GError   **error)
{
  gboolean sent;

  /* The group cannot be reused while its leader, our child, is unreaped. */
  g_mutex_lock (&child->lock);
  if (child->reaped)
    {
      g_mutex_unlock (&child->lock);
      set_exited_already (child, error);
      return FALSE;
    }
  sent = signal_pgid (child, signum, FALSE, error);
  g_mutex_unlock (&child->lock);

  return sent;
}

gboolean
tpx_child_signal_tree (TpxChild  *child,
                       int        signum,
                       GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean reaped;

  switch (child->kill_mode)
    {
    case TPX_KILL_MODE_CGROUP:
      if (tpx_cgroup_signal (child->cgroup, signum, &local_error))
        return TRUE;
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                     _("Nothing is left of the tree of child process %d"), (int) child->pid);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;

    case TPX_KILL_MODE_PROCESS_GROUP:
      /* After the reap the group lives on as long as any member does; a
       * member that died but that nobody reaped (an init that does not
       * reap orphans) is not the tree, though kill() still reaches it. */
      g_mutex_lock (&child->lock);
      reaped = child->reaped;
      g_mutex_unlock (&child->lock);
      if (reaped && tpx_child_count_group (child->pid) == 0)
        {
          g_set_error (error, TPX_PROCESS_ERROR, TPX_PROCESS_ERROR_EXITED_ALREADY,
                       _("Nothing is left of the tree of child process %d"), (int) child->pid);
          return FALSE;
        }
      return signal_pgid (child, signum, TRUE, error);

    case TPX_KILL_MODE_PROCESS:
    default:
      return tpx_child_signal (child, signum, error);
    }
}

static gboolean
tree_is_alive (TpxChild *child)
{
  gboolean alive;

  switch (child->kill_mode)
    {
    case TPX_KILL_MODE_CGROUP:
      return tpx_cgroup_is_populated (child->cgroup);

    case TPX_KILL_MODE_PROCESS_GROUP:
      return kill (-child->pid, 0) == 0;

    case TPX_KILL_MODE_PROCESS:
    default:
      g_mutex_lock (&child->lock);
      alive = !child->reaped;
      g_mutex_unlock (&child->lock);
      return alive;
    }
}

/* Counts the live pids of @pids, and frees it. */
static guint
count_live (GArray *pids)
{
  guint n = 0;

  for (guint i = 0; i < pids->len; i++)
    if (tpx_child_pid_is_live (g_array_index (pids, int, i), NULL))
      n++;
  g_array_unref (pids);

  return n;
}

guint
tpx_child_count_tree (TpxChild *child)
{
  switch (child->kill_mode)
    {
    case TPX_KILL_MODE_CGROUP:
      return count_live (tpx_cgroup_list_processes (child->cgroup));
    case TPX_KILL_MODE_PROCESS_GROUP:
      return tpx_child_count_group (child->pid);
    case TPX_KILL_MODE_PROCESS:
    default:
      return tree_is_alive (child) ? 1 : 0;
    }
}

typedef struct
{
  TpxChild *child;
  GObject  *owner;
} StopTimer;

static gboolean
stop_timeout_cb (gpointer user_data)
{
  StopTimer *timer = user_data;

  if (tree_is_alive (timer->child))
    tpx_child_signal_tree (timer->child, SIGKILL, NULL);

  g_mutex_lock (&timer->child->lock);
  g_clear_pointer (&timer->child->stop_source, g_source_unref);
  g_mutex_unlock (&timer->child->lock);

  return G_SOURCE_REMOVE;
}

static void
stop_timer_free (gpointer data)
{
  StopTimer *timer = data;

  g_object_unref (timer->owner);
  g_free (timer);
}

void
tpx_child_stop (TpxChild     *child,
                GMainContext *context,
                GObject      *owner)
{
  StopTimer *timer;
  GSource *source;

  if (!g_atomic_int_compare_and_exchange (&child->stopping, 0, 1))
    return;

  if (child->stop_timeout_ms == 0)
    {
      tpx_child_signal_tree (child, SIGKILL, NULL);
      return;
    }

  if (!tpx_child_signal_tree (child, child->stop_signal, NULL) || !tree_is_alive (child))
    return;
  /* A stopped process does not see SIGTERM until it runs again. */
  tpx_child_signal_tree (child, SIGCONT, NULL);

  /* SIGKILL is due even if the transport ended meanwhile. */
  timer = g_new (StopTimer, 1);
  timer->child = child;
  timer->owner = g_object_ref (owner);
  source = g_timeout_source_new (child->stop_timeout_ms);
  g_source_set_static_name (source, "[tpx] stop timeout");
  g_source_set_callback (source, stop_timeout_cb, timer, stop_timer_free);
  g_mutex_lock (&child->lock);
  child->stop_source = source;
  g_source_attach (source, context);
  g_mutex_unlock (&child->lock);
}

void
tpx_child_forget_stop_if_gone (TpxChild *child)
{
  GSource *source;

  g_mutex_lock (&child->lock);
  source = child->stop_source != NULL ? g_source_ref (child->stop_source) : NULL;
  g_mutex_unlock (&child->lock);

  if (source != NULL && !tree_is_alive (child))
    g_source_destroy (source);
  g_clear_pointer (&source, g_source_unref);
}
