/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-write-queue-private.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_IOV 64

/* include/uapi/linux/fs.h, Linux 6.18: a write that breaks a pipe fails
 * with EPIPE without raising SIGPIPE. */
#ifndef RWF_NOSIGNAL
# define RWF_NOSIGNAL 0x00000100
#endif

static gint use_rwf_nosignal = TRUE;   /* atomic */

void
tpx_write_set_use_rwf_nosignal (gboolean use)
{
  g_atomic_int_set (&use_rwf_nosignal, use);
}

void
tpx_write_ignore_sigpipe (void)
{
  struct sigaction sa;

  if (sigaction (SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
      !(sa.sa_flags & SA_SIGINFO))
    {
      sa.sa_handler = SIG_IGN;
      sigaction (SIGPIPE, &sa, NULL);
    }
}

typedef struct
{
  sigset_t old_mask;
  gboolean blocked;
} SigpipeGuard;

static void
sigpipe_guard_enter (SigpipeGuard *guard)
{
  struct sigaction sa;
  sigset_t set;

  guard->blocked = FALSE;
  if (sigaction (SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN &&
      !(sa.sa_flags & SA_SIGINFO))
    return;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  if (pthread_sigmask (SIG_BLOCK, &set, &guard->old_mask) == 0)
    guard->blocked = !sigismember (&guard->old_mask, SIGPIPE);
}

static void
sigpipe_guard_leave (SigpipeGuard *guard,
                     gboolean      broke)
{
  int saved_errno = errno;

  if (!guard->blocked)
    return;

  if (broke)
    {
      const struct timespec zero = { 0, 0 };
      sigset_t set;

      sigemptyset (&set);
      sigaddset (&set, SIGPIPE);
      while (sigtimedwait (&set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &guard->old_mask, NULL);
  errno = saved_errno;
}

gssize
tpx_write_vectors (int                  fd,
                   const struct iovec  *iov,
                   int                  n_iov,
                   gboolean             is_socket)
{
  SigpipeGuard guard;
  gssize n;

  if (is_socket)
    {
      struct msghdr msg = { .msg_iov = (struct iovec *) iov, .msg_iovlen = n_iov };

      do
        n = sendmsg (fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      return n;
    }

  if (g_atomic_int_get (&use_rwf_nosignal))
    {
      /* Offset -1: at the current position, as writev(); pipes take it. */
      do
        n = pwritev2 (fd, iov, n_iov, -1, RWF_NOSIGNAL);
      while (n < 0 && errno == EINTR);
      /* EOPNOTSUPP: a kernel without the flag (or without pwritev2, in
       * glibc's emulation); ENOSYS, EPERM: a seccomp filter refusing
       * pwritev2, as some container runtimes have. A pipe itself never
       * answers these. */
      if (n >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS && errno != EPERM))
        return n;
      g_atomic_int_set (&use_rwf_nosignal, FALSE);
    }

  sigpipe_guard_enter (&guard);
  do
    n = writev (fd, iov, n_iov);
  while (n < 0 && errno == EINTR);
  sigpipe_guard_leave (&guard, n < 0 && errno == EPIPE);

  return n;
}

void
tpx_write_queue_init (TpxWriteQueue *queue)
{
  memset (queue, 0, sizeof *queue);
  g_queue_init (&queue->queue);
}

void
tpx_write_queue_clear (TpxWriteQueue *queue)
{
  g_queue_clear_full (&queue->queue, (GDestroyNotify) g_bytes_unref);
  queue->head_offset = 0;
  queue->queued = 0;
}

void
tpx_write_queue_push (TpxWriteQueue *queue,
                      const guint8  *data,
                      gsize          len,
                      GBytes        *bytes)
{
  if (len == 0)
    return;

  g_queue_push_tail (&queue->queue, bytes != NULL ? g_bytes_ref (bytes) : g_bytes_new (data, len));
  queue->queued += len;
}

/* Drops @n written bytes from the head of the queue. */
static void
queue_consume (TpxWriteQueue *queue,
               gsize          n)
{
  while (n > 0)
    {
      gsize left = g_bytes_get_size (g_queue_peek_head (&queue->queue)) - queue->head_offset;

      if (n < left)
        {
          queue->head_offset += n;
          return;
        }
      n -= left;
      g_bytes_unref (g_queue_pop_head (&queue->queue));
      queue->head_offset = 0;
    }
}

gboolean
tpx_write_queue_flush (TpxWriteQueue *queue,
                       int            fd,
                       gboolean       is_socket)
{
  while (queue->queued > 0)
    {
      struct iovec iov[MAX_IOV];
      int n_iov = 0;
      gsize wanted = 0;
      gssize n;

      for (GList *l = queue->queue.head; l != NULL && n_iov < MAX_IOV; l = l->next)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (l->data, &size);
          gsize skip = n_iov == 0 ? queue->head_offset : 0;

          iov[n_iov].iov_base = (guint8 *) data + skip;
          iov[n_iov].iov_len = size - skip;
          wanted += size - skip;
          n_iov++;
        }

      n = tpx_write_vectors (fd, iov, n_iov, is_socket);
      if (n < 0)
        return errno == EAGAIN;

      queue->queued -= n;
      queue_consume (queue, n);

      /* A short write means the pipe is full: no need to hear EAGAIN say so. */
      if ((gsize) n < wanted)
        break;
    }

  return TRUE;
}
