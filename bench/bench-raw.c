/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "raw" column: what the kernel allows, with no event loop library.
 * posix_spawn (a vfork-class clone in glibc) with the three stdio pipes,
 * blocking read/write for the bulk workloads, and epoll + pidfd where a
 * program has to wait for several things at once (W4, W5, W6).
 *
 * L1 splits the child's stdout into lines with memchr() in the read
 * buffer itself, carrying the unfinished line to the buffer's start: the
 * least any line reader can do (no copy, no UTF-8 check, no terminator).
 *
 * W2/W3 enlarge the bulk pipe with F_SETPIPE_SZ (--pipe-size, 1 MiB by
 * default: the stock pipe-max-size), or use a socketpair (--socketpair),
 * which is what libuv's UV_CREATE_PIPE gives a child.
 *
 * W7 starts each tree in a process group of its own (POSIX_SPAWN_SETPGROUP)
 * and stops it with killpg() and a waitpid() loop that reaps all of it
 * (this process is a child subreaper, so the tree's orphans come back).
 */
#include "bench-common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef P_PIDFD
# define P_PIDFD 3
#endif


typedef struct
{
  pid_t pid;
  int   pidfd;
  int   in_fd;
  int   out_fd;
  int   err_fd;
  int   open;     /* pidfd + read fds not finished yet */
} RawChild;

enum { TAG_PID, TAG_OUT, TAG_ERR };

static unsigned char scratch[BENCH_CHUNK];

/* A one-way channel; @child_reads tells which way. */
static void
make_channel (int  child_reads,
              int  use_socketpair,
              int  pipe_size,
              int *parent_end,
              int *child_end)
{
  int fds[2];

  if (use_socketpair)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        bench_fail ("socketpair: %s", strerror (errno));
      *parent_end = fds[0];
      *child_end = fds[1];
      return;
    }

  if (pipe2 (fds, O_CLOEXEC) != 0)
    bench_fail ("pipe2: %s", strerror (errno));
  if (pipe_size > 0 && fcntl (fds[0], F_SETPIPE_SZ, pipe_size) < 0)
    bench_fail ("F_SETPIPE_SZ: %s", strerror (errno));
  *parent_end = child_reads ? fds[1] : fds[0];
  *child_end = child_reads ? fds[0] : fds[1];
}

/* @bulk: 0 none, 1 stdout, 2 stdin gets the enlarged pipe / socketpair. */
static void
spawn_child (char    **argv,
             int       bulk,
             int       use_socketpair,
             int       pipe_size,
             RawChild *child)
{
  posix_spawn_file_actions_t actions;
  int child_in, child_out, child_err;
  int err;

  make_channel (1, bulk == 2 && use_socketpair, bulk == 2 ? pipe_size : 0,
                &child->in_fd, &child_in);
  make_channel (0, bulk == 1 && use_socketpair, bulk == 1 ? pipe_size : 0,
                &child->out_fd, &child_out);
  make_channel (0, 0, 0, &child->err_fd, &child_err);

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, child_in, 0);
  posix_spawn_file_actions_adddup2 (&actions, child_out, 1);
  posix_spawn_file_actions_adddup2 (&actions, child_err, 2);
  err = posix_spawn (&child->pid, argv[0], &actions, NULL, argv, bench_empty_environ);
  posix_spawn_file_actions_destroy (&actions);
  if (err != 0)
    bench_fail ("posix_spawn %s: %s", argv[0], strerror (err));

  close (child_in);
  close (child_out);
  close (child_err);
  child->pidfd = -1;
}

static long long
drain (int fd)
{
  long long total = 0;

  for (;;)
    {
      ssize_t n = read (fd, scratch, sizeof scratch);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          bench_fail ("read: %s", strerror (errno));
        }
      if (n == 0)
        return total;
      total += n;
    }
}

/* @splice: vmsplice() instead of write(); @data is then never written
 * again, since the pipe may reference its pages. */
static void
put_all (int fd, const unsigned char *data, size_t len, int splice)
{
  while (len > 0)
    {
      struct iovec iov = { (void *) data, len };
      ssize_t n = splice ? vmsplice (fd, &iov, 1, 0) : write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          bench_fail ("%s: %s", splice ? "vmsplice" : "write", strerror (errno));
        }
      data += n;
      len -= n;
    }
}

