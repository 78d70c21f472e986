/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-spawn-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* The send buffer asked for the child's end of a SOCKET fd. */
#define SOCKET_BUFFER_SIZE (1024 * 1024)

#if defined (__SANITIZE_ADDRESS__)
# include <sanitizer/asan_interface.h>
#endif

/*
 * The spawn path. The child is created with clone(CLONE_VM | CLONE_VFORK):
 * it runs on the parent's memory, on a stack of its own, while the calling
 * thread waits for its execve(). Nothing is copied, so the cost does not
 * grow with the parent's heap. When clone() returns, the exec has happened
 * or the child has failed and left a report (step, errno) in the memory it
 * shares with the parent, so spawn errors are synchronous. The shared
 * memory is trusted only once a first spawn has proven it shared: until
 * then, and wherever clone() is emulated by a fork (valgrind), the report
 * also travels through a close-on-exec pipe. The child's stack is kept for
 * the next spawn.
 *
 * Because the memory is shared, the child side (child_main and what it
 * calls) allocates nothing, takes no lock, and makes only async-signal-safe
 * calls or raw system calls. Every signal is blocked around clone() so that
 * no handler of the parent ever runs on the child's stack.
 */

#define CHILD_STACK_SIZE (64 * 1024)

typedef enum {
  STEP_NONE,
  STEP_SETSID,
  STEP_SETPGID,
  STEP_CGROUP,
  STEP_PDEATHSIG,
  STEP_SETGROUPS,
  STEP_SETGID,
  STEP_SETUID,
  STEP_CHDIR,
  STEP_DEVNULL,
  STEP_FDS,
  STEP_CTTY,
  STEP_EXEC,
} Step;

/* ChildReport.path when no one candidate is to blame: a search of PATH
 * that found nothing it could run. */
#define PATH_SEARCH_FAILED G_MAXUINT

typedef struct
{
  Step                step;
  int                 err;
  guint               path;         /* index in exec_paths, for STEP_EXEC */
} ChildReport;

typedef struct
{
  const TpxSpawnPlan *plan;

  /* The child's fd map, sorted by target, resolved to parent fds. */
  const int          *src;
  const int          *dst;          /* strictly increasing */
  int                *tmp;          /* scratch for the child */
  guint               n;
  int                 floor_fd;     /* above every target: where copies go
                                     * when there is room */
  guint               devnull_mask; /* unmapped fds among 0, 1, 2 */
  gboolean            search_path;  /* exec_paths come from PATH */
  gboolean            drop_groups;  /* uid or gid set: keep only the new gid */
  gboolean            ids_change;   /* ... and they differ from the parent's */
  gid_t               group;
  pid_t               parent_pid;   /* for die_with_parent */
  int                 ctty_fd;      /* -1, or a child fd on the terminal */

  /* -1, or where the child also writes its report: close-on-exec, so a
   * successful exec says so by closing it. */
  int                 report_fd;

  /* Written by the child, read by the parent once clone() returned. */
  gboolean            started;
  ChildReport         report;
} ChildArgs;

/* Child side: async-signal-safe only, from here ... */

/* Whether @fd is a target of the map (a binary search of dst). */
static gboolean
is_target (const ChildArgs *args,
           int              fd)
{
  guint lo = 0;
  guint hi = args->n;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (args->dst[mid] == fd)
        return TRUE;
      if (args->dst[mid] < fd)
        lo = mid + 1;
      else
        hi = mid;
    }

  return FALSE;
}

/* Whether the child's set-up writes over @fd: a target of the map, or an
 * unmapped 0, 1 or 2 that becomes /dev/null. */
static gboolean
is_overwritten (const ChildArgs *args,
                int              fd)
{
  if (fd >= 0 && fd < 3 && (args->devnull_mask & (1u << fd)))
    return TRUE;

  return is_target (args, fd);
}

/* A close-on-exec copy of @fd on a number the set-up never writes over:
 * above every target where there is room, else (a target close to
 * RLIMIT_NOFILE) the lowest free number that is no target. -1 with errno
 * set when there is none. */
