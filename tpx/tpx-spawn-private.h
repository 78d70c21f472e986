/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "tpx-process-launcher.h"

G_BEGIN_DECLS

/* One entry of the child fd map. */
typedef struct
{
  int            child_fd;
  TpxChildFdKind kind;
  int            parent_fd;   /* TPX_CHILD_FD_INHERIT only */
} TpxFdSpec;

/* Everything a spawn needs, fully resolved by the launcher. */
typedef struct
{
  const char       *executable;   /* as the caller wrote it, but valid
                                   * UTF-8: for messages */
  char * const     *exec_paths;   /* candidates for execve(), in order: the
                                   * executable itself, or one per PATH
                                   * entry (tpx_spawn_searches_path()) */
  char * const     *argv;
  char * const     *envp;
  const char       *cwd;          /* nullable */
  const TpxFdSpec  *fds;          /* sorted by child_fd, no duplicates */
  guint             n_fds;
  gboolean          set_uid;
  gboolean          set_gid;
  uid_t             uid;
  gid_t             gid;
  gboolean          new_session;
  gboolean          new_group;
  gboolean          use_pty;      /* the map has PTY entries */
  gboolean          legacy_pty;   /* set_use_pty(): 1.0's rules (only fd 0 is written) */
  guint16           rows;
  guint16           cols;
  /* Lifetime control (DESIGN §10.1); the spawn itself uses only
   * die_with_parent and cgroup_procs_fd, the transport the rest. */
  TpxKillMode       kill_mode;
  const char       *cgroup_parent;    /* nullable */
  int               cgroup_procs_fd;  /* -1, or the child writes "0" to it */
  int               stop_signal;
  guint             stop_timeout_ms;
  guint             timeout_ms;       /* 0: none */
  guint             drain_timeout_ms; /* G_MAXUINT: none */
  gboolean          die_with_parent;
} TpxSpawnPlan;

/* The parent's end of one pipe (or of the PTY). */
typedef struct
{
  int            child_fd;
  TpxChildFdKind kind;        /* READ, WRITE or SOCKET */
  int            fd;          /* nonblocking, close-on-exec */
  gboolean       is_terminal; /* one of the terminal's two fds */
} TpxSpawnPipe;

typedef struct
{
  GPid          pid;
  int           pidfd;        /* -1 where the kernel has no pidfd */
  TpxSpawnPipe *pipes;        /* g_free */
  guint         n_pipes;
  gboolean      is_pty;
} TpxSpawnResult;

/* Checks that every INHERIT fd of @fds is open, with
 * G_IO_ERROR_INVALID_ARGUMENT if one is not. Call it before anything opens
 * an fd for the spawn (a pipe, an epoll set, a main context's wakeup fd):
 * a closed fd number would be taken by the first of those, and the child
 * would silently get it instead. tpx_spawn() calls it first too. */
gboolean tpx_spawn_check_inherited_fds (const TpxFdSpec *fds,
                                        guint            n_fds,
                                        const char      *executable,
                                        GError         **error);

/* Whether @executable is a bare name, looked up in PATH (no '/', not ""). */
gboolean tpx_spawn_searches_path  (const char         *executable);

gboolean tpx_spawn                (const TpxSpawnPlan *plan,
                                   TpxSpawnResult     *result,
                                   GError            **error);
/* Closes the parent's pipe ends and pidfd of a result nobody took over. */
void     tpx_spawn_result_clear   (TpxSpawnResult     *result);

G_END_DECLS
