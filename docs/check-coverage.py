#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the public API in a GIR file is documented, as a TAP test.

    check-coverage.py Tpx-1.gir

Every class, record, enumeration, function, function macro, constant,
constructor, method, virtual method, signal and property must have a
<doc> and a version (from a `Since:` line); every enumeration member and
every parameter must have a <doc>, and so must a return value that is not
void. Class structures (which gi-docgen folds into their class) and entries
that only point to where a symbol moved are not checked themselves, but the
virtual methods they declare are.

One TAP line per symbol; the test fails if any symbol lacks something.
"""

import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
C = '{http://www.gtk.org/introspection/c/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'

TYPES = ('class', 'interface', 'record', 'union', 'enumeration', 'bitfield',
         'callback', 'alias')
CALLABLES = ('function', 'function-macro', 'constructor', 'method',
             'virtual-method', GLIB + 'signal', 'callback')
MEMBERS = ('constructor', 'method', 'function', 'virtual-method', 'property',
           GLIB + 'signal')


def tag(element):
    return element.tag.replace(CORE, '').replace(GLIB, 'glib:')


def has_doc(element):
    doc = element.find(CORE + 'doc')
    return doc is not None and (doc.text or '').strip() != ''


def callable_problems(element):
    problems = []
    params = element.find(CORE + 'parameters')
    if params is not None:
        for param in params:
            if param.tag not in (CORE + 'parameter',
                                 CORE + 'instance-parameter'):
                continue
            if not has_doc(param):
                problems.append('parameter "%s" has no doc'
                                % param.get('name'))
    retval = element.find(CORE + 'return-value')
    if retval is not None and not has_doc(retval):
        rtype = retval.find(CORE + 'type')
        if rtype is None or rtype.get('name') != 'none':
            problems.append('the return value has no doc')
    return problems


def symbol_problems(element, needs_version=True):
    problems = []
    if not has_doc(element):
        problems.append('no doc')
    if needs_version and element.get('version') is None:
        problems.append('no "Since:"')
    if element.tag in [CORE + t for t in CALLABLES] or \
       element.tag == GLIB + 'signal':
        problems.extend(callable_problems(element))
    return problems


def walk(namespace):
    """Yields (name, problems) for every symbol to check."""
    ns = namespace.get('name')
    for element in namespace:
        kind = tag(element)
        if element.get('moved-to') is not None:
            continue
        name = '%s.%s' % (ns, element.get('name'))

        if kind in ('function', 'function-macro', 'constant'):
            yield kind, name, symbol_problems(element)
            continue
        if kind not in TYPES:
            continue

        is_class_struct = element.get(GLIB + 'is-gtype-struct-for') is not None
        if not is_class_struct:
            yield kind, name, symbol_problems(element)

        for child in element:
            child_kind = tag(child)
            if child.get('moved-to') is not None:
                continue
            if child_kind == 'member':
                yield 'member', '%s.%s' % (name, child.get('name')), \
                    symbol_problems(child, needs_version=False)
            elif child_kind.replace('glib:', '') in MEMBERS:
                sep = {'property': ':', 'glib:signal': '::'}.get(child_kind, '.')
                yield child_kind, '%s%s%s' % (name, sep, child.get('name')), \
                    symbol_problems(child)


def main(argv):
    if len(argv) != 2:
        print('usage: %s FILE.gir' % argv[0], file=sys.stderr)
        return 2

    root = ET.parse(argv[1]).getroot()
    n = 0
    failed = 0
    for namespace in root.findall(CORE + 'namespace'):
        for kind, name, problems in walk(namespace):
            n += 1
            if problems:
                failed += 1
                print('not ok %d - %s %s: %s' % (n, kind, name,
                                                 '; '.join(problems)))
            else:
                print('ok %d - %s %s' % (n, kind, name))
    if n == 0:
        n += 1
        failed += 1
        print('not ok %d - the GIR declares no symbol' % n)
    print('1..%d' % n)
    if failed:
        print('# %d of %d symbols are not fully documented' % (failed, n))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