static void
reap (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      bench_fail ("waitpid: %s", strerror (errno));
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    bench_fail ("child failed (wait status %d)", status);
}

static void
run_w1 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  double start, elapsed;
  long done = 0;

  bench_touch_heap (opts->heap_mib);

  start = bench_now ();
  do
    {
      RawChild child;

      spawn_child (argv, 0, 0, 0, &child);
      close (child.in_fd);
      drain (child.out_fd);
      drain (child.err_fd);
      close (child.out_fd);
      close (child.err_fd);
      reap (child.pid);
      done++;
      elapsed = bench_now () - start;
    }
  while (done < opts->n && elapsed < opts->seconds);

  bench_report (opts->workload_name, done / elapsed, "spawn/s");
}

static void
run_w2 (const BenchOptions *opts)
{
  RawChild child;
  long long got;
  double start, elapsed;

  start = bench_now ();
  spawn_child (bench_child_argv (opts), 1, opts->socketpair, opts->pipe_size, &child);
  close (child.in_fd);
  got = drain (child.out_fd);
  drain (child.err_fd);
  reap (child.pid);
  elapsed = bench_now () - start;
  close (child.out_fd);
  close (child.err_fd);

  if (got != opts->bytes)
    bench_fail ("read %lld bytes, expected %lld", got, opts->bytes);
  bench_report (opts->workload_name, opts->bytes / elapsed / 1e6, "MB/s");
}

static void
run_w3 (const BenchOptions *opts)
{
  const unsigned char *chunk = bench_chunk ();
  RawChild child;
  char text[64];
  size_t text_len = 0;
  long long left = opts->bytes;
  double start, elapsed;

  start = bench_now ();
  spawn_child (bench_child_argv (opts), 2, opts->socketpair, opts->pipe_size, &child);
  while (left > 0)
    {
      size_t len = left < BENCH_CHUNK ? (size_t) left : BENCH_CHUNK;

      put_all (child.in_fd, chunk, len, opts->vmsplice);
      left -= len;
    }
  close (child.in_fd);
  for (;;)
    {
      ssize_t n = read (child.out_fd, text + text_len, sizeof text - text_len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        bench_fail ("read: %s", strerror (errno));
      if (n == 0 || (text_len += n) == sizeof text)
        break;
    }
  drain (child.err_fd);
  reap (child.pid);
  elapsed = bench_now () - start;
  close (child.out_fd);
  close (child.err_fd);

  if (bench_parse_count (text, text_len) != opts->bytes)
    bench_fail ("the child counted %.*s, expected %lld", (int) text_len, text, opts->bytes);
  bench_report (opts->workload_name, opts->bytes / elapsed / 1e6, "MB/s");
}

static void
run_w4 (const BenchOptions *opts)
{
  const unsigned char *chunk = bench_chunk ();
  unsigned char reply[BENCH_PING];
  struct epoll_event ev = { .events = EPOLLIN };
  RawChild child;
  double start, elapsed;
  int ep = epoll_create1 (EPOLL_CLOEXEC);

  spawn_child (bench_child_argv (opts), 0, 0, 0, &child);
  bench_set_nonblocking (child.out_fd);
  if (epoll_ctl (ep, EPOLL_CTL_ADD, child.out_fd, &ev) != 0)
    bench_fail ("epoll_ctl: %s", strerror (errno));

  start = bench_now ();
  for (long i = 0; i < opts->n; i++)
    {
      size_t got = 0;

      put_all (child.in_fd, chunk, BENCH_PING, 0);
      while (got < BENCH_PING)
        {
          ssize_t n;

          if (epoll_wait (ep, &ev, 1, -1) < 0)
            {
              if (errno == EINTR)
                continue;
              bench_fail ("epoll_wait: %s", strerror (errno));
            }
          n = read (child.out_fd, reply + got, BENCH_PING - got);
          if (n == 0)
            bench_fail ("EOF from the child");
          if (n > 0)
            got += n;
          else if (errno != EAGAIN && errno != EINTR)
            bench_fail ("read: %s", strerror (errno));
        }
      if (memcmp (reply, chunk, BENCH_PING) != 0)
        bench_fail ("the reply differs from the message");
    }
  elapsed = bench_now () - start;

  close (child.in_fd);
  close (child.out_fd);
  drain (child.err_fd);
  close (child.err_fd);
  reap (child.pid);
  close (ep);

  bench_report (opts->workload_name, opts->n / elapsed, "round-trips/s");
}

static void
watch (int ep, int fd, long index, int tag)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t) index << 2) | tag };

  if (epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev) != 0)
    bench_fail ("epoll_ctl: %s", strerror (errno));
}

