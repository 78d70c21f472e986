/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-cgroup-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tpx-i18n-private.h"

/*
 * A cgroup of our own for one child's tree. Everything goes through the
 * cgroup's files, opened relative to the directory's fd:
 *
 *   cgroup.procs   the child writes "0" to it before execve() (fd opened
 *                  here, in the parent); read to list and count the tree
 *   cgroup.kill    "1" sends SIGKILL to the tree (Linux 5.14)
 *   cgroup.freeze  "1"/"0" freezes and thaws the tree (Linux 5.2)
 *   cgroup.events  "populated 0|1" and "frozen 0|1"; a change wakes up a
 *                  poll() for POLLPRI on it until the file is read again
 *
 * Each reader of cgroup.events opens its own fd: reading re-arms the
 * notification for that fd only, so the removal watch cannot miss a change
 * that a concurrent tpx_cgroup_signal() read.
 *
 * Threads: path, dir_fd and procs_fd never change after construction, so
 * the getters, counting and reading need no lock. `lock` serialises what
 * changes the cgroup: a freeze → signal → thaw sequence (two of them
 * interleaved would thaw each other's freeze) and the removal (so that a
 * signal never sees the directory go half-way). The removal watch runs in
 * the thread of its context and holds a reference of its own.
 *
 * References: the creator's (the spawn, then the transport), plus the
 * removal watch's from tpx_cgroup_remove_when_empty() until the directory
 * is gone or the watch's context is destroyed. The last unref tries to
 * remove the directory, then frees.
 */

/* How long a signal waits for "frozen 1" before signalling anyway (a
 * process in uninterruptible sleep does not freeze until it wakes). */
#define FREEZE_TIMEOUT_MS 500
/* Without a confirmed freeze, pids are read and signalled again until no
 * new one shows up, at most this many times. */
#define MAX_SIGNAL_ROUNDS 8
/* tpx-<pid>-<n> names tried before giving up on EEXIST (left over from an
 * earlier process with our pid). */
#define MAX_NAME_TRIES 64

struct _TpxCgroup
{
  gatomicrefcount ref_count;
  char           *path;              /* immutable */
  int             dir_fd;            /* immutable: the directory, for *at() */
  int             procs_fd;          /* immutable: cgroup.procs, O_WRONLY, for the child */
  GMutex          lock;              /* serialises freezing and signalling, and the removal */
  gint            remove_requested;  /* atomic: tpx_cgroup_remove_when_empty() was called */
};

typedef enum {
  REMOVE_DONE,       /* the directory is gone */
  REMOVE_POPULATED,  /* a process still lives in the tree */
  REMOVE_FAILED,     /* empty, but rmdir() failed: errno */
} RemoveResult;

/* The removal watch: its own fd on cgroup.events and a reference. */
typedef struct {
  TpxCgroup *cgroup;
  int        events_fd;
} Watch;

static gint next_serial;

static const char proc_cgroup[] = "/proc/self/cgroup";
static const char proc_mountinfo[] = "/proc/self/mountinfo";

static int
error_code_from_errno (int errsv)
{
  switch (errsv)
    {
    case EACCES:
    case EPERM:
    case EROFS:
      return G_IO_ERROR_PERMISSION_DENIED;
    case ENOENT:
    case ENOTDIR:
    case ENODEV:
      return G_IO_ERROR_NOT_SUPPORTED;
    default:
      return g_io_error_from_errno (errsv);
    }
}

