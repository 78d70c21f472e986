# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs Twisted's own tests with `trial --reactor=tpx` and checks the result.

    run-trial.py --expected-failures FILE MODULE...

This is trial (its option parser, loader, runner and reporter) with one
addition, the thin adapter: Twisted's ReactorBuilder tests (for instance
twisted.internet.test.test_process) build their own reactors from a list of
reactor classes rather than use the installed one, so that list is set to
tpxreactor.TpxReactor alone before the test modules are loaded. The
modules' tests are otherwise untouched.

FILE names, one test id a line (with a `# why` comment), every test that
is expected to fail or error under tpx. The run passes iff the failing and
erroring tests are all listed. A listed test that passes is reported, and
does not fail the run. Listed tests get a short trial timeout: those that
fail by waiting for something only Twisted's own process code does would
otherwise hold the run for trial's default 120 seconds.
"""

import argparse
import os
import shutil
import sys
import tempfile

# Listed tests fail fast or hang; a passing one takes a second or two.
EXPECTED_FAILURE_TIMEOUT = 5


def read_expected_failures(path):
    """{test id: why} from @path."""
    listed = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            test_id, _, why = line.partition("#")
            test_id = test_id.strip()
            if not test_id:
                continue
            if not why.strip():
                sys.exit(f"{path}:{number}: {test_id} needs a '# why' comment")
            listed[test_id] = why.strip()
    return listed


def iterate_tests(suite):
    """Every test case of @suite, nested suites flattened."""
    try:
        children = iter(suite)
    except TypeError:
        yield suite
        return
    for child in children:
        yield from iterate_tests(child)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expected-failures", required=True)
    parser.add_argument("modules", nargs="+")
    options = parser.parse_args()
    listed = read_expected_failures(options.expected_failures)

    # The adapter: ReactorBuilder tests run on TpxReactor (and only on it).
    from twisted.internet.test import reactormixins

    reactormixins.ReactorBuilder._reactors = ["tpxreactor.TpxReactor"]

    from twisted.scripts import trial

    temp_dir = tempfile.mkdtemp(prefix="tpx-trial-")
    config = trial.Options()
    config.parseOptions(["--reactor=tpx",
                         "--temp-directory", os.path.join(temp_dir, "_trial_temp")]
                        + options.modules)

    from twisted.internet import reactor
    import tpxreactor

    if not isinstance(reactor, tpxreactor.TpxReactor):
        sys.exit(f"run-trial: --reactor=tpx installed {reactor!r}, "
                 "not a tpxreactor.TpxReactor")

    runner = trial._makeRunner(config)
    suite = trial._getSuite(config)
    ids = set()
    for test in iterate_tests(suite):
        ids.add(test.id())
        if test.id() in listed:
            test.timeout = EXPECTED_FAILURE_TIMEOUT

    try:
        result = runner.run(suite)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)

    failed = {}
    for test, failure in (list(result.errors) + list(result.failures)):
        failed.setdefault(test.id(), failure)
    for test in getattr(result, "unexpectedSuccesses", []):
        test = test[0] if isinstance(test, tuple) else test
        failed.setdefault(test.id(), "unexpected success")

    unexpected = sorted(set(failed) - set(listed))
    expected = sorted(set(failed) & set(listed))
    now_passing = sorted((set(listed) & ids) - set(failed))
    ran = result.testsRun

    print()
    print(f"run-trial: {ran} tests of {', '.join(options.modules)} on TpxReactor")
    print(f"run-trial: {len(expected)} failed as listed in "
          f"{os.path.basename(options.expected_failures)}")
    for test_id in now_passing:
        print(f"run-trial: listed, but PASSED now (remove it from the list?): {test_id}")
    for test_id in unexpected:
        print(f"run-trial: UNEXPECTED failure: {test_id}")
    if ids and ran == 0:
        print("run-trial: no test ran")
        return 1
    return 1 if unexpected or not ids else 0


if __name__ == "__main__":
    sys.exit(main())
