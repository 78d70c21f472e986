/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * TpxLoop: one GSource per GMainContext that watches any number of fds, at
 * a cost per main-loop iteration that does not grow with the idle ones.
 * A few fds are polled by the context directly; past TPX_LOOP_DIRECT_MAX
 * they move into one epoll set that the context sees as a single fd, and
 * back once no more than TPX_LOOP_DIRECT_MIN are left.
 *
 * Threads: every function may be called from any thread. The loop's lock
 * guards its watches, its mode and its epoll set; callbacks run in the
 * thread that dispatches the context, without the lock held. A callback
 * may add, change, disable or remove any watch of the same loop, itself
 * included.
 *
 * Nothing here knows about processes.
 */
typedef struct _TpxLoop      TpxLoop;
typedef struct _TpxLoopWatch TpxLoopWatch;

#define TPX_LOOP_DIRECT_MAX 8
#define TPX_LOOP_DIRECT_MIN 4

/* @condition: what is ready: G_IO_IN, G_IO_OUT, G_IO_PRI, G_IO_HUP,
 * G_IO_ERR. */
typedef void (*TpxLoopFunc) (GIOCondition condition,
                             gpointer     user_data);

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
/* Watches @fd for @condition (level-triggered; G_IO_HUP and G_IO_ERR are
 * always reported), from now on or, if not @enabled, once enabled (a
 * watch added from another thread can so be stored before it may fire).
 * Returns NULL with errno set if epoll refuses the fd; an fd polled
 * directly is not checked (a closed one reports G_IO_ERR). */
TpxLoopWatch *tpx_loop_add             (TpxLoop      *loop,
                                        int           fd,
                                        GIOCondition  condition,
                                        gboolean      enabled,
                                        TpxLoopFunc   func,
                                        gpointer      user_data);
void          tpx_loop_modify          (TpxLoop      *loop,
                                        TpxLoopWatch *watch,
                                        GIOCondition  condition);
/* A disabled watch reports nothing, not even a hang-up, but keeps its
 * place: enabling it again never needs a new fd and never fails. */
void          tpx_loop_set_enabled     (TpxLoop      *loop,
                                        TpxLoopWatch *watch,
                                        gboolean      enabled);
/* Stops watching; safe from inside any callback of the same loop, even for a
 * watch whose events are still waiting in the batch being dispatched. Call
 * it before closing the fd. */
void          tpx_loop_remove          (TpxLoop      *loop,
                                        TpxLoopWatch *watch);

G_END_DECLS
