#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Type-checks gjs code against types/ as shipped, the way types/README.md
tells a gjs project to use it:

1. npm installs typescript and types/ (with its pinned @girs dependencies)
   into WORKDIR, a cache folder that is kept between runs;
2. tsc (strict) checks tests/toolchain/typescript/example.ts: unversioned
   gi://GLib imports, a protocol subclass, the output helpers with a
   callback and with await;
3. tsc checks the README's gjs example (JavaScript, checkJs);
4. gjs runs what tsc emitted for example.ts against the build tree.

Without npm, or when the npm registry cannot be reached and npm's cache
does not hold the packages, the test is skipped and says why.

Prints TAP. Usage:
  check-typescript.py --types DIR --readme README.md --example FILE.ts
                      --work WORKDIR [--gjs GJS]
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

TYPESCRIPT = '5.4.5'

parser = argparse.ArgumentParser()
parser.add_argument('--types', required=True)
parser.add_argument('--readme', required=True)
parser.add_argument('--example', required=True)
parser.add_argument('--work', required=True)
parser.add_argument('--gjs')
args = parser.parse_args()

npm = shutil.which('npm')
if not npm:
    print('1..0 # SKIP npm not found: install Node.js and npm to type-check types/')
    sys.exit(0)

checks = []


def check(ok, what, details=()):
    checks.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(checks)} - {what}')
    if not ok:
        print('\n'.join('# ' + line for line in details))
    return ok


def finish():
    print(f'1..{len(checks)}')
    sys.exit(0 if all(checks) else 1)


def run(command, timeout=300, env=None, cwd=None):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env=env, cwd=cwd or args.work)
    except subprocess.TimeoutExpired:
        return None, [shlex.join(command), f'(no answer within {timeout} s)']
    return result, [shlex.join(command)] + (result.stdout + result.stderr).splitlines()[-40:]


work = os.path.abspath(args.work)
os.makedirs(work, exist_ok=True)
with open(os.path.join(work, 'package.json'), 'w', encoding='utf-8') as f:
    json.dump({'private': True, 'type': 'module',
               'dependencies': {'typescript': TYPESCRIPT,
                                '@girs/tpx-1': 'file:' + os.path.abspath(args.types)}}, f, indent=2)
# The copy of types/ must be the current one.
shutil.rmtree(os.path.join(work, 'node_modules', '@girs', 'tpx-1'), ignore_errors=True)

npm_args = ['--install-links', '--no-audit', '--no-fund', '--no-update-notifier',
            '--loglevel=error', '--fetch-retries=1', '--fetch-timeout=60000']
result, details = run([npm, 'install', '--prefer-offline'] + npm_args)
if result is None or result.returncode != 0:
    ping, _ = run([npm, 'ping', '--fetch-timeout=20000', '--fetch-retries=0'], timeout=60)
    if ping is None or ping.returncode != 0:
        print('1..0 # SKIP the npm registry cannot be reached and npm\'s cache lacks '
              f'typescript {TYPESCRIPT} or the @girs packages')
        sys.exit(0)
if not check(result is not None and result.returncode == 0,
             f'npm installs typescript {TYPESCRIPT} and types/ with its dependencies', details):
    finish()

shutil.copy(args.example, os.path.join(work, 'example.ts'))
with open(args.readme, encoding='utf-8') as f:
    blocks = re.findall(r'^```js\n(.*?)^```', f.read(), re.S | re.M)
with open(os.path.join(work, 'readme.js'), 'w', encoding='utf-8') as f:
    f.write('\n'.join(blocks))

options = {
    'target': 'ES2022', 'module': 'ES2022', 'moduleResolution': 'bundler',
    'lib': ['ES2022'], 'strict': True, 'outDir': 'out',
    'types': ['@girs/gjs', '@girs/gjs/dom', '@girs/tpx-1'],
}
with open(os.path.join(work, 'tsconfig.json'), 'w', encoding='utf-8') as f:
    json.dump({'compilerOptions': options, 'files': ['example.ts']}, f, indent=2)
# Plain JavaScript, as a reader copies it: parameters without types are fine.
with open(os.path.join(work, 'tsconfig.readme.json'), 'w', encoding='utf-8') as f:
    json.dump({'compilerOptions': dict(options, allowJs=True, checkJs=True, noEmit=True,
                                       noImplicitAny=False),
               'files': ['readme.js']}, f, indent=2)

tsc = os.path.join(work, 'node_modules', '.bin', 'tsc')
result, details = run([tsc, '-p', 'tsconfig.json'])
check(result is not None and result.returncode == 0,
      'tsc --strict accepts example.ts (gi://GLib unversioned, callbacks, await)', details)
result, details = run([tsc, '-p', 'tsconfig.readme.json'])
check(blocks and result is not None and result.returncode == 0,
      f"tsc accepts the README's gjs example ({len(blocks)} block)", details)

if not args.gjs:
    print(f'ok {len(checks) + 1} - gjs runs the compiled example # SKIP gjs not found')
    checks.append(True)
elif os.path.exists(os.path.join(work, 'out', 'example.js')):
    result, details = run([args.gjs, '-m', os.path.join(work, 'out', 'example.js')], timeout=60)
    check(result is not None and result.returncode == 0 and result.stdout.count('ok - ') == 5,
          'gjs runs the compiled example against the build tree (5 checks)', details)
else:
    check(False, 'gjs runs the compiled example: tsc emitted nothing')
finish()
