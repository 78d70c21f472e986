/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * TpxWriteQueue: what the parent wrote to one of the child's pipes and the
 * pipe has not taken yet. Small amounts go out with writev() straight from
 * the caller's GBytes. Once splicing is enabled (a busy plain pipe), bulk
 * data is copied into a few mapped chunks of our own and vmsplice()d from
 * there: the pipe then references those pages instead of copying them,
 * which moves data to the child several times faster than write(). A
 * chunk is reused only once the child has read it all (FIONREAD), and
 * unmapping one is always safe: the pipe keeps its own references to the
 * pages it still holds.
 */

#define TPX_WRITE_QUEUE_CHUNKS 8

typedef struct
{
  guint8  *base;        /* NULL until mapped */
  gsize    len;         /* bytes copied in */
  gsize    off;         /* bytes of them in the pipe */
  guint64  end;         /* stream position after its last byte */
} TpxWriteChunk;

/* Allocated when splicing is enabled: idle pipes do not pay for it. */
typedef struct
{
  gboolean      splice;       /* vmsplice() works on this fd */
  guint         current;      /* the chunk being spliced */
  guint64       total_in;     /* bytes ever put into the pipe from chunks */
  TpxWriteChunk chunks[TPX_WRITE_QUEUE_CHUNKS];
} TpxWriteRing;

typedef struct
{
  GQueue        queue;        /* GBytes not copied or written yet */
  gsize         head_offset;  /* bytes of the head already taken */
  gsize         queued;       /* bytes not in the pipe yet, chunks included */
  TpxWriteRing *ring;         /* NULL: plain writes only */
} TpxWriteQueue;

void     tpx_write_queue_init          (TpxWriteQueue *queue);
/* Drops what is queued, unmaps the chunks and frees the ring. */
void     tpx_write_queue_clear         (TpxWriteQueue *queue);
/* Queues @data (copied) or @bytes (referenced); @bytes may be NULL. */
void     tpx_write_queue_push          (TpxWriteQueue *queue,
                                        const guint8  *data,
                                        gsize          len,
                                        GBytes        *bytes);
/* Allows vmsplice() on the queue's fd: a plain pipe, not a terminal. */
void     tpx_write_queue_enable_splice (TpxWriteQueue *queue);
/* Whether bulk writes of @len bytes should go through the queue rather
 * than a direct write(). */
gboolean tpx_write_queue_wants        (TpxWriteQueue *queue,
                                        gsize          len);
/* Moves as much as @fd takes. FALSE with errno set if the pipe broke. */
gboolean tpx_write_queue_flush         (TpxWriteQueue *queue,
                                        int            fd);

static inline gsize
tpx_write_queue_get_size (const TpxWriteQueue *queue)
{
  return queue->queued;
}

G_END_DECLS
