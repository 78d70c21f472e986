/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-write-queue-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_IOV     64
#define CHUNK_SIZE  (256 * 1024)
/* Less than this waiting goes out with writev(): copying it into a chunk
 * would cost more than the kernel's own copy. */
#define SPLICE_MIN  (64 * 1024)

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

  if (queue->ring == NULL)
    return;

  /* Safe even for pages the pipe still holds: it has its own references. */
  for (guint i = 0; i < TPX_WRITE_QUEUE_CHUNKS; i++)
    if (queue->ring->chunks[i].base != NULL)
      munmap (queue->ring->chunks[i].base, CHUNK_SIZE);
  g_clear_pointer (&queue->ring, g_free);
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

void
tpx_write_queue_enable_splice (TpxWriteQueue *queue)
{
  if (queue->ring == NULL)
    {
      queue->ring = g_new0 (TpxWriteRing, 1);
      queue->ring->splice = TRUE;
    }
}

static gboolean
splicing (TpxWriteQueue *queue)
{
  return queue->ring != NULL && queue->ring->splice;
}

gboolean
tpx_write_queue_wants (TpxWriteQueue *queue,
                       gsize          len)
{
  return queue->queued > 0 || (splicing (queue) && len >= SPLICE_MIN);
}

/* Drops @n bytes from the head of the GBytes queue. */
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

/* 1: all of it went, go on; 0: the pipe is full; -1: broken (errno). */
static int
flush_writev (TpxWriteQueue *queue,
              int            fd)
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

  do
    n = writev (fd, iov, n_iov);
  while (n < 0 && errno == EINTR);

  if (n < 0)
    return errno == EAGAIN ? 0 : -1;

  queue->queued -= n;
  queue_consume (queue, n);

  /* A short write means the pipe is full: no need to hear EAGAIN say so. */
  return (gsize) n == wanted ? 1 : 0;
}

/* How much the child has read of what went through the chunks. Bytes
 * written otherwise make this an underestimate, which is the safe side. */
static guint64
bytes_consumed (TpxWriteRing *ring,
                int           fd)
{
  int in_pipe;

  if (ioctl (fd, FIONREAD, &in_pipe) < 0 || in_pipe < 0 || (guint64) in_pipe > ring->total_in)
    return 0;

  return ring->total_in - in_pipe;
}

/* Fills the next chunk from the GBytes queue. FALSE if no memory could be
 * mapped for it (then the queue goes back to plain writes). */
static gboolean
fill_next_chunk (TpxWriteQueue *queue,
                 int            fd)
{
  TpxWriteRing *ring = queue->ring;
  TpxWriteChunk *chunk = &ring->chunks[ring->current];

  if (chunk->len > 0)
    {
      ring->current = (ring->current + 1) % TPX_WRITE_QUEUE_CHUNKS;
      chunk = &ring->chunks[ring->current];
    }

  /* Pages the child may still read are never written again: a chunk not
   * read through yet is left to the pipe and replaced. */
  if (chunk->base != NULL && chunk->end > bytes_consumed (ring, fd))
    {
      munmap (chunk->base, CHUNK_SIZE);
      chunk->base = NULL;
    }
  if (chunk->base == NULL)
    {
      void *base = mmap (NULL, CHUNK_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      if (base == MAP_FAILED)
        return FALSE;
      chunk->base = base;
    }

  chunk->len = 0;
  chunk->off = 0;
  while (chunk->len < CHUNK_SIZE && queue->queue.length > 0)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (g_queue_peek_head (&queue->queue), &size);
      gsize take = MIN (size - queue->head_offset, CHUNK_SIZE - chunk->len);

      memcpy (chunk->base + chunk->len, data + queue->head_offset, take);
      chunk->len += take;
      queue_consume (queue, take);
    }

  return TRUE;
}

/* Like flush_writev(), through the current chunk. */
static int
flush_chunk (TpxWriteQueue *queue,
             int            fd)
{
  TpxWriteRing *ring = queue->ring;
  TpxWriteChunk *chunk = &ring->chunks[ring->current];
  gssize n;

  if (chunk->off == chunk->len && !fill_next_chunk (queue, fd))
    {
      ring->splice = FALSE;
      return flush_writev (queue, fd);
    }
  chunk = &ring->chunks[ring->current];

  for (;;)
    {
      struct iovec iov = { chunk->base + chunk->off, chunk->len - chunk->off };

      if (ring->splice)
        n = vmsplice (fd, &iov, 1, SPLICE_F_NONBLOCK);
      else
        n = write (fd, iov.iov_base, iov.iov_len);

      if (n >= 0)
        break;
      if (errno == EINTR)
        continue;
      if (ring->splice && (errno == EINVAL || errno == EBADF || errno == ENOSYS || errno == EPERM))
        {
          /* Not a pipe after all, or vmsplice() forbidden: plain writes. */
          ring->splice = FALSE;
          continue;
        }
      return errno == EAGAIN ? 0 : -1;
    }

  chunk->off += n;
  ring->total_in += n;
  queue->queued -= n;
  if (chunk->off < chunk->len)
    return 0;

  chunk->end = ring->total_in;
  return 1;
}

gboolean
tpx_write_queue_flush (TpxWriteQueue *queue,
                       int            fd)
{
  while (queue->queued > 0)
    {
      TpxWriteRing *ring = queue->ring;
      int progress;

      /* What sits in a chunk goes first: it is older than the queue. */
      if (ring != NULL &&
          (ring->chunks[ring->current].off < ring->chunks[ring->current].len ||
           (ring->splice && queue->queued >= SPLICE_MIN)))
        progress = flush_chunk (queue, fd);
      else
        progress = flush_writev (queue, fd);

      if (progress < 0)
        return FALSE;
      if (progress == 0)
        break;
    }

  return TRUE;
}
