/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "tpx-pipe-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Reading: a busy pipe is read straight into a buffer that its GBytes then
 * owns, so bulk data is never copied; when the GBytes goes (in C, right
 * after the handlers; in Python, once get_data() copied it), the buffer
 * comes back to a spare slot and the next read takes it again. Without
 * that, every 1 MiB read is a fresh allocation above glibc's mmap
 * threshold, returned to the kernel and faulted in again page by page.
 * A trickle (or data nobody listens to) is read into a per-thread scratch
 * buffer, and only the few bytes that came are copied out.
 *
 * Writing: every write goes through tpx_write_vectors()
 * (tpx-write-queue.c), which never raises SIGPIPE, whatever the
 * application did with it.
 */

#define READ_SIZE      (64 * 1024)
#define BIG_PIPE_SIZE  (1024 * 1024)
#define SMALL_READ     (4 * 1024)
#define SOCKET_READ_SIZE (256 * 1024)

typedef struct
{
  gsize  capacity;
  guint8 data[];
} ReadBuffer;

static ReadBuffer *spare_buffer;   /* atomic */
static GPrivate scratch_key = G_PRIVATE_INIT (g_free);

static ReadBuffer *
read_buffer_take (gsize size)
{
  ReadBuffer *buffer = g_atomic_pointer_exchange (&spare_buffer, NULL);

  if (buffer != NULL && buffer->capacity >= size)
    return buffer;

  g_free (buffer);
  buffer = g_malloc (sizeof (ReadBuffer) + size);
  buffer->capacity = size;
  return buffer;
}

/* May run in any thread: whoever drops the last reference to the GBytes. */
static void
read_buffer_give_back (gpointer data)
{
  ReadBuffer *buffer = data;

  if (!g_atomic_pointer_compare_and_exchange (&spare_buffer, NULL, buffer))
    g_free (buffer);
}

static guint8 *
get_scratch_buffer (void)
{
  guint8 *scratch = g_private_get (&scratch_key);

  if (scratch == NULL)
    {
      scratch = g_malloc (READ_SIZE);
      g_private_set (&scratch_key, scratch);
    }

  return scratch;
}

void
tpx_pipe_init (TpxPipe        *pipe,
               int             child_fd,
               TpxChildFdKind  kind,
               int             fd,
               gboolean        is_terminal)
{
  *pipe = (TpxPipe) {
    .child_fd = child_fd,
    .kind = kind,
    .fd = fd,
    .state = TPX_PIPE_OPEN,
    .read_size = READ_SIZE,
    .is_terminal = !!is_terminal,
  };
  tpx_write_queue_init (&pipe->out);
}

void
tpx_pipe_pair_terminal (TpxPipe *reader,
                        TpxPipe *writer)
{
  reader->terminal_peer = writer;
  writer->terminal_peer = reader;
}

static GIOCondition
wanted_condition (TpxPipe *pipe)
{
  if (pipe->kind == TPX_CHILD_FD_READ)
    return G_IO_IN;
  if (pipe->kind == TPX_CHILD_FD_SOCKET)
    return G_IO_IN | (pipe->want_out ? G_IO_OUT : 0);
  /* A write pipe is watched even while idle: G_IO_ERR tells that the
   * child closed its end. */
  return pipe->want_out ? G_IO_OUT : 0;
}

gboolean
tpx_pipe_watch (TpxPipe     *pipe,
                TpxLoop     *loop,
                TpxLoopFunc  func,
                gpointer     user_data)
{
  g_return_val_if_fail (pipe->watch == NULL, FALSE);

  pipe->watch = tpx_loop_add (loop, pipe->fd, wanted_condition (pipe), FALSE, func, user_data);
  return pipe->watch != NULL;
}

void
tpx_pipe_set_watched (TpxPipe  *pipe,
                      TpxLoop  *loop,
                      gboolean  watched)
{
  if (pipe->watch != NULL)
    tpx_loop_set_enabled (loop, pipe->watch, watched);
}

static void
watch_output (TpxPipe  *pipe,
              TpxLoop  *loop,
              gboolean  want_out)
{
  if (pipe->want_out == !!want_out)
    return;

  pipe->want_out = !!want_out;
  if (pipe->watch != NULL)
    tpx_loop_modify (loop, pipe->watch, wanted_condition (pipe));
}

/* A pipe that keeps filling up gets a bigger kernel buffer, so that each
 * wake-up moves more data; idle pipes keep the default and cost nothing. */
