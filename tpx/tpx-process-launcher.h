/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (TPX_INSIDE) && !defined (TPX_COMPILATION)
# error "Only <tpx/tpx.h> can be included directly."
#endif

#include <gio/gio.h>

#include "tpx-version-macros.h"
#include "tpx-process-protocol.h"
#include "tpx-process-transport.h"

G_BEGIN_DECLS

/**
 * TpxChildFdKind:
 * @TPX_CHILD_FD_WRITE: a pipe the parent writes and the child reads
 *   (Twisted's `'w'`)
 * @TPX_CHILD_FD_READ: a pipe the child writes and the parent reads
 *   (Twisted's `'r'`)
 * @TPX_CHILD_FD_INHERIT: the child's fd is a copy of a parent fd
 *   (Twisted's integer entries)
 * @TPX_CHILD_FD_PTY: the child's fd is a pseudo-terminal (spec letter
 *   `'p'`); every fd mapped so is the same terminal, which becomes the
 *   child's controlling terminal in a new session. Since: 1.2
 * @TPX_CHILD_FD_SOCKET: a duplex `AF_UNIX` stream socket (spec letter
 *   `'s'`): the parent reads and writes it through one fd. Since: 1.2
 *
 * What a child file descriptor is connected to.
 *
 * Since: 1.0
 */
typedef enum {
  TPX_CHILD_FD_WRITE,
  TPX_CHILD_FD_READ,
  TPX_CHILD_FD_INHERIT,
  TPX_CHILD_FD_PTY,
  TPX_CHILD_FD_SOCKET,
} TpxChildFdKind;

/**
 * TpxKillMode:
 * @TPX_KILL_MODE_PROCESS: the tree is the child alone (Twisted's
 *   behaviour, the default)
 * @TPX_KILL_MODE_PROCESS_GROUP: the child leads a new process group, and
 *   the tree is that group
 * @TPX_KILL_MODE_CGROUP: the child starts in a cgroup v2 of its own, and
 *   the tree is every process in it: every descendant, double-forked
 *   daemons included
 *
 * What [method@Tpx.ProcessTransport.signal_tree] and
 * [method@Tpx.ProcessTransport.stop] reach, as systemd's `KillMode=`.
 *
 * Since: 1.2
 */
typedef enum {
  TPX_KILL_MODE_PROCESS,
  TPX_KILL_MODE_PROCESS_GROUP,
  TPX_KILL_MODE_CGROUP,
} TpxKillMode;

#define TPX_TYPE_PROCESS_LAUNCHER (tpx_process_launcher_get_type ())

TPX_AVAILABLE_IN_1_0
G_DECLARE_FINAL_TYPE (TpxProcessLauncher, tpx_process_launcher, TPX, PROCESS_LAUNCHER, GObject)

TPX_AVAILABLE_IN_1_0
TpxProcessLauncher  *tpx_process_launcher_new                    (void) G_GNUC_WARN_UNUSED_RESULT;
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_environ            (TpxProcessLauncher  *self,
                                                                  const char * const  *env);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_setenv                 (TpxProcessLauncher  *self,
                                                                  const char          *name,
                                                                  const char          *value,
                                                                  gboolean             overwrite);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_unsetenv               (TpxProcessLauncher  *self,
                                                                  const char          *name);
TPX_AVAILABLE_IN_1_0
const char          *tpx_process_launcher_getenv                 (TpxProcessLauncher  *self,
                                                                  const char          *name);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_inherit_environ        (TpxProcessLauncher  *self);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_cwd                (TpxProcessLauncher  *self,
                                                                  const char          *path);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_uid                (TpxProcessLauncher  *self,
                                                                  guint32              uid);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_gid                (TpxProcessLauncher  *self,
                                                                  guint32              gid);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_use_pty            (TpxProcessLauncher  *self,
                                                                  gboolean             use_pty);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_window_size        (TpxProcessLauncher  *self,
                                                                  guint16              rows,
                                                                  guint16              cols);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_new_session        (TpxProcessLauncher  *self,
                                                                  gboolean             new_session);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_process_group      (TpxProcessLauncher  *self,
                                                                  gboolean             new_group);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_set_child_fd           (TpxProcessLauncher  *self,
                                                                  int                  child_fd,
                                                                  TpxChildFdKind       kind,
                                                                  int                  parent_fd);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_remove_child_fd        (TpxProcessLauncher  *self,
                                                                  int                  child_fd);
TPX_AVAILABLE_IN_1_0
void                 tpx_process_launcher_clear_child_fds        (TpxProcessLauncher  *self);
TPX_AVAILABLE_IN_1_0
gboolean             tpx_process_launcher_set_child_fds_from_string (TpxProcessLauncher  *self,
                                                                  const char          *spec,
                                                                  GError             **error);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_kill_mode          (TpxProcessLauncher  *self,
                                                                  TpxKillMode          mode);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_cgroup_parent      (TpxProcessLauncher  *self,
                                                                  const char          *path);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_stop_signal        (TpxProcessLauncher  *self,
                                                                  int                  signum);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_stop_timeout       (TpxProcessLauncher  *self,
                                                                  guint                timeout_ms);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_timeout            (TpxProcessLauncher  *self,
                                                                  guint                timeout_ms);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_die_with_parent    (TpxProcessLauncher  *self,
                                                                  gboolean             die);
TPX_AVAILABLE_IN_1_2
void                 tpx_process_launcher_set_drain_timeout      (TpxProcessLauncher  *self,
                                                                  guint                timeout_ms);
TPX_AVAILABLE_IN_1_0
TpxProcessTransport *tpx_process_launcher_spawn                  (TpxProcessLauncher  *self,
                                                                  TpxProcessProtocol  *protocol,
                                                                  const char          *executable,
                                                                  const char * const  *argv,
                                                                  GError             **error);

TPX_AVAILABLE_IN_1_0
TpxProcessTransport *tpx_spawn_process                           (TpxProcessProtocol  *protocol,
                                                                  const char          *executable,
                                                                  const char * const  *argv,
                                                                  const char * const  *envp,
                                                                  const char          *path,
                                                                  GError             **error);

G_END_DECLS
