// Unit tests for imap::session authentication: AUTHENTICATE PLAIN (with and without SASL-IR),
// the LOGIN fallback, XOAUTH2 and its error round trip, and that no credential ever leaves
// before TLS. A small scripted Dovecot answers every write; the expected base64 strings were
// computed independently (Python's base64 module) and are checked byte for byte.
#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <ostream>  // doctest prints std::error_code through it
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/error.hpp"
#include "imap/session.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace imap = tacmail::daemon::imap;
using imap::action;
using tacmail::config::imap_auth;
using tacmail::config::tls_mode;

namespace {

// ---------------------------------------------------------------------------------------------
// A compact scripted server (after test_session.cpp's): `reply` answers the next write, `push`
// is read when the session reads with nothing pending. Every write is recorded together with
// whether TLS was up when it left, so a test can prove no secret crossed in cleartext.

struct step {
  bool is_push = false;
  std::string bytes;
};
step reply(std::string b) { return {false, std::move(b)}; }
step push(std::string b) { return {true, std::move(b)}; }

using script = std::vector<step>;

struct sent {
  std::string line;  ///< without CRLF
  bool tls = false;
};

struct outcome {
  std::vector<sent> writes;
  std::vector<std::string> log;  ///< "C: ...", "start_tls", "done", "fail <code>: <detail>"
  action last;                   ///< the final action (done or fail)
  bool ran_dry = false;
};

std::string strip_crlf(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes.compare(bytes.size() - 2, 2, "\r\n") == 0)
    return bytes.substr(0, bytes.size() - 2);
  return bytes;
}