static int
dup_out_of_the_way (const ChildArgs *args,
                    int              fd)
{
  int copy = fcntl (fd, F_DUPFD_CLOEXEC, args->floor_fd);
  int from = 0;

  /* EINVAL: floor_fd is at the limit; EMFILE: nothing free above it. */
  if (copy >= 0 || (errno != EINVAL && errno != EMFILE))
    return copy;

  for (;;)
    {
      if (from >= args->floor_fd)
        {
          errno = EMFILE;
          return -1;
        }

      copy = fcntl (fd, F_DUPFD_CLOEXEC, from);
      if (copy < 0 || !is_overwritten (args, copy))
        return copy;

      /* A free target: it will be written over; look above it. */
      close (copy);
      from = copy + 1;
    }
}

/* The lowest fd at or above @fd that the child keeps (a target, a
 * /dev/null on 0, 1 or 2, the report fd), or G_MAXINT. *@i is a cursor in
 * dst for calls with increasing @fd. */
static int
next_kept_fd (const ChildArgs *args,
              int              fd,
              guint           *i)
{
  int next = G_MAXINT;

  for (int std = fd; std < 3; std++)
    if (args->devnull_mask & (1u << std))
      {
        next = std;
        break;
      }

  while (*i < args->n && args->dst[*i] < fd)
    (*i)++;
  if (*i < args->n)
    next = MIN (next, args->dst[*i]);

  if (args->report_fd >= fd)
    next = MIN (next, args->report_fd);

  return next;
}

static gboolean
is_kept (const ChildArgs *args,
         int              fd)
{
  return fd == args->report_fd || is_overwritten (args, fd);
}

/* Closes every fd the child does not keep: one close_range() for each gap
 * between the kept ones. FALSE if close_range() failed: it is missing
 * before Linux 5.9, and seccomp filters (containers, sandboxes) may refuse
 * it with ENOSYS or EPERM. */
static gboolean
close_unkept_fds_by_range (const ChildArgs *args)
{
  guint i = 0;
  int lo = 0;

  for (;;)
    {
      int kept = next_kept_fd (args, lo, &i);

      if (lo < kept &&
          syscall (SYS_close_range, (unsigned int) lo,
                   kept == G_MAXINT ? ~0U : (unsigned int) kept - 1, 0) < 0)
        return FALSE;
      if (kept == G_MAXINT)
        return TRUE;
      lo = kept + 1;
    }
}

/* What getdents64() fills the buffer with. */
struct linux_dirent64
{
  guint64        d_ino;
  gint64         d_off;
  unsigned short d_reclen;
  unsigned char  d_type;
  char           d_name[];
};

/* Closes every fd the child does not keep, as listed in /proc/self/fd:
 * where close_range() cannot do it. The open fds are all there, above the
 * soft RLIMIT_NOFILE too, so the cost is one close() per open fd, never
 * one per possible fd. The listing is read with getdents64() into a buffer
 * on the stack, and read again from its start after anything was closed,
 * as glibc's closefrom() fallback does. FALSE with errno set if
 * /proc/self/fd cannot be read. */
static gboolean
close_unkept_fds_listed (const ChildArgs *args)
{
  guint64 buffer[128];  /* 1 KiB, aligned for the records */
  int dir;

  dir = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 && errno == EMFILE)
    {
      /* Not one free fd: make room by closing the first one not kept.
       * With a full table every number below the limit is open. */
      int last = MAX (args->floor_fd, args->report_fd) + 1;

      for (int fd = 0; fd <= last; fd++)
        if (!is_kept (args, fd) && close (fd) == 0)
          break;
      dir = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (dir < 0)
    return FALSE;

  for (;;)
    {
      const char *records = (const char *) buffer;
      gboolean closed = FALSE;
      long n;

      n = syscall (SYS_getdents64, dir, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (dir);
          errno = saved_errno;
          return FALSE;
        }
      if (n == 0)
        break;

      for (long offset = 0; offset < n;)
        {
          const struct linux_dirent64 *entry = (const void *) (records + offset);
          int fd = 0;

          offset += entry->d_reclen;

          /* "." and "..", and anything else that is not a number. */
          if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
          for (const char *c = entry->d_name; *c >= '0' && *c <= '9'; c++)
            fd = fd * 10 + (*c - '0');

          if (fd == dir || is_kept (args, fd))
            continue;

          /* EBADF: not ours to close (valgrind keeps its own fds). Any
           * other error still released the fd. */
          if (close (fd) == 0 || errno != EBADF)
            closed = TRUE;
        }

      if (closed && lseek (dir, 0, SEEK_SET) < 0)
        {
          int saved_errno = errno;

          close (dir);
          errno = saved_errno;
          return FALSE;
        }
    }

  close (dir);
  return TRUE;
}

