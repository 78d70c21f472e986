/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-process-launcher.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tpx-i18n-private.h"
#include "tpx-process-launcher-private.h"
#include "tpx-process-protocol.h"
#include "tpx-process-transport-private.h"
#include "tpx-spawn-private.h"

/**
 * TpxProcessLauncher:
 *
 * The options of a child process, and the way to start it: Twisted's
 * `reactor.spawnProcess` split into a reusable set of options and a
 * [method@Tpx.ProcessLauncher.spawn] call.
 *
 * A new launcher gives the child an **empty environment** (as Twisted does;
 * call [method@Tpx.ProcessLauncher.inherit_environ] for the parent's), the
 * parent's working directory, and the fd map `{0: w, 1: r, 2: r}`: the
 * parent writes the child's standard input and reads its standard output
 * and standard error.
 *
 * The child gets exactly the fds of the map: any other fd is closed, except
 * that an unmapped 0, 1 or 2 is opened on `/dev/null`. Any fd number below
 * the soft `RLIMIT_NOFILE` can be a child fd, and the map may move fds onto
 * each other (`{0: 1, 1: 0}`). It starts with the
 * default signal dispositions and an empty signal mask. The pipes tpx
 * creates are blocking on the child's side; an inherited fd keeps its
 * flags, since changing them would change the parent's fd as well.
 *
 * Setters never fail. A setting that cannot work (a negative fd, `=` in an
 * environment variable name) is remembered and makes the next
 * [method@Tpx.ProcessLauncher.spawn] fail with
 * `G_IO_ERROR_INVALID_ARGUMENT`.
 *
 * Since: 1.0
 */

struct _TpxProcessLauncher
{
  GObject   parent_instance;

  char    **env;
  char     *cwd;
  GArray   *fds;            /* TpxFdSpec, sorted by child_fd */
  char     *invalid;        /* why the next spawn must fail, or NULL */

  guint32   uid;
  guint32   gid;
  guint16   rows;
  guint16   cols;

  TpxKillMode kill_mode;
  char     *cgroup_parent;
  int       stop_signal;
  guint     stop_timeout_ms;
  guint     timeout_ms;
  guint     drain_timeout_ms;
  guint     die_with_parent : 1;
  guint     set_uid : 1;
  guint     set_gid : 1;
  guint     use_pty : 1;
  guint     new_session : 1;
  guint     new_group : 1;
};

G_DEFINE_FINAL_TYPE (TpxProcessLauncher, tpx_process_launcher, G_TYPE_OBJECT)

/* The kernel's ceiling on fd numbers (fs.nr_open). */
#define MAX_CHILD_FD (1 << 20)

static const TpxFdSpec default_fds[] = {
  { 0, TPX_CHILD_FD_WRITE, -1 },
  { 1, TPX_CHILD_FD_READ, -1 },
  { 2, TPX_CHILD_FD_READ, -1 },
};

static const TpxFdSpec pty_fds[] = {
  { 0, TPX_CHILD_FD_PTY, -1 },
  { 1, TPX_CHILD_FD_PTY, -1 },
  { 2, TPX_CHILD_FD_PTY, -1 },
};

static void
remember_invalid (TpxProcessLauncher *self,
                  char               *message)
{
  if (self->invalid == NULL)
    self->invalid = message;
  else
    g_free (message);
}

static gboolean
is_valid_env_name (const char *name,
                   gsize       len)
{
  return len > 0 && memchr (name, '=', len) == NULL;
}

static void
fd_map_set (GArray          *fds,
            const TpxFdSpec *spec)
{
  guint i;

  for (i = 0; i < fds->len; i++)
    {
      TpxFdSpec *cur = &g_array_index (fds, TpxFdSpec, i);

      if (cur->child_fd == spec->child_fd)
        {
          *cur = *spec;
          return;
        }
      if (cur->child_fd > spec->child_fd)
        break;
    }

  g_array_insert_val (fds, i, *spec);
}

