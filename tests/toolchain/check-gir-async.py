#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that every *_async function of a GIR hands its callback to the
bindings the way GIO's own GIR does.

The callback parameter has `scope="async"` and a `closure` attribute naming
the user_data parameter; the user_data parameter itself has no `closure`
attribute. A `(closure callback)` annotation on @user_data puts
`closure="<callback>"` on the data parameter instead, and then generators
such as ts-for-gir take the callback for closure data and drop it: the
TypeScript declarations lose both the callback and the Promise overload.

Prints TAP. Usage: check-gir-async.py Tpx-1.gir
"""

import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
C = '{http://www.gtk.org/introspection/c/1.0}'

tree = ET.parse(sys.argv[1])
checks = []
for element in tree.iter():
    if element.tag not in (CORE + 'function', CORE + 'method'):
        continue
    name = element.get(C + 'identifier')
    if not name or not name.endswith('_async'):
        continue
    parameters = element.find(CORE + 'parameters')
    params = parameters.findall(CORE + 'parameter') if parameters is not None else []
    callbacks = [i for i, p in enumerate(params) if p.get('scope') == 'async']
    checks.append((len(callbacks) == 1, f'{name} has one scope=async callback'))
    if len(callbacks) != 1:
        continue
    callback = params[callbacks[0]]
    closure = callback.get('closure')
    checks.append((closure is not None and closure.isdigit() and int(closure) < len(params),
                   f'{name}: the callback names its user_data (closure="{closure}")'))
    pointing_back = [p.get('name') for p in params
                     if p is not callback and p.get('closure') == str(callbacks[0])]
    checks.append((not pointing_back,
                   f'{name}: no parameter claims the callback as its closure {pointing_back or ""}'.rstrip()))

if not checks:
    print('1..0 # SKIP no *_async function in the GIR')
    sys.exit(0)
print(f'1..{len(checks)}')
failed = 0
for n, (ok, what) in enumerate(checks, 1):
    print(f'{"ok" if ok else "not ok"} {n} - {what}')
    failed += not ok
sys.exit(1 if failed else 0)
