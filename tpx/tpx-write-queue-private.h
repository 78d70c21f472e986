/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/uio.h>

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
/* Writes as much as @fd takes, with tpx_write_vectors(). FALSE with errno
 * set if the pipe or socket broke. */
gboolean tpx_write_queue_flush         (TpxWriteQueue *queue,
                                        int            fd,
                                        gboolean       is_socket);

/*
 * Every write to a child's fd: writev() of @iov, never blocking on a
 * socket, never raising SIGPIPE, whatever the application did with it
 * (retries EINTR; -1 with errno EPIPE when the reader is gone).
 *
 * A socket is written with sendmsg(MSG_NOSIGNAL). A pipe or a terminal
 * with pwritev2(RWF_NOSIGNAL) (Linux 6.18): no system call more than the
 * write. Where the kernel does not know the flag (EOPNOTSUPP) or a
 * seccomp filter refuses pwritev2() (ENOSYS, EPERM), remembered for the
 * process, every write first asks SIGPIPE's disposition (one
 * rt_sigaction()); tpx ignores SIGPIPE at start-up when it had its
 * default, and only when the application restored it later is SIGPIPE
 * blocked in this thread around the write, a SIGPIPE the write raised
 * consumed, and the mask restored.
 */
gssize   tpx_write_vectors             (int                  fd,
                                        const struct iovec  *iov,
                                        int                  n_iov,
                                        gboolean             is_socket);

/* Once, before the first write: SIGPIPE from its default to ignored, so
 * that the way of kernels without RWF_NOSIGNAL costs nothing more while
 * the application leaves it so (GIO's sockets do the same). */
void     tpx_write_ignore_sigpipe       (void);

/* For tests: FALSE makes tpx_write_vectors() take the way of kernels
 * without RWF_NOSIGNAL; TRUE tries the flag again. */
void     tpx_write_set_use_rwf_nosignal (gboolean use);

static inline gsize
tpx_write_queue_get_size (const TpxWriteQueue *queue)
{
  return queue->queued;
}

G_END_DECLS
