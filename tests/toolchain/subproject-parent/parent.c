/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parent.h"

/**
 * parent_launcher_new:
 * @cwd: (type filename): the working directory of the children
 *
 * A launcher whose children start in @cwd.
 *
 * Returns: (transfer full): a new [class@Tpx.ProcessLauncher]
 */
TpxProcessLauncher *
parent_launcher_new (const char *cwd)
{
  TpxProcessLauncher *launcher = tpx_process_launcher_new ();

  tpx_process_launcher_set_cwd (launcher, cwd);
  return launcher;
}