/* Whether @path is @prefix or below it, component-wise ("/" holds all). */
static gboolean
path_is_under (const char *path,
               const char *prefix)
{
  size_t len = strlen (prefix);

  if (strcmp (prefix, "/") == 0)
    return path[0] == '/';

  return strncmp (path, prefix, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* Reads all of @name in @dir_fd, NUL-terminated; NULL with errno set. */
static char *
read_at (int         dir_fd,
         const char *name)
{
  GString *text;
  char buffer[4096];
  int fd;

  fd = openat (dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;

  text = g_string_new (NULL);
  for (;;)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          g_string_free (text, TRUE);
          errno = errsv;
          return NULL;
        }
      if (n == 0)
        break;
      g_string_append_len (text, buffer, n);
    }

  close (fd);

  return g_string_free (text, FALSE);
}

/* Writes @value to @name in @dir_fd with one write(); FALSE with errno set. */
static gboolean
write_at (int         dir_fd,
          const char *name,
          const char *value)
{
  size_t len = strlen (value);
  ssize_t n;
  int errsv;
  int fd;

  fd = openat (dir_fd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;

  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);

  errsv = errno;
  close (fd);
  errno = errsv;

  return n == (ssize_t) len;
}

/* The value of the "@key N" line of a cgroup.events text, -1 without one. */
static int
events_value (const char *text,
              const char *key)
{
  size_t len = strlen (key);

  for (const char *line = text; line != NULL && *line != '\0'; )
    {
      const char *end = strchr (line, '\n');

      if (strncmp (line, key, len) == 0 && line[len] == ' ')
        return atoi (line + len + 1);
      line = end != NULL ? end + 1 : NULL;
    }

  return -1;
}

/* Reads cgroup.events again from the start on @fd (which also re-arms its
 * POLLPRI); -1 with errno set, else the value of @key. */
static int
reread_events (int         fd,
               const char *key)
{
  char buffer[256];
  ssize_t n;

  do
    n = pread (fd, buffer, sizeof buffer - 1, 0);
  while (n < 0 && errno == EINTR);

  if (n < 0)
    return -1;

  buffer[n] = '\0';

  return events_value (buffer, key);
}

static gboolean
populated_at (int dir_fd)
{
  g_autofree char *events = read_at (dir_fd, "cgroup.events");

  /* A directory that is gone holds nobody. */
  return events != NULL && events_value (events, "populated") == 1;
}

/* Appends the pids of the tree under @dir_fd to @pids (duplicates and all). */
static void
collect_pids (int     dir_fd,
              GArray *pids)
{
  g_autofree char *procs = read_at (dir_fd, "cgroup.procs");
  DIR *dir;
  int fd;

  for (char *p = procs; p != NULL && *p != '\0'; )
    {
      char *end;
      long pid = strtol (p, &end, 10);

      if (end == p)
        break;
      if (pid > 0)
        {
          int value = (int) pid;

          g_array_append_val (pids, value);
        }
      p = end;
      while (*p == '\n')
        p++;
    }

  /* Sub-cgroups the tree made for itself. */
  fd = openat (dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }

  for (struct dirent *entry; (entry = readdir (dir)) != NULL; )
    {
      int sub_fd;

      if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
        continue;
      sub_fd = openat (dirfd (dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub_fd < 0)
        continue;
      collect_pids (sub_fd, pids);
      close (sub_fd);
    }

  closedir (dir);
}

/* Removes the (empty) sub-cgroups under @dir_fd, deepest first. */
static void
remove_sub_cgroups (int dir_fd)
{
  DIR *dir;
  int fd;

  fd = openat (dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }

  for (struct dirent *entry; (entry = readdir (dir)) != NULL; )
    {
      int sub_fd;

      if (entry->d_type != DT_DIR || entry->d_name[0] == '.')
        continue;
      sub_fd = openat (dirfd (dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub_fd >= 0)
        {
          remove_sub_cgroups (sub_fd);
          close (sub_fd);
        }
      unlinkat (dirfd (dir), entry->d_name, AT_REMOVEDIR);
    }

  closedir (dir);
}

/* Removes the directory if nothing lives in the tree. */
static RemoveResult
remove_if_empty (TpxCgroup *self)
{
  RemoveResult result = REMOVE_DONE;
  int errsv = 0;

  g_mutex_lock (&self->lock);

  if (populated_at (self->dir_fd))
    result = REMOVE_POPULATED;
  else
    {
      remove_sub_cgroups (self->dir_fd);
      if (rmdir (self->path) != 0 && errno != ENOENT)
        {
          errsv = errno;
          /* EBUSY: a process may have joined since we looked. */
          result = errsv == EBUSY && populated_at (self->dir_fd) ? REMOVE_POPULATED
                                                                 : REMOVE_FAILED;
        }
    }

  g_mutex_unlock (&self->lock);
  errno = errsv;

  return result;
}

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  close (watch->events_fd);
  tpx_cgroup_unref (watch->cgroup);
  g_free (watch);
}

static gboolean
events_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  Watch *watch = user_data;
  int populated = reread_events (fd, "populated");

  /* ENODEV: somebody else removed the directory. */
  if (populated < 0)
    return G_SOURCE_REMOVE;
  if (populated == 1)
    return G_SOURCE_CONTINUE;

  switch (remove_if_empty (watch->cgroup))
    {
    case REMOVE_POPULATED:   /* a process joined again: wait for the next change */
      return G_SOURCE_CONTINUE;
    case REMOVE_FAILED:
      g_warning ("Cannot remove the empty cgroup %s: %s",
                 watch->cgroup->path, g_strerror (errno));
      break;
    case REMOVE_DONE:
      break;
    }

  return G_SOURCE_REMOVE;
}

/* Our own cgroup's directory from /proc/self/cgroup ("0::/path") and the
 * cgroup2 mount of /proc/self/mountinfo whose root holds that path. */
static char *
find_own_cgroup (char   **mount_dir,
                 GError **error)
{
  g_autofree char *cgroups = NULL;
  g_autofree char *mountinfo = NULL;
  g_autofree char *own = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean saw_cgroup2 = FALSE;
  GError *read_error = NULL;
  char *end;

  if (!g_file_get_contents (proc_cgroup, &cgroups, NULL, &read_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Cannot find the cgroup v2 of this process in %s: %s"),
                   proc_cgroup, read_error->message);
      g_error_free (read_error);
      return NULL;
    }

  if (g_str_has_prefix (cgroups, "0::"))
    own = g_strdup (cgroups + 3);
  else if ((end = strstr (cgroups, "\n0::")) != NULL)
    own = g_strdup (end + 4);
  if (own == NULL || own[0] != '/')
    {
      /* cgroup v1 only. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("This process is in no cgroup v2 (no “0::” line in %s)"),
                   proc_cgroup);
      return NULL;
    }
  if ((end = strchr (own, '\n')) != NULL)
    *end = '\0';

  if (!g_file_get_contents (proc_mountinfo, &mountinfo, NULL, &read_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Cannot find the cgroup2 mount in %s: %s"),
                   proc_mountinfo, read_error->message);
      g_error_free (read_error);
      return NULL;
    }

  /* "36 25 0:30 ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ...",
   * with spaces and the like in paths escaped as \040. */
  lines = g_strsplit (mountinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);
      g_autofree char *root = NULL;
      const char *suffix;
      guint n_fields = g_strv_length (fields);
      guint sep;

      for (sep = 6; sep < n_fields && strcmp (fields[sep], "-") != 0; sep++)
        ;
      if (sep + 1 >= n_fields || strcmp (fields[sep + 1], "cgroup2") != 0)
        continue;

      saw_cgroup2 = TRUE;
      root = g_strcompress (fields[3]);
      if (!path_is_under (own, root))
        continue;

      /* The part of our path below the mount's root. */
      suffix = strcmp (root, "/") == 0 ? own : own + strlen (root);
      *mount_dir = g_strcompress (fields[4]);
      if (suffix[0] == '\0' || strcmp (suffix, "/") == 0)
        return g_strdup (*mount_dir);
      return g_strconcat (*mount_dir, suffix, NULL);
    }

  if (saw_cgroup2)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("The cgroup “%s” of this process is under no cgroup2 mount (looked in %s)"),
                 own, proc_mountinfo);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("No cgroup2 file system is mounted (looked in %s)"),
                 proc_mountinfo);

  return NULL;
}

