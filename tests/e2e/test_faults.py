"""Crash and fault injection on real servers (issue 8, "Crash and fault injection").

Each test starts its own Dovecot and SMTP sink on free loopback ports and drives tacmaild as a
process: SIGKILLed at random instants and restarted; Dovecot restarted during a drain; the SMTP
server down for a stretch; the store locked by another process; the store's disk full (a small
tmpfs); the IMAP connection black-holed, reset inside a FETCH literal, or fed one byte per
write through tests/support/tcp_proxy.py. The invariant every time: every mail in exactly one
case, none lost, none left in INBOX, a clear error in the log, recovery without a restart where
the issue asks for it.

Sizes are modest by default so the file runs in a few minutes on 2 cores (and under ASan);
TACMAIL_SOAK=1 runs the issue's full sizes (500 mails / 50 kills, 10 Dovecot restarts).
Overrides: TACMAIL_KILL_MAILS, TACMAIL_KILLS, TACMAIL_RESTARTS; TACMAIL_SEED replays the random
kill instants of a run (the seed is printed); TACMAIL_KEEP=1 keeps the work directories.

Environment: TACMAILD = the tacmaild binary.
"""

import datetime
import errno
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

import fault_support as fs
import tacmail_servers as ts
from tcp_proxy import TcpProxy

# Dovecot's own fsyncs are not under test (it is stopped cleanly, never killed): skip them so
# APPENDing hundreds of mails takes seconds, not minutes.
DOVECOT_CONF = "mail_fsync = never\n"
# A log line naming an IMAP deadline (imap::error messages, connection.cpp details).
TIMEOUT_RX = (r"IMAP command not completed before the deadline|no IMAP greeting before the "
              r"deadline|IMAP connect or TLS handshake timed out|timed out")


def report(text):
    sys.stderr.write(f"\n[faults] {text}\n")
    sys.stderr.flush()


class _Endpoint:
    """What write_config needs to know of an IMAP server: here, the proxy in front of one."""

    def __init__(self, dovecot, host, port):
        self.host, self.port = host, port
        self.tls, self.ca_file, self.users = dovecot.tls, dovecot.ca_file, dovecot.users


class FaultTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        fs.tacmaild_path()
        self.dir = tempfile.mkdtemp(prefix=f"tacmail-faults-{self._testMethodName[5:20]}-")
        self.addCleanup(ts.remove_work_dir, self.dir)
        self.addCleanup(fs.stop_all)
        self.log = os.path.join(self.dir, "tacmaild.log")
        self.db = os.path.join(self.dir, "cases.db")

    # -- servers and config ------------------------------------------------------------------
    def start_servers(self, tls="implicit"):
        self.dovecot = ts.DovecotServer(os.path.join(self.dir, "dovecot"), tls=tls,
                                        extra_conf=DOVECOT_CONF)
        self.addCleanup(self.dovecot.stop)
        self.sink = ts.SmtpSink(os.path.join(self.dir, "smtp"))
        self.addCleanup(self.sink.stop)

    def write_config(self, imap=None, idle=False, poll="1s", endpoint=None, db=None, extra=""):
        """The test config; imap: more keys for the mailbox's imap section."""
        path = ts.write_config(os.path.join(self.dir, "tacmaild.yaml"),
                               endpoint or self.dovecot, self.sink, db or self.db,
                               poll_interval=poll, idle=idle, extra=extra)
        if imap:
            with open(path) as f:
                text = f.read()
            keys = "".join(f"      {k}: {v}\n" for k, v in imap.items())
            text = re.sub(r"(      poll_interval: [^\n]*\n)", lambda m: m.group(1) + keys, text,
                          count=1)
            with open(path, "w") as f:
                f.write(text)
        r = fs.run_tacmaild("check-config", "--config", path)
        self.assertEqual(r.returncode, 0, fs.describe(r))
        self.cfg = path
        return path

    def start_daemon(self, wait_started=True, **kw):
        """tacmaild run; by default returns once it has opened the store. (Once, a CLI read
        racing the daemon's first open of a new database made the daemon exit with "cannot
        open the case store: database is locked"; see the report of this file's author.)"""
        d = fs.Daemon(self.cfg, self.log, **kw)
        if wait_started:
            d.wait_for_log(r"tacmaild started", timeout=30)
        return d

    # -- observations ------------------------------------------------------------------------
    def n_cases(self):
        return len(fs.cases(self.cfg))

    def inbox(self):
        return fs.folder_count(self.dovecot, "INBOX")

    def wait_cased(self, mids, timeout=60, daemon=None):
        """Until every Message-ID in mids is in a case; returns the case list."""
        mids = set(mids)

        def done():
            if daemon is not None and not daemon.running():
                raise AssertionError(f"tacmaild exited with {daemon.proc.returncode}:\n"
                                     f"{daemon.log()[-6000:]}")
            got = fs.cases(self.cfg)
            return got if mids <= set(fs.cases_by_message_id(got)) else None
        try:
            return fs.wait_until(done, timeout, interval=0.3, message=f"{len(mids)} mails cased")
        except TimeoutError as e:
            have = set(fs.cases_by_message_id(fs.cases(self.cfg)))
            raise AssertionError(f"{e}; not cased: {sorted(mids - have)[:10]}\n--- log ---\n"
                                 f"{self.log_tail()}") from None

    def log_tail(self, n=8000):
        if not os.path.exists(self.log):
            return ""
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")[-n:]

    def assert_exactly_once(self, mids, case_list=None):
        """Every Message-ID in exactly one case, each recorded once there, no other case; all
        in Processed, INBOX empty."""
        case_list = fs.cases(self.cfg) if case_list is None else case_list
        by_mid = fs.cases_by_message_id(case_list)
        lost = sorted(set(mids) - set(by_mid))
        doubled = {m: c for m, c in by_mid.items() if len(c) > 1}
        self.assertEqual(lost, [], f"{len(lost)} mails in no case\n{self.log_tail()}")
        self.assertEqual(doubled, {}, "mails recorded more than once (case numbers listed)")
        self.assertEqual(len(case_list), len(mids),
                         f"{len(case_list)} cases for {len(mids)} mails: a duplicate case")
        self.assertEqual(self.inbox(), 0, "mail left in INBOX")
        processed = fs.folder_message_ids(self.dovecot, "Processed")
        self.assertEqual(sorted(processed), sorted(mids), "Processed holds other than each mail "
                                                          "exactly once")
        self.assertEqual(fs.folder_count(self.dovecot, "Quarantine"), 0)

    def replies_by_mid(self):
        """{reply Message-ID: times the SMTP sink accepted it}."""
        counts = {}
        for reply_mid, _irt, _rcpt, _msg in fs.sink_replies(self.sink):
            counts[reply_mid] = counts.get(reply_mid, 0) + 1
        return counts

    # -- 1. kill -9 ---------------------------------------------------------------------------
    def test_1_kill9_at_random_instants_loses_and_doubles_nothing(self):
        n = fs.scaled(150, 500, "TACMAIL_KILL_MAILS")
        kills = fs.scaled(15, 50, "TACMAIL_KILLS")
        seed, rng = fs.make_rng()
        report(f"kill -9: {n} mails, {kills} kills, TACMAIL_SEED={seed}")
        self.start_servers()
        self.write_config(idle=True, imap={"reconnect_max": "2s"})
        mids = [fs.message_id_of(i, "k9") for i in range(n)]
        self.dovecot.append_many("INBOX", [fs.make_request(i, "k9") for i in range(n)])

        mid_drain = 0  # kills that found mail still to case
        progress = []
        killed_at = []
        rate = 100.0   # mails cased per second of run time, learnt as we go
        for k in range(kills):
            before = self.n_cases()
            d = self.start_daemon(wait_started=False)
            # Aim the kills across the drain: the window follows the measured drain rate and
            # shrinks with what is left, so later kills still land mid-drain (and under ASan).
            high = max(0.12, min(1.5, 2.0 * (n - before) / max(1, kills - k) / rate + 0.1))
            slept = rng.uniform(0.02, high)
            time.sleep(slept)
            self.assertTrue(d.running(), f"tacmaild exited by itself:\n{d.log()[-4000:]}")
            killed_at.append(time.time())
            d.kill9()
            after = self.n_cases()
            if after > before and slept > 0.1:
                rate = 0.5 * rate + 0.5 * (after - before) / slept
            mid_drain += 1 if after < n else 0
            progress.append(f"{before}->{after}")
        report(f"kill -9: cases before->after each run: {' '.join(progress)}")

        # Let it finish: `run --once` until INBOX is empty and every reply went out.
        finishing_output = ""
        for attempt in range(3):
            r = fs.run_tacmaild("run", "--config", self.cfg, "--once", timeout=300)
            self.assertEqual(r.returncode, 0, fs.describe(r))
            finishing_output += r.stdout + r.stderr
            if self.inbox() == 0:
                break
        case_list = fs.cases(self.cfg)
        self.assert_exactly_once(mids, case_list)

        entries = fs.outbox(self.cfg)
        statuses = {}
        for e in entries:
            statuses[e["status"]] = statuses.get(e["status"], 0) + 1
        self.assertEqual(len(entries), n, f"outbox holds {len(entries)} replies for {n} cases")
        self.assertEqual(statuses, {"sent": n}, "every reply marked sent")
        counts = self.replies_by_mid()
        expected = {e["message_id"] for e in entries}
        missing = sorted(expected - set(counts))
        twice = {m: c for m, c in counts.items() if c > 1}
        in_flight, answered = self.split_duplicates(twice, killed_at)
        report(f"kill -9: {kills} kills ({mid_drain} before the last case), {n} cases, "
               f"{sum(counts.values())} replies accepted by the sink for {n} owed; "
               f"DUPLICATE REPLIES (same Message-ID delivered twice or more): {len(twice)}"
               + (f" {sorted(twice.items())[:10]}" if twice else ""))
        report(f"kill -9: extra copies in flight at a kill (kill - sink receipt, ms): "
               f"{in_flight or 'none'}; sent again after the sink's answer: {answered or 'none'}")
        self.report_in_doubt_window()
        self.assertEqual(missing, [], "replies never delivered")
        self.assertTrue(set(counts) <= expected, "a reply the outbox does not know")
        # Each reply answers its own case's mail, never another's.
        by_number = {c["case_number"]: c for c in case_list}
        for reply_mid, irt, rcpt, _msg in fs.sink_replies(self.sink):
            number = reply_mid.split(".")[1]
            self.assertIn(irt, by_number[number]["message_ids"], reply_mid)
        # Once the server has answered 250, the sent journal keeps a reply from going twice.
        # What is left is the server's side of the exchange (RFC 1047): it commits the message,
        # then answers; a kill while tacmaild waits for that answer sends the reply again, and
        # no client can tell. This sink takes ~1-3 ms for it (two spool files) out of a ~2-5 ms
        # send, so kills aimed into a stream of replies land there often (0-9 per CI-size run,
        # 10-25 per soak, measured): they are allowed, each tied to a kill within IN_FLIGHT_MS
        # of the sink's receipt; any other copy is a bug (before the journal: up to ~100 ms).
        self.assertEqual(answered, [], "a reply sent again although tacmaild had time to learn "
                                       "of the server's 250 (kill - sink receipt, ms)")
        # Such a copy is never silent: the sent journal noted the attempt, and the restart that
        # sends it again logs that the server may have it already.
        with open(self.log, encoding="utf-8", errors="replace") as f:
            logs = f.read() + finishing_output
        unannounced = sorted(m for m in twice
                             if f"<{m}> is sent again, though the SMTP server may have it"
                             not in logs)
        self.assertEqual(unannounced, [], "a reply sent twice without a log line saying so")

    # How long after the sink records a message its 250 may still be on the way: its second
    # spool file, the reply, tacmaild's read and journal write (ms, stalls under I/O included).
    IN_FLIGHT_MS = 20

    def split_duplicates(self, twice, killed_at):
        """Each extra copy of a reply, as (case number, ms from the sink's receipt of the copy
        before to the nearest kill), split into those in flight at that kill and the rest."""
        received = {}
        for env, msg, _raw in self.sink.messages():
            mid = fs.mid(msg["Message-ID"])
            if mid in twice:
                at = datetime.datetime.fromisoformat(env["received_at"]).timestamp()
                received.setdefault(mid, []).append(at)
        in_flight, answered = [], []
        for mid, times in sorted(received.items()):
            for at in sorted(times)[:-1]:
                gap = min((1000 * (k - at) for k in killed_at), key=abs, default=float("inf"))
                (in_flight if gap <= self.IN_FLIGHT_MS else answered).append(
                    (mid.split(".")[1], round(gap, 2)))
        return in_flight, answered

    def report_in_doubt_window(self):
        """How long each reply stayed 'accepted by the server, unknown to tacmaild': from the
        sink's receipt to tacmaild's 'reply sent' line, logged right after the sent journal's
        write (the log has millisecond stamps; lines a kill cut off are missing). The line
        belongs to the last copy the sink received."""
        logged = {}
        for m in re.finditer(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \w+ reply sent: [^<\n]*<([^>]+)>",
                             self.log_tail(1 << 30), re.M):
            at = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").astimezone()
            logged.setdefault(m.group(2), at)
        last_copy = {}
        for env, msg, _raw in self.sink.messages():
            last_copy[fs.mid(msg["Message-ID"])] = datetime.datetime.fromisoformat(
                env["received_at"])
        windows = sorted((logged[m] - got).total_seconds() * 1000
                         for m, got in last_copy.items() if m in logged)
        if windows:
            report(f"reply in doubt (sink receipt -> 'reply sent' logged), {len(windows)} "
                   f"replies: p50 {windows[len(windows) // 2]:.1f} ms, "
                   f"p90 {windows[len(windows) * 9 // 10]:.1f} ms, max {windows[-1]:.1f} ms")

    # -- 2. Dovecot restarted -----------------------------------------------------------------
    def test_2_dovecot_restarted_during_a_drain(self):
        n = fs.scaled(120, 500, "TACMAIL_RESTART_MAILS")
        restarts = fs.scaled(3, 10, "TACMAIL_RESTARTS")
        self.start_servers()
        self.write_config(idle=True, imap={"reconnect_max": "2s", "fetch_batch": 20})
        mids = [fs.message_id_of(i, "dr") for i in range(n)]
        raws = [fs.make_request(i, "dr") for i in range(n)]
        chunks = [raws[r * n // (restarts + 1):(r + 1) * n // (restarts + 1)]
                  for r in range(restarts + 1)]
        d = self.start_daemon()
        hit, appended = [], 0
        for r in range(restarts):
            # Mail keeps arriving; restart Dovecot once the daemon is into this chunk.
            base = self.n_cases()
            self.dovecot.append_many("INBOX", chunks[r])
            appended += len(chunks[r])
            try:
                fs.wait_until(lambda: self.n_cases() > base, 60, interval=0.02,
                              message=f"drain started before restart {r + 1}")
            except TimeoutError as e:
                self.fail(f"{e}\n{self.log_tail()}")
            hit.append(f"{self.n_cases()}/{appended}")
            self.dovecot.restart()
        self.dovecot.append_many("INBOX", chunks[-1])
        report(f"Dovecot restarted {restarts} times, at cases/appended {hit} ({n} in all)")
        self.wait_cased(mids, timeout=180, daemon=d)
        fs.wait_until(lambda: self.inbox() == 0, 30, message="INBOX empty")
        self.assertTrue(d.running(), "tacmaild must recover without a restart")
        log = d.log()
        reconnects = len(re.findall(r"reconnecting in \d+ ms", log))
        report(f"Dovecot restarts: tacmaild reconnected {reconnects} times, same process")
        self.assertGreaterEqual(reconnects, restarts, log[-6000:])
        self.assertEqual(d.stop(), 0, d.log()[-4000:])
        self.assert_exactly_once(mids)

    # -- 3. SMTP server down ------------------------------------------------------------------
    def test_3_smtp_down_replies_queued_then_delivered(self):
        self.start_servers()
        self.write_config(poll="1s")
        self.sink.stop()
        mids = [fs.message_id_of(i, "sm") for i in range(3)]
        self.dovecot.append_many("INBOX", [fs.make_request(i, "sm") for i in range(3)])
        d = self.start_daemon()
        self.wait_cased(mids, daemon=d)

        def deferred():
            entries = fs.outbox(self.cfg)
            # A drain stops at the first deferral (the server is down): one try is enough.
            return (len(entries) == 3 and all(e["status"] == "pending" for e in entries)
                    and [e for e in entries if e["attempts"] >= 1 and e["last_error"]])
        tried = fs.wait_until(deferred, 60, interval=0.5, message="replies deferred")
        report(f"SMTP down: 3 replies pending, outbox says {tried[0]['last_error']!r}")
        d.wait_for_log(r"reply deferred")
        self.assertEqual(self.inbox(), 0, "mail is cased and moved whatever the SMTP server does")

        self.sink.start()  # same port; the retry is ~30 s after the failure (not configurable)
        try:
            self.sink.wait_for(3, timeout=120)
        except TimeoutError as e:
            self.fail(f"{e}\n{self.log_tail()}")
        fs.wait_until(lambda: all(e["status"] == "sent" for e in fs.outbox(self.cfg)), 30,
                      message="outbox all sent")
        self.assertTrue(d.running())
        self.assertEqual(sorted(self.replies_by_mid().values()), [1, 1, 1])
        self.assertEqual(d.stop(), 0)

    # -- 4. store locked ----------------------------------------------------------------------
    def test_4_store_locked_by_another_process(self):
        self.start_servers()
        self.write_config(poll="1s")
        d = self.start_daemon()
        self.dovecot.append("INBOX", fs.make_request(0, "lk"))
        self.wait_cased([fs.message_id_of(0, "lk")], daemon=d)

        hold = 8.0
        lock = sqlite3.connect(self.db, timeout=1, isolation_level=None)
        self.addCleanup(lock.close)
        lock.execute("BEGIN IMMEDIATE")
        locked_at = time.monotonic()
        mark = d.mark()
        self.dovecot.append("INBOX", fs.make_request(1, "lk"))
        try:
            # busy_timeout is 5 s: the error is logged within one poll plus that.
            line = d.wait_for_log(r"[^\n]*(database is locked|database is busy)[^\n]*",
                                  timeout=30, since=mark)
            time.sleep(max(0.0, hold - (time.monotonic() - locked_at)))
            still = self.inbox()
            quarantined = fs.folder_count(self.dovecot, "Quarantine")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        report(f"store locked: tacmaild logged {line.group(0).strip()!r}")
        self.assertEqual(still, 1, "the mail must stay in INBOX while the store is locked")
        self.assertEqual(quarantined, 0, "a locked store is no reason to quarantine")
        self.wait_cased([fs.message_id_of(i, "lk") for i in range(2)], timeout=60, daemon=d)
        self.assertEqual(fs.quarantine(self.cfg), [])
        self.assertTrue(d.running(), "recovered without a restart")
        self.assertEqual(d.stop(), 0)
        self.assert_exactly_once([fs.message_id_of(i, "lk") for i in range(2)])

    # -- 5. disk full -------------------------------------------------------------------------
    def test_5_disk_full_then_freed(self):
        if os.getuid() != 0:
            self.skipTest("mounting a small tmpfs for the store needs root")
        mnt = os.path.join(self.dir, "store")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        self.addCleanup(subprocess.run, ["umount", "-l", mnt], capture_output=True)
        self.start_servers()
        self.write_config(poll="1s", db=os.path.join(mnt, "cases.db"))
        d = self.start_daemon()
        self.dovecot.append("INBOX", fs.make_request(0, "df"))
        self.wait_cased([fs.message_id_of(0, "df")], daemon=d)

        ballast = os.path.join(mnt, "ballast")
        chunk = b"\0" * 65536
        with open(ballast, "wb", buffering=0) as f:
            for size in (65536, 4096, 512, 1):
                try:
                    while True:
                        f.write(chunk[:size])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
        free = shutil.disk_usage(mnt).free
        report(f"disk full: ballast {os.path.getsize(ballast)} bytes, {free} bytes free")
        mark = d.mark()
        self.dovecot.append("INBOX", fs.make_request(1, "df"))
        try:
            line = d.wait_for_log(r"[^\n]*disk full[^\n]*", timeout=30, since=mark)
        except (TimeoutError, AssertionError) as e:
            os.unlink(ballast)
            self.fail(f"{e}\n{d.log(mark)[-6000:]}")
        report(f"disk full: tacmaild logged {line.group(0).strip()!r}")
        time.sleep(2)  # another pass or two: the mail must stay put, not be quarantined
        self.assertEqual(self.inbox(), 1, "the mail must stay in INBOX while the disk is full")
        self.assertEqual(fs.folder_count(self.dovecot, "Quarantine"), 0)
        os.unlink(ballast)
        self.wait_cased([fs.message_id_of(i, "df") for i in range(2)], timeout=60, daemon=d)
        self.assertEqual(fs.quarantine(self.cfg), [])
        self.assertTrue(d.running(), "recovered without a restart")
        self.assertEqual(d.stop(), 0)
        self.assert_exactly_once([fs.message_id_of(i, "df") for i in range(2)])

    # -- 6. network faults through the proxy --------------------------------------------------
    def start_proxied(self, **config):
        # Plaintext, so the proxy sees IMAP itself: 1-byte writes reach the response parser,
        # and a reset point can be placed inside a literal by its content.
        self.start_servers(tls="none")
        self.proxy = TcpProxy(self.dovecot.host, self.dovecot.port)
        self.addCleanup(self.proxy.close)
        self.write_config(endpoint=_Endpoint(self.dovecot, self.proxy.host, self.proxy.port),
                          **config)

    def test_6a_blackholed_during_idle_noticed_within_the_deadline(self):
        renewal, command, connect = 3, 3, 3
        self.start_proxied(idle=True, imap={"idle_renewal": f"{renewal}s",
                                            "command_timeout": f"{command}s",
                                            "connect_timeout": f"{connect}s",
                                            "reconnect_max": "2s"})
        d = self.start_daemon(log_level="debug")
        self.dovecot.append("INBOX", fs.make_request(0, "bh"))
        self.wait_cased([fs.message_id_of(0, "bh")], daemon=d)
        time.sleep(1.0)  # back in IDLE

        mark = d.mark()
        self.proxy.blackhole()
        t0 = time.monotonic()
        line = d.wait_for_log(r"[^\n]*(" + TIMEOUT_RX + r")[^\n]*", timeout=60, since=mark)
        noticed = time.monotonic() - t0
        report(f"black hole during IDLE noticed after {noticed:.1f}s (idle_renewal {renewal}s + "
               f"command_timeout {command}s): {line.group(0).strip()!r}")
        self.assertLessEqual(noticed, renewal + command + 3.0)
        self.dovecot.append("INBOX", fs.make_request(1, "bh"))  # arrives during the partition
        time.sleep(connect + 2)  # a reconnect or two into the black hole
        self.proxy.forward()
        self.wait_cased([fs.message_id_of(i, "bh") for i in range(2)], timeout=60, daemon=d)
        self.assertTrue(d.running())
        self.assertEqual(d.stop(), 0)
        self.assert_exactly_once([fs.message_id_of(i, "bh") for i in range(2)])

    def test_6b_reset_inside_a_fetch_literal(self):
        self.start_proxied(poll="1s", imap={"reconnect_max": "2s", "fetch_batch": 3})
        n, big = 9, 5
        mids = [fs.message_id_of(i, "rs") for i in range(n)]
        self.dovecot.append_many("INBOX",
                       [fs.make_request(i, "rs", size=2 << 20 if i == big else 0)
                        for i in range(n)])
        # 1000 bytes past the marker, itself a megabyte into the 2 MB literal.
        self.proxy.reset_after(1000, marker=fs.marker_of(big, "rs"))
        d = self.start_daemon()
        self.wait_cased(mids, timeout=90, daemon=d)
        self.assertEqual(self.proxy.resets, 1, "the reset inside the literal did not happen")
        self.assertRegex(d.log(), r"reconnecting in \d+ ms")
        report(f"reset inside a FETCH literal: {self.proxy.connections} connections, "
               f"all {n} mails cased once")
        self.assertEqual(d.stop(), 0)
        self.assert_exactly_once(mids)

    def test_6c_server_bytes_one_per_write(self):
        self.start_proxied(poll="1s")
        self.proxy.one_byte(delay=0.0002)
        n = 5
        mids = [fs.message_id_of(i, "ob") for i in range(n)]
        self.dovecot.append_many("INBOX", [fs.make_request(i, "ob") for i in range(n)])
        d = self.start_daemon()
        self.wait_cased(mids, timeout=120, daemon=d)
        self.assertEqual(self.proxy.connections, 1, "no reconnect needed:\n" + d.log()[-4000:])
        self.assertNotRegex(d.log(), r"\berror\b")
        self.assertEqual(d.stop(), 0)
        self.assert_exactly_once(mids)


if __name__ == "__main__":
    unittest.main()
