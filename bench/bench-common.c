/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bench-common.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *bench_empty_environ[] = { NULL };

static unsigned char *chunk;

static void
usage (void)
{
  fprintf (stderr,
           "usage: bench-COLUMN W1|W1h|W2|W3|W4[s|d]|W5|W6|W6e|W7|L1 [--n N] [--bytes B]\n"
           "       [--heap-mib M] [--seconds S] [--sleep-ms MS] [--pin-parent CPU]\n"
           "       [--pin-child CPU] [--socketpair] [--vmsplice] [--pipe-size B] [--close-fds]\n"
           "       [--tree-size N] [--kill-mode process|process-group|cgroup] [--vfunc] [--sync]\n"
           "       [--child PATH]\n");
  exit (2);
}

static void
set_defaults (BenchOptions *opts)
{
  opts->n = 2000;
  opts->bytes = 1LL << 30;
  opts->heap_mib = 0;
  opts->seconds = 20.0;
  opts->sleep_ms = 1000;
  opts->pin_parent = -1;
  opts->pin_child = -1;
  opts->pipe_size = 1024 * 1024;
  opts->tree_size = 50;
  opts->kill_mode = BENCH_KILL_PROCESS_GROUP;

  switch (opts->workload)
    {
    case BENCH_W1H:
      opts->heap_mib = 2048;
      opts->seconds = 10.0;
      break;
    case BENCH_W4:
      opts->n = 100000;
      break;
    case BENCH_W5:
    case BENCH_W6:
      opts->n = 1000;
      opts->seconds = 1.0;
      break;
    case BENCH_W6E:
      opts->seconds = 1.0;
      break;
    case BENCH_W7:
      opts->n = 50;
      break;
    case BENCH_L1:
      opts->bytes = 100 * 1000 * 1000;
      break;
    default:
      break;
    }
}

static void
find_child (BenchOptions *opts)
{
  char self[4096];
  ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);

  if (len < 0)
    bench_fail ("readlink /proc/self/exe: %s", strerror (errno));
  self[len] = '\0';
  snprintf (opts->child, sizeof opts->child, "%s/bench-child", dirname (self));
}

void
bench_parse_options (int            argc,
                     char         **argv,
                     BenchOptions  *opts)
{
  const char *name;

  memset (opts, 0, sizeof *opts);
  if (argc < 2)
    usage ();

  name = argv[1];
  opts->workload_name = name;
  if (strcmp (name, "W1") == 0)
    opts->workload = BENCH_W1;
  else if (strcmp (name, "W1h") == 0)
    opts->workload = BENCH_W1H;
  else if (strcmp (name, "W2") == 0)
    opts->workload = BENCH_W2;
  else if (strcmp (name, "W3") == 0)
    opts->workload = BENCH_W3;
  else if (strncmp (name, "W4", 2) == 0)
    opts->workload = BENCH_W4;
  else if (strcmp (name, "W5") == 0)
    opts->workload = BENCH_W5;
  else if (strcmp (name, "W6") == 0)
    opts->workload = BENCH_W6;
  else if (strcmp (name, "W6e") == 0)
    opts->workload = BENCH_W6E;
  else if (strcmp (name, "W7") == 0)
    opts->workload = BENCH_W7;
  else if (strcmp (name, "L1") == 0)
    opts->workload = BENCH_L1;
  else
    usage ();

  set_defaults (opts);
  find_child (opts);

  for (int i = 2; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value = i + 1 < argc ? argv[i + 1] : NULL;

      if (strcmp (arg, "--socketpair") == 0)
        {
          opts->socketpair = 1;
          continue;
        }
      if (strcmp (arg, "--vmsplice") == 0)
        {
          opts->vmsplice = 1;
          continue;
        }
      if (strcmp (arg, "--close-fds") == 0)
        {
          opts->close_fds = 1;
          continue;
        }
      if (strcmp (arg, "--vfunc") == 0)
        {
          opts->vfunc = 1;
          continue;
        }
      if (strcmp (arg, "--sync") == 0)
        {
          opts->sync = 1;
          continue;
        }
      if (value == NULL)
        usage ();
      i++;

      if (strcmp (arg, "--n") == 0)
        opts->n = atol (value);
      else if (strcmp (arg, "--bytes") == 0)
        opts->bytes = atoll (value);
      else if (strcmp (arg, "--heap-mib") == 0)
        opts->heap_mib = atol (value);
      else if (strcmp (arg, "--seconds") == 0)
        opts->seconds = atof (value);
      else if (strcmp (arg, "--sleep-ms") == 0)
        opts->sleep_ms = atol (value);
      else if (strcmp (arg, "--pipe-size") == 0)
        opts->pipe_size = atoi (value);
      else if (strcmp (arg, "--pin-parent") == 0)
        opts->pin_parent = atoi (value);
      else if (strcmp (arg, "--pin-child") == 0)
        opts->pin_child = atoi (value);
      else if (strcmp (arg, "--tree-size") == 0)
        opts->tree_size = atol (value);
      else if (strcmp (arg, "--kill-mode") == 0 && strcmp (value, "process") == 0)
        opts->kill_mode = BENCH_KILL_PROCESS;
      else if (strcmp (arg, "--kill-mode") == 0 && strcmp (value, "process-group") == 0)
        opts->kill_mode = BENCH_KILL_PROCESS_GROUP;
      else if (strcmp (arg, "--kill-mode") == 0 && strcmp (value, "cgroup") == 0)
        opts->kill_mode = BENCH_KILL_CGROUP;
      else if (strcmp (arg, "--child") == 0)
        snprintf (opts->child, sizeof opts->child, "%s", value);
      else
        usage ();
    }

  if (opts->n <= 0 || opts->bytes <= 0 || opts->seconds <= 0 || opts->tree_size <= 0)
    usage ();

  /* Pin before anything (GLib's worker thread, libuv's threads) starts, so
   * that every thread of the parent inherits the mask. */
  bench_pin_self (opts->pin_parent);
  bench_raise_nofile ();
}

