#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the shared library's file version follows the project
version the way GLib's and json-glib's do, and that the SONAME stays
libtpx-1.so.0.

Prints TAP. Usage: check-library-version.py LIBRARY PROJECT_VERSION
"""

import os
import subprocess
import sys

library, project_version = sys.argv[1], sys.argv[2]
major, minor, micro = (int(part) for part in project_version.split('.')[:3])
interface_age = 0 if minor % 2 == 1 else micro
expected = f'0.{100 * minor + micro - interface_age}.{interface_age}'

name = os.path.basename(library)
checks = [(name == f'libtpx-1.so.{expected}',
           f'{name} is libtpx-1.so.{expected} for tpx {project_version}')]

try:
    dynamic = subprocess.run(['readelf', '--dynamic', library], check=True,
                             capture_output=True, text=True).stdout
    checks.append(('Library soname: [libtpx-1.so.0]' in dynamic, 'the SONAME is libtpx-1.so.0'))
except (OSError, subprocess.CalledProcessError) as e:
    checks.append((None, f'the SONAME is libtpx-1.so.0 # SKIP readelf failed: {e}'))

print(f'1..{len(checks)}')
failed = 0
for n, (ok, what) in enumerate(checks, 1):
    print(f'{"not ok" if ok is False else "ok"} {n} - {what}')
    failed += ok is False
sys.exit(1 if failed else 0)
