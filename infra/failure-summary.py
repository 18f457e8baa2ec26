#!/usr/bin/env python3
"""Prints, after a failed `make test`, what each failed test said: the checks that failed, its
other lines that name a failure and its closing lines, so the end of a long CI log says why
without the whole output of every test above it. Usage: failure-summary.py CTEST_JUNIT_XML"""
import re
import sys
import xml.etree.ElementTree as ET

CHECK_FAILED = re.compile(r"^(FAIL - |FAIL: |not ok\b)")  # check_lib.sh, unittest, TAP
FAILURE = re.compile(r"FAILED|not ok|check failed|Assertion|error:|Error:|ERROR|Traceback|Timeout|timed out",
                     re.IGNORECASE)
TAIL = 12
MATCHES = 12
WIDTH = 300


def summary(case):
    text = case.findtext("system-out") or ""
    lines = [l[:WIDTH] for l in text.splitlines() if l.strip()]
    checks = [l for l in lines if CHECK_FAILED.match(l)][:MATCHES]
    hits = [l for l in lines[:-TAIL] if FAILURE.search(l) and l not in checks][-MATCHES:]
    return checks, hits, lines[-TAIL:]


def main(junit):
    failed = [c for c in ET.parse(junit).getroot().iter("testcase")
              if c.get("status") == "fail" or c.find("failure") is not None]
    if not failed:
        return 0
    print("\n==== failed tests: %d (%s)" % (len(failed), ", ".join(c.get("name") for c in failed)))
    for case in failed:
        checks, hits, tail = summary(case)
        print("\n---- %s (%.1f s)" % (case.get("name"), float(case.get("time") or 0)))
        if checks:
            print("  checks that failed:")
            print("\n".join("    " + l for l in checks))
        if hits:
            print("  lines naming a failure:")
            print("\n".join("    " + l for l in hits))
        print("  last lines:")
        print("\n".join("    " + l for l in tail))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