static G_GNUC_NORETURN void
child_fail_path (ChildArgs *args,
                 Step       step,
                 guint      path)
{
  gssize n;

  args->report = (ChildReport) { step, errno, path };
  if (args->report_fd >= 0)
    {
      do
        n = write (args->report_fd, &args->report, sizeof args->report);
      while (n < 0 && errno == EINTR);
    }

  _exit (127);
}

static G_GNUC_NORETURN void
child_fail (ChildArgs *args,
            Step       step)
{
  child_fail_path (args, step, 0);
}

static int
child_main (void *data)
{
  ChildArgs *args = data;
  const TpxSpawnPlan *plan = args->plan;
  struct sigaction sa;
  sigset_t empty;
  gboolean saw_eacces = FALSE;
  int groups_errno = 0;

  args->started = TRUE;

  /* Keep the report fd out of the way of the fd map. */
  if (args->report_fd >= 0 && is_overwritten (args, args->report_fd))
    {
      int report_fd = dup_out_of_the_way (args, args->report_fd);

      if (report_fd < 0)
        child_fail (args, STEP_FDS);
      args->report_fd = report_fd;
    }

  /* Default dispositions before the mask is opened. */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);

  if (plan->new_session || args->ctty_fd >= 0)
    {
      if (setsid () < 0)
        child_fail (args, STEP_SETSID);
    }
  else if (plan->new_group)
    {
      if (setpgid (0, 0) < 0)
        child_fail (args, STEP_SETPGID);
    }

  /* Into the cgroup before anything runs that could start another
   * process, and before the ids change (older kernels check the writer). */
  if (plan->cgroup_procs_fd >= 0 && write (plan->cgroup_procs_fd, "0", 1) != 1)
    child_fail (args, STEP_CGROUP);

  /* Raw system calls: glibc's set*id() would try to change the ids of the
   * parent's other threads too, since this child shares their memory. */
  if (args->drop_groups && syscall (SYS_setgroups, 1, &args->group) < 0)
    groups_errno = errno;
  if (plan->set_gid && syscall (SYS_setgid, plan->gid) < 0)
    child_fail (args, STEP_SETGID);
  if (plan->set_uid && syscall (SYS_setuid, plan->uid) < 0)
    child_fail (args, STEP_SETUID);
  /* Without the privilege to drop them, the groups may stay only if the
   * ids did not change: never hand the parent's groups to another user. */
  if (groups_errno != 0 && args->ids_change)
    {
      errno = groups_errno;
      child_fail (args, STEP_SETGROUPS);
    }

  /* After the ids changed: the kernel clears the death signal when they
   * do. The parent may have died before it was armed: then it is as if it
   * had fired. */
  if (plan->die_with_parent)
    {
      if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_fail (args, STEP_PDEATHSIG);
      if (getppid () != args->parent_pid)
        _exit (128 + SIGKILL);
    }

  if (plan->cwd != NULL && chdir (plan->cwd) < 0)
    child_fail (args, STEP_CHDIR);

  /* A source that is also a target of another entry would be written
   * over before its turn: copy it out of the way first. That gets any map
   * right, swaps and cycles included; every other source (the pipes tpx
   * made, most inherited fds) goes straight onto its target, since a
   * dup2() only ever writes on a target. */
  for (guint i = 0; i < args->n; i++)
    {
      if (args->src[i] == args->dst[i] || !is_target (args, args->src[i]))
        args->tmp[i] = args->src[i];
      else if ((args->tmp[i] = dup_out_of_the_way (args, args->src[i])) < 0)
        child_fail (args, STEP_FDS);
    }

  for (guint i = 0; i < args->n; i++)
    {
      /* Already in place: only the close-on-exec flag must go. */
      if (args->tmp[i] == args->dst[i])
        {
          if (fcntl (args->dst[i], F_SETFD, 0) < 0)
            child_fail (args, STEP_FDS);
        }
      else if (dup2 (args->tmp[i], args->dst[i]) < 0)
        child_fail (args, STEP_FDS);
    }

  /* Every target is taken now, so /dev/null lands on a free 0, 1 or 2 if
   * there is one, else anywhere and is closed with the rest below. */
  if (args->devnull_mask != 0)
    {
      int devnull = open ("/dev/null", O_RDWR);

      if (devnull < 0)
        child_fail (args, STEP_DEVNULL);
      for (int fd = 0; fd < 3; fd++)
        if ((args->devnull_mask & (1u << fd)) && fd != devnull && dup2 (devnull, fd) < 0)
          child_fail (args, STEP_DEVNULL);
    }

  /* Close everything else, the copies and the parent's fds included. No
   * parent fd may reach the child: without close_range() nor a readable
   * /proc/self/fd, the spawn fails rather than leak. */
  if (!close_unkept_fds_by_range (args) && !close_unkept_fds_listed (args))
    child_fail (args, STEP_FDS);

  if (args->ctty_fd >= 0 && ioctl (args->ctty_fd, TIOCSCTTY, 0) < 0)
    child_fail (args, STEP_CTTY);

  sigemptyset (&empty);
  sigprocmask (SIG_SETMASK, &empty, NULL);

  if (!args->search_path)
    {
      execve (plan->exec_paths[0], plan->argv, plan->envp);
      child_fail_path (args, STEP_EXEC, 0);
    }

  /* The search of execvp(), without its /bin/sh fallback on ENOEXEC: these
   * errors mean "not here", EACCES "not for us", anything else that the
   * program was found but cannot run. */
  for (guint i = 0; plan->exec_paths[i] != NULL; i++)
    {
      execve (plan->exec_paths[i], plan->argv, plan->envp);

      switch (errno)
        {
        case EACCES:
          saw_eacces = TRUE;
          break;

        case ENOENT:
        case ENOTDIR:
        case ESTALE:
        case ENODEV:
        case ETIMEDOUT:
          break;

        default:
          child_fail_path (args, STEP_EXEC, i);
        }
    }

  /* Found nowhere: not found, whatever the last entry said (a plain file
   * there gives ENOTDIR), or refused if an entry refused it. */
  errno = saw_eacces ? EACCES : ENOENT;
  child_fail_path (args, STEP_EXEC, PATH_SEARCH_FAILED);
}

