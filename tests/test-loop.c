/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * White-box tests of the internal epoll loop (tpx/tpx-loop-private.h): one
 * pollable fd per GMainContext, whatever the number of fds registered, or
 * the fds themselves while there are only a few. The event tests run in
 * both modes: "direct", and "epoll", where the loop is first padded with
 * idle fds until it moves to its epoll set.
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
  GIOCondition  last_events;
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
watched_cb (GIOCondition events,
            gpointer     user_data)
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

typedef enum {
  MODE_DIRECT,
  MODE_EPOLL,
} Mode;

#define N_PADDING (TPX_LOOP_DIRECT_MAX + 1)

/* Idle fds that push a loop into its epoll set. */
typedef struct {
  TpxLoop      *loop;
  int           fds[N_PADDING];
  Watched       w[N_PADDING];
  guint         n;
} Padding;

static void
pad_loop (TpxLoop       *loop,
          Padding       *pad,
          gconstpointer  mode)
{
  memset (pad, 0, sizeof *pad);
  pad->loop = loop;
  if (GPOINTER_TO_INT (mode) != MODE_EPOLL)
    return;

  for (pad->n = 0; pad->n < N_PADDING; pad->n++)
    {
      pad->fds[pad->n] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      g_assert_cmpint (pad->fds[pad->n], >=, 0);
      pad->w[pad->n].loop = loop;
      pad->w[pad->n].watch = tpx_loop_add (loop, pad->fds[pad->n], G_IO_IN, TRUE,
                                           watched_cb, &pad->w[pad->n]);
      g_assert_nonnull (pad->w[pad->n].watch);
    }
}

static void
unpad_loop (Padding *pad)
{
  for (guint i = 0; i < pad->n; i++)
    {
      g_assert_cmpuint (pad->w[i].n_calls, ==, 0);
      tpx_loop_remove (pad->loop, pad->w[i].watch);
      close (pad->fds[i]);
    }
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
test_loop_readable (gconstpointer mode)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Padding pad;
  Watched w = { 0 };
  int fds[2];
  char buffer[8];

  pad_loop (loop, &pad, mode);
  make_pipe (fds);

  w.loop = loop;
  w.fd = fds[0];
  w.watch = tpx_loop_add (loop, fds[0], G_IO_IN, TRUE, watched_cb, &w);
  g_assert_nonnull (w.watch);

  /* Nothing to read: nothing happens. */
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  write_byte (fds[1]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & G_IO_IN);

  /* Level-triggered: still readable, so called again; once read, quiet. */
  run_until_count (context, &w.n_calls, 2);
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer), ==, 1);
  w.n_calls = 0;
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  /* The writer goes away: G_IO_HUP. */
  close (fds[1]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & G_IO_HUP);

  tpx_loop_remove (loop, w.watch);
  close (fds[0]);
  unpad_loop (&pad);
  tpx_loop_unref (loop);
}

static void
test_loop_modify (gconstpointer mode)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Padding pad;
  Watched w = { 0 };
  int fds[2];

  pad_loop (loop, &pad, mode);
  make_pipe (fds);

  /* An empty pipe's write end is writable at once. */
  w.loop = loop;
  w.watch = tpx_loop_add (loop, fds[1], G_IO_OUT, TRUE, watched_cb, &w);
  g_assert_nonnull (w.watch);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & G_IO_OUT);

  /* Asking for nothing silences it while the reader is there... */
  tpx_loop_modify (loop, w.watch, 0);
  w.n_calls = 0;
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 0);

  /* ...but G_IO_ERR still comes through once the reader is gone. */
  close (fds[0]);
  run_until_count (context, &w.n_calls, 1);
  g_assert_true (w.last_events & G_IO_ERR);

  tpx_loop_remove (loop, w.watch);
  close (fds[1]);
  unpad_loop (&pad);
  tpx_loop_unref (loop);
}

static void
test_loop_add_invalid (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  TpxLoopWatch *watch;
  Padding pad;
  Watched w = { 0 };
  int fd;

  /* Only the epoll set checks fds. */
  pad_loop (loop, &pad, GINT_TO_POINTER (MODE_EPOLL));

  /* epoll refuses regular files with EPERM. */
  fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);

  errno = 0;
  watch = tpx_loop_add (loop, fd, G_IO_IN, TRUE, watched_cb, &w);
  g_assert_null (watch);
  g_assert_cmpint (errno, ==, EPERM);

  close (fd);
  unpad_loop (&pad);
  tpx_loop_unref (loop);
}