char **
bench_child_argv (const BenchOptions *opts)
{
  static char arg1[64];
  static char *argv[4];

  argv[0] = (char *) opts->child;
  argv[1] = NULL;
  argv[2] = NULL;
  argv[3] = NULL;

  switch (opts->workload)
    {
    case BENCH_W1:
    case BENCH_W1H:
      argv[0] = (char *) "/bin/true";
      break;
    case BENCH_W2:
      argv[1] = (char *) "source";
      snprintf (arg1, sizeof arg1, "%lld", opts->bytes);
      argv[2] = arg1;
      break;
    case BENCH_W3:
      argv[1] = (char *) "sink";
      break;
    case BENCH_W4:
      argv[1] = (char *) "pong";
      snprintf (arg1, sizeof arg1, "%d", opts->pin_child);
      argv[2] = arg1;
      break;
    case BENCH_W5:
      argv[1] = (char *) "sleep";
      snprintf (arg1, sizeof arg1, "%ld", opts->sleep_ms);
      argv[2] = arg1;
      break;
    case BENCH_W6:
    case BENCH_W6E:
      argv[1] = (char *) "idle";
      break;
    case BENCH_W7:
      argv[1] = (char *) "tree";
      snprintf (arg1, sizeof arg1, "%ld", opts->tree_size);
      argv[2] = arg1;
      break;
    case BENCH_L1:
      argv[1] = (char *) "lines";
      snprintf (arg1, sizeof arg1, "%lld", opts->bytes);
      argv[2] = arg1;
      break;
    }

  return argv;
}

double
bench_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
bench_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

long
bench_rss_bytes (void)
{
  long size = 0, resident = 0;
  FILE *f = fopen ("/proc/self/statm", "r");

  if (f == NULL)
    bench_fail ("/proc/self/statm: %s", strerror (errno));
  if (fscanf (f, "%ld %ld", &size, &resident) != 2)
    bench_fail ("cannot parse /proc/self/statm");
  fclose (f);

  return resident * sysconf (_SC_PAGESIZE);
}

void
bench_touch_heap (long mib)
{
  size_t len = (size_t) mib << 20;
  long page = sysconf (_SC_PAGESIZE);
  unsigned char *heap;

  if (mib <= 0)
    return;

  /* An ordinary program's heap lives in small pages; keep transparent huge
   * pages out so that the page tables fork() copies are the usual size. */
  heap = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (heap == MAP_FAILED)
    bench_fail ("cannot map a %ld MiB heap: %s", mib, strerror (errno));
  madvise (heap, len, MADV_NOHUGEPAGE);
  for (size_t off = 0; off < len; off += page)
    heap[off] = (unsigned char) off | 1;
  /* Deliberately never unmapped: it is the parent's heap for the run. */
}

void
bench_pin_self (int cpu)
{
  cpu_set_t set;

  if (cpu < 0)
    return;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) != 0)
    bench_fail ("cannot pin to CPU %d: %s", cpu, strerror (errno));
}

void
bench_raise_nofile (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

void
bench_set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0)
    bench_fail ("fcntl O_NONBLOCK: %s", strerror (errno));
}

void
bench_report (const char *key,
              double      value,
              const char *unit)
{
  printf ("RESULT %s %.6g %s\n", key, value, unit);
  fflush (stdout);
}

