#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks where the PyGObject override is installed, and that an installed
tpx is usable from Python as docs/python.md tells.

1. In the build under test, Tpx.py is installed in the pygobject-override-dir
   option's folder, or by default in the gi/overrides folder of the python3
   that has PyGObject (where it is found without any setting).
2. Following docs/python.md: a build configured with --prefix=WORK/prefix
   and -Dpygobject-override-dir=WORK/prefix/lib/python3/gi/overrides is
   installed, then probe-override.py runs with only PATH, HOME,
   GI_TYPELIB_PATH, LD_LIBRARY_PATH and PYTHONPATH set, and must load both
   the typelib and the override from the prefix.

Prints TAP. Usage:
  check-python-install.py --meson MESON --python PYTHON --source SRCDIR
                          --build BUILDDIR --work WORKDIR
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

parser = argparse.ArgumentParser()
for name in ('meson', 'python', 'source', 'build', 'work'):
    parser.add_argument('--' + name, required=True)
args = parser.parse_args()

checks = []


def check(ok, what, details=()):
    checks.append((bool(ok), what))
    print(f'{"ok" if ok else "not ok"} {len(checks)} - {what}')
    if not ok:
        for line in details:
            print('# ' + line)
    return ok


def finish():
    print(f'1..{len(checks)}')
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


def run(command, env=None, cwd=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    lines = [shlex.join(command)] + (result.stdout + result.stderr).splitlines()
    return result, lines[-60:]


def introspect(build, what):
    result, _ = run([args.meson, 'introspect', what, build])
    return json.loads(result.stdout) if result.returncode == 0 else None


def option(build, name):
    for entry in introspect(build, '--buildoptions') or []:
        if entry['name'] == name:
            return entry['value']
    return None


override_source = os.path.join(args.source, 'tpx', 'overrides', 'Tpx.py')

# 1. The build under test.
installed = introspect(args.build, '--installed') or {}
destination = installed.get(override_source)
configured = option(args.build, 'pygobject-override-dir')
result, details = run([args.python, '-c', 'import gi; print(gi._overridesdir)'])
expected = configured or result.stdout.strip()
check(destination is not None and os.path.dirname(destination) == expected,
      f'Tpx.py is installed in {expected}' + ('' if configured else " (the python's gi/overrides)"),
      [f'it is installed as {destination}'])

# 2. Install into a prefix and import from there.
prefix = os.path.join(args.work, 'prefix')
build = os.path.join(args.work, 'build')
override_dir = os.path.join(prefix, 'lib', 'python3', 'gi', 'overrides')
shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)

# The meson run below must not see the variables meson test gave us.
build_env = {k: v for k, v in os.environ.items()
             if k not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH', 'PKG_CONFIG_PATH')
             and not k.startswith('MESON')}
result, details = run([args.meson, 'setup', build, args.source, '--prefix', prefix,
                       f'-Dpygobject-override-dir={override_dir}',
                       '-Dintrospection=enabled', '-Dtests=disabled', '-Dexamples=disabled',
                       '-Ddocs=disabled'], env=build_env)
if not check(result.returncode == 0, 'meson setup --prefix WORK/prefix -Dpygobject-override-dir=...', details):
    finish()
result, details = run([args.meson, 'install', '-C', build], env=build_env)
if not check(result.returncode == 0, 'meson install (builds, then installs into the prefix)', details):
    finish()
check(os.path.isfile(os.path.join(override_dir, 'Tpx.py')), 'Tpx.py is in WORK/prefix/lib/python3/gi/overrides')

libdir = os.path.join(prefix, option(build, 'libdir'))
user_env = {
    'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
    'HOME': os.environ.get('HOME', '/'),
    'GI_TYPELIB_PATH': os.path.join(libdir, 'girepository-1.0'),
    'LD_LIBRARY_PATH': libdir,
    'PYTHONPATH': os.path.join(prefix, 'lib', 'python3'),
}
result, details = run([args.python, os.path.join(os.path.dirname(__file__), 'probe-override.py'),
                       '--expect-under', prefix], env=user_env)
for line in result.stdout.splitlines():
    print('#   ' + line)
check(result.returncode == 0,
      'with only GI_TYPELIB_PATH, LD_LIBRARY_PATH and PYTHONPATH set, Python loads the installed Tpx and its override',
      details)
shutil.rmtree(args.work, ignore_errors=True)
finish()