static void
test_loop_remove_self_in_dispatch (gconstpointer mode)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Padding pad;
  Watched w = { 0 };
  int fds[2];

  pad_loop (loop, &pad, mode);
  make_pipe (fds);
  write_byte (fds[1]);

  w.loop = loop;
  w.remove_self = TRUE;
  w.watch = tpx_loop_add (loop, fds[0], G_IO_IN, TRUE, watched_cb, &w);
  run_until_count (context, &w.n_calls, 1);
  g_assert_null (w.watch);

  /* The fd is still readable, but it is no longer watched. The fd can be
   * closed right away. */
  close (fds[0]);
  close (fds[1]);
  drain_context (context);
  g_assert_cmpuint (w.n_calls, ==, 1);

  unpad_loop (&pad);
  tpx_loop_unref (loop);
}

static void
test_loop_remove_other_in_dispatch (gconstpointer mode)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop = tpx_loop_ref_for_context (context);
  Padding pad;
  Watched a = { 0 }, b = { 0 };
  int pa[2], pb[2];

  pad_loop (loop, &pad, mode);
  make_pipe (pa);
  make_pipe (pb);

  /* Both are ready before the loop runs, so both events land in the same
   * epoll batch: whichever is called first removes the other, whose event
   * is still waiting in that batch and must not be delivered. */
  write_byte (pa[1]);
  write_byte (pb[1]);

  a.loop = b.loop = loop;
  a.watch = tpx_loop_add (loop, pa[0], G_IO_IN, TRUE, watched_cb, &a);
  b.watch = tpx_loop_add (loop, pb[0], G_IO_IN, TRUE, watched_cb, &b);
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

  unpad_loop (&pad);
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

  /* An empty loop polls nothing; a thousand fds are one epoll fd. */
  loop = tpx_loop_ref_for_context (context);
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty);
  n_loop = n_empty + 1;

  fds = g_new (int, N_IDLE_FDS);
  watches = g_new (TpxLoopWatch *, N_IDLE_FDS);
  w = g_new0 (Watched, N_IDLE_FDS);

  for (guint i = 0; i < N_IDLE_FDS; i++)
    {
      fds[i] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      g_assert_cmpint (fds[i], >=, 0);
      w[i].loop = loop;
      watches[i] = tpx_loop_add (loop, fds[i], G_IO_IN, TRUE, watched_cb, &w[i]);
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

  /* All gone: polled directly again, that is not at all. */
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty);

  tpx_loop_unref (loop);

  /* The last reference gone, the context is back to what it was. */
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty);

  g_free (w);
  g_free (watches);
  g_free (fds);
}

/* The context's poll fds: the epoll fd, if there is one, comes first. */
static int
find_epoll_fd (GMainContext *context)
{
  GPollFD fds[64];
  int priority, timeout, n;

  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, G_MAXINT, fds, MIN (n, (int) G_N_ELEMENTS (fds)));
  g_main_context_release (context);

  /* Found through /proc: the loop's own fd is an epoll fd. */
  for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (fds)); i++)
    {
      g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fds[i].fd);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && strstr (target, "eventpoll") != NULL)
        return fds[i].fd;
    }

  return -1;
}

static void
assert_epoll_fd_closed (int epfd)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", epfd);
  g_autofree char *target = g_file_read_link (link, NULL);

  /* Either closed, or the number reused by something that is not it. */
  g_assert_true (target == NULL || strstr (target, "eventpoll") == NULL);
}

static void
test_loop_unref_closes_epoll_fd (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop;
  Padding pad;
  int epfd;

  loop = tpx_loop_ref_for_context (context);
  pad_loop (loop, &pad, GINT_TO_POINTER (MODE_EPOLL));
  epfd = find_epoll_fd (context);
  g_assert_cmpint (epfd, >=, 0);

  /* Down to DIRECT_MIN + 1 watches, the set stays; the last reference
   * closes it with whatever watches are left. */
  while (pad.n > TPX_LOOP_DIRECT_MIN + 1)
    {
      pad.n--;
      tpx_loop_remove (loop, pad.w[pad.n].watch);
      close (pad.fds[pad.n]);
    }
  g_assert_cmpint (find_epoll_fd (context), ==, epfd);

  tpx_loop_unref (loop);
  assert_epoll_fd_closed (epfd);
  for (guint i = 0; i < pad.n; i++)
    close (pad.fds[i]);
}

/* Up to TPX_LOOP_DIRECT_MAX fds the context polls them directly; one more
 * and they move to the epoll set, which stays until no more than
 * TPX_LOOP_DIRECT_MIN are left. Events arrive in every state. */
