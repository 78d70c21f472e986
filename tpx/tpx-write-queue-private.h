/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * TpxWriteQueue: what the parent wrote to one of the child's pipes and the
 * pipe has not taken yet, as references to the callers' GBytes, flushed
 * with writev() straight from them.
 *
 * It does not vmsplice(). Handing the pipe references to our own pages
 * would save the kernel's copy (W3 measured 3-4 times faster), but the
 * pages may then be written again only once nothing refers to them any
 * more, and nothing says when that is: a child that moves its stdin on
 * with splice() or tee() (Rust's io::copy does, so does pv) passes the
 * references to another pipe or a socket, while the stdin pipe looks
 * empty. tests/test-process-transport.c ("write/bulk/spliced-on")
 * catches exactly that. Fresh pages for every chunk are safe, but cost
 * as much as the copy they save (see docs/performance.md).
 */

typedef struct
{
  GQueue        queue;        /* GBytes not written yet */
  gsize         head_offset;  /* bytes of the head already written */
  gsize         queued;
} TpxWriteQueue;

void     tpx_write_queue_init          (TpxWriteQueue *queue);
/* Drops what is queued. */
void     tpx_write_queue_clear         (TpxWriteQueue *queue);
/* Queues @data (copied) or @bytes (referenced); @bytes may be NULL. */
void     tpx_write_queue_push          (TpxWriteQueue *queue,
                                        const guint8  *data,
                                        gsize          len,
                                        GBytes        *bytes);
/* Writes as much as @fd takes (a socket with send(MSG_NOSIGNAL)). FALSE
 * with errno set if the pipe or socket broke. */
gboolean tpx_write_queue_flush         (TpxWriteQueue *queue,
                                        int            fd,
                                        gboolean       is_socket);

static inline gsize
tpx_write_queue_get_size (const TpxWriteQueue *queue)
{
  return queue->queued;
}

G_END_DECLS
