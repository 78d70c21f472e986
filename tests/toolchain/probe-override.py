#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Imports Tpx the way a user's program does and checks that the PyGObject
override came with it: without the override, Tpx.spawn_process is the C
function, a keyword call raises TypeError and env=None gives the child an
empty environment instead of this process's.

Prints TAP. Usage: probe-override.py [--expect-under DIR]
With --expect-under, the override module and the typelib must both have
been loaded from below DIR (an installed prefix, not the build tree).
"""

import argparse
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument('--expect-under')
args = parser.parse_args()

checks = []


def check(ok, what):
    checks.append((bool(ok), what))


def finish():
    print(f'1..{len(checks)}')
    for n, (ok, what) in enumerate(checks, 1):
        print(f'{"ok" if ok else "not ok"} {n} - {what}')
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


for name in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH'):
    print(f'# {name}={os.environ.get(name, "")}')

try:
    import gi
    gi.require_version('Tpx', '1')
    gi.require_version('GIRepository', '2.0')
    from gi.repository import GIRepository, GLib, Tpx
except Exception as e:  # an ImportError, or gi's ValueError for a missing typelib
    check(False, f'import Tpx: {type(e).__name__}: {e}')
    finish()

override = sys.modules.get('gi.overrides.Tpx')
check(override is not None, 'the gi.overrides.Tpx module was loaded with Tpx')
override_file = getattr(override, '__file__', '') or ''
typelib = GIRepository.Repository.get_default().get_typelib_path('Tpx') or ''
print(f'# override: {override_file}')
print(f'# typelib: {typelib}')
if args.expect_under:
    root = os.path.realpath(args.expect_under) + os.sep
    check(os.path.realpath(override_file).startswith(root), f'the override was loaded from {root}')
    check(os.path.realpath(typelib).startswith(root), f'the typelib was loaded from {root}')

os.environ['TPX_PROBE'] = 'inherited'
os.environ.pop('TPX_PROBE_UNSET', None)
loop = GLib.MainLoop()
result = {}


class Probe(Tpx.ProcessProtocol):
    def __init__(self):
        self.output = b''

    def outReceived(self, data):
        self.output += data

    def processEnded(self, reason):
        result['output'] = self.output
        loop.quit()


def timed_out():
    result['timeout'] = True
    loop.quit()
    return GLib.SOURCE_REMOVE


try:
    Tpx.spawn_process(Probe(), '/bin/sh',
                      args=['sh', '-c', 'printf %s "$TPX_PROBE"'], env=None)
except TypeError as e:
    check(False, f'Tpx.spawn_process takes keyword arguments (TypeError: {e})')
    finish()
check(True, 'Tpx.spawn_process takes keyword arguments')
timeout = GLib.timeout_add_seconds(20, timed_out)
loop.run()
if 'timeout' not in result:
    GLib.source_remove(timeout)
check('timeout' not in result, 'the child ended within 20 s')
check(result.get('output') == b'inherited',
      f'env=None passes this process\'s environment on (the child saw {result.get("output")!r})')
finish()
