/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * TpxLoop: one epoll set per GMainContext, seen by the context as a single
 * pollable fd. Registered fds cost nothing per main-loop iteration until
 * they are ready; dispatch calls back only the ready ones. A few fds are
 * polled by the context directly instead, which saves a system call per
 * wake-up.
 *
 * Everything here runs in the thread that owns the context, except
 * tpx_loop_ref_for_context() and tpx_loop_unref(), which may be called from
 * any thread.
 */
typedef struct _TpxLoop      TpxLoop;
typedef struct _TpxLoopWatch TpxLoopWatch;

/* Up to TPX_LOOP_DIRECT_MAX fds are polled by the context directly; past
 * that they move to an epoll set, and back once no more than
 * TPX_LOOP_DIRECT_MIN are left. */
#define TPX_LOOP_DIRECT_MAX 8
#define TPX_LOOP_DIRECT_MIN 4

/* @events: the epoll events that are ready (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR). */
typedef void (*TpxLoopFunc) (guint32  events,
                             gpointer user_data);

TpxLoop      *tpx_loop_ref_for_context (GMainContext *context);
void          tpx_loop_unref           (TpxLoop      *loop);
GMainContext *tpx_loop_get_context     (TpxLoop      *loop);

/* Makes sure @n_watches more fds can be watched (moving to an epoll set
 * if needed), so that a spawn fails rather than its watching. FALSE with
 * errno set if the epoll set cannot be made. */
gboolean      tpx_loop_reserve         (TpxLoop      *loop,
                                        guint         n_watches);
/* Polls directly again if few enough fds are left (after a reserve that
 * was not used). */
void          tpx_loop_compact         (TpxLoop      *loop);
/* Watches @fd for @events (level-triggered; 0 still reports EPOLLHUP and
 * EPOLLERR). Returns NULL with errno set if epoll refuses the fd; an fd
 * polled directly is not checked (a closed one reports EPOLLERR). */
TpxLoopWatch *tpx_loop_add             (TpxLoop      *loop,
                                        int           fd,
                                        guint32       events,
                                        TpxLoopFunc   func,
                                        gpointer      user_data);
gboolean      tpx_loop_modify          (TpxLoop      *loop,
                                        TpxLoopWatch *watch,
                                        guint32       events);
/* Stops watching; safe from inside any callback of the same loop, even for a
 * watch whose events are still waiting in the batch being dispatched. Call
 * it before closing the fd. */
void          tpx_loop_remove          (TpxLoop      *loop,
                                        TpxLoopWatch *watch);

G_END_DECLS
