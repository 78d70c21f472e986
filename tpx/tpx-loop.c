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
 *
 * A context watching only a few fds (one or two children) does without the
 * epoll set: the context polls those fds directly, as fds of the loop's one
 * GSource. That saves an epoll_wait() on every wake-up and the making of
 * the set. The loop moves to an epoll set when more than TPX_LOOP_DIRECT_MAX
 * fds are watched, and back once no more than TPX_LOOP_DIRECT_MIN are left.
 */

#define MAX_EVENTS 64

struct _TpxLoopWatch
{
  int           fd;
  TpxLoopFunc   func;        /* NULL once removed */
  gpointer      user_data;
  guint32       events;
  guint         index;       /* in loop->watches */
  gpointer      tag;         /* polled directly: from g_source_add_unix_fd() */
  TpxLoopWatch *next_dead;
};

struct _TpxLoop
{
  int           ref_count;   /* under loops_lock */
  GMainContext *context;
  GSource      *source;
  int           epfd;        /* -1 while the fds are polled directly */
  gpointer      epfd_tag;
  GPtrArray    *watches;     /* every live watch */
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

static GIOCondition
condition_from_events (guint32 events)
{
  return ((events & EPOLLIN) ? G_IO_IN : 0) | ((events & EPOLLOUT) ? G_IO_OUT : 0);
}

static guint32
events_from_condition (GIOCondition condition)
{
  return ((condition & G_IO_IN) ? EPOLLIN : 0) |
         ((condition & G_IO_OUT) ? EPOLLOUT : 0) |
         ((condition & G_IO_HUP) ? EPOLLHUP : 0) |
         ((condition & (G_IO_ERR | G_IO_NVAL)) ? EPOLLERR : 0);
}

/* What the context's last poll said of the directly polled fds, taken
 * before any callback runs: a callback may remove any watch. */
static int
collect_direct (TpxLoop            *loop,
                struct epoll_event *events)
{
  int n = 0;

  for (guint i = 0; i < loop->watches->len; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);
      GIOCondition revents = g_source_query_unix_fd (loop->source, watch->tag);

      if (revents != 0)
        {
          events[n].events = events_from_condition (revents);
          events[n].data.ptr = watch;
          n++;
        }
    }

  return n;
}

/* Moves every watch into a new epoll set. */
static gboolean
switch_to_epoll (TpxLoop *loop)
{
  int epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (epfd < 0)
    return FALSE;

  for (guint i = 0; i < loop->watches->len; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);
      struct epoll_event ev = { .events = watch->events, .data.ptr = watch };

      if (epoll_ctl (epfd, EPOLL_CTL_ADD, watch->fd, &ev) < 0)
        {
          int saved_errno = errno;

          close (epfd);
          errno = saved_errno;
          return FALSE;
        }
    }

  for (guint i = 0; i < loop->watches->len; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);

      g_source_remove_unix_fd (loop->source, watch->tag);
      watch->tag = NULL;
    }
  loop->epfd = epfd;
  loop->epfd_tag = g_source_add_unix_fd (loop->source, epfd, G_IO_IN);

  return TRUE;
}

/* Back to polling directly once few watches are left; not in the middle
 * of a dispatch, whose batch came from the epoll set. */
static void
maybe_switch_to_direct (TpxLoop *loop)
{
  int epfd = loop->epfd;

  if (epfd < 0 || loop->dispatching > 0 || loop->watches->len > TPX_LOOP_DIRECT_MIN)
    return;

  loop->epfd = -1;
  g_source_remove_unix_fd (loop->source, loop->epfd_tag);
  loop->epfd_tag = NULL;
  for (guint i = 0; i < loop->watches->len; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);

      watch->tag = g_source_add_unix_fd (loop->source, watch->fd,
                                         condition_from_events (watch->events));
    }
  close (epfd);
}