static gboolean
is_default_fd_map (GArray *fds)
{
  if (fds->len != G_N_ELEMENTS (default_fds))
    return FALSE;

  for (guint i = 0; i < fds->len; i++)
    {
      const TpxFdSpec *spec = &g_array_index (fds, TpxFdSpec, i);

      if (spec->child_fd != default_fds[i].child_fd || spec->kind != default_fds[i].kind)
        return FALSE;
    }

  return TRUE;
}

/* Parses a decimal fd, 0 … G_MAXINT, all of [start, end). */
static gboolean
parse_fd (const char *start,
          const char *end,
          int        *out)
{
  gint64 value = 0;

  if (start == end)
    return FALSE;

  for (const char *p = start; p < end; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (*p - '0');
      if (value > G_MAXINT)
        return FALSE;
    }

  *out = (int) value;
  return TRUE;
}

static char **
build_exec_paths (const char         *executable,
                  const char * const *env)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  const char *search;
  gsize name_len;

  if (!tpx_spawn_searches_path (executable))
    {
      g_ptr_array_add (paths, g_strdup (executable));
      g_ptr_array_add (paths, NULL);
      return (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
    }

  search = g_environ_getenv ((char **) env, "PATH");
  if (search == NULL)
    search = "/bin:/usr/bin";

  /* As execvp(): every entry in order, "" included (an empty PATH is one
   * empty entry), an empty entry being the working directory; an entry
   * too long to join with the name is skipped, not an error. */
  name_len = strlen (executable);
  for (const char *entry = search;;)
    {
      const char *end = strchrnul (entry, ':');
      gsize len = (gsize) (end - entry);

      if (len == 0)
        g_ptr_array_add (paths, g_strconcat ("./", executable, NULL));
      else if (len + 1 + name_len < PATH_MAX)
        g_ptr_array_add (paths, g_strdup_printf ("%.*s/%s", (int) len, entry, executable));

      if (*end == '\0')
        break;
      entry = end + 1;
    }
  g_ptr_array_add (paths, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&paths), FALSE);
}

static void
tpx_process_launcher_finalize (GObject *object)
{
  TpxProcessLauncher *self = TPX_PROCESS_LAUNCHER (object);

  g_clear_pointer (&self->env, g_strfreev);
  g_clear_pointer (&self->cwd, g_free);
  g_clear_pointer (&self->fds, g_array_unref);
  g_clear_pointer (&self->invalid, g_free);
  g_clear_pointer (&self->cgroup_parent, g_free);

  G_OBJECT_CLASS (tpx_process_launcher_parent_class)->finalize (object);
}

static void
tpx_process_launcher_class_init (TpxProcessLauncherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  tpx_i18n_init ();

  object_class->finalize = tpx_process_launcher_finalize;
}

static void
tpx_process_launcher_init (TpxProcessLauncher *self)
{
  self->env = g_new0 (char *, 1);
  self->kill_mode = TPX_KILL_MODE_PROCESS;
  self->stop_signal = SIGTERM;
  self->stop_timeout_ms = 5000;
  self->drain_timeout_ms = G_MAXUINT;
  self->fds = g_array_new (FALSE, FALSE, sizeof (TpxFdSpec));
  g_array_append_vals (self->fds, default_fds, G_N_ELEMENTS (default_fds));
}

/**
 * tpx_process_launcher_new:
 *
 * Creates a launcher with an empty environment, the parent's working
 * directory and the fd map `{0: w, 1: r, 2: r}`.
 *
 * Returns: (transfer full): a new launcher
 *
 * Since: 1.0
 */
TpxProcessLauncher *
tpx_process_launcher_new (void)
{
  return g_object_new (TPX_TYPE_PROCESS_LAUNCHER, NULL);
}

