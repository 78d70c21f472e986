/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * White-box tests of the write queue (tpx/tpx-write-queue-private.h): bytes
 * arrive in order and intact through writev() and through the spliced
 * chunks, pages the pipe still holds are never written again, and a broken
 * or unusual fd is handled.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "tpx-write-queue-private.h"

#define MIB (1024 * 1024)

/* A byte pattern that differs from one offset to the next and between
 * streams, so that a reordered or stale page shows. */
static guint8
pattern_byte (guint64 offset,
              guint   seed)
{
  return (guint8) ((offset * 2654435761u) >> 13) ^ (guint8) (offset >> 20) ^ (guint8) seed;
}

static GBytes *
pattern_bytes (guint64 offset,
               gsize   len,
               guint   seed)
{
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = pattern_byte (offset + i, seed);

  return g_bytes_new_take (data, len);
}

typedef struct {
  int      fd;
  guint64  expected;
  guint    seed;
  guint64  got;
  guint64  first_bad;   /* G_MAXUINT64: none */
} Reader;

/* Reads the pipe to its end in another thread, checking every byte. */
static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;
  guint8 *buffer = g_malloc (MIB);
  gssize n;

  reader->first_bad = G_MAXUINT64;
  while ((n = read (reader->fd, buffer, MIB)) != 0)
    {
      if (n < 0)
        {
          g_assert_cmpint (errno, ==, EINTR);
          continue;
        }
      for (gssize i = 0; i < n; i++)
        if (buffer[i] != pattern_byte (reader->got + i, reader->seed) &&
            reader->first_bad == G_MAXUINT64)
          reader->first_bad = reader->got + i;
      reader->got += n;
    }

  g_free (buffer);
  return NULL;
}

static void
make_pipe (int      fds[2],
           gboolean big)
{
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  g_assert_cmpint (fcntl (fds[1], F_SETFL, O_NONBLOCK), ==, 0);
  if (big)
    g_assert_cmpint (fcntl (fds[1], F_SETPIPE_SZ, MIB), >=, MIB);
}

/* Flushes until empty, waiting for the pipe with poll(). */
static void
flush_all (TpxWriteQueue *queue,
           int            fd)
{
  while (tpx_write_queue_get_size (queue) > 0)
    {
      GPollFD pfd = { fd, G_IO_OUT, 0 };

      g_assert_true (tpx_write_queue_flush (queue, fd));
      if (tpx_write_queue_get_size (queue) > 0)
        g_assert_cmpint (g_poll (&pfd, 1, 10000), ==, 1);
    }
}

/* @splice: whether to enable splicing; @sizes: the pushes, in bytes, some
 * as GBytes and some as borrowed buffers scribbled over after the push. */
