#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks the translations against the sources, as a TAP test.

- po/POTFILES.in lists exactly the files of tpx/ that hold a translatable
  message, sorted;
- every language of po/LINGUAS has a catalogue that msgfmt accepts (format
  strings included) and that translates every message xgettext extracts
  from those files now: none missing, untranslated or fuzzy.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# What meson's 'glib' preset gives xgettext.
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format',
    '--flag=NC_:2:pass-c-format', '--flag=g_dngettext:2:pass-c-format',
    '--flag=g_strdup_printf:1:c-format', '--flag=g_set_error:4:c-format',
]

MARKER = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|g_dpgettext2)\s*\(')


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, name, details=''):
        self.n += 1
        if not ok:
            self.failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        for line in details.strip().splitlines():
            print('# ' + line)

    def finish(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def read_list(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith('#')]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--xgettext', default='xgettext')
    parser.add_argument('--msgfmt', default='msgfmt')
    parser.add_argument('--msgcmp', default='msgcmp')
    parser.add_argument('srcdir')
    opts = parser.parse_args()

    tap = Tap()
    po_dir = os.path.join(opts.srcdir, 'po')
    potfiles = read_list(os.path.join(po_dir, 'POTFILES.in'))

    marked = []
    lib_dir = os.path.join(opts.srcdir, 'tpx')
    for name in sorted(os.listdir(lib_dir)):
        if not name.endswith('.c'):
            continue
        with open(os.path.join(lib_dir, name), encoding='utf-8') as f:
            if MARKER.search(f.read()):
                marked.append('tpx/' + name)

    tap.check(potfiles == sorted(potfiles), 'POTFILES.in is sorted')
    tap.check(set(potfiles) == set(marked),
              'POTFILES.in lists every file with translatable messages',
              'missing: %s\nneedless: %s' % (
                  ' '.join(sorted(set(marked) - set(potfiles))) or '-',
                  ' '.join(sorted(set(potfiles) - set(marked))) or '-'))

    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'tpx.pot')
        run = subprocess.run(
            [opts.xgettext, *XGETTEXT_ARGS, '--package-name=tpx',
             '--directory=' + opts.srcdir, '--output=' + pot, *potfiles],
            capture_output=True, text=True)
        tap.check(run.returncode == 0 and os.path.exists(pot),
                  'xgettext extracts the messages', run.stderr)
        if run.returncode != 0:
            return tap.finish()
        with open(pot, encoding='utf-8') as f:
            n_messages = f.read().count('\nmsgid ') - 1
        tap.check(n_messages > 0, 'the sources hold translatable messages',
                  '%d messages' % n_messages)

        languages = read_list(os.path.join(po_dir, 'LINGUAS'))
        tap.check(len(languages) > 0, 'LINGUAS names languages')
        for lang in languages:
            po = os.path.join(po_dir, lang + '.po')
            run = subprocess.run(
                [opts.msgfmt, '--check', '--statistics',
                 '--output-file=' + os.path.join(tmp, lang + '.mo'), po],
                capture_output=True, text=True)
            tap.check(run.returncode == 0,
                      '%s.po compiles and its format strings match' % lang,
                      run.stderr)
            # Untranslated and fuzzy entries of the catalogue count as
            # missing for msgcmp.
            run = subprocess.run([opts.msgcmp, po, pot],
                                 capture_output=True, text=True)
            tap.check(run.returncode == 0,
                      '%s.po translates every message of the sources' % lang,
                      run.stderr)

    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