/**
 * tpx_process_launcher_set_environ:
 * @self: a launcher
 * @env: (array zero-terminated=1) (element-type filename) (nullable): the
 *   environment, as `NAME=value` strings, or %NULL for an empty one
 *
 * Replaces the child's whole environment.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_environ (TpxProcessLauncher *self,
                                  const char * const *env)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  g_strfreev (self->env);
  self->env = env != NULL ? g_strdupv ((char **) env) : g_new0 (char *, 1);
}

/**
 * tpx_process_launcher_setenv:
 * @self: a launcher
 * @name: (type filename): the variable's name; it may not contain `=`
 * @value: (type filename): its value
 * @overwrite: whether to replace a value that is already set
 *
 * Sets one variable of the child's environment.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_setenv (TpxProcessLauncher *self,
                             const char         *name,
                             const char         *value,
                             gboolean            overwrite)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  if (!is_valid_env_name (name, strlen (name)))
    {
      g_autofree char *display = g_utf8_make_valid (name, -1);

      remember_invalid (self, g_strdup_printf (_("Invalid environment variable name “%s”"), display));
      return;
    }

  self->env = g_environ_setenv (self->env, name, value, overwrite);
}

/**
 * tpx_process_launcher_unsetenv:
 * @self: a launcher
 * @name: (type filename): the variable's name
 *
 * Removes one variable from the child's environment.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_unsetenv (TpxProcessLauncher *self,
                               const char         *name)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));
  g_return_if_fail (name != NULL);

  if (!is_valid_env_name (name, strlen (name)))
    return;

  self->env = g_environ_unsetenv (self->env, name);
}

/**
 * tpx_process_launcher_getenv:
 * @self: a launcher
 * @name: (type filename): the variable's name
 *
 * Gets one variable of the child's environment.
 *
 * Returns: (type filename) (nullable): its value, or %NULL if it is not set
 *
 * Since: 1.0
 */
const char *
tpx_process_launcher_getenv (TpxProcessLauncher *self,
                             const char         *name)
{
  g_return_val_if_fail (TPX_IS_PROCESS_LAUNCHER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!is_valid_env_name (name, strlen (name)))
    return NULL;

  return g_environ_getenv (self->env, name);
}