/* ... to here. */

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    {
      close (*fd);
      *fd = -1;
    }
}

static void
set_spawn_error (GError            **error,
                 const TpxSpawnPlan *plan,
                 int                 err,
                 const char         *step)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
               _("Failed to spawn “%s”: %s: %s"),
               plan->executable, step, g_strerror (err));
}

static void
set_child_error (GError            **error,
                 const TpxSpawnPlan *plan,
                 const ChildArgs    *args,
                 const ChildReport  *report)
{
  g_autofree char *step = NULL;
  int err = report->err;

  switch (report->step)
    {
    case STEP_SETSID:
      step = g_strdup (_("setsid"));
      break;

    case STEP_SETPGID:
      step = g_strdup (_("setpgid"));
      break;

    case STEP_CGROUP:
      step = g_strdup (_("move into the cgroup"));
      break;

    case STEP_PDEATHSIG:
      step = g_strdup (_("set the parent-death signal"));
      break;

    case STEP_SETGROUPS:
      step = g_strdup_printf (_("setgroups to %u"), (guint) args->group);
      break;

    case STEP_SETGID:
      step = g_strdup_printf (_("setgid to %u"), (guint) plan->gid);
      break;

    case STEP_SETUID:
      step = g_strdup_printf (_("setuid to %u"), (guint) plan->uid);
      break;

    case STEP_CHDIR:
      {
        g_autofree char *cwd = g_utf8_make_valid (plan->cwd, -1);

        step = g_strdup_printf (_("chdir to %s"), cwd);
      }
      break;

    case STEP_DEVNULL:
      step = g_strdup (_("open /dev/null"));
      break;

    case STEP_FDS:
      step = g_strdup (_("set up the child’s file descriptors"));
      break;

    case STEP_CTTY:
      step = g_strdup (_("make the terminal the controlling terminal"));
      break;

    case STEP_EXEC:
    case STEP_NONE:
    default:
      if (report->path == PATH_SEARCH_FAILED)
        {
          /* Name the program as the caller wrote it, not the last place
           * it was looked for. */
          step = g_strdup_printf (_("execute %s"), plan->executable);
        }
      else
        {
          const char *path = plan->exec_paths[report->path];
          g_autofree char *display = g_utf8_make_valid (path, -1);
          struct stat st;

          /* execve() says EACCES for a directory; say what it is. */
          if (err == EACCES && stat (path, &st) == 0 && S_ISDIR (st.st_mode))
            err = EISDIR;
          step = g_strdup_printf (_("execute %s"), display);
        }
      break;
    }

  set_spawn_error (error, plan, err, step);
}

