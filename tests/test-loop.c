/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * White-box tests of the internal epoll loop (tpx/tpx-loop-private.h): one
 * pollable fd per GMainContext, whatever the number of fds registered.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

#include "tpx-loop-private.h"

#define TIMEOUT_MS 5000
#define N_IDLE_FDS 1000

typedef struct {
  TpxLoop      *loop;
  TpxLoopWatch *watch;
  int           fd;
  guint         n_calls;
  guint32       last_events;
  /* Another watch of the same loop this callback removes, if any. */
  TpxLoopWatch **victim;
  gboolean      remove_self;
} Watched;

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates @context until *@count reaches @target; fails after TIMEOUT_MS. */
static void
run_until_count (GMainContext *context,
                 const guint  *count,
                 guint         target)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);

  while (*count < target && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_assert_cmpuint (*count, >=, target);
}

/* Dispatches whatever is ready now, without blocking. */
static void
drain_context (GMainContext *context)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (context, FALSE); i++)
    ;
}

static void
watched_cb (guint32  events,
            gpointer user_data)
{
  Watched *w = user_data;

  w->n_calls++;
  w->last_events = events;

  if (w->victim != NULL && *w->victim != NULL)
    {
      tpx_loop_remove (w->loop, *w->victim);
      *w->victim = NULL;
    }

  if (w->remove_self)
    {
      tpx_loop_remove (w->loop, w->watch);
      w->watch = NULL;
    }
}

static void
make_pipe (int fds[2])
{
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC | O_NONBLOCK), ==, 0);
}

static void
write_byte (int fd)
{
  g_assert_cmpint (write (fd, "x", 1), ==, 1);
}

/* ------------------------------------------------------------------ */

static void
test_loop_ref_for_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GMainContext) other = g_main_context_new ();
  TpxLoop *loop, *again, *loop_other;

  loop = tpx_loop_ref_for_context (context);
  g_assert_nonnull (loop);
  g_assert_true (tpx_loop_get_context (loop) == context);

  again = tpx_loop_ref_for_context (context);
  g_assert_true (again == loop);

  loop_other = tpx_loop_ref_for_context (other);
  g_assert_nonnull (loop_other);
  g_assert_true (loop_other != loop);
  g_assert_true (tpx_loop_get_context (loop_other) == other);

  tpx_loop_unref (again);
  tpx_loop_unref (loop);
  tpx_loop_unref (loop_other);
}

static void
test_loop_readable (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Watched w = { 0 };
  int fds[2];
  char buffer[8];

  make_pipe (fds);

  w.loop = loop;
  w.fd = fds[0];
  w.watch = tpx_loop_add (loop, fds[0], EPOLLIN, watched_cb, &w);
  g_assert_nonnull (w.watch);

  /* Nothing to read: nothing happens. */
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  write_byte (fds[1]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & EPOLLIN);

  /* Level-triggered: still readable, so called again; once read, quiet. */
  run_until_count (context, &w.n_calls, 2);
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer), ==, 1);
  w.n_calls = 0;
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  /* The writer goes away: EPOLLHUP. */
  close (fds[1]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & EPOLLHUP);

  tpx_loop_remove (loop, w.watch);
  close (fds[0]);
  tpx_loop_unref (loop);
}

static void
test_loop_modify (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Watched w = { 0 };
  int fds[2];

  make_pipe (fds);

  /* An empty pipe's write end is writable at once. */
  w.loop = loop;
  w.watch = tpx_loop_add (loop, fds[1], EPOLLOUT, watched_cb, &w);
  g_assert_nonnull (w.watch);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & EPOLLOUT);

  /* Asking for nothing silences it while the reader is there... */
  g_assert_true (tpx_loop_modify (loop, w.watch, 0));
  w.n_calls = 0;
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  /* ...but EPOLLERR still comes through once the reader is gone. */
  close (fds[0]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & EPOLLERR);

  tpx_loop_remove (loop, w.watch);
  close (fds[1]);
  tpx_loop_unref (loop);
}

