#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds and runs a program against the build tree through meson's
uninstalled pkg-config file, as a project next to tpx would:
`cc hello.c $(pkg-config --cflags --libs tpx-1-uninstalled)`.

Prints TAP. Usage: check-uninstalled-pc.py UNINSTALLED_PC_DIR VERSION CC [ARG...]
"""

import os
import shlex
import subprocess
import sys
import tempfile

PROGRAM = r'''
#include <tpx/tpx.h>

int
main (void)
{
  g_autoptr(TpxProcessLauncher) launcher = tpx_process_launcher_new ();

  g_print ("tpx %d.%d.%d\n", TPX_MAJOR_VERSION, TPX_MINOR_VERSION, TPX_MICRO_VERSION);
  return TPX_IS_PROCESS_LAUNCHER (launcher) ? 0 : 1;
}
'''

pc_dir, version, compiler = sys.argv[1], sys.argv[2], sys.argv[3:]
env = dict(os.environ)
env['PKG_CONFIG_PATH'] = os.pathsep.join(filter(None, [pc_dir, env.get('PKG_CONFIG_PATH')]))
checks = []


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, env=env, **kwargs)
    return result, [shlex.join(command)] + (result.stdout + result.stderr).splitlines()


def finish(failure_details=()):
    print(f'1..{len(checks)}')
    for n, (ok, what) in enumerate(checks, 1):
        print(f'{"ok" if ok else "not ok"} {n} - {what}')
    for line in failure_details:
        print('# ' + line)
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


result, details = run(['pkg-config', '--cflags', '--libs', 'tpx-1-uninstalled'])
checks.append((result.returncode == 0, 'pkg-config finds tpx-1-uninstalled'))
if result.returncode != 0:
    finish(details)
flags = shlex.split(result.stdout)
rpaths = [f'-Wl,-rpath,{flag[2:]}' for flag in flags if flag.startswith('-L')]

with tempfile.TemporaryDirectory() as tmp:
    source = os.path.join(tmp, 'hello.c')
    program = os.path.join(tmp, 'hello')
    with open(source, 'w', encoding='utf-8') as f:
        f.write(PROGRAM)
    result, details = run(compiler + [source, '-o', program] + flags + rpaths)
    checks.append((result.returncode == 0,
                   'a program with #include <tpx/tpx.h> builds with its Cflags and Libs'))
    if result.returncode != 0:
        finish(details)
    result, details = run([program])
    checks.append((result.returncode == 0 and result.stdout.strip() == f'tpx {version}',
                   f'it runs against the build tree\'s library and prints "tpx {version}"'))
    finish(details if not checks[-1][0] else ())
