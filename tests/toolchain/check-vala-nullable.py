#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that tpx-1.vapi declares the properties that can be NULL as
nullable (ProcessProtocol.transport, ProcessTransport.protocol and
ProcessTransport.status), so that Vala's null checks see them:

- the vapi declares them with a `?` type;
- under valac --enable-experimental-non-null, code that stores them in
  non-null variables is rejected, once for each, and code that handles
  NULL compiles.

Prints TAP. Usage: check-vala-nullable.py VALAC VAPIDIR
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile

valac, vapidir = sys.argv[1], sys.argv[2]
PROPERTIES = [('ProcessProtocol', 'transport', 'ProcessTransport'),
              ('ProcessTransport', 'protocol', 'ProcessProtocol'),
              ('ProcessTransport', 'status', 'ProcessStatus')]

CARELESS = '''
void use (Tpx.ProcessProtocol p, Tpx.ProcessTransport t) {
    Tpx.ProcessTransport a = p.transport;
    Tpx.ProcessProtocol b = t.protocol;
    Tpx.ProcessStatus c = t.status;
}
void main () {}
'''

CAREFUL = '''
void use (Tpx.ProcessProtocol p, Tpx.ProcessTransport t) {
    Tpx.ProcessTransport? a = p.transport;
    Tpx.ProcessProtocol? b = t.protocol;
    Tpx.ProcessStatus? c = t.status;
    if (a != null && b != null && c != null)
        print ("%d\\n", ((!) c).get_exit_code ());
}
void main () {}
'''

checks = []


def check(ok, what, details=()):
    checks.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(checks)} - {what}')
    if not ok:
        print('\n'.join('# ' + line for line in details))


with open(os.path.join(vapidir, 'tpx-1.vapi'), encoding='utf-8') as f:
    vapi = f.read()


def class_body(name):
    match = re.search(r'\bclass %s\b.*?\n\t}' % name, vapi, re.S)
    return match.group(0) if match else ''


for klass, prop, type_name in PROPERTIES:
    declared = re.search(r'public (\S+) %s \{' % prop, class_body(klass))
    check(declared and declared.group(1) == f'Tpx.{type_name}?',
          f'tpx-1.vapi declares {klass}.{prop} as Tpx.{type_name}?',
          [f'declared: {declared.group(0) if declared else None}'])


def compile_vala(code, tmp, name):
    source = os.path.join(tmp, name + '.vala')
    with open(source, 'w', encoding='utf-8') as f:
        f.write(code)
    command = [valac, '--enable-experimental-non-null', '-C', '--directory', tmp,
               '--vapidir', vapidir, '--pkg', 'tpx-1', '--pkg', 'gio-2.0', source]
    result = subprocess.run(command, capture_output=True, text=True)
    return result, [shlex.join(command)] + (result.stdout + result.stderr).splitlines()[-30:]


with tempfile.TemporaryDirectory() as tmp:
    result, details = compile_vala(CAREFUL, tmp, 'careful')
    check(result.returncode == 0, 'code that handles NULL compiles with --enable-experimental-non-null',
          details)
    result, details = compile_vala(CARELESS, tmp, 'careless')
    output = result.stdout + result.stderr
    for klass, prop, type_name in PROPERTIES:
        check(result.returncode != 0 and
              f"Cannot convert from `Tpx.{type_name}?' to `Tpx.{type_name}'" in output,
              f'storing {klass}.{prop} in a non-null variable is rejected', details)

print(f'1..{len(checks)}')
sys.exit(0 if all(checks) else 1)