/**
 * tpx_process_launcher_inherit_environ:
 * @self: a launcher
 *
 * Replaces the child's environment with a copy of the parent's current one.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_inherit_environ (TpxProcessLauncher *self)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  g_strfreev (self->env);
  self->env = g_get_environ ();
}

/**
 * tpx_process_launcher_set_cwd:
 * @self: a launcher
 * @path: (type filename) (nullable): the child's working directory, or
 *   %NULL for the parent's
 *
 * Sets the directory the child starts in (Twisted's `path`).
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_cwd (TpxProcessLauncher *self,
                              const char         *path)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  g_free (self->cwd);
  self->cwd = g_strdup (path);
}

/**
 * tpx_process_launcher_set_uid:
 * @self: a launcher
 * @uid: a user id
 *
 * Makes the child run as @uid. Switching to the caller's own uid needs no
 * privilege; any other needs root, or the spawn fails with
 * `G_IO_ERROR_PERMISSION_DENIED`. A privileged parent's supplementary
 * groups are dropped in the child: only the new gid remains.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_uid (TpxProcessLauncher *self,
                              guint32             uid)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->uid = uid;
  self->set_uid = TRUE;
}

/**
 * tpx_process_launcher_set_gid:
 * @self: a launcher
 * @gid: a group id
 *
 * Makes the child run with group @gid; it is set before the uid.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_gid (TpxProcessLauncher *self,
                              guint32             gid)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->gid = gid;
  self->set_gid = TRUE;
}

/**
 * tpx_process_launcher_set_use_pty:
 * @self: a launcher
 * @use_pty: whether to run the child on a pseudo-terminal
 *
 * Runs the child in a new session with a new pseudo-terminal as its
 * controlling terminal on fds 0, 1 and 2 (Twisted's `usePTY`). The parent
 * reads everything the child writes as child fd 1 and writes to its fd 0.
 * It cannot be combined with a custom fd map; it is the map `0:p,1:p,2:p`,
 * and a map with %TPX_CHILD_FD_PTY entries is the way to mix a terminal
 * with pipes (`0:p,1:p,2:r` keeps standard error apart).
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_use_pty (TpxProcessLauncher *self,
                                  gboolean            use_pty)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->use_pty = !!use_pty;
}

/**
 * tpx_process_launcher_set_window_size:
 * @self: a launcher
 * @rows: the number of rows
 * @cols: the number of columns
 *
 * Sets the size the pseudo-terminal starts with, when
 * [method@Tpx.ProcessLauncher.set_use_pty] is set.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_window_size (TpxProcessLauncher *self,
                                      guint16             rows,
                                      guint16             cols)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->rows = rows;
  self->cols = cols;
}

/**
 * tpx_process_launcher_set_new_session:
 * @self: a launcher
 * @new_session: whether the child calls `setsid()`
 *
 * Runs the child in a new session (and so a new process group), detached
 * from the parent's controlling terminal.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_new_session (TpxProcessLauncher *self,
                                      gboolean            new_session)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->new_session = !!new_session;
}

/**
 * tpx_process_launcher_set_process_group:
 * @self: a launcher
 * @new_group: whether the child calls `setpgid(0, 0)`
 *
 * Runs the child in a new process group, so that
 * [method@Tpx.ProcessTransport.signal_process_group] reaches it and its
 * descendants.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_process_group (TpxProcessLauncher *self,
                                        gboolean            new_group)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->new_group = !!new_group;
}

/**
 * tpx_process_launcher_set_kill_mode:
 * @self: a launcher
 * @mode: what the child's tree is
 *
 * Sets what [method@Tpx.ProcessTransport.signal_tree] and
 * [method@Tpx.ProcessTransport.stop] reach: the child alone (the default,
 * as Twisted), a new process group the child leads, or a cgroup v2 of its
 * own that holds every descendant, daemons included. With
 * %TPX_KILL_MODE_CGROUP, [method@Tpx.ProcessLauncher.spawn] fails with
 * `G_IO_ERROR_NOT_SUPPORTED` or `G_IO_ERROR_PERMISSION_DENIED` where no
 * writable cgroup v2 is to be had (a Flatpak sandbox, a container without
 * delegation): use %TPX_KILL_MODE_PROCESS_GROUP there.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_kill_mode (TpxProcessLauncher *self,
                                    TpxKillMode         mode)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));
  g_return_if_fail (mode <= TPX_KILL_MODE_CGROUP);

  self->kill_mode = mode;
}

/**
 * tpx_process_launcher_set_cgroup_parent:
 * @self: a launcher
 * @path: (type filename) (nullable): a cgroup v2 directory, or %NULL for
 *   the caller's own cgroup
 *
 * Sets where %TPX_KILL_MODE_CGROUP creates the child's cgroup
 * (`tpx-<pid>-<n>`, removed once it is empty and the transport ended).
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_cgroup_parent (TpxProcessLauncher *self,
                                        const char         *path)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  g_free (self->cgroup_parent);
  self->cgroup_parent = g_strdup (path);
}

/**
 * tpx_process_launcher_set_stop_signal:
 * @self: a launcher
 * @signum: the signal [method@Tpx.ProcessTransport.stop] sends first
 *
 * Sets the signal that asks the tree to end (systemd's `KillSignal=`);
 * %SIGTERM by default.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_stop_signal (TpxProcessLauncher *self,
                                      int                 signum)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));
  g_return_if_fail (signum > 0 && signum <= 64);

  self->stop_signal = signum;
}

/**
 * tpx_process_launcher_set_stop_timeout:
 * @self: a launcher
 * @timeout_ms: how long [method@Tpx.ProcessTransport.stop] waits before
 *   `SIGKILL`, in milliseconds
 *
 * Sets how long the tree has to end after the stop signal (systemd's
 * `TimeoutStopSec=`); 5000 by default. 0 sends `SIGKILL` at once.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_stop_timeout (TpxProcessLauncher *self,
                                       guint               timeout_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->stop_timeout_ms = timeout_ms;
}

/**
 * tpx_process_launcher_set_timeout:
 * @self: a launcher
 * @timeout_ms: the longest the child may run, in milliseconds; 0 for no
 *   limit (the default)
 *
 * Limits how long the child runs (systemd's `RuntimeMaxSec=`): that long
 * after the spawn, the transport sets
 * [property@Tpx.ProcessTransport:timed-out] and calls
 * [method@Tpx.ProcessTransport.stop]. The output helpers then fail with
 * `G_IO_ERROR_TIMED_OUT`.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_timeout (TpxProcessLauncher *self,
                                  guint               timeout_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->timeout_ms = timeout_ms;
}

guint
tpx_process_launcher_get_timeout_ms (TpxProcessLauncher *self)
{
  g_return_val_if_fail (TPX_IS_PROCESS_LAUNCHER (self), 0);

  return self->timeout_ms;
}

/**
 * tpx_process_launcher_set_die_with_parent:
 * @self: a launcher
 * @die: whether the child gets `SIGKILL` when its parent dies
 *
 * Makes the kernel kill the child when the parent goes
 * (`PR_SET_PDEATHSIG`); a child whose parent died during the spawn exits
 * at once. Linux sends it when the *thread* that spawned the child ends,
 * not the process: spawn such children from a thread that outlives them
 * (the main thread), never from a worker thread of a pool or a GTask.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_die_with_parent (TpxProcessLauncher *self,
                                          gboolean            die)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->die_with_parent = !!die;
}

/**
 * tpx_process_launcher_set_drain_timeout:
 * @self: a launcher
 * @timeout_ms: how long to wait for open pipes after the child was
 *   reaped, in milliseconds; %G_MAXUINT (the default) waits for ever, as
 *   Twisted
 *
 * Bounds the wait of a transport whose child exited while something else
 * (a grandchild, a daemon) still holds one of its pipes: that long after
 * the reap, the pipes still open are closed, what could be read until
 * then is delivered, [signal@Tpx.ProcessTransport::child-connection-lost]
 * is emitted for each and [signal@Tpx.ProcessTransport::process-ended]
 * follows. 0 closes them right after the reap, once what is readable now
 * has been read.
 *
 * Since: 1.2
 */
