#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the public headers of tpx/:

- every public header is included by the umbrella header tpx.h;
- no public header includes a private one (*-private.h);
- every public header other than tpx.h refuses direct inclusion.

Prints TAP. Usage: check-headers.py SRCDIR/tpx
"""

import os
import re
import sys

tpx_dir = sys.argv[1]
include_re = re.compile(r'^\s*#\s*include\s+[<"]([^>"]+)[>"]', re.M)
guard_re = re.compile(r'#\s*error "Only <tpx/tpx.h> can be included directly."')

# Every public header the build installs is listed in tpx/meson.build.
with open(os.path.join(tpx_dir, 'meson.build'), encoding='utf-8') as f:
    build = f.read()
public_block = re.search(r"tpx_public_headers = files\((.*?)\)", build, re.S).group(1)
public = re.findall(r"'([^']+\.h)'", public_block)

with open(os.path.join(tpx_dir, 'tpx.h'), encoding='utf-8') as f:
    umbrella_includes = set(include_re.findall(f.read()))

checks = []
for header in sorted(public):
    with open(os.path.join(tpx_dir, header), encoding='utf-8') as f:
        text = f.read()
    includes = include_re.findall(text)
    private = [i for i in includes if i.endswith('-private.h')]
    checks.append((not private, f'{header} includes no private header {private or ""}'.rstrip()))
    if header == 'tpx.h':
        continue
    checks.append((header in umbrella_includes, f'tpx.h includes {header}'))
    checks.append((bool(guard_re.search(text)), f'{header} refuses direct inclusion'))

for generated in ('tpx-version.h', 'tpx-enum-types.h'):
    checks.append((generated in umbrella_includes, f'tpx.h includes {generated}'))

print(f'1..{len(checks)}')
failed = 0
for n, (ok, what) in enumerate(checks, 1):
    print(f'{"ok" if ok else "not ok"} {n} - {what}')
    failed += not ok
sys.exit(1 if failed else 0)
