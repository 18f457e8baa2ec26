#!/usr/bin/env python3
"""Fails `make test` when the suite shrank: every test ctest knows must have run (none skipped,
none "not run") and there must be at least as many as tests/min-test-count says, so a missing
dependency that drops tests from the build, or a test that skips itself, is an error rather than
a quieter green run. Usage: check-test-count.py CTEST_JUNIT_XML MIN_COUNT_FILE"""
import sys
import xml.etree.ElementTree as ET


def main(junit, min_file):
    cases = ET.parse(junit).getroot().iter("testcase")
    ran, not_run = 0, []
    for c in cases:
        if c.get("status") == "run":
            ran += 1
        else:
            not_run.append("%s (%s)" % (c.get("name"), c.get("status")))
    floor = int(open(min_file).read().split()[0])
    ok = True
    if not_run:
        print("check-test-count: %d test(s) did not run: %s" % (len(not_run), ", ".join(not_run)), file=sys.stderr)
        ok = False
    if ran < floor:
        print("check-test-count: %d tests ran, fewer than the %d of %s: a dependency is missing or tests "
              "were dropped from the build" % (ran, floor, min_file), file=sys.stderr)
        ok = False
    if ok:
        print("check-test-count: all %d tests ran (at least %d expected)" % (ran, floor))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