static void
grow (TpxPipe *pipe)
{
  int size;

  pipe->grown = TRUE;
  if (pipe->is_terminal)
    return;

  if (pipe->kind == TPX_CHILD_FD_SOCKET)
    {
      /* Our send buffer bounds what the child gets per read (the kernel
       * caps it at net.core.wmem_max; SO_RCVBUF means nothing to a unix
       * stream socket). Reads are bounded by the child's send buffer,
       * enlarged at the spawn but perhaps capped at 208 KiB: a read size
       * of 256 KiB keeps them above the copy-out threshold. */
      size = BIG_PIPE_SIZE;
      setsockopt (pipe->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      pipe->read_size = SOCKET_READ_SIZE;
      return;
    }

  size = fcntl (pipe->fd, F_SETPIPE_SZ, BIG_PIPE_SIZE);
  if (size > 0 && pipe->kind == TPX_CHILD_FD_READ)
    pipe->read_size = MAX (pipe->read_size, (gsize) size);
}

TpxPipeReadResult
tpx_pipe_read (TpxPipe   *pipe,
               TpxLoop   *loop,
               gboolean   wanted,
               GBytes   **bytes)
{
  gboolean direct = wanted && pipe->bulk;
  gsize size = direct ? pipe->read_size : READ_SIZE;
  ReadBuffer *buffer = direct ? read_buffer_take (size) : NULL;
  guint8 *data = direct ? buffer->data : get_scratch_buffer ();
  gssize n;

  *bytes = NULL;

  do
    n = read (pipe->fd, data, size);
  while (n < 0 && errno == EINTR);

  if (n > 0)
    {
      pipe->bulk = n >= SMALL_READ;

      /* A short read into a big buffer is copied out, so that a GBytes
       * kept by the caller does not pin a mostly empty megabyte. */
      if (direct && (gsize) n >= size / 4)
        *bytes = g_bytes_new_with_free_func (data, n, read_buffer_give_back, g_steal_pointer (&buffer));
      else if (wanted)
        *bytes = g_bytes_new (data, n);

      if (buffer != NULL)
        read_buffer_give_back (buffer);

      if ((gsize) n < size)
        return TPX_PIPE_READ_DATA;
      if (!pipe->grown)
        grow (pipe);
      return TPX_PIPE_READ_MORE;
    }

  if (buffer != NULL)
    read_buffer_give_back (buffer);

  if (n < 0 && errno == EAGAIN)
    return TPX_PIPE_READ_AGAIN;

  /* End of file; or EIO, which is how a terminal says its child is gone. */
  tpx_pipe_release_fd (pipe, loop);
  return TPX_PIPE_READ_EOF;
}

/* A socket's writing side: the child reads end of file, and may still
 * write. */
static void
shut_down_writing (TpxPipe *pipe)
{
  if (!pipe->write_shut)
    {
      pipe->write_shut = TRUE;
      shutdown (pipe->fd, SHUT_WR);
    }
}

gboolean
tpx_pipe_flush (TpxPipe *pipe,
                TpxLoop *loop)
{
  gboolean ok = tpx_write_queue_flush (&pipe->out, pipe->fd, pipe->kind == TPX_CHILD_FD_SOCKET);

  if (ok)
    watch_output (pipe, loop, tpx_write_queue_get_size (&pipe->out) > 0);
  if (ok && pipe->state == TPX_PIPE_CLOSING && tpx_write_queue_get_size (&pipe->out) == 0)
    shut_down_writing (pipe);
  return ok;
}

gboolean
tpx_pipe_write (TpxPipe      *pipe,
                TpxLoop      *loop,
                const guint8 *data,
                gsize         len,
                GBytes       *bytes)
{
  gssize n = 0;

  if (len == 0)
    return TRUE;

  if (tpx_write_queue_get_size (&pipe->out) == 0)
    {
      const struct iovec iov = { (void *) data, len };

      /* Nothing waits: try the pipe at once, it usually takes it all. */
      n = tpx_write_vectors (pipe->fd, &iov, 1, pipe->kind == TPX_CHILD_FD_SOCKET);

      if (n == (gssize) len)
        return TRUE;

      if (!pipe->grown)
        grow (pipe);

      if (n < 0)
        {
          if (errno != EAGAIN)
            return FALSE;
          n = 0;
        }
    }

  if (bytes != NULL && n > 0)
    {
      g_autoptr(GBytes) rest = g_bytes_new_from_bytes (bytes, n, len - n);

      tpx_write_queue_push (&pipe->out, NULL, len - n, rest);
    }
  else
    tpx_write_queue_push (&pipe->out, data + n, len - n, bytes);

  watch_output (pipe, loop, TRUE);
  return TRUE;
}

gboolean
tpx_pipe_request_close (TpxPipe *pipe,
                        TpxLoop *loop)
{
  if (pipe->state != TPX_PIPE_OPEN)
    return FALSE;

  if (pipe->kind == TPX_CHILD_FD_SOCKET)
    {
      pipe->state = TPX_PIPE_CLOSING;
      if (tpx_write_queue_get_size (&pipe->out) == 0)
        shut_down_writing (pipe);
      return FALSE;
    }

  if (pipe->kind == TPX_CHILD_FD_WRITE && tpx_write_queue_get_size (&pipe->out) > 0)
    {
      pipe->state = TPX_PIPE_CLOSING;
      return FALSE;
    }

  tpx_pipe_release_fd (pipe, loop);
  return TRUE;
}

void
tpx_pipe_release_fd (TpxPipe *pipe,
                     TpxLoop *loop)
{
  if (!tpx_pipe_is_open (pipe))
    return;

  if (pipe->watch != NULL)
    {
      tpx_loop_remove (loop, pipe->watch);
      pipe->watch = NULL;
    }
  close (pipe->fd);
  pipe->fd = -1;
  tpx_write_queue_clear (&pipe->out);
  pipe->state = TPX_PIPE_CLOSED;

  /* One terminal, one hang-up: once its output is over, nobody can write
   * to it either. */
  if (pipe->is_terminal && pipe->kind == TPX_CHILD_FD_READ && pipe->terminal_peer != NULL)
    tpx_pipe_release_fd (pipe->terminal_peer, loop);
}

gboolean
tpx_pipe_mark_lost (TpxPipe *pipe)
{
  if (pipe->state != TPX_PIPE_CLOSED)
    return FALSE;

  pipe->state = TPX_PIPE_LOST;
  return !pipe->silent;
}
