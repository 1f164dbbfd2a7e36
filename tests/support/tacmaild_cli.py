"""Running the tacmaild under test from the e2e tests: the binary named by $TACMAILD, a
subcommand with a deadline, a readable description of a failed run, and polling for a
condition. Every e2e module uses these; none keeps a copy."""

import json
import os
import subprocess
import time


def tacmaild_path():
    path = os.environ.get("TACMAILD")
    if not path:
        raise RuntimeError("TACMAILD is not set: run through ctest, or set "
                           "TACMAILD=/path/to/build/daemon/tacmaild")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"TACMAILD={path} is not an executable file (build it first)")
    return os.path.abspath(path)


def run_tacmaild(*args, timeout=120):
    """A subcommand that ends by itself (run --once, cases, status, ...), text output."""
    try:
        return subprocess.run([tacmaild_path(), *args], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        raise AssertionError(f"tacmaild {' '.join(args)} did not finish in {timeout}s; "
                             f"stderr so far:\n{(out or '')[-4000:]}") from None


def describe(result):
    """The command, its exit code and the tails of its output, for an assertion message."""
    return (f"$ tacmaild {' '.join(str(a) for a in result.args[1:])}\nexit {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-12000:]}")


def json_lines(text):
    """The objects of a `--json` listing (one JSON object per line)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def list_json(config, *what):
    """`tacmaild <what...> --config config --json` as a list of objects; fails the test on a
    non-zero exit."""
    r = run_tacmaild(*what, "--config", config, "--json")
    if r.returncode != 0:
        raise AssertionError(describe(r))
    return json_lines(r.stdout)


def mid(value):
    """A Message-ID without its angle brackets and spaces, for comparing."""
    return (str(value or "")).strip().strip("<>").strip()


def wait_until(predicate, timeout=30, interval=0.05, message="condition"):
    """predicate()'s first truthy value within timeout; raises TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{message}: not reached within {timeout}s")
        time.sleep(interval)