void
tpx_process_launcher_set_drain_timeout (TpxProcessLauncher *self,
                                        guint               timeout_ms)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  self->drain_timeout_ms = timeout_ms;
}

/**
 * tpx_process_launcher_set_child_fd:
 * @self: a launcher
 * @child_fd: the fd number in the child
 * @kind: what the fd is connected to
 * @parent_fd: the parent fd the child gets a copy of, for
 *   %TPX_CHILD_FD_INHERIT; ignored otherwise
 *
 * Adds or replaces one entry of the child fd map (Twisted's `childFDs`).
 *
 * Since: 1.0
 */
void
tpx_process_launcher_set_child_fd (TpxProcessLauncher *self,
                                   int                 child_fd,
                                   TpxChildFdKind      kind,
                                   int                 parent_fd)
{
  TpxFdSpec spec = { child_fd, kind, kind == TPX_CHILD_FD_INHERIT ? parent_fd : -1 };

  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  if (child_fd < 0 || child_fd >= MAX_CHILD_FD || (kind == TPX_CHILD_FD_INHERIT && parent_fd < 0) ||
      (guint) kind > TPX_CHILD_FD_SOCKET)
    {
      remember_invalid (self, g_strdup_printf (_("Invalid child fd map entry %d → %d"),
                                               child_fd, parent_fd));
      return;
    }

  fd_map_set (self->fds, &spec);
}

/**
 * tpx_process_launcher_remove_child_fd:
 * @self: a launcher
 * @child_fd: the fd number in the child
 *
 * Removes one entry of the child fd map: the child's @child_fd will be
 * closed (or `/dev/null`, for 0, 1 and 2).
 *
 * Since: 1.0
 */
void
tpx_process_launcher_remove_child_fd (TpxProcessLauncher *self,
                                      int                 child_fd)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  for (guint i = 0; i < self->fds->len; i++)
    {
      if (g_array_index (self->fds, TpxFdSpec, i).child_fd == child_fd)
        {
          g_array_remove_index (self->fds, i);
          return;
        }
    }
}

