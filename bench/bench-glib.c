/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "glib" column: the W6 loop with nothing attached (W6e), the floor an
 * idle GLib main-loop iteration costs. W6 targets are ratios to it.
 */
#include "bench-common.h"

#include <glib.h>

int
main (int argc, char **argv)
{
  BenchOptions opts;
  long iterations = 0;
  double start, elapsed;

  bench_parse_options (argc, argv, &opts);
  if (opts.workload != BENCH_W6E)
    bench_fail ("the glib column has only W6e");

  while (g_main_context_iteration (NULL, FALSE))
    ;

  start = bench_now ();
  do
    {
      for (int i = 0; i < 256; i++)
        if (g_main_context_iteration (NULL, FALSE))
          bench_fail ("an empty main context dispatched something");
      iterations += 256;
      elapsed = bench_now () - start;
    }
  while (elapsed < opts.seconds);

  bench_report (opts.workload_name, iterations / elapsed, "iterations/s");
  return 0;
}