static void
spawn_many (const BenchOptions *opts,
            RawChild          **children,
            int                 ep,
            int                 keep_stdin)
{
  char **argv = bench_child_argv (opts);

  for (long i = 0; i < opts->n; i++)
    {
      RawChild *child = malloc (sizeof *child);

      spawn_child (argv, 0, 0, 0, child);
      if (!keep_stdin)
        {
          close (child->in_fd);
          child->in_fd = -1;
        }
      child->pidfd = pidfd_open (child->pid, 0);
      if (child->pidfd < 0)
        bench_fail ("pidfd_open: %s", strerror (errno));
      bench_set_nonblocking (child->out_fd);
      bench_set_nonblocking (child->err_fd);
      watch (ep, child->pidfd, i, TAG_PID);
      watch (ep, child->out_fd, i, TAG_OUT);
      watch (ep, child->err_fd, i, TAG_ERR);
      child->open = 3;
      children[i] = child;
    }
}

/* Runs the epoll loop until every child is reaped and every pipe closed. */
static void
end_many (RawChild **children,
          long       n,
          int        ep)
{
  struct epoll_event events[256];
  long remaining = n;

  while (remaining > 0)
    {
      int ready = epoll_wait (ep, events, 256, -1);

      if (ready < 0 && errno == EINTR)
        continue;
      if (ready < 0)
        bench_fail ("epoll_wait: %s", strerror (errno));

      for (int i = 0; i < ready; i++)
        {
          RawChild *child = children[events[i].data.u64 >> 2];
          int tag = events[i].data.u64 & 3;

          if (tag == TAG_PID)
            {
              siginfo_t info;

              memset (&info, 0, sizeof info);
              if (waitid (P_PIDFD, child->pidfd, &info, WEXITED) != 0)
                bench_fail ("waitid: %s", strerror (errno));
              if (info.si_code != CLD_EXITED || info.si_status != 0)
                bench_fail ("a child failed");
              close (child->pidfd);
              child->pidfd = -1;
            }
          else
            {
              int *fd = tag == TAG_OUT ? &child->out_fd : &child->err_fd;
              ssize_t got = read (*fd, scratch, sizeof scratch);

              if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
              if (got < 0)
                bench_fail ("read: %s", strerror (errno));
              if (got > 0)
                continue;  /* level-triggered: the rest comes next time */
              close (*fd);
              *fd = -1;
            }

          if (--child->open == 0)
            {
              free (child);
              remaining--;
            }
        }
    }
}

static void
run_w5 (const BenchOptions *opts)
{
  RawChild **children = calloc (opts->n, sizeof *children);
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  double start, cpu;
  long rss;

  rss = bench_rss_bytes ();
  cpu = bench_cpu_seconds ();
  start = bench_now ();
  spawn_many (opts, children, ep, 0);
  rss = bench_rss_bytes () - rss;
  end_many (children, opts->n, ep);

  bench_report_w5 (opts, bench_now () - start, bench_cpu_seconds () - cpu, rss);
  close (ep);
  free (children);
}

static void
run_w6 (const BenchOptions *opts)
{
  RawChild **children = calloc (opts->n, sizeof *children);
  struct epoll_event events[64];
  int ep = epoll_create1 (EPOLL_CLOEXEC);
  long iterations = 0;
  double start, elapsed;

  spawn_many (opts, children, ep, 1);

  start = bench_now ();
  do
    {
      for (int i = 0; i < 256; i++)
        if (epoll_wait (ep, events, 64, 0) != 0)
          bench_fail ("an idle child made an fd ready");
      iterations += 256;
      elapsed = bench_now () - start;
    }
  while (elapsed < opts->seconds);

  for (long i = 0; i < opts->n; i++)
    close (children[i]->in_fd);
  end_many (children, opts->n, ep);
  close (ep);
  free (children);

  bench_report (opts->workload_name, iterations / elapsed, "iterations/s");
}

