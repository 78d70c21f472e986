/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-write-queue-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_IOV 64

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

      if (is_socket)
        {
          struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n_iov };

          n = sendmsg (fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      else
        n = writev (fd, iov, n_iov);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno == EAGAIN;
        }

      queue->queued -= n;
      queue_consume (queue, n);

      /* A short write means the pipe is full: no need to hear EAGAIN say so. */
      if ((gsize) n < wanted)
        break;
    }

  return TRUE;
}
