/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * White-box tests of the write queue (tpx/tpx-write-queue-private.h): bytes
 * arrive in order and intact, whatever mix of sizes and of referenced and
 * copied buffers, through a pipe that keeps filling up; a broken pipe says
 * EPIPE and keeps what it could not write.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

      g_assert_true (tpx_write_queue_flush (queue, fd, FALSE));
      if (tpx_write_queue_get_size (queue) > 0)
        g_assert_cmpint (g_poll (&pfd, 1, 10000), ==, 1);
    }
}

/* @sizes: the pushes, in bytes, some as GBytes and some as borrowed
 * buffers scribbled over after the push. */
static void
stream_through (const gsize *sizes,
                guint        n_sizes,
                guint        rounds)
{
  TpxWriteQueue queue;
  Reader reader = { 0 };
  GThread *thread;
  guint64 offset = 0;
  int fds[2];

  tpx_write_queue_init (&queue);
  make_pipe (fds, TRUE);

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

  tpx_write_queue_clear (&queue);
  close (fds[1]);
  g_thread_join (thread);
  close (fds[0]);

  g_assert_cmpuint (reader.got, ==, offset);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

static const gsize mixed_sizes[] = {
  3 * MIB + 17, 100, 64 * 1024, 5, MIB, 256 * 1024 - 1, 2 * MIB, 4096, 700 * 1024, 1, 5 * MIB + 3,
};

static void
test_write_queue_stream (void)
{
  /* About 150 MiB through a 1 MiB pipe. */
  stream_through (mixed_sizes, G_N_ELEMENTS (mixed_sizes), 10);
}

/* A socket works as well as a pipe. */
static void
test_write_queue_socket (void)
{
  TpxWriteQueue queue;
  Reader reader = { 0 };
  GThread *thread;
  int fds[2];
  gsize sizes[] = { 3 * MIB, 300 * 1024 };

  tpx_write_queue_init (&queue);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_assert_cmpint (fcntl (fds[1], F_SETFL, O_NONBLOCK), ==, 0);

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
  tpx_write_queue_clear (&queue);
  shutdown (fds[1], SHUT_WR);
  g_thread_join (thread);
  close (fds[0]);
  close (fds[1]);

  g_assert_cmpuint (reader.got, ==, reader.expected);
  g_assert_cmpuint (reader.first_bad, ==, G_MAXUINT64);
}

/* The reader is gone: flush says so with EPIPE and keeps the data. */
static void
test_write_queue_broken (void)
{
  g_autoptr(GBytes) bytes = pattern_bytes (0, MIB, 1);
  TpxWriteQueue queue;
  int fds[2];

  tpx_write_queue_init (&queue);
  make_pipe (fds, FALSE);
  close (fds[0]);

  tpx_write_queue_push (&queue, NULL, MIB, bytes);
  errno = 0;
  g_assert_false (tpx_write_queue_flush (&queue, fds[1], FALSE));
  g_assert_cmpint (errno, ==, EPIPE);
  g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, MIB);

  tpx_write_queue_clear (&queue);
  g_assert_cmpuint (tpx_write_queue_get_size (&queue), ==, 0);
  close (fds[1]);
}

/* A write to a pipe whose reader is gone fails with EPIPE and raises no
 * SIGPIPE, whatever its disposition: default (it would kill us), a
 * handler, ignored; with RWF_NOSIGNAL and the way of kernels without it. */
static int n_sigpipe_handled;

static void
count_sigpipe (int signum)
{
  n_sigpipe_handled++;
}