/**
 * tpx_process_launcher_clear_child_fds:
 * @self: a launcher
 *
 * Empties the child fd map: the child gets `/dev/null` on 0, 1 and 2 and no
 * other fd.
 *
 * Since: 1.0
 */
void
tpx_process_launcher_clear_child_fds (TpxProcessLauncher *self)
{
  g_return_if_fail (TPX_IS_PROCESS_LAUNCHER (self));

  g_array_set_size (self->fds, 0);
}

/**
 * tpx_process_launcher_set_child_fds_from_string:
 * @self: a launcher
 * @spec: the map, as in `"0:w,1:r,2:2,3:w,4:r"`
 * @error: return location for a #GError
 *
 * Replaces the whole child fd map with one written in Twisted's terms:
 * comma-separated `CHILD:KIND` entries where KIND is `w` (the parent
 * writes), `r` (the parent reads), `p` (the pseudo-terminal, since 1.2),
 * `s` (a duplex socket, since 1.2) or a parent fd number the child gets a
 * copy of. The empty string is the empty map.
 *
 * On error (`G_IO_ERROR_INVALID_ARGUMENT`), the map is left unchanged.
 *
 * Returns: %TRUE if @spec was valid
 *
 * Since: 1.0
 */
gboolean
tpx_process_launcher_set_child_fds_from_string (TpxProcessLauncher  *self,
                                                const char          *spec,
                                                GError             **error)
{
  g_autoptr(GArray) fds = NULL;
  const char *p;

  g_return_val_if_fail (TPX_IS_PROCESS_LAUNCHER (self), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fds = g_array_new (FALSE, FALSE, sizeof (TpxFdSpec));

  for (p = spec; *p != '\0'; )
    {
      const char *end = strchr (p, ',');
      const char *colon;
      TpxFdSpec entry = { -1, TPX_CHILD_FD_INHERIT, -1 };

      if (end == NULL)
        end = p + strlen (p);

      colon = memchr (p, ':', end - p);
      if (colon == NULL || !parse_fd (p, colon, &entry.child_fd) ||
          entry.child_fd >= MAX_CHILD_FD)
        goto invalid;

      if (end - colon == 2 && colon[1] == 'w')
        entry.kind = TPX_CHILD_FD_WRITE;
      else if (end - colon == 2 && colon[1] == 'r')
        entry.kind = TPX_CHILD_FD_READ;
      else if (end - colon == 2 && colon[1] == 'p')
        entry.kind = TPX_CHILD_FD_PTY;
      else if (end - colon == 2 && colon[1] == 's')
        entry.kind = TPX_CHILD_FD_SOCKET;
      else if (!parse_fd (colon + 1, end, &entry.parent_fd))
        goto invalid;

      for (guint i = 0; i < fds->len; i++)
        if (g_array_index (fds, TpxFdSpec, i).child_fd == entry.child_fd)
          goto invalid;

      fd_map_set (fds, &entry);

      if (*end == '\0')
        break;
      p = end + 1;
      if (*p == '\0')
        goto invalid;   /* a trailing comma */
    }

  g_array_unref (self->fds);
  self->fds = g_steal_pointer (&fds);
  return TRUE;

invalid:
  {
    g_autofree char *display = g_utf8_make_valid (spec, -1);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("Invalid child fd map “%s”: expected entries like “0:w”, “1:r”, “2:p”, “3:s” or “4:5”, separated by commas"),
                 display);
  }
  return FALSE;
}

