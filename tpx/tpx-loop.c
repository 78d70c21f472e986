/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-loop-private.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

/*
 * GLib polls every fd of every source on every main-loop iteration. With a
 * thousand children that is a few thousand fds per iteration even when
 * nothing happens. Here all the fds of one GMainContext live in one epoll
 * set, and the context polls only the epoll fd; dispatch asks epoll for the
 * ready fds and calls back just those.
 */

#define MAX_EVENTS 64

struct _TpxLoopWatch
{
  int           fd;
  TpxLoopFunc   func;        /* NULL once removed */
  gpointer      user_data;
  TpxLoopWatch *next_dead;
};

struct _TpxLoop
{
  int           ref_count;   /* under loops_lock */
  GMainContext *context;
  GSource      *source;
  int           epfd;
  guint         dispatching;
  TpxLoopWatch *dead;        /* removed during dispatch, freed after it */
};

typedef struct
{
  GSource  source;
  TpxLoop *loop;
} LoopSource;

static GMutex      loops_lock;
static GHashTable *loops;    /* GMainContext * → TpxLoop * */

static TpxLoop *
loop_ref (TpxLoop *loop)
{
  g_mutex_lock (&loops_lock);
  loop->ref_count++;
  g_mutex_unlock (&loops_lock);
  return loop;
}

static void
free_dead_watches (TpxLoop *loop)
{
  while (loop->dead != NULL)
    {
      TpxLoopWatch *watch = loop->dead;

      loop->dead = watch->next_dead;
      g_free (watch);
    }
}

static gboolean
loop_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  TpxLoop *loop = ((LoopSource *) source)->loop;
  struct epoll_event events[MAX_EVENTS];
  int n;

  n = epoll_wait (loop->epfd, events, MAX_EVENTS, 0);
  if (n <= 0)
    return G_SOURCE_CONTINUE;

  loop_ref (loop);
  loop->dispatching++;

  for (int i = 0; i < n; i++)
    {
      TpxLoopWatch *watch = events[i].data.ptr;

      if (watch->func != NULL)
        watch->func (events[i].events, watch->user_data);
    }

  if (--loop->dispatching == 0)
    free_dead_watches (loop);

  tpx_loop_unref (loop);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs loop_source_funcs = {
  .dispatch = loop_source_dispatch,
};

TpxLoop *
tpx_loop_ref_for_context (GMainContext *context)
{
  TpxLoop *loop;

  g_return_val_if_fail (context != NULL, NULL);

  g_mutex_lock (&loops_lock);

  if (loops == NULL)
    loops = g_hash_table_new (NULL, NULL);

  loop = g_hash_table_lookup (loops, context);
  if (loop != NULL)
    {
      loop->ref_count++;
      g_mutex_unlock (&loops_lock);
      return loop;
    }

  loop = g_new0 (TpxLoop, 1);
  loop->ref_count = 1;
  loop->context = g_main_context_ref (context);
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (loop->epfd < 0)
    {
      int saved_errno = errno;

      g_main_context_unref (loop->context);
      g_free (loop);
      g_mutex_unlock (&loops_lock);
      errno = saved_errno;
      return NULL;
    }

  loop->source = g_source_new (&loop_source_funcs, sizeof (LoopSource));
  ((LoopSource *) loop->source)->loop = loop;
  g_source_set_static_name (loop->source, "[tpx] child fds");
  /* Dispatch is re-entrant (removed watches are freed only when the
   * outermost dispatch ends), and without this GLib blocks and unblocks
   * the source around every dispatch, at the cost of a wake-up each time. */
  g_source_set_can_recurse (loop->source, TRUE);
  g_source_add_unix_fd (loop->source, loop->epfd, G_IO_IN);
  g_source_attach (loop->source, context);

  g_hash_table_insert (loops, context, loop);

  g_mutex_unlock (&loops_lock);

  return loop;
}

void
tpx_loop_unref (TpxLoop *loop)
{
  g_return_if_fail (loop != NULL);

  g_mutex_lock (&loops_lock);
  if (--loop->ref_count > 0)
    {
      g_mutex_unlock (&loops_lock);
      return;
    }
  g_hash_table_remove (loops, loop->context);
  g_mutex_unlock (&loops_lock);

  g_source_destroy (loop->source);
  g_clear_pointer (&loop->source, g_source_unref);
  free_dead_watches (loop);
  close (loop->epfd);
  g_main_context_unref (loop->context);
  g_free (loop);
}

GMainContext *
tpx_loop_get_context (TpxLoop *loop)
{
  return loop->context;
}

TpxLoopWatch *
tpx_loop_add (TpxLoop     *loop,
              int          fd,
              guint32      events,
              TpxLoopFunc  func,
              gpointer     user_data)
{
  TpxLoopWatch *watch;
  struct epoll_event ev;

  g_return_val_if_fail (loop != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  watch = g_new0 (TpxLoopWatch, 1);
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;

  ev.events = events;
  ev.data.ptr = watch;
  if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      int saved_errno = errno;

      g_free (watch);
      errno = saved_errno;
      return NULL;
    }

  return watch;
}

gboolean
tpx_loop_modify (TpxLoop      *loop,
                 TpxLoopWatch *watch,
                 guint32       events)
{
  struct epoll_event ev;

  g_return_val_if_fail (loop != NULL, FALSE);
  g_return_val_if_fail (watch != NULL && watch->func != NULL, FALSE);

  ev.events = events;
  ev.data.ptr = watch;
  return epoll_ctl (loop->epfd, EPOLL_CTL_MOD, watch->fd, &ev) == 0;
}

void
tpx_loop_remove (TpxLoop      *loop,
                 TpxLoopWatch *watch)
{
  g_return_if_fail (loop != NULL);
  g_return_if_fail (watch != NULL && watch->func != NULL);

  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
  watch->func = NULL;

  if (loop->dispatching > 0)
    {
      /* Events for it may still sit in the batch being dispatched. */
      watch->next_dead = loop->dead;
      loop->dead = watch;
    }
  else
    g_free (watch);
}
