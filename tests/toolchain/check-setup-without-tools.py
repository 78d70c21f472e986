#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Configures tpx as on a machine without valgrind, and without gettext's
tools: `meson setup` runs with a PATH of links to every program of the
real PATH but those. It must succeed without valgrind (no valgrind test
setup then), and without gettext both with the tests on and with
-Dtests=false (no message catalogues then); -Dnls=enabled must fail
without gettext, naming msgfmt.

Prints TAP. Usage: check-setup-without-tools.py MESON SRCDIR WORKDIR
"""

import os
import shlex
import shutil
import subprocess
import sys

meson, source, work = sys.argv[1:4]
GETTEXT = {'msgfmt', 'msgmerge', 'xgettext', 'msginit', 'msgcmp', 'msgcat', 'msguniq',
           'msgattrib', 'msgconv', 'msgen', 'msgexec', 'msgfilter', 'msggrep', 'msgcomm',
           'msgunfmt', 'gettextize', 'autopoint'}


def path_without(name, hidden):
    """A folder of links to the programs of PATH, less @hidden and valgrind*."""
    bin_dir = os.path.join(work, name)
    os.makedirs(bin_dir)
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for program in os.listdir(directory):
            target = os.path.join(bin_dir, program)
            if program in hidden or program.startswith('valgrind') or os.path.lexists(target):
                continue
            path = os.path.join(directory, program)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                os.symlink(path, target)
    for program in ['valgrind'] + sorted(hidden):
        if shutil.which(program, path=bin_dir):
            print(f'Bail out! could not hide {program} from the PATH')
            sys.exit(1)
    return bin_dir


shutil.rmtree(work, ignore_errors=True)
no_valgrind = path_without('bin-no-valgrind', set())
no_gettext = path_without('bin-no-gettext', GETTEXT)

env = {k: v for k, v in os.environ.items()
       if k not in ('PYTHONPATH', 'GI_TYPELIB_PATH', 'LD_LIBRARY_PATH', 'PKG_CONFIG_PATH')
       and not k.startswith('MESON')}

# (PATH, options, should succeed, what, text the output must hold)
runs = [
    (no_valgrind, [], True, 'meson setup (tests on) succeeds without valgrind',
     'Program valgrind found: NO'),
    (no_gettext, ['-Dtests=false'], True, 'meson setup -Dtests=false succeeds without gettext',
     'Program msgfmt found: NO'),
    (no_gettext, [], True, 'meson setup (tests on) succeeds without gettext and valgrind',
     'Program msgfmt found: NO'),
    (no_gettext, ['-Dnls=enabled'], False, 'meson setup -Dnls=enabled fails without gettext, naming msgfmt',
     'msgfmt'),
]
print(f'1..{len(runs)}')
failed = 0
for n, (bin_dir, options, should_pass, what, expected) in enumerate(runs, 1):
    build = os.path.join(work, f'build-{n}')
    command = [meson, 'setup', build, source, '-Dintrospection=disabled'] + options
    result = subprocess.run(command, capture_output=True, text=True, env=dict(env, PATH=bin_dir))
    output = result.stdout + result.stderr
    if should_pass:
        ok = result.returncode == 0 and expected in output
    else:
        ok = result.returncode != 0 and expected in output.split('ERROR', 1)[-1]
    print(f'{"ok" if ok else "not ok"} {n} - {what}')
    if not ok:
        failed += 1
        print('\n'.join('# ' + line for line in [f'PATH={bin_dir}', shlex.join(command)]
                         + output.splitlines()[-30:]))
    shutil.rmtree(build, ignore_errors=True)
shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