/**
 * tpx_process_launcher_spawn:
 * @self: a launcher
 * @protocol: (nullable): the protocol that receives the child's events
 * @executable: (type filename): the program: a path, or a name looked up in
 *   the `PATH` of the child's environment (`/bin:/usr/bin` without one)
 * @argv: (array zero-terminated=1) (element-type filename) (nullable): the
 *   child's arguments, `argv[0]` included (what the child sees as its
 *   name); %NULL or empty for just @executable
 * @error: return location for a #GError
 *
 * Starts a child process with the launcher's options (Twisted's
 * `reactor.spawnProcess`). No shell is involved.
 *
 * An empty @argv is the same as %NULL, `{ executable }`: no child ever
 * runs with no `argv[0]` (`argc` 0), which programs do not expect.
 *
 * A bare name is looked up as `execvp()` does, in the child's working
 * directory: each `PATH` entry in order, an empty entry (or an empty
 * `PATH`) meaning the working directory; an entry too long to join with
 * the name is skipped. A name found nowhere is `G_IO_ERROR_NOT_FOUND`, or
 * `G_IO_ERROR_PERMISSION_DENIED` if an entry had it but refused to run it,
 * and the message names the program as you wrote it.
 *
 * The protocol's [vfunc@Tpx.ProcessProtocol.connection_made] is called
 * before this returns. The transport's signals are emitted in the
 * thread-default main context of the calling thread. The transport keeps
 * itself alive until [signal@Tpx.ProcessTransport::process-ended]: the
 * caller may drop its reference at once.
 *
 * Failures are reported here, never as a child that exits 1:
 * `G_IO_ERROR_NOT_FOUND` for a missing program,
 * `G_IO_ERROR_PERMISSION_DENIED` for one that cannot be executed (or an id
 * change that is refused), `G_IO_ERROR_IS_DIRECTORY`,
 * `G_IO_ERROR_INVALID_ARGUMENT` for a bad option, and
 * `G_IO_ERROR_TOO_MANY_OPEN_FILES`. The message names the program and the
 * step that failed. A failed spawn leaves no fd and no child behind.
 *
 * Returns: (transfer full): the transport of the running child, or %NULL
 *
 * Since: 1.0
 */
TpxProcessTransport *
tpx_process_launcher_spawn (TpxProcessLauncher  *self,
                            TpxProcessProtocol  *protocol,
                            const char          *executable,
                            const char * const  *argv,
                            GError             **error)
{
  g_auto(GStrv) exec_paths = NULL;
  g_autofree char *display = NULL;
  const char *default_argv[] = { executable, NULL };
  TpxSpawnPlan plan = { 0 };

  g_return_val_if_fail (TPX_IS_PROCESS_LAUNCHER (self), NULL);
  g_return_val_if_fail (protocol == NULL || TPX_IS_PROCESS_PROTOCOL (protocol), NULL);
  g_return_val_if_fail (executable != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Messages are UTF-8, whatever bytes the names hold. */
  display = g_utf8_make_valid (executable, -1);

  if (self->invalid != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Failed to spawn “%s”: %s"), display, self->invalid);
      return NULL;
    }

  for (guint i = 0; self->env[i] != NULL; i++)
    {
      const char *eq = strchr (self->env[i], '=');

      if (eq == NULL || eq == self->env[i])
        {
          g_autofree char *entry = g_utf8_make_valid (self->env[i], -1);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Failed to spawn “%s”: invalid environment entry “%s”"),
                       display, entry);
          return NULL;
        }
    }

  if (self->use_pty && !is_default_fd_map (self->fds))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Failed to spawn “%s”: a pseudo-terminal cannot be combined with a custom fd map"),
                   display);
      return NULL;
    }

  /* First, while no fd of the spawn exists (not even the main context's
   * wakeup fd or an epoll set): one could take a closed fd's number. */
  if (!tpx_spawn_check_inherited_fds ((const TpxFdSpec *) (gpointer) self->fds->data,
                                      self->fds->len, display, error))
    return NULL;

  exec_paths = build_exec_paths (executable, (const char * const *) self->env);

  plan.executable = display;
  plan.exec_paths = exec_paths;
  /* Empty is NULL: no child ever runs with argc 0 (CVE-2021-4034). */
  plan.argv = (char * const *) (argv != NULL && argv[0] != NULL ? argv : default_argv);
  plan.envp = self->env;
  plan.cwd = self->cwd;
  /* use_pty is the map 0:p,1:p,2:p. */
  plan.fds = self->use_pty ? pty_fds : (const TpxFdSpec *) (gpointer) self->fds->data;
  plan.n_fds = self->use_pty ? G_N_ELEMENTS (pty_fds) : self->fds->len;
  plan.set_uid = self->set_uid;
  plan.set_gid = self->set_gid;
  plan.uid = self->uid;
  plan.gid = self->gid;
  plan.new_session = self->new_session;
  plan.new_group = self->new_group;
  for (guint i = 0; i < plan.n_fds; i++)
    plan.use_pty |= plan.fds[i].kind == TPX_CHILD_FD_PTY;
  plan.legacy_pty = self->use_pty;
  plan.rows = self->rows;
  plan.cols = self->cols;
  plan.kill_mode = self->kill_mode;
  plan.cgroup_parent = self->cgroup_parent;
  plan.cgroup_procs_fd = -1;
  plan.stop_signal = self->stop_signal;
  plan.stop_timeout_ms = self->stop_timeout_ms;
  plan.timeout_ms = self->timeout_ms;
  plan.drain_timeout_ms = self->drain_timeout_ms;
  plan.die_with_parent = self->die_with_parent;

  return tpx_process_transport_new_for_plan (protocol, &plan, error);
}

