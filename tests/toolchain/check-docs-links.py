#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the links of the API reference's gi-docgen configuration
(docs/Tpx.toml, generated from docs/Tpx.toml.in): its Website and Source
links name the repository given with -Ddocs-repository-url, and its links
from symbols to source lines the address given with -Ddocs-source-url;
without those options it has no such links at all, rather than links to an
address that may not exist.

1. The build under test, with whatever values its options have.
2. A scratch `meson setup` (no build) with both options set.

Prints TAP. Usage: check-docs-links.py MESON SRCDIR BUILDDIR WORKDIR
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

meson, source, build, work = sys.argv[1:5]
LINK_KEYS = ('browse_url', 'repository_url', 'website_url')
checks = []


def check(ok, what, details=()):
    checks.append(bool(ok))
    print(f'{"ok" if ok else "not ok"} {len(checks)} - {what}')
    if not ok:
        print('\n'.join('# ' + line for line in details))


def links(toml_path):
    """{key: value} of the link keys and of [source-location] base_url."""
    with open(toml_path, encoding='utf-8') as f:
        text = f.read()
    found = {}
    section = None
    for line in text.splitlines():
        header = re.match(r'\s*\[([^\]]+)\]\s*$', line)
        if header:
            section = header.group(1).strip()
            continue
        pair = re.match(r'\s*([A-Za-z_]+)\s*=\s*"([^"]*)"', line)
        if not pair:
            continue
        if section == 'library' and pair.group(1) in LINK_KEYS:
            found[pair.group(1)] = pair.group(2)
        elif section == 'source-location' and pair.group(1) == 'base_url':
            found['source-location'] = pair.group(2)
    return found, text


def expect(toml_path, repository, source_url, what):
    found, text = links(toml_path)
    wanted = {key: repository for key in LINK_KEYS} if repository else {}
    if source_url:
        wanted['source-location'] = source_url
    check(found == wanted, what, [f'found {found}', f'wanted {wanted}'])


def option(build_dir, name):
    result = subprocess.run([meson, 'introspect', '--buildoptions', build_dir],
                            capture_output=True, text=True)
    for entry in json.loads(result.stdout or '[]'):
        if entry['name'] == name:
            return entry['value']
    return None


repository, source_url = option(build, 'docs-repository-url'), option(build, 'docs-source-url')
expect(os.path.join(build, 'docs', 'Tpx.toml'), repository, source_url,
       'the build\'s Tpx.toml links to ' + (repository or 'no repository') + ' and to '
       + (source_url or 'no source'))

shutil.rmtree(work, ignore_errors=True)
env = {k: v for k, v in os.environ.items() if not k.startswith('MESON')}
repository, source_url = 'https://example.org/tpx', 'https://example.org/tpx/-/blob/main/'
command = [meson, 'setup', os.path.join(work, 'build'), source,
           f'-Ddocs-repository-url={repository}', f'-Ddocs-source-url={source_url}',
           '-Dintrospection=disabled', '-Dvapi=disabled', '-Dnls=disabled',
           '-Dtests=disabled', '-Dexamples=disabled']
result = subprocess.run(command, capture_output=True, text=True, env=env)
if result.returncode == 0:
    expect(os.path.join(work, 'build', 'docs', 'Tpx.toml'), repository, source_url,
           'with -Ddocs-repository-url and -Ddocs-source-url, Tpx.toml links to them')
else:
    check(False, 'meson setup with -Ddocs-repository-url and -Ddocs-source-url',
          [shlex.join(command)] + (result.stdout + result.stderr).splitlines()[-30:])
shutil.rmtree(work, ignore_errors=True)
print(f'1..{len(checks)}')
sys.exit(0 if all(checks) else 1)