static gboolean
check_cgroup2 (const char  *dir,
               GError     **error)
{
  struct statfs buf;

  if (statfs (dir, &buf) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, error_code_from_errno (errsv),
                   _("Cannot use “%s” as a cgroup parent: %s"),
                   dir, g_strerror (errsv));
      return FALSE;
    }

  if (buf.f_type == CGROUP2_SUPER_MAGIC)
    return TRUE;

  if (buf.f_type == CGROUP_SUPER_MAGIC)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("“%s” is a cgroup v1 directory, not cgroup v2"), dir);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("“%s” is not a cgroup v2 directory"), dir);

  return FALSE;
}

/* The kernel lets a process move from cgroup A to B only if the mover may
 * write the cgroup.procs of the nearest common ancestor of A and B. The
 * child starts in our cgroup @own_dir and moves below @parent_dir: check
 * now, so that the spawn fails here and not in the child. Skipped when the
 * two paths do not meet inside the mount (@parent_dir reached through
 * another mount point). */
static gboolean
check_can_move (const char  *own_dir,
                const char  *mount_dir,
                const char  *parent_dir,
                GError     **error)
{
  g_autofree char *ancestor = g_strdup (own_dir);
  g_autofree char *procs = NULL;
  int errsv;

  while (!path_is_under (parent_dir, ancestor))
    {
      char *slash = strrchr (ancestor, '/');

      if (slash == NULL || slash == ancestor)
        return TRUE;
      *slash = '\0';
    }

  if (!path_is_under (ancestor, mount_dir))
    return TRUE;

  procs = g_build_filename (ancestor, "cgroup.procs", NULL);
  if (faccessat (AT_FDCWD, procs, W_OK, AT_EACCESS) == 0)
    return TRUE;

  errsv = errno;
  g_set_error (error, G_IO_ERROR, error_code_from_errno (errsv),
               _("Cannot move processes into a cgroup under “%s” (it needs write access to “%s”): %s"),
               parent_dir, procs, g_strerror (errsv));

  return FALSE;
}