/**
 * tpx_spawn_process:
 * @protocol: (nullable): the protocol that receives the child's events
 * @executable: (type filename): the program (see
 *   [method@Tpx.ProcessLauncher.spawn])
 * @argv: (array zero-terminated=1) (element-type filename) (nullable): the
 *   child's arguments, `argv[0]` included; %NULL or empty for just
 *   @executable
 * @envp: (array zero-terminated=1) (element-type filename) (nullable): the
 *   child's environment; %NULL for an empty one
 * @path: (type filename) (nullable): the child's working directory, or
 *   %NULL for the parent's
 * @error: return location for a #GError
 *
 * Starts a child with the default fd map `{0: w, 1: r, 2: r}`: Twisted's
 * `reactor.spawnProcess` for the common case. See
 * [method@Tpx.ProcessLauncher.spawn].
 *
 * Returns: (transfer full): the transport of the running child, or %NULL
 *
 * Since: 1.0
 */
TpxProcessTransport *
tpx_spawn_process (TpxProcessProtocol  *protocol,
                   const char          *executable,
                   const char * const  *argv,
                   const char * const  *envp,
                   const char          *path,
                   GError             **error)
{
  g_autoptr(TpxProcessLauncher) launcher = NULL;

  g_return_val_if_fail (protocol == NULL || TPX_IS_PROCESS_PROTOCOL (protocol), NULL);
  g_return_val_if_fail (executable != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  launcher = tpx_process_launcher_new ();
  tpx_process_launcher_set_environ (launcher, envp);
  tpx_process_launcher_set_cwd (launcher, path);

  return tpx_process_launcher_spawn (launcher, protocol, executable, argv, error);
}

/* Every setting, the remembered invalid one included: a copy spawns
 * exactly as the original would have at the time of the copy. */
TpxProcessLauncher *
tpx_process_launcher_copy (TpxProcessLauncher *self)
{
  TpxProcessLauncher *copy = tpx_process_launcher_new ();

  g_strfreev (copy->env);
  copy->env = g_strdupv (self->env);
  copy->cwd = g_strdup (self->cwd);
  g_array_set_size (copy->fds, 0);
  g_array_append_vals (copy->fds, self->fds->data, self->fds->len);
  copy->invalid = g_strdup (self->invalid);

  copy->uid = self->uid;
  copy->gid = self->gid;
  copy->rows = self->rows;
  copy->cols = self->cols;

  copy->kill_mode = self->kill_mode;
  copy->cgroup_parent = g_strdup (self->cgroup_parent);
  copy->stop_signal = self->stop_signal;
  copy->stop_timeout_ms = self->stop_timeout_ms;
  copy->timeout_ms = self->timeout_ms;
  copy->drain_timeout_ms = self->drain_timeout_ms;
  copy->die_with_parent = self->die_with_parent;
  copy->set_uid = self->set_uid;
  copy->set_gid = self->set_gid;
  copy->use_pty = self->use_pty;
  copy->new_session = self->new_session;
  copy->new_group = self->new_group;

  return copy;
}
