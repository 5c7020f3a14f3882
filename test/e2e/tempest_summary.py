#!/usr/bin/python3
"""Summarise a Tempest run for test/e2e/tempest.sh.

Reads the run's subunit v2 stream on stdin (`stestr last --subunit`) and the
list of test ids that were selected (`tempest run --list-tests`, argv[1]);
prints each failing test with the last lines of its traceback and, when
tempest.log is given (argv[3]), the last HTTP request of that test that got
an error (else its last request), with the bodies sent and received; then
the skip reasons, the pass rate among non-skipped tests and, as the very last line,
`N passed, M failed, K skipped`. Exits 1 when the pass rate is below
argv[2] percent (or nothing ran at all).

Counting is per test, not per subunit entry: when a class's setUpClass fails
(or skips), unittest reports one `setUpClass (module.Class)` entry and never
runs the class's tests; each of those selected tests is counted as failed
(or skipped). A selected test with no result at all (a worker that died)
counts as failed. A failing tearDownClass counts as one more failure.

Run with Debian's interpreter (/usr/bin/python3): it needs python3-subunit
and python3-testtools, which Debian's tempest package depends on.
"""
import re
import sys

import subunit
import testtools

ATTRS = re.compile(r"\[[^\]]*\]$")
CLASS_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((.+)\)$")
GOOD = {"success", "xfail"}
BAD = {"fail", "uxsuccess"}


def class_of(test_id):
    return ATTRS.sub("", test_id).rsplit(".", 1)[0]


def last_lines(test, n=3, width=400):
    """The last non-empty lines of a test's traceback (its exception)."""
    details = test.get("details") or {}
    text = ""
    for key in ("traceback", "reason"):
        if key in details:
            try:
                text = details[key].as_text()
            except Exception:  # undecodable detail: show nothing rather than die
                text = ""
            break
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return [line[:width] for line in lines[-n:]]


REQUEST = re.compile(r"\[(req-[0-9a-f-]+) .*Request \((\w+):(\w+)\): (\d{3}) (\w+) (\S+)")
HEADERS = re.compile(r"\[(req-[0-9a-f-]+) .*Request - Headers:")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def requests_by_test(log_path):
    """{(class name, method): [call]} from tempest.log, each call a dict with
    status, verb, url, sent (request body) and body (response body).

    tempest's rest_client logs `[req-… ] Request (Class:method): 404 GET url`
    at INFO, then (debug on) a DEBUG record for the same request id whose
    continuation lines hold `Body:` of the request, then of the response.
    Two workers write the same file, so records are matched by request id."""
    found = {}
    by_req = {}
    current = None  # the call whose DEBUG record we are reading
    bodies = 0
    try:
        f = open(log_path, errors="replace")
    except OSError:
        return found
    with f:
        for line in f:
            if LOG_LINE.match(line):
                current = None
                m = REQUEST.search(line)
                if m:
                    req, cls, meth, status, verb, url = m.groups()
                    call = {"status": status, "verb": verb, "url": url, "sent": "", "body": ""}
                    by_req[req] = call
                    found.setdefault((cls, meth), []).append(call)
                    continue
                m = HEADERS.search(line)
                if m and m.group(1) in by_req:
                    current, bodies = by_req[m.group(1)], 0
                continue
            stripped = line.strip()
            if current is not None and stripped.startswith("Body: "):
                body = re.sub(r" _log_request_full \S+$", "", stripped[len("Body: "):])
                current["sent" if bodies == 0 else "body"] = body
                bodies += 1
    return found