static gboolean
make_pipe (int       fds[2],
           gboolean  parent_reads)
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return FALSE;

  /* Only the parent's end is nonblocking: the child's stays blocking. */
  fcntl (fds[parent_reads ? 0 : 1], F_SETFL, O_NONBLOCK);
  return TRUE;
}

static gboolean
open_pty (const TpxSpawnPlan *plan,
          int                *master_out,
          int                *slave_out,
          GError            **error)
{
  char name[64];
  int master;
  int slave;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    {
      set_spawn_error (error, plan, errno, _("open a pseudo-terminal"));
      return FALSE;
    }

  if (grantpt (master) < 0 || unlockpt (master) < 0 ||
      ptsname_r (master, name, sizeof name) != 0)
    {
      set_spawn_error (error, plan, errno, _("open a pseudo-terminal"));
      close (master);
      return FALSE;
    }

  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    {
      set_spawn_error (error, plan, errno, _("open a pseudo-terminal"));
      close (master);
      return FALSE;
    }

  if (plan->rows != 0 || plan->cols != 0)
    {
      struct winsize ws = { .ws_row = plan->rows, .ws_col = plan->cols };

      ioctl (master, TIOCSWINSZ, &ws);
    }

  fcntl (master, F_SETFL, O_NONBLOCK);

  *master_out = master;
  *slave_out = slave;
  return TRUE;
}