/* Freezes the cgroup unless somebody else froze it already (theirs to
 * thaw), then waits up to FREEZE_TIMEOUT_MS for "frozen 1". TRUE if we
 * froze it and must thaw it; *@frozen says whether it is frozen now. */
static gboolean
freeze (TpxCgroup *self,
        gboolean  *frozen)
{
  g_autofree char *state = read_at (self->dir_fd, "cgroup.freeze");
  gint64 deadline = g_get_monotonic_time () + FREEZE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean ours = FALSE;
  int events_fd;

  *frozen = FALSE;

  /* No cgroup.freeze before Linux 5.2. */
  if (state == NULL)
    return FALSE;

  /* Opened before the freeze, so that no change of "frozen" is missed. */
  events_fd = openat (self->dir_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (events_fd < 0)
    return FALSE;

  if (state[0] != '1')
    {
      if (!write_at (self->dir_fd, "cgroup.freeze", "1"))
        {
          close (events_fd);
          return FALSE;
        }
      ours = TRUE;
    }

  /* The kernel tells about a change of cgroup.events at most once per
   * 20 ms, later ones at the end of that interval: a freeze that follows
   * the spawn closely would wait for that. So the file is also read again
   * after 1, 2, 4, 8 and 16 ms without news. */
  for (int backoff_ms = 1; ; backoff_ms = MIN (backoff_ms * 2, 16))
    {
      struct pollfd pfd = { .fd = events_fd, .events = POLLPRI };
      gint64 remaining;

      if (reread_events (events_fd, "frozen") == 1)
        {
          *frozen = TRUE;
          break;
        }

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        break;
      if (poll (&pfd, 1, (int) MIN ((remaining + 999) / 1000, backoff_ms)) < 0 &&
          errno != EINTR)
        break;
    }

  close (events_fd);

  return ours;
}

/* Sends @signum to every pid of the tree. Once frozen the tree cannot
 * change, so one reading of the pids is enough; otherwise they are read
 * again until no new one shows up. */
static gboolean
signal_each (TpxCgroup  *self,
             int         signum,
             GError    **error)
{
  g_autoptr(GHashTable) signalled = g_hash_table_new (NULL, NULL);
  gboolean frozen;
  gboolean thaw;
  int failed_errno = 0;
  int failed_pid = 0;

  thaw = freeze (self, &frozen);

  for (guint round = 0; round < MAX_SIGNAL_ROUNDS; round++)
    {
      g_autoptr(GArray) pids = g_array_new (FALSE, FALSE, sizeof (int));
      guint n_new = 0;

      collect_pids (self->dir_fd, pids);
      for (guint i = 0; i < pids->len; i++)
        {
          int pid = g_array_index (pids, int, i);

          if (!g_hash_table_add (signalled, GINT_TO_POINTER (pid)))
            continue;
          n_new++;
          if (kill (pid, signum) != 0 && errno != ESRCH && failed_errno == 0)
            {
              failed_errno = errno;
              failed_pid = pid;
            }
        }

      if (n_new == 0 || frozen)
        break;
    }

  if (thaw)
    write_at (self->dir_fd, "cgroup.freeze", "0");

  if (g_hash_table_size (signalled) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No process is left in the cgroup “%s”"), self->path);
      return FALSE;
    }

  if (failed_errno != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (failed_errno),
                   _("Cannot send signal %d to process %d of the cgroup “%s”: %s"),
                   signum, failed_pid, self->path, g_strerror (failed_errno));
      return FALSE;
    }

  return TRUE;
}

