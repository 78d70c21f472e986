#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the guide pages hold together, as a TAP test.

    check-guide.py SRCDIR

- every docs/*.md page is in content_files of docs/Tpx.toml.in, and every
  entry there exists;
- every page starts with a "Title:" line;
- every file of the source tree a page names (examples/wc.c, bench/run,
  tools/dev, ...) exists;
- every link from one page to another (page.html or page.html#anchor)
  names a page of the guide, and the anchor a heading of that page.
"""

import os
import re
import sys

TREE_PATH = re.compile(r'`((?:examples|bench|tools|tests|tpx|po|docs)/[A-Za-z0-9_./-]*[A-Za-z0-9_])`')
PAGE_LINK = re.compile(r'\]\(([a-z0-9-]+)\.html(?:#([a-z0-9-]+))?\)')
HEADING = re.compile(r'^#+\s+(.*?)\s*$', re.M)


def slug(title):
    """The anchor python-markdown's toc extension gives a heading."""
    text = re.sub(r'[`*_]', '', title).lower()
    text = re.sub(r'[^\w\s-]', '', text)
    return re.sub(r'[\s]+', '-', text.strip())


def main(argv):
    if len(argv) != 2:
        print('usage: %s SRCDIR' % argv[0], file=sys.stderr)
        return 2

    srcdir = argv[1]
    docs = os.path.join(srcdir, 'docs')
    with open(os.path.join(docs, 'Tpx.toml.in'), encoding='utf-8') as f:
        toml = f.read()
    listed = re.findall(r'"([^"]+\.md)"', toml.split('content_files', 1)[1])
    pages = sorted(name for name in os.listdir(docs) if name.endswith('.md'))

    n = 0
    failed = 0

    def check(ok, name, detail=''):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
        if not ok and detail:
            print('# ' + detail)

    check(set(listed) == set(pages), 'Tpx.toml.in lists every page',
          'not listed: %s; missing: %s' % (
              sorted(set(pages) - set(listed)) or '-',
              sorted(set(listed) - set(pages)) or '-'))

    texts = {}
    for page in pages:
        with open(os.path.join(docs, page), encoding='utf-8') as f:
            texts[page[:-3]] = f.read()

    for name, text in texts.items():
        check(text.startswith('Title: '), '%s.md starts with a Title' % name)

        paths = sorted(set(TREE_PATH.findall(text)))
        missing = [p for p in paths
                   if not os.path.exists(os.path.join(srcdir, p))]
        check(not missing, '%s.md names only files that exist' % name,
              'missing: %s' % ', '.join(missing))

        broken = []
        for target, anchor in PAGE_LINK.findall(text):
            if target not in texts:
                broken.append(target + '.html')
            elif anchor and anchor not in {slug(h) for h in
                                           HEADING.findall(texts[target])}:
                broken.append('%s.html#%s' % (target, anchor))
        check(not broken, '%s.md links only to pages and headings that exist'
              % name, 'broken: %s' % ', '.join(broken))

    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