static void
test_write_no_sigpipe (void)
{
  struct sigaction old;
  const char *names[] = { "default", "handler", "ignored" };
  void (*handlers[]) (int) = { SIG_DFL, count_sigpipe, SIG_IGN };
  struct iovec probe_iov = { (void *) "x", 1 };
  int probe[2];

  g_assert_no_errno (pipe2 (probe, O_CLOEXEC));
  g_test_message ("this kernel %s RWF_NOSIGNAL",
                  pwritev2 (probe[1], &probe_iov, 1, -1, 0x100) == 1 ? "knows" : "does not know");
  close (probe[0]);
  close (probe[1]);

  sigaction (SIGPIPE, NULL, &old);

  for (guint use = 0; use < 2; use++)
    for (guint h = 0; h < G_N_ELEMENTS (handlers); h++)
      {
        struct sigaction sa = { .sa_handler = handlers[h] };
        struct iovec iov[2] = { { (void *) "ab", 2 }, { (void *) "cd", 2 } };
        TpxWriteQueue queue;
        sigset_t pending;
        int fds[2];

        g_test_message ("RWF_NOSIGNAL %s, SIGPIPE %s", use ? "used" : "not used", names[h]);
        tpx_write_set_use_rwf_nosignal (use);
        sigaction (SIGPIPE, &sa, NULL);
        n_sigpipe_handled = 0;

        g_assert_no_errno (pipe2 (fds, O_CLOEXEC | O_NONBLOCK));
        g_assert_cmpint (tpx_write_vectors (fds[1], iov, 2, FALSE), ==, 4);
        close (fds[0]);

        errno = 0;
        g_assert_cmpint (tpx_write_vectors (fds[1], iov, 2, FALSE), ==, -1);
        g_assert_cmpint (errno, ==, EPIPE);

        tpx_write_queue_init (&queue);
        tpx_write_queue_push (&queue, (const guint8 *) "more", 4, NULL);
        errno = 0;
        g_assert_false (tpx_write_queue_flush (&queue, fds[1], FALSE));
        g_assert_cmpint (errno, ==, EPIPE);
        tpx_write_queue_clear (&queue);
        close (fds[1]);

        sigpending (&pending);
        g_assert_false (sigismember (&pending, SIGPIPE));
        g_assert_cmpint (n_sigpipe_handled, ==, 0);
      }

  tpx_write_set_use_rwf_nosignal (TRUE);
  sigaction (SIGPIPE, &old, NULL);
}

/* A seccomp filter that refuses pwritev2() (ENOSYS, EPERM: container
 * runtimes do either for what they do not know): writes still work, and
 * still raise no SIGPIPE. */
static void
refused_pwritev2 (int err)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_pwritev2, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((guint32) err & SECCOMP_RET_DATA)),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  struct iovec iov = { (void *) "abc", 3 };
  struct iovec probe_iov = { (void *) "x", 1 };
  sigset_t pending;
  char buffer[8];
  int fds[2];

  g_assert_no_errno (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  g_assert_no_errno (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0));
  sigaction (SIGPIPE, &dfl, NULL);

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC | O_NONBLOCK));
  g_assert_cmpint (syscall (SYS_pwritev2, fds[1], &probe_iov, 1, -1L, 0L, 0), ==, -1);
  g_assert_cmpint (errno, ==, err);

  tpx_write_set_use_rwf_nosignal (TRUE);
  g_assert_cmpint (tpx_write_vectors (fds[1], &iov, 1, FALSE), ==, 3);
  g_assert_cmpint (read (fds[0], buffer, sizeof buffer), ==, 3);
  close (fds[0]);
  errno = 0;
  g_assert_cmpint (tpx_write_vectors (fds[1], &iov, 1, FALSE), ==, -1);
  g_assert_cmpint (errno, ==, EPIPE);
  close (fds[1]);

  sigpending (&pending);
  g_assert_false (sigismember (&pending, SIGPIPE));
}

static void
refused_pwritev2_enosys (void)
{
  refused_pwritev2 (ENOSYS);
}

static void
refused_pwritev2_eperm (void)
{
  refused_pwritev2 (EPERM);
}

static void
test_write_pwritev2_refused (gconstpointer data)
{
  if (g_test_subprocess ())
    {
      ((void (*) (void)) data) ();
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* The broken-pipe cases must see EPIPE, not die of SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/tpx/write-queue/stream", test_write_queue_stream);
  g_test_add_func ("/tpx/write-queue/socket", test_write_queue_socket);
  g_test_add_func ("/tpx/write-queue/broken", test_write_queue_broken);
  g_test_add_func ("/tpx/write-queue/no-sigpipe", test_write_no_sigpipe);
  g_test_add_data_func ("/tpx/write-queue/pwritev2-refused/enosys",
                        refused_pwritev2_enosys, test_write_pwritev2_refused);
  g_test_add_data_func ("/tpx/write-queue/pwritev2-refused/eperm",
                        refused_pwritev2_eperm, test_write_pwritev2_refused);

  return g_test_run ();
}
