/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/resource.h>

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

/* The live (not zombie) members of process group @pgid, from /proc. */
guint    tpx_child_count_group      (GPid            pgid);

G_END_DECLS