gboolean
tpx_spawn_check_inherited_fds (const TpxFdSpec *fds,
                               guint            n_fds,
                               const char      *executable,
                               GError         **error)
{
  for (guint i = 0; i < n_fds; i++)
    {
      if (fds[i].kind != TPX_CHILD_FD_INHERIT)
        continue;

      if (fds[i].parent_fd < 0 || fcntl (fds[i].parent_fd, F_GETFD) < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Failed to spawn “%s”: fd %d of the parent, to be the child’s fd %d, is not open"),
                       executable, fds[i].parent_fd, fds[i].child_fd);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
tpx_spawn_searches_path (const char *executable)
{
  return *executable != '\0' && strchr (executable, '/') == NULL;
}

void
tpx_spawn_result_clear (TpxSpawnResult *result)
{
  for (guint i = 0; i < result->n_pipes; i++)
    close_fd (&result->pipes[i].fd);
  g_clear_pointer (&result->pipes, g_free);
  result->n_pipes = 0;
  close_fd (&result->pidfd);
}

/* One stack kept between spawns: taken by one spawn at a time, any other
 * spawn running at the same moment maps its own. */
static gpointer spare_stack;

static pid_t
clone_child (ChildArgs *args,
             int       *pidfd)
{
  sigset_t all;
  sigset_t old;
  char *stack;
  pid_t pid;
  int saved_errno;

  stack = g_atomic_pointer_exchange (&spare_stack, NULL);
  if (stack == NULL)
    {
      stack = mmap (NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (stack == MAP_FAILED)
        return -1;
    }

  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);

  *pidfd = -1;
  pid = clone (child_main, stack + CHILD_STACK_SIZE,
               CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, args, pidfd);
  if (pid < 0 && errno == EINVAL)
    {
      /* A kernel without CLONE_PIDFD (before 5.2). */
      *pidfd = -1;
      pid = clone (child_main, stack + CHILD_STACK_SIZE,
                   CLONE_VM | CLONE_VFORK | SIGCHLD, args);
    }
  saved_errno = errno;

  pthread_sigmask (SIG_SETMASK, &old, NULL);
#if defined (__SANITIZE_ADDRESS__)
  /* The child's frames left their redzones poisoned in the shadow memory. */
  ASAN_UNPOISON_MEMORY_REGION (stack, CHILD_STACK_SIZE);
#endif
  /* With CLONE_VFORK the child is done with the stack: it has called
   * execve() or _exit(). */
  if (!g_atomic_pointer_compare_and_exchange (&spare_stack, NULL, stack))
    munmap (stack, CHILD_STACK_SIZE);

  errno = saved_errno;
  return pid;
}

/* Whether a child's writes to the memory it shares with the parent have
 * been seen: not where clone() is emulated by a fork. */
static gint shared_memory_proven;

gboolean
tpx_spawn (const TpxSpawnPlan *plan,
           TpxSpawnResult     *result,
           GError            **error)
{
  g_autofree int *src = NULL;
  g_autofree int *dst = NULL;
  g_autofree int *tmp = NULL;
  g_autofree int *child_ends = NULL;
  guint n_child_ends = 0;
  guint n_map;
  ChildArgs args = { 0 };
  int master = -1, slave = -1;
  int out_fd = -1, in_fd = -1;
  gboolean use_pipe;
  int report_pipe[2] = { -1, -1 };
  int pidfd = -1;
  pid_t pid;

  memset (result, 0, sizeof *result);
  result->pidfd = -1;

  args.ctty_fd = -1;

  /* Before any fd of ours exists: none of them may pass for a closed one. */
  if (!tpx_spawn_check_inherited_fds (plan->fds, plan->n_fds, plan->executable, error))
    return FALSE;

  n_map = plan->n_fds;
  src = g_new (int, n_map);
  dst = g_new (int, n_map);
  tmp = g_new (int, n_map);
  child_ends = g_new (int, n_map + 1);
  /* One parent end per pipe or socket, two for the terminal. */
  result->pipes = g_new0 (TpxSpawnPipe, n_map + 2);

  for (guint i = 0; i < plan->n_fds; i++)
    {
      const TpxFdSpec *spec = &plan->fds[i];
      int fds[2];

      dst[i] = spec->child_fd;

      switch (spec->kind)
        {
        case TPX_CHILD_FD_INHERIT:
          src[i] = spec->parent_fd;
          continue;

        case TPX_CHILD_FD_PTY:
          /* Every PTY entry is the same terminal. */
          if (master < 0)
            {
              if (!open_pty (plan, &master, &slave, error))
                goto failed;
              child_ends[n_child_ends++] = slave;
              args.ctty_fd = spec->child_fd;
            }
          src[i] = slave;
          if (out_fd < 0 || spec->child_fd == 1)
            out_fd = spec->child_fd;
          if (in_fd < 0 || spec->child_fd == 0)
            in_fd = spec->child_fd;
          continue;

        case TPX_CHILD_FD_SOCKET:
          if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            {
              set_spawn_error (error, plan, errno, _("create a socket pair"));
              goto failed;
            }
          /* Only the parent's end is nonblocking. What a unix stream
           * socket's reader gets per read is what its writer may have in
           * flight: the child's send buffer, asked bigger (the kernel
           * caps it at net.core.wmem_max), makes fewer, larger reads. */
          fcntl (fds[0], F_SETFL, O_NONBLOCK);
          setsockopt (fds[1], SOL_SOCKET, SO_SNDBUF, &(int) { SOCKET_BUFFER_SIZE }, sizeof (int));
          src[i] = fds[1];
          result->pipes[result->n_pipes++] = (TpxSpawnPipe) { spec->child_fd, spec->kind, fds[0], FALSE };
          break;

        case TPX_CHILD_FD_READ:
        case TPX_CHILD_FD_WRITE:
        default:
          if (!make_pipe (fds, spec->kind == TPX_CHILD_FD_READ))
            {
              set_spawn_error (error, plan, errno, _("create a pipe"));
              goto failed;
            }
          src[i] = fds[spec->kind == TPX_CHILD_FD_READ ? 1 : 0];
          result->pipes[result->n_pipes++] =
            (TpxSpawnPipe) { spec->child_fd, spec->kind, fds[spec->kind == TPX_CHILD_FD_READ ? 0 : 1], FALSE };
          break;
        }
      child_ends[n_child_ends++] = src[i];
    }

  if (master >= 0)
    {
      /* A second fd on the same terminal, so that reading and writing are
       * watched apart: the output as the child's fd 1 when 1 is on the
       * terminal (else its lowest fd there), the input as fd 0 likewise. */
      int writer = fcntl (master, F_DUPFD_CLOEXEC, 3);

      result->pipes[result->n_pipes++] = (TpxSpawnPipe) { out_fd, TPX_CHILD_FD_READ, master, TRUE };
      master = -1;
      if (writer < 0)
        {
          set_spawn_error (error, plan, errno, _("open a pseudo-terminal"));
          goto failed;
        }
      result->pipes[result->n_pipes++] = (TpxSpawnPipe) { in_fd, TPX_CHILD_FD_WRITE, writer, TRUE };
      result->is_pty = TRUE;
    }

  use_pipe = !g_atomic_int_get (&shared_memory_proven);
  if (use_pipe && pipe2 (report_pipe, O_CLOEXEC) < 0)
    {
      set_spawn_error (error, plan, errno, _("create a pipe"));
      goto failed;
    }

  args.plan = plan;
  args.parent_pid = getpid ();
  args.report_fd = report_pipe[1];
  args.report.step = STEP_NONE;
  args.src = src;
  args.dst = dst;
  args.tmp = tmp;
  args.n = n_map;
  args.floor_fd = MAX (3, n_map > 0 ? dst[n_map - 1] + 1 : 0);
  for (int fd = 0; fd < 3; fd++)
    {
      gboolean mapped = FALSE;

      for (guint i = 0; i < n_map && !mapped; i++)
        mapped = dst[i] == fd;
      if (!mapped)
        args.devnull_mask |= 1u << fd;
    }
  args.search_path = tpx_spawn_searches_path (plan->executable);
  args.drop_groups = plan->set_uid || plan->set_gid;
  args.ids_change = (plan->set_uid && plan->uid != getuid ()) ||
                    (plan->set_gid && plan->gid != getgid ());
  if (args.drop_groups)
    args.group = plan->set_gid ? plan->gid : getegid ();

  pid = clone_child (&args, &pidfd);
  if (pid < 0)
    {
      set_spawn_error (error, plan, errno, _("clone"));
      goto failed;
    }

  for (guint i = 0; i < n_child_ends; i++)
    close_fd (&child_ends[i]);
  close_fd (&report_pipe[1]);

  if (use_pipe)
    {
      ChildReport piped;
      gssize n;

      /* End of file: the exec closed the report fd. With CLONE_VFORK this
       * never waits; where clone is emulated by a fork (valgrind), it
       * waits for the exec. */
      do
        n = read (report_pipe[0], &piped, sizeof piped);
      while (n < 0 && errno == EINTR);
      close_fd (&report_pipe[0]);

      if (n == 0)
        piped.step = STEP_NONE;
      else if (n != sizeof piped)
        piped = (ChildReport) { STEP_EXEC, n < 0 ? errno : EIO, 0 };

      if (args.started && args.report.step == piped.step)
        g_atomic_int_set (&shared_memory_proven, TRUE);
      args.report = piped;
    }

  if (args.report.step != STEP_NONE)
    {
      /* The child has called _exit(): reap it now. */
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      close_fd (&pidfd);
      set_child_error (error, plan, &args, &args.report);
      goto failed;
    }

  result->pid = pid;
  result->pidfd = pidfd;
  return TRUE;

failed:
  for (guint i = 0; i < n_child_ends; i++)
    close_fd (&child_ends[i]);
  close_fd (&master);
  close_fd (&report_pipe[0]);
  close_fd (&report_pipe[1]);
  tpx_spawn_result_clear (result);
  return FALSE;
}
