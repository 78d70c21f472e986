/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The child side of the benchmarks, one program with modes (plain libc):
 *
 *   source BYTES  write BYTES to stdout in 1 MiB writes, then exit
 *   sink          read stdin to EOF in 1 MiB reads, print the count + "\n"
 *   pong CPU      pin to CPU (unless -1), then echo every 64-byte message
 *                 from stdin to stdout until EOF
 *   sleep MS      sleep MS milliseconds, then exit
 *   idle          read stdin until EOF, then exit
 *   tree N        fork N - 1 sleepers, say "ready" on stdout, and sleep;
 *                 every process of the tree sleeps until a signal ends it
 *                 and keeps stdout and stderr open
 *   lines BYTES   write bench_lines_block() to stdout until at least BYTES
 *                 are written (whole blocks), then exit
 */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"

#define CHUNK (1024 * 1024)
#define PING 64

static unsigned char buffer[CHUNK];

static void
die (const char *what)
{
  fprintf (stderr, "bench-child: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
write_all (int fd, const unsigned char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("write");
        }
      data += n;
      len -= n;
    }
}

/* Reads exactly @len bytes; returns 0 on EOF before the first byte. */
static int
read_exactly (int fd, unsigned char *data, size_t len)
{
  size_t got = 0;

  while (got < len)
    {
      ssize_t n = read (fd, data + got, len - got);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("read");
        }
      if (n == 0)
        {
          if (got == 0)
            return 0;
          fprintf (stderr, "bench-child: EOF inside a message\n");
          exit (1);
        }
      got += n;
    }

  return 1;
}

static int
do_source (long long bytes)
{
  for (size_t i = 0; i < CHUNK; i++)
    buffer[i] = "0123456789"[i % 10];

  while (bytes > 0)
    {
      size_t len = bytes < CHUNK ? (size_t) bytes : CHUNK;

      write_all (1, buffer, len);
      bytes -= len;
    }

  return 0;
}

static int
do_lines (long long bytes)
{
  size_t len;
  long n_lines;
  const unsigned char *block = bench_lines_block (&len, &n_lines);

  while (bytes > 0)
    {
      write_all (1, block, len);
      bytes -= (long long) len;
    }

  return 0;
}

static long long
drain_stdin (void)
{
  long long total = 0;

  for (;;)
    {
      ssize_t n = read (0, buffer, CHUNK);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("read");
        }
      if (n == 0)
        return total;
      total += n;
    }
}

static int
do_sink (void)
{
  char text[32];
  int len = snprintf (text, sizeof text, "%lld\n", drain_stdin ());

  write_all (1, (unsigned char *) text, len);
  return 0;
}

static int
do_pong (int cpu)
{
  unsigned char message[PING];

  if (cpu >= 0)
    {
      cpu_set_t set;

      CPU_ZERO (&set);
      CPU_SET (cpu, &set);
      if (sched_setaffinity (0, sizeof set, &set) != 0)
        die ("sched_setaffinity");
    }

  while (read_exactly (0, message, PING))
    write_all (1, message, PING);

  return 0;
}

static int
do_sleep (long ms)
{
  struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&left, &left) != 0)
    if (errno != EINTR)
      die ("nanosleep");

  return 0;
}

static void __attribute__ ((noreturn))
do_tree (long n)
{
  for (long i = 1; i < n; i++)
    {
      pid_t pid = fork ();

      if (pid < 0)
        die ("fork");
      if (pid == 0)
        for (;;)
          pause ();
    }

  write_all (1, (const unsigned char *) "ready\n", 6);
  for (;;)
    pause ();
}

int
main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";

  if (strcmp (mode, "source") == 0 && argc == 3)
    return do_source (atoll (argv[2]));
  if (strcmp (mode, "sink") == 0)
    return do_sink ();
  if (strcmp (mode, "pong") == 0 && argc == 3)
    return do_pong (atoi (argv[2]));
  if (strcmp (mode, "sleep") == 0 && argc == 3)
    return do_sleep (atol (argv[2]));
  if (strcmp (mode, "lines") == 0 && argc == 3)
    return do_lines (atoll (argv[2]));
  if (strcmp (mode, "tree") == 0 && argc == 3)
    do_tree (atol (argv[2]));
  if (strcmp (mode, "idle") == 0)
    {
      drain_stdin ();
      return 0;
    }

  fprintf (stderr, "usage: bench-child source BYTES | sink | pong CPU | sleep MS | idle | tree N | lines BYTES\n");
  return 2;
}
