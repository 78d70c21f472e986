/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/resource.h>

#include "tpx-cgroup-private.h"
#include "tpx-process-launcher.h"

G_BEGIN_DECLS

/*
 * The child process itself, apart from its pipes: reaping it through its
 * pidfd and signalling it, by number or by Twisted's names.
 */

/* "TERM", "SIGKILL" (every Linux signal name, with or without "SIG") or a
 * decimal number 0 … 64. -1 with G_IO_ERROR_INVALID_ARGUMENT otherwise. */
int      tpx_child_signal_from_name (const char     *name,
                                     GError        **error);

/* Sends @signum through @pidfd, or with kill() where there is no pidfd or
 * no pidfd_send_signal(): the caller makes sure the child is not reaped
 * yet, so its pid cannot have been reused. FALSE with errno set. */
gboolean tpx_child_send_signal      (GPid            pid,
                                     int             pidfd,
                                     int             signum);

/* Reaps the child if it has exited, without waiting. FALSE if it has not.
 * TRUE once it has, with *@lost TRUE when the kernel no longer has its
 * status (waitid() fails with ECHILD: it was reaped elsewhere, by a
 * waitpid(-1) in the program, or discarded because SIGCHLD is ignored or
 * has SA_NOCLDWAIT); *@wait_status and *@rusage are then meaningless. */
gboolean tpx_child_try_reap         (GPid            pid,
                                     int             pidfd,
                                     int            *wait_status,
                                     struct rusage  *rusage,
                                     gboolean       *lost);

/* Whether @pid is a live process, from /proc/@pid/stat: neither a zombie
 * nor on its way out (PF_EXITING: it may have closed its fds already and
 * still be listed in its cgroup for a moment). Its process group in
 * @pgrp (nullable). */
gboolean tpx_child_pid_is_live      (GPid            pid,
                                     GPid           *pgrp);

/* The live members of process group @pgid, from /proc. */
guint    tpx_child_count_group      (GPid            pgid);

/*
 * TpxChild: one running child and its tree (DESIGN §10.1), embedded in
 * the transport that owns it. `lock` guards `pidfd` and `reaped` against
 * the reaping, so that any thread may signal the child (or its group)
 * and none can signal a pid that was reused; the rest is set once, at
 * the spawn.
 */
typedef struct
{
  GMutex       lock;
  GPid         pid;
  int          pidfd;          /* lock; -1 once reaped */
  gboolean     reaped;         /* lock */
  TpxKillMode  kill_mode;
  TpxCgroup   *cgroup;         /* CGROUP mode */
  int          stop_signal;
  guint        stop_timeout_ms;
  int          stopping;       /* atomic: stop() was called */
  GSource     *stop_source;    /* lock; the SIGKILL timer of stop() */
} TpxChild;

/* Takes over @pidfd and @cgroup (nullable). */
void     tpx_child_init             (TpxChild       *child,
                                     GPid            pid,
                                     int             pidfd,
                                     TpxKillMode     kill_mode,
                                     TpxCgroup      *cgroup,
                                     int             stop_signal,
                                     guint           stop_timeout_ms);
void     tpx_child_clear            (TpxChild       *child);
/* Reaped: the pidfd is closed, signals fail with EXITED_ALREADY. Call it
 * once its watch is gone from the loop. */
void     tpx_child_mark_reaped      (TpxChild       *child);
/* The child alone, as signal_process(). */
gboolean tpx_child_signal           (TpxChild       *child,
                                     int             signum,
                                     GError        **error);
/* Its process group, while it is not reaped. */
gboolean tpx_child_signal_group     (TpxChild       *child,
                                     int             signum,
                                     GError        **error);
/* The tree of its kill mode; what is left of it after the reap. */
gboolean tpx_child_signal_tree      (TpxChild       *child,
                                     int             signum,
                                     GError        **error);
guint    tpx_child_count_tree       (TpxChild       *child);
/* The stop signal to the tree, SIGKILL after the stop timeout if anything
 * of it lives; once. The timer runs in @context and holds a reference to
 * @owner, whose struct holds @child. */
void     tpx_child_stop             (TpxChild       *child,
                                     GMainContext   *context,
                                     GObject        *owner);
/* The transport ended: a SIGKILL timer of stop() that nothing of the tree
 * is left for goes now, with the reference it holds. */
void     tpx_child_forget_stop_if_gone (TpxChild    *child);

G_END_DECLS