/* SIGKILL through cgroup.kill; each pid before Linux 5.14. */
static gboolean
kill_tree (TpxCgroup  *self,
           GError    **error)
{
  int errsv;

  if (write_at (self->dir_fd, "cgroup.kill", "1"))
    return TRUE;

  errsv = errno;
  if (errsv == ENOENT)
    return signal_each (self, SIGKILL, error);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Cannot signal the processes of the cgroup “%s”: %s"),
               self->path, g_strerror (errsv));

  return FALSE;
}

static int
compare_pids (gconstpointer a,
              gconstpointer b)
{
  int pid_a = *(const int *) a;
  int pid_b = *(const int *) b;

  return (pid_a > pid_b) - (pid_a < pid_b);
}

TpxCgroup *
tpx_cgroup_new (const char  *parent,
                GError     **error)
{
  g_autofree char *own_dir = NULL;
  g_autofree char *mount_dir = NULL;
  g_autofree char *parent_dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) own_error = NULL;
  TpxCgroup *self;
  int dir_fd;
  int procs_fd;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  tpx_i18n_init ();

  own_dir = find_own_cgroup (&mount_dir, &own_error);
  if (own_dir != NULL)
    {
      char *real = realpath (own_dir, NULL);

      /* Compared with @parent's real path below. */
      if (real != NULL)
        {
          g_free (own_dir);
          own_dir = real;
        }
    }

  if (parent == NULL && own_dir == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&own_error));
      return NULL;
    }

  parent_dir = realpath (parent != NULL ? parent : own_dir, NULL);
  if (parent_dir == NULL)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, error_code_from_errno (errsv),
                   _("Cannot use “%s” as a cgroup parent: %s"),
                   parent != NULL ? parent : own_dir, g_strerror (errsv));
      return NULL;
    }

  if (!check_cgroup2 (parent_dir, error))
    return NULL;

  if (own_dir != NULL && !check_can_move (own_dir, mount_dir, parent_dir, error))
    return NULL;

  for (guint tries = 0; ; tries++)
    {
      char name[64];
      int errsv;

      g_snprintf (name, sizeof name, "tpx-%d-%d",
                  (int) getpid (), g_atomic_int_add (&next_serial, 1));
      g_free (path);
      path = g_build_filename (parent_dir, name, NULL);

      if (mkdir (path, 0755) == 0)
        break;

      errsv = errno;
      if (errsv == EEXIST && tries < MAX_NAME_TRIES)
        continue;

      g_set_error (error, G_IO_ERROR, error_code_from_errno (errsv),
                   _("Cannot create the cgroup “%s”: %s"),
                   path, g_strerror (errsv));
      return NULL;
    }

  dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  procs_fd = dir_fd >= 0 ? openat (dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC) : -1;
  if (procs_fd < 0)
    {
      int errsv = errno;
      g_autofree char *procs = g_build_filename (path, "cgroup.procs", NULL);

      if (dir_fd >= 0)
        close (dir_fd);
      rmdir (path);
      g_set_error (error, G_IO_ERROR, error_code_from_errno (errsv),
                   _("Cannot open “%s”: %s"), procs, g_strerror (errsv));
      return NULL;
    }

  self = g_new0 (TpxCgroup, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->path = g_steal_pointer (&path);
  self->dir_fd = dir_fd;
  self->procs_fd = procs_fd;

  return self;
}