void
bench_report_w5 (const BenchOptions *opts,
                 double              wall,
                 double              cpu,
                 long                rss_delta)
{
  /* A page is the smallest growth /proc can show. */
  double mib = (rss_delta > 4096 ? rss_delta : 4096) / 1048576.0;

  printf ("# %ld children: wall %.3f s, parent CPU %.3f s, RSS +%ld KiB (%.2f KiB/child)\n",
          opts->n, wall, cpu, rss_delta / 1024, rss_delta / 1024.0 / opts->n);
  bench_report ("W5", opts->n / wall, "children/s");
  bench_report ("W5cpu", opts->n / (cpu > 1e-6 ? cpu : 1e-6), "children/cpu-s");
  bench_report ("W5mem", opts->n / mib, "children/MiB");
}

void
bench_fail (const char *format,
            ...)
{
  va_list args;

  va_start (args, format);
  fputs ("bench: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
  exit (1);
}

void
bench_become_subreaper (void)
{
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) != 0)
    bench_fail ("PR_SET_CHILD_SUBREAPER: %s", strerror (errno));
}

void
bench_reap_children (long n,
                     int  signum)
{
  for (long i = 0; i < n; )
    {
      int status;

      if (waitpid (-1, &status, 0) > 0)
        {
          if (!WIFSIGNALED (status) || WTERMSIG (status) != signum)
            bench_fail ("a process of the tree did not die of signal %d (wait status %d)",
                        signum, status);
          i++;
        }
      else if (errno != EINTR)
        bench_fail ("waitpid: %s (%ld of %ld reaped)", strerror (errno), i, n);
    }
}

long long
bench_parse_count (const char *text,
                   size_t      len)
{
  long long value = 0;
  size_t i = 0;

  if (len == 0)
    return -1;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
    value = value * 10 + (text[i] - '0');
  if (i == 0 || i + 1 != len || text[i] != '\n')
    return -1;

  return value;
}

const unsigned char *
bench_chunk (void)
{
  if (chunk == NULL)
    {
      chunk = malloc (BENCH_CHUNK);
      if (chunk == NULL)
        bench_fail ("out of memory");
      for (size_t i = 0; i < BENCH_CHUNK; i++)
        chunk[i] = "0123456789"[i % 10];
    }

  return chunk;
}

const unsigned char *
bench_lines_block (size_t *len,
                   long   *n_lines)
{
  static unsigned char *block;
  static size_t block_len;
  static long block_lines;

  if (block == NULL)
    {
      unsigned int seed = 12345;
      size_t room = BENCH_CHUNK;

      block = malloc (room);
      if (block == NULL)
        bench_fail ("out of memory");

      /* Whole lines only, so that every write of the block ends one. */
      for (;;)
        {
          size_t line_len;

          seed = seed * 1103515245u + 12345u;
          line_len = 1 + (seed >> 16) % 79;
          if (block_len + line_len + 1 > room)
            break;
          for (size_t i = 0; i < line_len; i++)
            block[block_len + i] = (unsigned char) (' ' + 1 + (block_len + i) % 94);
          block[block_len + line_len] = '\n';
          block_len += line_len + 1;
          block_lines++;
        }
    }

  *len = block_len;
  *n_lines = block_lines;
  return block;
}

void
bench_report_l1 (const BenchOptions *opts,
                 double              elapsed,
                 long long           lines,
                 long long           line_bytes)
{
  size_t block_len;
  long block_lines;
  long long blocks;

  bench_lines_block (&block_len, &block_lines);
  blocks = (opts->bytes + (long long) block_len - 1) / (long long) block_len;

  if (lines != blocks * block_lines)
    bench_fail ("%lld lines, expected %lld", lines, blocks * block_lines);
  if (line_bytes != blocks * ((long long) block_len - block_lines))
    bench_fail ("%lld bytes of lines, expected %lld", line_bytes,
                blocks * ((long long) block_len - block_lines));

  printf ("# %lld lines, %.1f MB in %.3f s\n", lines, blocks * block_len / 1e6, elapsed);
  bench_report (opts->workload_name, lines / elapsed, "lines/s");
}

void
bench_run_workload (const BenchColumn  *column,
                    const BenchOptions *opts)
{
  BenchRunFunc run = NULL;

  switch (opts->workload)
    {
    case BENCH_W1:
    case BENCH_W1H:
      run = column->w1;
      break;
    case BENCH_W2:
      run = column->w2;
      break;
    case BENCH_W3:
      run = column->w3;
      break;
    case BENCH_W4:
      run = column->w4;
      break;
    case BENCH_W5:
      run = column->w5;
      break;
    case BENCH_W6:
      run = column->w6;
      break;
    case BENCH_W7:
      run = column->w7;
      break;
    case BENCH_L1:
      run = column->l1;
      break;
    default:
      break;
    }

  if (run == NULL)
    bench_fail ("the %s column has no %s", column->name, opts->workload_name);
  run (opts);
}