static void
test_loop_direct_and_epoll (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  TpxLoop *loop;
  int fds[TPX_LOOP_DIRECT_MAX + 1];
  Watched w[TPX_LOOP_DIRECT_MAX + 1] = { { 0 } };
  int n_empty, epfd;
  guint n = 0;
  guint64 one = 1;

  n_empty = count_context_poll_fds (context);
  loop = tpx_loop_ref_for_context (context);

  for (; n < TPX_LOOP_DIRECT_MAX; n++)
    {
      fds[n] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      w[n].loop = loop;
      w[n].watch = tpx_loop_add (loop, fds[n], G_IO_IN, TRUE, watched_cb, &w[n]);
      g_assert_nonnull (w[n].watch);
      g_assert_cmpint (count_context_poll_fds (context), ==, n_empty + n + 1);
    }
  g_assert_cmpint (find_epoll_fd (context), ==, -1);

  g_assert_cmpint (write (fds[0], &one, sizeof one), ==, sizeof one);
  run_until_count (context, &w[0].n_calls, 1);
  g_assert_true (w[0].last_events & G_IO_IN);

  /* One more: a single epoll fd, and fd 0 still reported. */
  fds[n] = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  w[n].loop = loop;
  w[n].watch = tpx_loop_add (loop, fds[n], G_IO_IN, TRUE, watched_cb, &w[n]);
  n++;
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty + 1);
  epfd = find_epoll_fd (context);
  g_assert_cmpint (epfd, >=, 0);
  run_until_count (context, &w[0].n_calls, 2);
  g_assert_cmpint (read (fds[0], &one, sizeof one), ==, sizeof one);

  /* Down to DIRECT_MIN + 1: still the epoll set. */
  while (n > TPX_LOOP_DIRECT_MIN + 1)
    {
      n--;
      tpx_loop_remove (loop, w[n].watch);
      close (fds[n]);
    }
  g_assert_cmpint (find_epoll_fd (context), ==, epfd);

  /* One fewer: direct again, and the epoll fd closed. */
  n--;
  tpx_loop_remove (loop, w[n].watch);
  close (fds[n]);
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty + (int) n);
  assert_epoll_fd_closed (epfd);

  g_assert_cmpint (write (fds[1], &one, sizeof one), ==, sizeof one);
  run_until_count (context, &w[1].n_calls, 1);
  g_assert_true (w[1].last_events & G_IO_IN);

  /* A reserve moves to the epoll set ahead of the adds; compacting
   * without them moves back. */
  g_assert_true (tpx_loop_reserve (loop, TPX_LOOP_DIRECT_MAX - n));
  g_assert_cmpint (find_epoll_fd (context), ==, -1);
  g_assert_true (tpx_loop_reserve (loop, TPX_LOOP_DIRECT_MAX - n + 1));
  g_assert_cmpint (find_epoll_fd (context), >=, 0);
  tpx_loop_compact (loop);
  g_assert_cmpint (find_epoll_fd (context), ==, -1);
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty + (int) n);

  for (guint i = 0; i < n; i++)
    {
      tpx_loop_remove (loop, w[i].watch);
      close (fds[i]);
    }
  g_assert_cmpint (count_context_poll_fds (context), ==, n_empty);
  tpx_loop_unref (loop);
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
  for (Mode mode = MODE_DIRECT; mode <= MODE_EPOLL; mode++)
    {
      const char *name = mode == MODE_DIRECT ? "direct" : "epoll";
      g_autofree char *readable = g_strdup_printf ("/tpx/loop/%s/readable", name);
      g_autofree char *modify = g_strdup_printf ("/tpx/loop/%s/modify", name);
      g_autofree char *self = g_strdup_printf ("/tpx/loop/%s/remove/self-in-dispatch", name);
      g_autofree char *other = g_strdup_printf ("/tpx/loop/%s/remove/other-in-dispatch", name);

      g_test_add_data_func (readable, GINT_TO_POINTER (mode), test_loop_readable);
      g_test_add_data_func (modify, GINT_TO_POINTER (mode), test_loop_modify);
      g_test_add_data_func (self, GINT_TO_POINTER (mode), test_loop_remove_self_in_dispatch);
      g_test_add_data_func (other, GINT_TO_POINTER (mode), test_loop_remove_other_in_dispatch);
    }
  g_test_add_func ("/tpx/loop/add-invalid", test_loop_add_invalid);
  g_test_add_func ("/tpx/loop/direct-and-epoll", test_loop_direct_and_epoll);
  g_test_add_func ("/tpx/loop/many-idle-fds", test_loop_many_idle_fds);
  g_test_add_func ("/tpx/loop/unref-closes-epoll-fd", test_loop_unref_closes_epoll_fd);

  return g_test_run ();
}