static void
test_loop_add_invalid (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  TpxLoopWatch *watch;
  Watched w = { 0 };
  int fd;

  /* epoll refuses regular files with EPERM. */
  fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);

  errno = 0;
  watch = tpx_loop_add (loop, fd, EPOLLIN, watched_cb, &w);
  g_assert_null (watch);
  g_assert_cmpint (errno, ==, EPERM);

  close (fd);
  tpx_loop_unref (loop);
}

static void
test_loop_remove_self_in_dispatch (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Watched w = { 0 };
  int fds[2];

  make_pipe (fds);
  write_byte (fds[1]);

  w.loop = loop;
  w.remove_self = TRUE;
  w.watch = tpx_loop_add (loop, fds[0], EPOLLIN, watched_cb, &w);
  run_until_count (context, &w.n_calls, 1);
  g_assert_null (w.watch);

  /* The fd is still readable, but it is no longer watched. The fd can be
   * closed right away. */
  close (fds[0]);
  close (fds[1]);
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 1);

  tpx_loop_unref (loop);
}

static void
test_loop_remove_other_in_dispatch (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Watched a = { 0 }, b = { 0 };
  int pa[2], pb[2];

  make_pipe (pa);
  make_pipe (pb);

  /* Both are ready before the loop runs, so both events land in the same
   * epoll batch: whichever is called first removes the other, whose event
   * is still waiting in that batch and must not be delivered. */
  write_byte (pa[1]);
  write_byte (pb[1]);

  a.loop = b.loop = loop;
  a.watch = tpx_loop_add (loop, pa[0], EPOLLIN, watched_cb, &a);
  b.watch = tpx_loop_add (loop, pb[0], EPOLLIN, watched_cb, &b);
  a.victim = &b.watch;
  b.victim = &a.watch;

  {
    guint total = 0;
    g_autoptr(GSource) timeout = g_timeout_source_new (TIMEOUT_MS);
    gboolean timed_out = FALSE;

    g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
    g_source_attach (timeout, context);
    while (total == 0 && !timed_out)
      {
        g_main_context_iteration (context, TRUE);
        total = a.n_calls + b.n_calls;
      }
    g_source_destroy (timeout);
  }

  g_assert_cmpuint (a.n_calls + b.n_calls, ==, 1);

  /* The removed one's fd can be closed at once, and never shows up again. */
  if (a.watch == NULL)
    {
      close (pa[0]);
      pa[0] = -1;
    }
  else
    {
      close (pb[0]);
      pb[0] = -1;
    }

  /* The survivor keeps working (it is still readable). */
  {
    Watched *survivor = a.watch != NULL ? &a : &b;
    Watched *removed = a.watch != NULL ? &b : &a;

    g_assert_null (removed->watch);
    survivor->victim = NULL;
    run_until_count (context, &survivor->n_calls, 2);
    g_assert_cmpuint (removed->n_calls, ==, 0);

    tpx_loop_remove (loop, survivor->watch);
  }

  for (int i = 0; i < 2; i++)
    {
      if (pa[i] >= 0)
        close (pa[i]);
      if (pb[i] >= 0)
        close (pb[i]);
    }

  tpx_loop_unref (loop);
}

/* Number of GPollFDs @context asks its poll function to wait on. */
static int
count_context_poll_fds (GMainContext *context)
{
  GPollFD fds[64];
  int priority = 0;
  int timeout = 0;
  int n;

  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, G_MAXINT, fds, MIN (n, (int) G_N_ELEMENTS (fds)));
  g_main_context_release (context);

  g_assert_cmpint (n, <=, (int) G_N_ELEMENTS (fds));

  return n;
}