static void
stream_through (gboolean     splice,
                const gsize *sizes,
                guint        n_sizes,
                guint        rounds)
{
  TpxWriteQueue queue;
  Reader reader = { 0 };
  GThread *thread;
  guint64 offset = 0;
  int fds[2];

  make_pipe (fds, TRUE);
  tpx_write_queue_init (&queue);
  if (splice)
    tpx_write_queue_enable_splice (&queue);

  reader.fd = fds[0];
  reader.seed = g_test_rand_int_range (0, 256);
  thread = g_thread_new ("reader", reader_thread, &reader);

  for (guint r = 0; r < rounds; r++)
    for (guint i = 0; i < n_sizes; i++)
      {
        g_autoptr(GBytes) bytes = pattern_bytes (offset, sizes[i], reader.seed);

        if (i % 2 == 0)
          tpx_write_queue_push (&queue, NULL, sizes[i], bytes);
        else
          {
            gsize len;
            guint8 *copy = g_bytes_unref_to_data (g_steal_pointer (&bytes), &len);

            tpx_write_queue_push (&queue, copy, len, NULL);
            memset (copy, 0xEE, len);
            g_free (copy);
          }
        offset += sizes[i];

        /* Let the queue build up now and then, as a busy pipe does. */
        if (i % 3 == 2)
          flush_all (&queue, fds[1]);
      }
  flush_all (&queue, fds[1]);

  if (splice)
    g_assert_cmpuint (queue.ring->total_in, >, 0);
  else
    g_assert_null (queue.ring);

  tpx_write_queue_clear (&queue);
  close (fds[1]);
  g_thread_join (thread);
  close (fds[0]);

  g_assert_cmpuint (reader.got, ==, offset);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

static const gsize mixed_sizes[] = {
  3 * MIB + 17, 100, 64 * 1024, 5, MIB, 256 * 1024 - 1, 2 * MIB, 4096, 700 * 1024, 1,
};

static void
test_write_queue_writev (void)
{
  stream_through (FALSE, mixed_sizes, G_N_ELEMENTS (mixed_sizes), 2);
}

static void
test_write_queue_spliced (void)
{
  /* About 100 MiB: the chunks are reused many times over. */
  stream_through (TRUE, mixed_sizes, G_N_ELEMENTS (mixed_sizes), 10);
}

/* Pages still in the pipe keep what was spliced, even once the queue has
 * unmapped its chunks and the memory is mapped and written again. */
static void
test_write_queue_clear_keeps_pipe_data (void)
{
  TpxWriteQueue queue;
  g_autoptr(GBytes) bytes = pattern_bytes (0, MIB, 7);
  Reader reader = { 0 };
  int fds[2];

  make_pipe (fds, TRUE);
  tpx_write_queue_init (&queue);
  tpx_write_queue_enable_splice (&queue);

  /* Nobody reads yet: the whole MiB sits in the pipe, as chunk pages. */
  tpx_write_queue_push (&queue, NULL, MIB, bytes);
  g_assert_true (tpx_write_queue_flush (&queue, fds[1]));
  g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, 0);
  g_assert_cmpuint (queue.ring->total_in, ==, MIB);
  tpx_write_queue_clear (&queue);

  /* Whatever the address space does now cannot reach the pipe's pages. */
  for (int i = 0; i < 8; i++)
    {
      void *p = mmap (NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      g_assert_true (p != MAP_FAILED);
      memset (p, 0x55, 256 * 1024);
    }

  close (fds[1]);
  reader.fd = fds[0];
  reader.seed = 7;
  reader_thread (&reader);
  close (fds[0]);

  g_assert_cmpuint (reader.got, ==, MIB);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

/* A chunk is written again only once the child read all of it: with the
 * reader stalled, the queue maps new chunks rather than reuse old ones. */
static void
test_write_queue_no_reuse_while_unread (void)
{
  TpxWriteQueue queue;
  Reader reader = { 0 };
  GThread *thread;
  guint64 offset = 0;
  int fds[2];

  make_pipe (fds, TRUE);
  tpx_write_queue_init (&queue);
  tpx_write_queue_enable_splice (&queue);

  /* Fill the pipe: nobody reads. */
  while (queue.ring->total_in < MIB)
    {
      g_autoptr(GBytes) bytes = pattern_bytes (offset, 256 * 1024, 9);

      tpx_write_queue_push (&queue, NULL, 256 * 1024, bytes);
      offset += 256 * 1024;
      g_assert_true (tpx_write_queue_flush (&queue, fds[1]));
    }
  g_assert_cmpuint (queue.ring->total_in, ==, MIB);
  g_assert_nonnull (queue.ring->chunks[0].base);

  /* Skip ahead so that the next chunk to fill is the first one, whose
   * pages the full pipe still holds (a pipe larger than the ring would get
   * there by itself). Refilling it in place would change bytes the reader
   * has not read yet. */
  queue.ring->current = TPX_WRITE_QUEUE_CHUNKS - 1;
  queue.ring->chunks[queue.ring->current].len = 1;
  queue.ring->chunks[queue.ring->current].off = 1;
  {
    g_autoptr(GBytes) bytes = pattern_bytes (offset, 256 * 1024, 9);

    tpx_write_queue_push (&queue, NULL, 256 * 1024, bytes);
    offset += 256 * 1024;
    g_assert_true (tpx_write_queue_flush (&queue, fds[1]));
    g_assert_cmpuint (queue.ring->current, ==, 0);
    g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, 256 * 1024);
  }

  /* Now read everything: every byte must be the one written. */
  reader.fd = fds[0];
  reader.seed = 9;
  thread = g_thread_new ("reader", reader_thread, &reader);
  flush_all (&queue, fds[1]);
  tpx_write_queue_clear (&queue);
  close (fds[1]);
  g_thread_join (thread);
  close (fds[0]);

  g_assert_cmpuint (reader.got, ==, offset);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

/* Not a pipe: vmsplice() refuses, the queue falls back to plain writes. */
static void
test_write_queue_not_a_pipe (void)
{
  TpxWriteQueue queue;
  Reader reader = { 0 };
  GThread *thread;
  int fds[2];
  gsize sizes[] = { 2 * MIB, 300 * 1024 };

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_assert_cmpint (fcntl (fds[1], F_SETFL, O_NONBLOCK), ==, 0);
  tpx_write_queue_init (&queue);
  tpx_write_queue_enable_splice (&queue);

  reader.fd = fds[0];
  reader.seed = 3;
  thread = g_thread_new ("reader", reader_thread, &reader);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) bytes = pattern_bytes (reader.expected, sizes[i], 3);

      tpx_write_queue_push (&queue, NULL, sizes[i], bytes);
      reader.expected += sizes[i];
    }
  flush_all (&queue, fds[1]);
  g_assert_false (queue.ring->splice);
  tpx_write_queue_clear (&queue);
  shutdown (fds[1], SHUT_WR);
  g_thread_join (thread);
  close (fds[0]);
  close (fds[1]);

  g_assert_cmpuint (reader.got, ==, reader.expected);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

/* The reader is gone: flush says so with EPIPE, in both modes. */
static void
test_write_queue_broken (gconstpointer data)
{
  gboolean splice = GPOINTER_TO_INT (data);
  g_autoptr(GBytes) bytes = pattern_bytes (0, MIB, 1);
  TpxWriteQueue queue;
  int fds[2];

  make_pipe (fds, FALSE);
  close (fds[0]);
  tpx_write_queue_init (&queue);
  if (splice)
    tpx_write_queue_enable_splice (&queue);

  tpx_write_queue_push (&queue, NULL, MIB, bytes);
  errno = 0;
  g_assert_false (tpx_write_queue_flush (&queue, fds[1]));
  g_assert_cmpint (errno, ==, EPIPE);
  g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, MIB);

  tpx_write_queue_clear (&queue);
  g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, 0);
  close (fds[1]);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* The broken-pipe cases must see EPIPE, not die of SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/tpx/write-queue/writev", test_write_queue_writev);
  g_test_add_func ("/tpx/write-queue/spliced", test_write_queue_spliced);
  g_test_add_func ("/tpx/write-queue/clear-keeps-pipe-data", test_write_queue_clear_keeps_pipe_data);
  g_test_add_func ("/tpx/write-queue/no-reuse-while-unread", test_write_queue_no_reuse_while_unread);
  g_test_add_func ("/tpx/write-queue/not-a-pipe", test_write_queue_not_a_pipe);
  g_test_add_data_func ("/tpx/write-queue/broken/writev", GINT_TO_POINTER (FALSE), test_write_queue_broken);
  g_test_add_data_func ("/tpx/write-queue/broken/spliced", GINT_TO_POINTER (TRUE), test_write_queue_broken);

  return g_test_run ();
}
