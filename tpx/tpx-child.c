/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-child-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tpx-i18n-private.h"

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
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *after_name;
      char state;
      int ppid, pgrp;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* pid (comm) state ppid pgrp ...; comm may hold anything, even ")". */
      after_name = strrchr (stat, ')');
      if (after_name != NULL &&
          sscanf (after_name + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 &&
          pgrp == pgid && state != 'Z' && state != 'X')
        n++;
    }

  return n;
}