static void
test_loop_many_idle_fds (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop;
  TpxLoopWatch **watches;
  Watched *w;
  int *fds;
  int n_empty, n_loop, n_many;
  struct rlimit limit;

  /* Make room for the fds: the soft limit may be 1024. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < N_IDLE_FDS + 256)
    {
      g_assert_true (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= N_IDLE_FDS + 256);
      limit.rlim_cur = N_IDLE_FDS + 256;
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
    }

  n_empty = count_context_poll_fds (context);

  loop = tpx_loop_ref_for_context (context);
  n_loop = count_context_poll_fds (context);
  g_assert_cmpint (n_loop, ==, n_empty + 1);

  fds = g_new (int, N_IDLE_FDS);
  watches = g_new (TpxLoopWatch *, N_IDLE_FDS);
  w = g_new0 (Watched, N_IDLE_FDS);

  for (guint i = 0; i < N_IDLE_FDS; i++)
    {
      fds[i] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      g_assert_cmpint (fds[i], >=, 0);
      w[i].loop = loop;
      watches[i] = tpx_loop_add (loop, fds[i], EPOLLIN, watched_cb, &w[i]);
      g_assert_nonnull (watches[i]);
      w[i].watch = watches[i];
    }

  n_many = count_context_poll_fds (context);
  g_assert_cmpint (n_many, ==, n_loop);

  /* Idle means idle: nobody is called back. */
  drain_context (context);
  for (guint i = 0; i < N_IDLE_FDS; i++)
    g_assert_cmpuint (w[i].n_calls, ==, 0);

  /* Wake one in the middle: only that one is called back. */
  {
    guint64 one = 1;

    g_assert_cmpint (write (fds[N_IDLE_FDS / 2], &one, sizeof one), ==, sizeof one);
    run_until_count (context, &w[N_IDLE_FDS / 2].n_calls, 1);
    for (guint i = 0; i < N_IDLE_FDS; i++)
      if (i != N_IDLE_FDS / 2)
        g_assert_cmpuint (w[i].n_calls, ==, 0);
  }

  for (guint i = 0; i < N_IDLE_FDS; i++)
    {
      tpx_loop_remove (loop, watches[i]);
      close (fds[i]);
    }

  g_assert_cmpint (count_context_poll_fds (context), ==, n_loop);

  tpx_loop_unref (loop);

  /* The last reference gone, the context is back to what it was. */
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty);

  g_free (w);
  g_free (watches);
  g_free (fds);
}

static void
test_loop_unref_closes_epoll_fd (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop;
  GPollFD fds[16];
  int priority, timeout, n;
  int epfd = -1;

  loop = tpx_loop_ref_for_context (context);

  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, G_MAXINT, fds, n);
  g_main_context_release (context);

  /* The loop's own fd is an epoll fd: find it through /proc. */
  for (int i = 0; i < n; i++)
    {
      g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fds[i].fd);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && strstr (target, "eventpoll") != NULL)
        epfd = fds[i].fd;
    }
  g_assert_cmpint (epfd, >=, 0);

  tpx_loop_unref (loop);

  {
    g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", epfd);
    g_autofree char *target = g_file_read_link (link, NULL);

    /* Either closed, or the number reused by something that is not it. */
    g_assert_true (target == NULL || strstr (target, "eventpoll") == NULL);
  }
}

static gpointer
ref_in_thread_cb (gpointer data)
{
  GMainContext *context = data;

  return tpx_loop_ref_for_context (context);
}

static gpointer
unref_in_thread_cb (gpointer data)
{
  tpx_loop_unref (data);
  return NULL;
}

static void
test_loop_ref_from_thread (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop, *from_thread;
  GThread *thread;

  loop = tpx_loop_ref_for_context (context);
  thread = g_thread_new ("tpx-loop-ref", ref_in_thread_cb, context);
  from_thread = g_thread_join (thread);

  g_assert_true (from_thread == loop);

  thread = g_thread_new ("tpx-loop-unref", unref_in_thread_cb, from_thread);
  g_thread_join (thread);

  tpx_loop_unref (loop);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tpx/loop/ref-for-context", test_loop_ref_for_context);
  g_test_add_func ("/tpx/loop/ref-from-thread", test_loop_ref_from_thread);
  g_test_add_func ("/tpx/loop/readable", test_loop_readable);
  g_test_add_func ("/tpx/loop/modify", test_loop_modify);
  g_test_add_func ("/tpx/loop/add-invalid", test_loop_add_invalid);
  g_test_add_func ("/tpx/loop/remove/self-in-dispatch", test_loop_remove_self_in_dispatch);
  g_test_add_func ("/tpx/loop/remove/other-in-dispatch", test_loop_remove_other_in_dispatch);
  g_test_add_func ("/tpx/loop/many-idle-fds", test_loop_many_idle_fds);
  g_test_add_func ("/tpx/loop/unref-closes-epoll-fd", test_loop_unref_closes_epoll_fd);

  return g_test_run ();
}