outcome run(const imap::session_options& options, script steps, bool tls_active) {
  imap::session s(options);
  std::deque<step> pending(steps.begin(), steps.end());
  std::string inbox;
  bool tls = tls_active;
  outcome out;
  action a = s.on_connected(tls);
  for (int guard = 0; guard < 10000; ++guard) {
    switch (a.what) {
      case action::kind::write: {
        const std::string line = strip_crlf(a.bytes);
        out.writes.push_back({line, tls});
        out.log.push_back("C: " + line);
        if (pending.empty() || pending.front().is_push) {
          out.ran_dry = true;
          out.log.push_back("!! unscripted write");
          return out;
        }
        inbox += pending.front().bytes;
        pending.pop_front();
        a = s.on_written();
        break;
      }
      case action::kind::read: {
        if (inbox.empty()) {
          if (pending.empty() || !pending.front().is_push) {
            out.ran_dry = true;
            out.log.push_back("!! the session reads, the script does not send");
            return out;
          }
          inbox = pending.front().bytes;
          pending.pop_front();
        }
        const std::string piece = std::exchange(inbox, {});
        a = s.on_received(piece);
        break;
      }
      case action::kind::start_tls:
        out.log.push_back("start_tls");
        inbox.clear();  // cleartext in flight is never application data after the handshake
        tls = true;
        a = s.on_tls_established();
        break;
      case action::kind::deliver:
        out.log.push_back("deliver uid=" + std::to_string(a.message.uid));
        a = s.on_delivered({imap::disposition::processed, {}});
        break;
      case action::kind::commit:
        out.log.push_back("commit");
        a = s.on_committed(true);
        break;
      case action::kind::wait:
        out.log.push_back("!! unexpected wait");
        out.last = a;
        return out;
      case action::kind::done:
        out.log.push_back("done");
        out.last = a;
        return out;
      case action::kind::fail:
        out.log.push_back("fail " + a.detail);
        out.last = a;
        return out;
    }
  }
  out.log.push_back("!! the session does not terminate");
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

std::string lines(std::initializer_list<std::string> l) { return joined({l.begin(), l.end()}); }

/// Independent RFC 4648 encoder, so the tests do not check the session's base64 against itself.
std::string reference_base64(std::string_view in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                   (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += abc[(n >> k) & 63];
  }
  if (in.size() - i == 1) {
    const auto n = std::uint32_t(std::uint8_t(in[i])) << 16;
    out += abc[(n >> 18) & 63];
    out += abc[(n >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    const auto n = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                   (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out += abc[(n >> 18) & 63];
    out += abc[(n >> 12) & 63];
    out += abc[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dovecot 2.3's answers.

const std::string base_caps = "IMAP4rev1 LOGIN-REFERRALS ID ENABLE IDLE LITERAL+";
const std::string post_login_caps =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UIDPLUS MOVE LITERAL+ CHILDREN";

std::string greeting_with(const std::string& caps) {
  return "* OK [CAPABILITY " + caps + "] Dovecot ready.\r\n";
}
std::string auth_ok(const std::string& tag) {
  return tag + " OK [CAPABILITY " + post_login_caps + "] Logged in\r\n";
}
std::string auth_failed(const std::string& tag) {
  return tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n";
}
std::string select_reply(const std::string& tag) {
  return "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
         "* OK [UIDNEXT 1] Predicted next UID\r\n" +
         tag + " OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n";
}
std::string search_empty(const std::string& tag) {
  return "* SEARCH\r\n" + tag + " OK Search completed (0.001 + 0.000 secs).\r\n";
}
std::string logout_reply(const std::string& tag) {
  return "* BYE Logging out\r\n" + tag + " OK Logout completed (0.001 + 0.000 secs).\r\n";
}

/// After a successful authentication with tag `n`: CREATE x2, SELECT, an empty SEARCH, LOGOUT.
std::vector<step> after_login(int n) {
  auto t = [&](int k) { return "T" + std::to_string(n + k); };
  return {reply(t(1) + " NO [ALREADYEXISTS] Mailbox already exists\r\n"),
          reply(t(2) + " NO [ALREADYEXISTS] Mailbox already exists\r\n"),
          reply(select_reply(t(3))), reply(search_empty(t(4))), reply(logout_reply(t(5)))};
}

std::vector<step> operator+(std::vector<step> a, const std::vector<step>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const char* const user = "support@example.com";
const char* const password = "s3cret";
const char* const token = "ya29.tok-EN";
// base64("\0support@example.com\0s3cret")
const std::string plain_b64 = "AHN1cHBvcnRAZXhhbXBsZS5jb20AczNjcmV0";
// base64("user=support@example.com\x01" "auth=Bearer ya29.tok-EN\x01\x01")
const std::string xoauth2_b64 =
    "dXNlcj1zdXBwb3J0QGV4YW1wbGUuY29tAWF1dGg9QmVhcmVyIHlhMjkudG9rLUVOAQE=";
// base64 of Google's error document {"status":"401","schemes":"bearer","scope":"..."}
const std::string xoauth2_error_b64 =
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==";

imap::session_options options(imap_auth auth, tls_mode tls = tls_mode::implicit) {
  imap::session_options o;
  o.username = user;
  o.password = auth == imap_auth::xoauth2 ? token : password;
  o.auth = auth;
  o.tls = tls;
  o.once = true;
  o.greeting_timeout = 10s;
  o.command_timeout = 20s;
  return o;
}

const std::vector<std::string> tail_lines = {
    "C: T2 CREATE \"Processed\"", "C: T3 CREATE \"Quarantine\"", "C: T4 SELECT \"INBOX\"",
    "C: T5 UID SEARCH UNDELETED", "C: T6 LOGOUT", "done"};

std::string expected(std::initializer_list<std::string> head,
                     const std::vector<std::string>& tail = tail_lines) {
  std::vector<std::string> all(head);
  all.insert(all.end(), tail.begin(), tail.end());
  return joined(all);
}

bool wrote(const outcome& o, std::string_view needle) {
  for (const auto& w : o.writes)
    if (w.line.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

// =============================================================================================

TEST_CASE("auth: the reference encoder agrees with RFC 4648's test vectors") {
  CHECK(reference_base64("") == "");
  CHECK(reference_base64("f") == "Zg==");
  CHECK(reference_base64("fo") == "Zm8=");
  CHECK(reference_base64("foo") == "Zm9v");
  CHECK(reference_base64("foobar") == "Zm9vYmFy");
  CHECK(reference_base64("\0support@example.com\0s3cret"s) == plain_b64);
}

TEST_CASE("auth auto: AUTH=PLAIN with SASL-IR -> AUTHENTICATE PLAIN with the initial response") {
  const auto o = run(options(imap_auth::automatic),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN")), reply(auth_ok("T1"))} +
                         after_login(1),
                     true);
  CHECK(joined(o.log) == expected({"C: T1 AUTHENTICATE PLAIN " + plain_b64}));
  CHECK(o.last.what == action::kind::done);
}

TEST_CASE("auth auto: AUTH=PLAIN without SASL-IR -> AUTHENTICATE PLAIN, '+', then the response") {
  for (const std::string continuation : {"+ \r\n", "+\r\n", "+ go ahead\r\n"}) {
    CAPTURE(continuation);
    const auto o = run(options(imap_auth::automatic),
                       script{push(greeting_with(base_caps + " AUTH=PLAIN")), reply(continuation),
                        reply(auth_ok("T1"))} +
                           after_login(1),
                       true);
    CHECK(joined(o.log) == expected({"C: T1 AUTHENTICATE PLAIN", "C: " + plain_b64}));
    CHECK(o.last.what == action::kind::done);
  }
}

TEST_CASE("auth auto: the capabilities come from a CAPABILITY command when the greeting has none") {
  const auto o = run(options(imap_auth::automatic),
                     script{push("* OK Dovecot ready.\r\n"),
                      reply("* CAPABILITY " + base_caps + " SASL-IR AUTH=PLAIN\r\n"
                            "T1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"),
                      reply(auth_ok("T2"))} +
                         after_login(2),
                     true);
  CHECK(joined(o.log) == expected({"C: T1 CAPABILITY", "C: T2 AUTHENTICATE PLAIN " + plain_b64},
                                  {"C: T3 CREATE \"Processed\"", "C: T4 CREATE \"Quarantine\"",
                                   "C: T5 SELECT \"INBOX\"", "C: T6 UID SEARCH UNDELETED",
                                   "C: T7 LOGOUT", "done"}));
}

TEST_CASE("auth auto: padding and non-ASCII credentials are encoded exactly") {
  struct example {
    std::string user, password, b64;
  };
  for (const auto& e : {example{"u", "p", "AHUAcA=="}, example{"u", "pw", "AHUAcHc="},
                        example{"u", "pwd", "AHUAcHdk"},
                        example{"j\xc3\xb6rg@example.com", "p\xc3\xa4ss w\"rd",
                                "AGrDtnJnQGV4YW1wbGUuY29tAHDDpHNzIHcicmQ="}}) {
    CAPTURE(e.b64);
    auto opts = options(imap_auth::automatic);
    opts.username = e.user;
    opts.password = e.password;
    const auto o = run(opts, script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN")),
                              reply(auth_failed("T1"))},
                       true);
    REQUIRE(!o.writes.empty());
    CHECK(o.writes.front().line == "T1 AUTHENTICATE PLAIN " + e.b64);
  }
}

TEST_CASE("auth auto: without AUTH=PLAIN -> LOGIN") {
  const auto o =
      run(options(imap_auth::automatic),
          script{push(greeting_with(base_caps + " SASL-IR AUTH=LOGIN")), reply(auth_ok("T1"))} +
              after_login(1),
          true);
  CHECK(joined(o.log) == expected({"C: T1 LOGIN \"support@example.com\" \"s3cret\""}));
  CHECK_FALSE(wrote(o, "AUTHENTICATE"));
}

TEST_CASE("auth plain: AUTH=PLAIN not offered -> authentication_failed, nothing sent") {
  const auto o = run(options(imap_auth::plain), script{push(greeting_with(base_caps + " SASL-IR"))}, true);
  CHECK(joined(o.log) == lines({"fail server does not offer AUTH=PLAIN"}));
  CHECK(o.last.error == imap::error::authentication_failed);
  CHECK(o.writes.empty());
}

TEST_CASE("auth plain: tagged NO -> authentication_failed with the server's text") {
  const auto o = run(options(imap_auth::plain),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN")),
                      reply(auth_failed("T1"))},
                     true);
  CHECK(o.last.what == action::kind::fail);
  CHECK(o.last.error == imap::error::authentication_failed);
  CHECK(o.last.detail == "Authentication failed.");
}

// Regression (fixed): session.cpp built the XOAUTH2 string as "user=" + u + "\x01auth=Bearer " + t: in C++ a
// hex escape takes every following hex digit, so "\x01a" is the one byte 0x1A and the server
// receives "user=U\x1Auth=Bearer T\x01\x01" -- no auth= field, every XOAUTH2 login fails
// (Dovecot: "Invalid parameter"). Fix: "\x01" "auth=Bearer " (split the literal).
TEST_CASE("auth xoauth2: SASL-IR -> AUTHENTICATE XOAUTH2 with user=...^Aauth=Bearer ...^A^A") {
  const auto o = run(options(imap_auth::xoauth2),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN AUTH=XOAUTH2")),
                      reply(auth_ok("T1"))} +
                         after_login(1),
                     true);
  CHECK(joined(o.log) == expected({"C: T1 AUTHENTICATE XOAUTH2 " + xoauth2_b64}));
  CHECK(xoauth2_b64 ==
        reference_base64("user=support@example.com\x01" "auth=Bearer ya29.tok-EN\x01\x01"));
}

// Regression (fixed): session.cpp built the XOAUTH2 string as "user=" + u + "\x01auth=Bearer " + t: in C++ a
// hex escape takes every following hex digit, so "\x01a" is the one byte 0x1A and the server
// receives "user=U\x1Auth=Bearer T\x01\x01" -- no auth= field, every XOAUTH2 login fails
// (Dovecot: "Invalid parameter"). Fix: "\x01" "auth=Bearer " (split the literal).
TEST_CASE("auth xoauth2: without SASL-IR the response follows the first '+'") {
  const auto o = run(options(imap_auth::xoauth2),
                     script{push(greeting_with(base_caps + " AUTH=XOAUTH2")), reply("+ \r\n"),
                      reply(auth_ok("T1"))} +
                         after_login(1),
                     true);
  CHECK(joined(o.log) == expected({"C: T1 AUTHENTICATE XOAUTH2", "C: " + xoauth2_b64}));
}

// Regression (fixed): session.cpp built the XOAUTH2 string as "user=" + u + "\x01auth=Bearer " + t: in C++ a
// hex escape takes every following hex digit, so "\x01a" is the one byte 0x1A and the server
// receives "user=U\x1Auth=Bearer T\x01\x01" -- no auth= field, every XOAUTH2 login fails
// (Dovecot: "Invalid parameter"). Fix: "\x01" "auth=Bearer " (split the literal).
TEST_CASE("auth xoauth2: a 1.2 kB token (as Microsoft 365 issues) is one unbroken base64 line") {
  auto opts = options(imap_auth::xoauth2);
  opts.password = "eyJ0eXAiOiJKV1Qi." + std::string(1200, 'A') + ".sig-_";
  const auto o = run(opts, script{push(greeting_with(base_caps + " SASL-IR AUTH=XOAUTH2")),
                            reply(auth_failed("T1"))},
                     true);
  REQUIRE(!o.writes.empty());
  CHECK(o.writes.front().line ==
        "T1 AUTHENTICATE XOAUTH2 " +
            reference_base64("user=support@example.com\x01" "auth=Bearer " + opts.password +
                             "\x01\x01"));
}

TEST_CASE("auth xoauth2: '+ <base64 JSON error>' is answered with an empty line, then NO fails") {
  SUBCASE("SASL-IR") {
    const auto o = run(options(imap_auth::xoauth2),
                       script{push(greeting_with(base_caps + " SASL-IR AUTH=XOAUTH2")),
                        reply("+ " + xoauth2_error_b64 + "\r\n"), reply(auth_failed("T1"))},
                       true);
    // The first line's exact bytes are checked (skipped, BUG) above; here the error round trip.
    REQUIRE(o.log.size() == 3);
    CHECK(o.log[0].rfind("C: T1 AUTHENTICATE XOAUTH2 ", 0) == 0);
    CHECK(o.log[1] == "C: ");
    CHECK(o.log[2] == "fail Authentication failed.");
    CHECK(o.last.error == imap::error::authentication_failed);
  }
  SUBCASE("two-step") {
    const auto o = run(options(imap_auth::xoauth2),
                       script{push(greeting_with(base_caps + " AUTH=XOAUTH2")), reply("+ \r\n"),
                        reply("+ " + xoauth2_error_b64 + "\r\n"), reply(auth_failed("T1"))},
                       true);
    REQUIRE(o.log.size() == 4);
    CHECK(o.log[0] == "C: T1 AUTHENTICATE XOAUTH2");
    CHECK(o.log[1].size() > 20);  // the initial response (exact bytes: see the BUG above)
    CHECK(o.log[2] == "C: ");
    CHECK(o.log[3] == "fail Authentication failed.");
    CHECK(o.last.error == imap::error::authentication_failed);
  }
}

TEST_CASE("auth xoauth2: AUTH=XOAUTH2 not offered -> authentication_failed, nothing sent") {
  const auto o = run(options(imap_auth::xoauth2),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER"))},
                     true);
  CHECK(joined(o.log) == lines({"fail server does not offer AUTH=XOAUTH2"}));
  CHECK(o.last.error == imap::error::authentication_failed);
  CHECK(o.writes.empty());
}

TEST_CASE("tls: no credential of any mechanism is sent before TLS") {
  for (auto auth : {imap_auth::automatic, imap_auth::login, imap_auth::plain, imap_auth::xoauth2}) {
    CAPTURE(static_cast<int>(auth));
    const std::string caps = base_caps + " SASL-IR AUTH=PLAIN AUTH=XOAUTH2";
    SUBCASE("implicit, but the connection is cleartext -> cleartext_refused, no write") {
      const auto o = run(options(auth, tls_mode::implicit), script{push(greeting_with(caps))}, false);
      CHECK(o.last.error == imap::error::cleartext_refused);
      CHECK(o.writes.empty());
    }
    SUBCASE("starttls: STARTTLS first, credentials only after the handshake") {
      const auto o = run(options(auth, tls_mode::starttls),
                         script{push(greeting_with(caps + " STARTTLS LOGINDISABLED")),
                          reply("T1 OK Begin TLS negotiation now.\r\n"),
                          reply("* CAPABILITY " + caps + "\r\nT2 OK Capability completed.\r\n"),
                          reply(auth_ok("T3"))} +
                             after_login(3),
                         false);
      REQUIRE(o.writes.size() >= 3);
      CHECK(o.writes[0].line == "T1 STARTTLS");
      CHECK_FALSE(o.writes[0].tls);
      for (std::size_t i = 1; i < o.writes.size(); ++i) {
        CAPTURE(o.writes[i].line);
        CHECK(o.writes[i].tls);
      }
      CHECK(o.last.what == action::kind::done);
    }
    SUBCASE("starttls not offered -> starttls_unavailable, no write at all") {
      const auto o = run(options(auth, tls_mode::starttls), script{push(greeting_with(caps))}, false);
      CHECK(o.last.error == imap::error::starttls_unavailable);
      CHECK(o.writes.empty());
    }
    SUBCASE("starttls refused -> no credentials follow in cleartext") {
      const auto o = run(options(auth, tls_mode::starttls),
                         script{push(greeting_with(caps + " STARTTLS")),
                          reply("T1 BAD TLS support isn't enabled.\r\n")},
                         false);
      CHECK(o.last.error == imap::error::starttls_unavailable);
      REQUIRE(o.writes.size() == 1);
      CHECK(o.writes[0].line == "T1 STARTTLS");
    }
  }
}

TEST_CASE("tls: capabilities are re-read after STARTTLS: AUTH=PLAIN only before TLS -> LOGIN") {
  // A stripped or injected pre-TLS capability list must not choose the mechanism.
  const auto o = run(options(imap_auth::automatic, tls_mode::starttls),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN STARTTLS")),
                      reply("T1 OK Begin TLS negotiation now.\r\n"),
                      reply("* CAPABILITY " + base_caps + " AUTH=LOGIN\r\nT2 OK done.\r\n"),
                      reply(auth_ok("T3"))} +
                         after_login(3),
                     false);
  REQUIRE(o.writes.size() >= 3);
  CHECK(o.writes[2].line == "T3 LOGIN \"support@example.com\" \"s3cret\"");
  CHECK(o.writes[2].tls);
}

TEST_CASE("tls: none allows AUTHENTICATE PLAIN in cleartext") {
  const auto o = run(options(imap_auth::plain, tls_mode::none),
                     script{push(greeting_with(base_caps + " SASL-IR AUTH=PLAIN")), reply(auth_ok("T1"))} +
                         after_login(1),
                     false);
  CHECK(joined(o.log) == expected({"C: T1 AUTHENTICATE PLAIN " + plain_b64}));
}
