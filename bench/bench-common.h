/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by every benchmark column program. Plain C on purpose: the raw and
 * libuv columns must not pull in GLib.
 *
 * Every column program is invoked as
 *
 *   bench-COLUMN WORKLOAD [--n N] [--bytes B] [--heap-mib M] [--seconds S]
 *                         [--pin-parent CPU] [--pin-child CPU]
 *                         [--tree-size N] [--kill-mode MODE] [...]
 *
 * and prints one line per measured quantity on stdout:
 *
 *   RESULT <key> <value> <unit>
 *
 * where every value is a rate (higher is better). Anything else it prints
 * is commentary for humans. A failed check exits non-zero.
 */

#include <stddef.h>
#include <sys/types.h>

/* Chunk the W2 source writes and the W3 producers write. */
#define BENCH_CHUNK (1024 * 1024)
/* Read buffer of the event-loop peers (GSubprocess, g_spawn, libuv). */
#define BENCH_PEER_READ (256 * 1024)
/* How many chunks a producer keeps queued ahead in W3. */
#define BENCH_WINDOW 4
/* The W4 message size. */
#define BENCH_PING 64

typedef enum {
  BENCH_W1,     /* spawn + end of /bin/true, 3 pipes, one at a time */
  BENCH_W1H,    /* the same with a large touched parent heap */
  BENCH_W2,     /* bytes from the child's stdout */
  BENCH_W3,     /* bytes into the child's stdin */
  BENCH_W4,     /* 64-byte ping-pong */
  BENCH_W5,     /* many live children, each sleeping */
  BENCH_W6,     /* one idle main-loop iteration with many children watched */
  BENCH_W6E,    /* one idle main-loop iteration with nothing watched */
  BENCH_W7,     /* stop a tree of processes: signal to the end */
  BENCH_L1,     /* the child's stdout read as lines */
} BenchWorkload;

/* W7: what the tpx column's stop() reaches (TpxKillMode's order). */
typedef enum {
  BENCH_KILL_PROCESS,
  BENCH_KILL_PROCESS_GROUP,
  BENCH_KILL_CGROUP,
} BenchKillMode;

typedef struct
{
  BenchWorkload workload;
  const char   *workload_name;  /* as given, used as the result key */
  long          n;              /* iterations, round trips or children */
  long long     bytes;          /* W2, W3 */
  long          heap_mib;       /* W1h */
  double        seconds;        /* time cap (W1) or measuring time (W6) */
  long          sleep_ms;       /* W5: how long each child lives */
  int           pin_parent;     /* -1: not pinned */
  int           pin_child;      /* -1: not pinned */
  int           socketpair;     /* raw, tpx W2/W3: socketpairs, not pipes */
  int           vmsplice;       /* raw W3: vmsplice() instead of write() */
  int           pipe_size;      /* raw W2/W3: F_SETPIPE_SZ of the bulk pipe */
  int           close_fds;      /* g_spawn: let GLib close fds (fork path) */
  int           vfunc;          /* tpx L1: a line_received override, not a handler */
  int           sync;           /* gsubprocess L1: blocking reads, no main loop */
  long          tree_size;      /* W7: processes per tree, the child included */
  BenchKillMode kill_mode;      /* W7, tpx: --kill-mode process|process-group|cgroup */
  char          child[4096];    /* path of bench-child */
} BenchOptions;

/* One column's program: a function per workload (NULL where it has none). */
typedef void (*BenchRunFunc) (const BenchOptions *opts);

typedef struct
{
  const char  *name;
  BenchRunFunc w1;      /* W1 and W1h */
  BenchRunFunc w2;
  BenchRunFunc w3;
  BenchRunFunc w4;
  BenchRunFunc w5;
  BenchRunFunc w6;
  BenchRunFunc w7;
  BenchRunFunc l1;
} BenchColumn;

/* Runs the workload @opts names, or fails when @column has none. */
void         bench_run_workload  (const BenchColumn  *column,
                                  const BenchOptions *opts);

void         bench_parse_options (int            argc,
                                  char         **argv,
                                  BenchOptions  *opts);

/* The child's argv for one workload (static storage, NULL-terminated). */
char       **bench_child_argv    (const BenchOptions *opts);

/* An empty environment, as tpx gives by default. */
extern char *bench_empty_environ[];

double       bench_now           (void);   /* monotonic seconds */
double       bench_cpu_seconds   (void);   /* this process, user + system */
long         bench_rss_bytes     (void);   /* resident set size now */

void         bench_touch_heap    (long mib);
void         bench_pin_self      (int cpu);
void         bench_raise_nofile  (void);
void         bench_set_nonblocking (int fd);

/* Reports a rate; printed as a RESULT line. */
void         bench_report        (const char *key,
                                  double      value,
                                  const char *unit);
/* Reports the W5 triple from one run. */
void         bench_report_w5     (const BenchOptions *opts,
                                  double              wall,
                                  double              cpu,
                                  long                rss_delta);

/* Prints the message and exits with status 1. */
void         bench_fail          (const char *format,
                                  ...) __attribute__ ((format (printf, 1, 2), noreturn));

/* W7: makes this process a child subreaper, so that the processes of a
 * tree come back to it when their parent dies and can be reaped. */
void         bench_become_subreaper (void);
/* W7: reaps @n children (orphans that came back to us), blocking, and
 * fails unless each died of @signum. */
void         bench_reap_children (long n,
                                  int  signum);

/* Parses the decimal byte count that `bench-child sink` prints. */
long long    bench_parse_count   (const char *text,
                                  size_t      len);

/* The 1 MiB chunk every producer writes from (never freed). */
const unsigned char *bench_chunk (void);

/* L1: a block of whole short lines (1 to 79 bytes and a '\n', about 40 on
 * average) that `bench-child lines BYTES` writes over and over until it
 * has written at least BYTES; never freed. */
const unsigned char *bench_lines_block (size_t *len,
                                        long   *n_lines);
/* Checks what an L1 reader counted (lines, and the bytes of the lines
 * without their '\n') and reports lines per second. */
void         bench_report_l1     (const BenchOptions *opts,
                                  double              elapsed,
                                  long long           lines,
                                  long long           line_bytes);