TpxCgroup *
tpx_cgroup_ref (TpxCgroup *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

void
tpx_cgroup_unref (TpxCgroup *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  if (remove_if_empty (self) == REMOVE_FAILED)
    g_debug ("Cannot remove the empty cgroup %s: %s", self->path, g_strerror (errno));

  close (self->procs_fd);
  close (self->dir_fd);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

const char *
tpx_cgroup_get_path (TpxCgroup *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

int
tpx_cgroup_get_procs_fd (TpxCgroup *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->procs_fd;
}

gboolean
tpx_cgroup_signal (TpxCgroup  *self,
                   int         signum,
                   GError    **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (signum >= 0 && signum <= 64, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  tpx_i18n_init ();

  g_mutex_lock (&self->lock);

  if (!populated_at (self->dir_fd))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No process is left in the cgroup “%s”"), self->path);
      ok = FALSE;
    }
  else if (signum == SIGKILL)
    ok = kill_tree (self, error);
  else if (signum != 0)
    ok = signal_each (self, signum, error);

  g_mutex_unlock (&self->lock);

  return ok;
}

GArray *
tpx_cgroup_list_processes (TpxCgroup *self)
{
  GArray *pids;
  guint n = 0;

  g_return_val_if_fail (self != NULL, NULL);

  pids = g_array_new (FALSE, FALSE, sizeof (int));
  collect_pids (self->dir_fd, pids);

  /* A pid can be listed twice (moved out and back in). */
  g_array_sort (pids, compare_pids);
  for (guint i = 0; i < pids->len; i++)
    if (i == 0 || g_array_index (pids, int, i) != g_array_index (pids, int, n - 1))
      g_array_index (pids, int, n++) = g_array_index (pids, int, i);
  g_array_set_size (pids, n);

  return pids;
}

guint
tpx_cgroup_count_processes (TpxCgroup *self)
{
  g_autoptr(GArray) pids = tpx_cgroup_list_processes (self);

  return pids != NULL ? pids->len : 0;
}

gboolean
tpx_cgroup_is_populated (TpxCgroup *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return populated_at (self->dir_fd);
}

void
tpx_cgroup_remove_when_empty (TpxCgroup    *self,
                              GMainContext *context)
{
  GSource *source;
  Watch *watch;
  int events_fd;
  int open_errno;

  g_return_if_fail (self != NULL);

  if (!g_atomic_int_compare_and_exchange (&self->remove_requested, FALSE, TRUE))
    {
      g_critical ("%s: the removal of %s was already asked for", G_STRFUNC, self->path);
      return;
    }

  /* Opened before looking, so that a change after the look wakes the watch. */
  events_fd = openat (self->dir_fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  open_errno = errno;

  switch (remove_if_empty (self))
    {
    case REMOVE_DONE:
      if (events_fd >= 0)
        close (events_fd);
      return;
    case REMOVE_FAILED:
      g_warning ("Cannot remove the empty cgroup %s: %s", self->path, g_strerror (errno));
      if (events_fd >= 0)
        close (events_fd);
      return;
    case REMOVE_POPULATED:
      break;
    }

  if (events_fd < 0)
    {
      g_warning ("Cannot watch the cgroup %s: %s", self->path, g_strerror (open_errno));
      return;
    }

  watch = g_new0 (Watch, 1);
  watch->cgroup = tpx_cgroup_ref (self);
  watch->events_fd = events_fd;

  source = g_unix_fd_source_new (events_fd, G_IO_PRI | G_IO_ERR);
  g_source_set_callback (source, G_SOURCE_FUNC (events_cb), watch, watch_free);
  g_source_set_static_name (source, "[tpx] cgroup removal");
  g_source_attach (source, context);
  g_source_unref (source);
}
