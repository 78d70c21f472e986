#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compiles a program that includes <tpx/tpx.h> under strict language
standards: C99 and C11 (and C++11 when a C++ compiler is given), each with
-Wall -Wextra -Wpedantic -Werror, the way a user's project may build. GLib's
own headers pass these; a construct they reject in tpx's headers (a typedef
repeated, a C11-only feature) fails the check with the compiler's message.

Prints TAP. Usage:
  check-header-standards.py --cc CC [--cc ARG...] [--cxx CXX] -I DIR...
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile

PROGRAM = r'''
#include <tpx/tpx.h>

#if !TPX_CHECK_VERSION (1, 0, 0)
# error "TPX_CHECK_VERSION is wrong"
#endif

static void
connection_made (TpxProcessProtocol  *protocol,
                 TpxProcessTransport *transport)
{
  (void) protocol;
  (void) transport;
}

int
main (void)
{
  TpxProcessLauncher *launcher = tpx_process_launcher_new ();
  TpxProcessProtocolClass *klass = NULL;
  TpxChildFdKind kind = TPX_CHILD_FD_READ;
  TpxOutputFlags flags = TPX_OUTPUT_FLAGS_NONE;
  GType types[] = {
    TPX_TYPE_PROCESS_LAUNCHER,
    TPX_TYPE_PROCESS_PROTOCOL,
    TPX_TYPE_PROCESS_TRANSPORT,
    TPX_TYPE_PROCESS_STATUS,
  };

  (void) klass;
  (void) connection_made;
  g_object_unref (launcher);
  return (int) kind + (int) flags + (types[0] == G_TYPE_INVALID);
}
'''

parser = argparse.ArgumentParser()
parser.add_argument('--cc', action='append', required=True)
parser.add_argument('--cxx')
parser.add_argument('-I', dest='includes', action='append', default=[])
args = parser.parse_args()

try:
    glib_cflags = shlex.split(subprocess.run(['pkg-config', '--cflags', 'gio-2.0'], check=True,
                                             capture_output=True, text=True).stdout)
except (OSError, subprocess.CalledProcessError) as e:
    print(f'1..0 # SKIP pkg-config --cflags gio-2.0 failed: {e}')
    sys.exit(0)

warnings = ['-Wall', '-Wextra', '-Wpedantic', '-Werror']
includes = [f'-I{d}' for d in args.includes]
runs = [(args.cc, 'c', std) for std in ('c99', 'c11')]
if args.cxx:
    runs.append(([args.cxx], 'c++', 'c++11'))

print(f'1..{len(runs) + (0 if args.cxx else 1)}')
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    source = os.path.join(tmp, 'headers.c')
    with open(source, 'w', encoding='utf-8') as f:
        f.write(PROGRAM)
    for n, (compiler, language, std) in enumerate(runs, 1):
        command = compiler + ['-x', language, f'-std={std}'] + warnings + includes + glib_cflags + \
            ['-c', source, '-o', os.path.join(tmp, 'headers.o')]
        result = subprocess.run(command, capture_output=True, text=True)
        ok = result.returncode == 0
        print(f'{"ok" if ok else "not ok"} {n} - <tpx/tpx.h> under -std={std} {" ".join(warnings)}')
        if not ok:
            failed += 1
            details = [shlex.join(command)] + (result.stdout + result.stderr).splitlines()
            print('\n'.join('# ' + line for line in details[:40]))
    if not args.cxx:
        print(f'ok {len(runs) + 1} - C++11 # SKIP no C++ compiler found')
sys.exit(1 if failed else 0)