static gboolean
loop_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  TpxLoop *loop = ((LoopSource *) source)->loop;
  struct epoll_event events[MAX_EVENTS];
  int n;

  if (loop->epfd >= 0)
    n = epoll_wait (loop->epfd, events, MAX_EVENTS, 0);
  else
    n = collect_direct (loop, events);
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
    {
      free_dead_watches (loop);
      maybe_switch_to_direct (loop);
    }

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
  loop->epfd = -1;
  loop->watches = g_ptr_array_new_with_free_func (g_free);

  loop->source = g_source_new (&loop_source_funcs, sizeof (LoopSource));
  ((LoopSource *) loop->source)->loop = loop;
  g_source_set_static_name (loop->source, "[tpx] child fds");
  /* Dispatch is re-entrant (removed watches are freed only when the
   * outermost dispatch ends), and without this GLib blocks and unblocks
   * the source around every dispatch, at the cost of a wake-up each time. */
  g_source_set_can_recurse (loop->source, TRUE);
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
  g_ptr_array_unref (loop->watches);
  if (loop->epfd >= 0)
    close (loop->epfd);
  g_main_context_unref (loop->context);
  g_free (loop);
}

GMainContext *
tpx_loop_get_context (TpxLoop *loop)
{
  return loop->context;
}

gboolean
tpx_loop_reserve (TpxLoop *loop,
                  guint    n_watches)
{
  g_return_val_if_fail (loop != NULL, FALSE);

  if (loop->epfd >= 0 || loop->watches->len + n_watches <= TPX_LOOP_DIRECT_MAX)
    return TRUE;

  return switch_to_epoll (loop);
}

void
tpx_loop_compact (TpxLoop *loop)
{
  g_return_if_fail (loop != NULL);

  maybe_switch_to_direct (loop);
}

TpxLoopWatch *
tpx_loop_add (TpxLoop     *loop,
              int          fd,
              guint32      events,
              TpxLoopFunc  func,
              gpointer     user_data)
{
  TpxLoopWatch *watch;

  g_return_val_if_fail (loop != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (!tpx_loop_reserve (loop, 1))
    return NULL;

  watch = g_new0 (TpxLoopWatch, 1);
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  watch->events = events;

  if (loop->epfd >= 0)
    {
      struct epoll_event ev = { .events = events, .data.ptr = watch };

      if (epoll_ctl (loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        {
          int saved_errno = errno;

          g_free (watch);
          errno = saved_errno;
          return NULL;
        }
    }
  else
    watch->tag = g_source_add_unix_fd (loop->source, fd, condition_from_events (events));

  watch->index = loop->watches->len;
  g_ptr_array_add (loop->watches, watch);

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

  if (watch->events == events)
    return TRUE;
  watch->events = events;

  if (loop->epfd < 0)
    {
      g_source_modify_unix_fd (loop->source, watch->tag, condition_from_events (events));
      return TRUE;
    }

  ev.events = events;
  ev.data.ptr = watch;
  return epoll_ctl (loop->epfd, EPOLL_CTL_MOD, watch->fd, &ev) == 0;
}

void
tpx_loop_remove (TpxLoop      *loop,
                 TpxLoopWatch *watch)
{
  TpxLoopWatch *last;

  g_return_if_fail (loop != NULL);
  g_return_if_fail (watch != NULL && watch->func != NULL);

  if (loop->epfd >= 0)
    epoll_ctl (loop->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
  else
    g_source_remove_unix_fd (loop->source, watch->tag);
  watch->tag = NULL;
  watch->func = NULL;

  /* Out of the array without freeing it: the last one takes its place. */
  last = g_ptr_array_index (loop->watches, loop->watches->len - 1);
  last->index = watch->index;
  loop->watches->pdata[watch->index] = last;
  g_ptr_array_steal_index (loop->watches, loop->watches->len - 1);

  if (loop->dispatching > 0)
    {
      /* Events for it may still sit in the batch being dispatched. */
      watch->next_dead = loop->dead;
      loop->dead = watch;
    }
  else
    {
      g_free (watch);
      maybe_switch_to_direct (loop);
    }
}
