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
 * the set.
 *
 * Threads: a child may be spawned from any thread into a context that
 * another thread runs (a GTask worker spawning into the global default
 * context). So every function takes `lock`, which guards every field of
 * TpxLoop below it and the fields of each watch; GLib's own calls on the
 * source (g_source_add_unix_fd() and friends) lock the context themselves
 * and wake it up. Callbacks run without the lock. A removed watch is freed
 * only once no dispatch that may still hold it in its batch is running.
 */

#define MAX_EVENTS 64

struct _TpxLoopWatch
{
  int           fd;
  TpxLoopFunc   func;        /* NULL once removed */
  gpointer      user_data;
  GIOCondition  condition;
  gboolean      enabled;
  guint         index;       /* in loop->watches */
  gpointer      tag;         /* polled directly and enabled: from g_source_add_unix_fd() */
  TpxLoopWatch *next_dead;
};

struct _TpxLoop
{
  int           ref_count;   /* under loops_lock */
  GMainContext *context;
  GSource      *source;

  GMutex        lock;
  int           epfd;        /* -1 while the fds are polled directly */
  gpointer      epfd_tag;
  GPtrArray    *watches;     /* every live watch, enabled or not */
  guint         dispatching; /* dispatches running (nested ones count) */
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

static guint32
epoll_events_from_condition (GIOCondition condition)
{
  return ((condition & G_IO_IN) ? EPOLLIN : 0) |
         ((condition & G_IO_OUT) ? EPOLLOUT : 0) |
         ((condition & G_IO_PRI) ? EPOLLPRI : 0);
}

static GIOCondition
condition_from_epoll_events (guint32 events)
{
  return ((events & EPOLLIN) ? G_IO_IN : 0) |
         ((events & EPOLLOUT) ? G_IO_OUT : 0) |
         ((events & EPOLLPRI) ? G_IO_PRI : 0) |
         ((events & EPOLLHUP) ? G_IO_HUP : 0) |
         ((events & EPOLLERR) ? G_IO_ERR : 0);
}

/* Puts a watch into the kernel's or GLib's view; under the lock. */
static gboolean
watch_register (TpxLoop      *loop,
                TpxLoopWatch *watch)
{
  if (loop->epfd >= 0)
    {
      struct epoll_event ev = {
        .events = epoll_events_from_condition (watch->condition),
        .data.ptr = watch,
      };

      return epoll_ctl (loop->epfd, EPOLL_CTL_ADD, watch->fd, &ev) == 0;
    }

  watch->tag = g_source_add_unix_fd (loop->source, watch->fd, watch->condition);
  return TRUE;
}

static void
watch_unregister (TpxLoop      *loop,
                  TpxLoopWatch *watch)
{
  if (loop->epfd >= 0)
    epoll_ctl (loop->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
  else if (watch->tag != NULL)
    g_source_remove_unix_fd (loop->source, watch->tag);
  watch->tag = NULL;
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

/* What the context's last poll said of the directly polled fds, taken
 * before any callback runs: a callback may remove any watch. */
static int
collect_direct (TpxLoop            *loop,
                struct epoll_event *events)
{
  int n = 0;

  for (guint i = 0; i < loop->watches->len && n < MAX_EVENTS; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);
      GIOCondition revents;

      if (watch->tag == NULL)
        continue;

      revents = g_source_query_unix_fd (loop->source, watch->tag);
      if (revents != 0)
        {
          events[n].events = epoll_events_from_condition (revents) |
                             ((revents & G_IO_HUP) ? EPOLLHUP : 0) |
                             ((revents & (G_IO_ERR | G_IO_NVAL)) ? EPOLLERR : 0);
          events[n].data.ptr = watch;
          n++;
        }
    }

  return n;
}

/* Moves every enabled watch into a new epoll set; under the lock. */
static gboolean
switch_to_epoll (TpxLoop *loop)
{
  int epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (epfd < 0)
    return FALSE;

  for (guint i = 0; i < loop->watches->len; i++)
    {
      TpxLoopWatch *watch = g_ptr_array_index (loop->watches, i);
      struct epoll_event ev = {
        .events = epoll_events_from_condition (watch->condition),
        .data.ptr = watch,
      };

      if (watch->enabled && epoll_ctl (epfd, EPOLL_CTL_ADD, watch->fd, &ev) < 0)
        {
          int saved_errno = errno;

          close (epfd);
          errno = saved_errno;
          return FALSE;
        }
    }

  for (guint i = 0; i < loop->watches->len; i++)
    watch_unregister (loop, g_ptr_array_index (loop->watches, i));
  loop->epfd = epfd;
  loop->epfd_tag = g_source_add_unix_fd (loop->source, epfd, G_IO_IN);

  return TRUE;
}

/* Back to polling directly once few watches are left; not in the middle
 * of a dispatch, whose batch came from the epoll set. Under the lock. */
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

      if (watch->enabled)
        watch_register (loop, watch);
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

  g_mutex_lock (&loop->lock);
  if (loop->epfd >= 0)
    n = epoll_wait (loop->epfd, events, MAX_EVENTS, 0);
  else
    n = collect_direct (loop, events);
  if (n <= 0)
    {
      g_mutex_unlock (&loop->lock);
      return G_SOURCE_CONTINUE;
    }
  loop->dispatching++;
  g_mutex_unlock (&loop->lock);

  loop_ref (loop);

  for (int i = 0; i < n; i++)
    {
      TpxLoopWatch *watch = events[i].data.ptr;
      TpxLoopFunc func;
      gpointer data;

      /* Removed or disabled since the batch was taken: nothing to say. */
      g_mutex_lock (&loop->lock);
      func = watch->enabled ? watch->func : NULL;
      data = watch->user_data;
      g_mutex_unlock (&loop->lock);

      if (func != NULL)
        func (condition_from_epoll_events (events[i].events), data);
    }

  g_mutex_lock (&loop->lock);
  if (--loop->dispatching == 0)
    {
      free_dead_watches (loop);
      maybe_switch_to_direct (loop);
    }
  g_mutex_unlock (&loop->lock);

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
  g_mutex_init (&loop->lock);
  loop->epfd = -1;
  loop->watches = g_ptr_array_new_with_free_func (g_free);

  loop->source = g_source_new (&loop_source_funcs, sizeof (LoopSource));
  ((LoopSource *) loop->source)->loop = loop;
  g_source_set_static_name (loop->source, "[tpx] child fds");
  /* Dispatch is re-entrant (removed watches are freed only when the
   * outermost dispatch ends; the transports keep their own order), and
   * without this GLib blocks and unblocks the source around every
   * dispatch, at the cost of a wake-up each time. */
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
  g_mutex_clear (&loop->lock);
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
  gboolean ok = TRUE;

  g_return_val_if_fail (loop != NULL, FALSE);

  g_mutex_lock (&loop->lock);
  if (loop->epfd < 0 && loop->watches->len + n_watches > TPX_LOOP_DIRECT_MAX)
    ok = switch_to_epoll (loop);
  g_mutex_unlock (&loop->lock);

  return ok;
}

void
tpx_loop_compact (TpxLoop *loop)
{
  g_return_if_fail (loop != NULL);

  g_mutex_lock (&loop->lock);
  maybe_switch_to_direct (loop);
  g_mutex_unlock (&loop->lock);
}

TpxLoopWatch *
tpx_loop_add (TpxLoop      *loop,
              int           fd,
              GIOCondition  condition,
              gboolean      enabled,
              TpxLoopFunc   func,
              gpointer      user_data)
{
  TpxLoopWatch *watch;

  g_return_val_if_fail (loop != NULL, NULL);
  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  watch = g_new0 (TpxLoopWatch, 1);
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  watch->condition = condition & (G_IO_IN | G_IO_OUT | G_IO_PRI);
  watch->enabled = !!enabled;

  g_mutex_lock (&loop->lock);

  if ((loop->epfd < 0 && loop->watches->len + 1 > TPX_LOOP_DIRECT_MAX &&
       !switch_to_epoll (loop)) ||
      (watch->enabled && !watch_register (loop, watch)))
    {
      int saved_errno = errno;

      g_mutex_unlock (&loop->lock);
      g_free (watch);
      errno = saved_errno;
      return NULL;
    }

  watch->index = loop->watches->len;
  g_ptr_array_add (loop->watches, watch);

  g_mutex_unlock (&loop->lock);

  return watch;
}

void
tpx_loop_modify (TpxLoop      *loop,
                 TpxLoopWatch *watch,
                 GIOCondition  condition)
{
  g_return_if_fail (loop != NULL);
  g_return_if_fail (watch != NULL);

  condition &= G_IO_IN | G_IO_OUT | G_IO_PRI;

  g_mutex_lock (&loop->lock);

  if (watch->func != NULL && watch->condition != condition)
    {
      watch->condition = condition;

      if (!watch->enabled)
        ;   /* taken into account when enabled */
      else if (loop->epfd >= 0)
        {
          struct epoll_event ev = {
            .events = epoll_events_from_condition (condition),
            .data.ptr = watch,
          };

          epoll_ctl (loop->epfd, EPOLL_CTL_MOD, watch->fd, &ev);
        }
      else
        g_source_modify_unix_fd (loop->source, watch->tag, condition);
    }

  g_mutex_unlock (&loop->lock);
}

void
tpx_loop_set_enabled (TpxLoop      *loop,
                      TpxLoopWatch *watch,
                      gboolean      enabled)
{
  g_return_if_fail (loop != NULL);
  g_return_if_fail (watch != NULL);

  enabled = !!enabled;

  g_mutex_lock (&loop->lock);

  if (watch->func != NULL && watch->enabled != enabled)
    {
      watch->enabled = enabled;
      if (!enabled)
        watch_unregister (loop, watch);
      /* The watch never left loop->watches, so no mode switch (and no new
       * epoll fd) is needed; only the kernel's memory for the entry. */
      else if (!watch_register (loop, watch))
        g_critical ("Cannot watch fd %d again: %s", watch->fd, g_strerror (errno));
    }

  g_mutex_unlock (&loop->lock);
}

void
tpx_loop_remove (TpxLoop      *loop,
                 TpxLoopWatch *watch)
{
  TpxLoopWatch *last;

  g_return_if_fail (loop != NULL);
  g_return_if_fail (watch != NULL);

  g_mutex_lock (&loop->lock);

  if (watch->func == NULL)
    {
      g_mutex_unlock (&loop->lock);
      g_return_if_reached ();
    }

  if (watch->enabled)
    watch_unregister (loop, watch);
  watch->func = NULL;
  watch->enabled = FALSE;

  /* Out of the array without freeing it: the last one takes its place. */
  last = g_ptr_array_index (loop->watches, loop->watches->len - 1);
  last->index = watch->index;
  loop->watches->pdata[watch->index] = last;
  g_ptr_array_steal_index (loop->watches, loop->watches->len - 1);

  if (loop->dispatching > 0)
    {
      /* Events for it may still sit in a batch being dispatched. */
      watch->next_dead = loop->dead;
      loop->dead = watch;
    }
  else
    {
      g_free (watch);
      maybe_switch_to_direct (loop);
    }

  g_mutex_unlock (&loop->lock);
}
