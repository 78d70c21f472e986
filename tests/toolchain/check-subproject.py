#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds tests/toolchain/subproject-parent, a small library that uses tpx
as a meson subproject the way the README says (subprojects/tpx.wrap as
written there; subprojects/tpx is a link to this source tree, so nothing
is downloaded) and whose GIR includes Tpx-1. Then checks that:

- tpx's nls option yields to the parent's (no catalogues);
- the parent's GIR was made and includes Tpx-1 (without tpx's GIR among
  the dependency's sources: "Couldn't find include 'Tpx-1.gir'");
- the parent's `meson test` has the parent's test only: tpx's tests are
  not added to it, and its slow suite is not even with -Dtpx:tests=enabled.

Prints TAP. Usage: check-subproject.py MESON SRCDIR WORKDIR
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

meson, source, work = sys.argv[1:4]
template = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'subproject-parent')
parent = os.path.join(work, 'parent')
build = os.path.join(work, 'build')
checks = []


def check(ok, what, details=()):
    checks.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(checks)} - {what}')
    if not ok:
        print('\n'.join('# ' + line for line in details))
    return ok


def finish():
    print(f'1..{len(checks)}')
    if all(checks):
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if all(checks) else 1)


env = {k: v for k, v in os.environ.items()
       if k not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH', 'PKG_CONFIG_PATH')
       and not k.startswith('MESON')}


def run(command):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    return result, [shlex.join(command)] + (result.stdout + result.stderr).splitlines()[-40:]


# The wrap file of the README.
with open(os.path.join(source, 'README.md'), encoding='utf-8') as f:
    readme = f.read()
match = re.search(r'subprojects/tpx\.wrap.*?```ini\n(.*?)```', readme, re.S)
if not check(match, 'the README shows a subprojects/tpx.wrap'):
    finish()

shutil.rmtree(work, ignore_errors=True)
shutil.copytree(template, parent)
os.makedirs(os.path.join(parent, 'subprojects'))
os.symlink(os.path.realpath(source), os.path.join(parent, 'subprojects', 'tpx'))
with open(os.path.join(parent, 'subprojects', 'tpx.wrap'), 'w', encoding='utf-8') as f:
    f.write(match.group(1))

result, details = run([meson, 'setup', build, parent, '--wrap-mode=nodownload',
                       '--force-fallback-for=tpx-1'])
if not check(result.returncode == 0, 'the parent project configures with tpx as a subproject', details):
    finish()
result, details = run([meson, 'compile', '-C', build])
if not check(result.returncode == 0, 'the parent builds, its GIR included', details):
    finish()

catalogue = os.path.join(build, 'subprojects', 'tpx', 'po', 'de', 'LC_MESSAGES', 'tpx.mo')
check(not os.path.exists(catalogue), "tpx's nls option yields to the parent's (disabled there): no catalogues built")

gir = os.path.join(build, 'Parent-1.gir')
core = '{http://www.gtk.org/introspection/core/1.0}'
root = ET.parse(gir).getroot()
includes = {(i.get('name'), i.get('version')) for i in root.iter(core + 'include')}
check(('Tpx', '1') in includes, 'Parent-1.gir includes Tpx-1', [f'includes: {sorted(includes)}'])
types = {t.get('name') for t in root.iter(core + 'type')}
check('Tpx.ProcessLauncher' in types, 'Parent-1.gir refers to Tpx.ProcessLauncher', [f'types: {sorted(types)}'])

result, details = run([meson, 'test', '-C', build, '--list', '--no-rebuild'])
listed = [line.strip() for line in result.stdout.splitlines() if line.strip()]
if check(result.returncode == 0 and listed == ['parent'],
         "the parent's meson test has the parent's test only", details + [f'listed: {listed}']):
    result, details = run([meson, 'test', '-C', build, '--no-rebuild'])
    check(result.returncode == 0, "the parent's meson test passes", details)

# Asked for, tpx's tests join the parent's, but never the soak-length one.
result, details = run([meson, 'setup', '--reconfigure', build, parent, '-Dtpx:tests=enabled'])
if check(result.returncode == 0, 'the parent reconfigures with -Dtpx:tests=enabled', details):
    result, details = run([meson, 'test', '-C', build, '--list', '--no-rebuild'])
    listed = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    check(result.returncode == 0 and any(name.startswith('tpx:') for name in listed)
          and not any(name.endswith('/ stress') for name in listed),
          "then tpx's tests are listed, its slow suite is not", details)
finish()