def http_hint(requests, shown):
    """What a failing test (or its class's setUpClass) last sent and got."""
    m = CLASS_FIXTURE.match(shown)
    if m:
        key = (m.group(2).rsplit(".", 1)[-1], m.group(1))
    else:
        parts = ATTRS.sub("", shown.split()[0]).rsplit(".", 2)
        if len(parts) < 3:
            return []
        key = (parts[1], parts[2])
    calls = requests.get(key)
    if not calls:
        return []
    # The last request that got an error, which is usually the one that broke
    # the test (cleanups may follow it), else simply the last request.
    errors = [c for c in calls if not c["status"].startswith("2")]
    c = errors[-1] if errors else calls[-1]
    what = "last failed request" if errors else "last request"
    lines = [f"{what}: {c['verb']} {c['url']} -> {c['status']}"]
    if c["sent"] not in ("", "None", "<omitted>"):
        lines.append(f"  sent: {c['sent'][:300]}")
    if c["body"]:
        lines.append(f"  got:  {c['body'][:300]}")
    return lines


def main():
    selected_file, min_pass = sys.argv[1], float(sys.argv[2])
    requests = requests_by_test(sys.argv[3]) if len(sys.argv) > 3 else {}
    with open(selected_file) as f:
        selected = [line.strip() for line in f if line.strip().startswith("tempest.")]

    results = {}
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    collector = testtools.StreamToDict(lambda t: results.__setitem__(t["id"], t))
    collector.startTestRun()
    stream.run(collector)
    collector.stopTestRun()

    passed, failed, skipped = [], [], []  # test ids
    failures = []  # (id shown, how many tests it stands for, test dict or None)
    skip_reasons = {}

    # Class-level entries first: they stand for the tests of their class.
    class_status = {}
    for tid, t in results.items():
        m = CLASS_FIXTURE.match(tid)
        if not m:
            continue
        fixture, cls = m.groups()
        status = t["status"]
        if fixture == "setUpClass" and status in BAD | {"skip"}:
            class_status[cls] = (status, tid, t)
        elif status in BAD:  # a failing tearDownClass: one more failure
            failed.append(tid)
            failures.append((tid, 1, t))

    for tid in selected:
        t = results.get(tid)
        if t is not None and t["status"] in GOOD:
            passed.append(tid)
        elif t is not None and t["status"] == "skip":
            skipped.append(tid)
            reason = " ".join(last_lines(t, 1)) or "no reason given"
            skip_reasons[reason] = skip_reasons.get(reason, 0) + 1
        elif t is not None and t["status"] in BAD:
            failed.append(tid)
            failures.append((tid, 1, t))
        elif class_of(tid) in class_status:
            status, _, ct = class_status[class_of(tid)]
            if status == "skip":
                skipped.append(tid)
                reason = " ".join(last_lines(ct, 1)) or "no reason given"
                skip_reasons[reason] = skip_reasons.get(reason, 0) + 1
            else:
                failed.append(tid)
        else:
            failed.append(tid)
            failures.append((tid + "  (no result: not run)", 1, None))

    # One line per failed setUpClass, with how many tests it took down.
    for cls, (status, tid, t) in sorted(class_status.items()):
        if status in BAD:
            n = sum(1 for s in selected if class_of(s) == cls and s not in results)
            failures.append((tid, n, t))

    if failures:
        print("\nFailing tests:")
        for shown, n, t in sorted(failures, key=lambda f: f[0]):
            extra = f"  ({n} tests not run)" if shown.startswith("setUpClass") else ""
            print(f"FAILED {shown}{extra}")
            for line in last_lines(t) if t else []:
                print(f"       | {line}")
            for line in http_hint(requests, shown):
                print(f"       > {line}")
    if skip_reasons:
        print("\nSkipped (count, reason):")
        for reason, n in sorted(skip_reasons.items(), key=lambda r: -r[1]):
            print(f"  {n:4d}  {reason[:200]}")

    ran = len(passed) + len(failed)
    rate = 100.0 * len(passed) / ran if ran else 0.0
    verdict = "ok" if ran and rate >= min_pass else "BELOW THRESHOLD"
    print(f"\nTempest: {len(selected)} tests selected; pass rate {rate:.1f}% of {ran} "
          f"non-skipped (threshold {min_pass:g}%): {verdict}")
    print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