static void
run_l1 (const BenchOptions *opts)
{
  RawChild child;
  long long lines = 0;
  long long line_bytes = 0;
  size_t keep = 0;
  double start, elapsed;

  start = bench_now ();
  spawn_child (bench_child_argv (opts), 1, 0, opts->pipe_size, &child);
  close (child.in_fd);
  for (;;)
    {
      ssize_t n = read (child.out_fd, scratch + keep, sizeof scratch - keep);
      unsigned char *p = scratch;
      unsigned char *end;

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          bench_fail ("read: %s", strerror (errno));
        }
      if (n == 0)
        break;

      end = scratch + keep + n;
      for (;;)
        {
          unsigned char *nl = memchr (p, '\n', end - p);

          if (nl == NULL)
            break;
          lines++;
          line_bytes += nl - p;
          p = nl + 1;
        }
      keep = end - p;
      if (keep == sizeof scratch)
        bench_fail ("a line longer than the read buffer");
      memmove (scratch, p, keep);
    }
  if (keep > 0)
    {
      lines++;
      line_bytes += keep;
    }
  drain (child.err_fd);
  reap (child.pid);
  elapsed = bench_now () - start;
  close (child.out_fd);
  close (child.err_fd);

  bench_report_l1 (opts, elapsed, lines, line_bytes);
}

/* Reads from @fd until a newline came; the child is then ready. */
static void
wait_ready (int fd)
{
  char text[64];
  size_t got = 0;

  while (got == 0 || memchr (text, '\n', got) == NULL)
    {
      ssize_t n = read (fd, text + got, sizeof text - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || (got += n) == sizeof text)
        bench_fail ("the tree did not say it was ready");
    }
}

static void
run_w7 (const BenchOptions *opts)
{
  char **argv = bench_child_argv (opts);
  double total = 0;

  bench_become_subreaper ();

  for (long i = 0; i < opts->n; i++)
    {
      posix_spawn_file_actions_t actions;
      posix_spawnattr_t attr;
      double start;
      pid_t pid;
      int fds[2];
      int err;

      if (pipe2 (fds, O_CLOEXEC) != 0)
        bench_fail ("pipe2: %s", strerror (errno));
      posix_spawn_file_actions_init (&actions);
      posix_spawn_file_actions_adddup2 (&actions, fds[1], 1);
      posix_spawnattr_init (&attr);
      posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP);
      posix_spawnattr_setpgroup (&attr, 0);
      err = posix_spawn (&pid, argv[0], &actions, &attr, argv, bench_empty_environ);
      posix_spawnattr_destroy (&attr);
      posix_spawn_file_actions_destroy (&actions);
      if (err != 0)
        bench_fail ("posix_spawn %s: %s", argv[0], strerror (err));
      close (fds[1]);
      wait_ready (fds[0]);

      start = bench_now ();
      if (killpg (pid, SIGTERM) != 0)
        bench_fail ("killpg: %s", strerror (errno));
      for (long reaped = 0; reaped < opts->tree_size; )
        {
          int status;

          if (waitpid (-1, &status, 0) < 0)
            {
              if (errno == EINTR)
                continue;
              bench_fail ("waitpid: %s", strerror (errno));
            }
          if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGTERM)
            bench_fail ("a process of the tree did not die of SIGTERM");
          reaped++;
        }
      total += bench_now () - start;
      close (fds[0]);
    }

  printf ("# %.3f ms from killpg() to the last waitpid() (mean of %ld trees of %ld)\n",
          total * 1e3 / opts->n, opts->n, opts->tree_size);
  bench_report (opts->workload_name, opts->n / total, "trees/s");
}

int
main (int argc, char **argv)
{
  static const BenchColumn column = {
    "raw", run_w1, run_w2, run_w3, run_w4, run_w5, run_w6, run_w7,
    .l1 = run_l1,
  };
  BenchOptions opts;

  bench_parse_options (argc, argv, &opts);

  bench_run_workload (&column, &opts);

  return 0;
}
