/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The soak-length variants of test-reliability.c, in the `slow` suite:
 * 10,000 spawns through every success and failure path, 1 GiB through a
 * child and 1 GiB on each of stdout and stderr at once, a reader paused
 * for seconds, 1,000 live children, thousands of spawns from threads and
 * beside a thread that allocates. Run with
 *
 *   meson test -C _build --suite slow
 */

#define TPX_RELIABILITY_STRESS 1

#include "test-reliability.c"
