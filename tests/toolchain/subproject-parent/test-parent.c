/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "parent.h"

int
main (void)
{
  g_autoptr(TpxProcessLauncher) launcher = parent_launcher_new ("/");

  return TPX_IS_PROCESS_LAUNCHER (launcher) ? 0 : 1;
}
