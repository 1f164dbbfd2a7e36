// Unit tests for imap::response_parser: every response form from real server transcripts, fed
// whole, byte by byte and split at every point (fail matrix), plus each error class and limit.
#include <doctest/doctest.h>

#include <cstdio>
#include <ostream>  // doctest prints std::error_code through it
#include <string>
#include <string_view>
#include <vector>

#include "imap/error.hpp"
#include "imap/response_parser.hpp"

using namespace std::string_literals;
using tacmail::daemon::imap::error;
using tacmail::daemon::imap::response;
using tacmail::daemon::imap::response_parser;
using tacmail::daemon::imap::value;

namespace {

// A canonical one-line rendering, so expectations read like the transcript and a mismatch
// prints both sides. Numbers are `#n`, strings are quoted with escapes, atoms are bare.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string dump(const value& v) {
  switch (v.type) {
    case value::kind::atom:
      return v.text;
    case value::kind::number:
      return "#" + std::to_string(v.number);
    case value::kind::string:
      return quote(v.text);
    case value::kind::nil:
      return "NIL";
    case value::kind::list: {
      std::string out = "(";
      for (std::size_t i = 0; i < v.items.size(); ++i) out += (i ? " " : "") + dump(v.items[i]);
      return out + ")";
    }
  }
  return "?";
}

std::string dump(const response& r) {
  std::string out;
  switch (r.type) {
    case response::kind::continuation:
      return "+ " + quote(r.text);
    case response::kind::untagged:
      out = "*";
      break;
    case response::kind::tagged:
      out = r.tag;
      break;
  }
  if (r.number) out += " " + std::to_string(*r.number);
  out += " " + r.name;
  if (!r.code.empty()) {
    out += " [" + r.code;
    for (const auto& a : r.code_args) out += " " + dump(a);
    out += "]";
  }
  for (const auto& d : r.data) out += " " + dump(d);
  if (r.is_status()) out += " " + quote(r.text);
  return out;
}

// Feeds `input` in the given pieces, draining next() after each; returns every response dumped
// plus the final state ("need_more" or "error: <message>").
std::vector<std::string> run_pieces(const std::vector<std::string_view>& pieces,
                                    response_parser::limits lim = {}) {
  response_parser p(lim);
  std::vector<std::string> out;
  for (auto piece : pieces) {
    p.feed(piece);
    for (;;) {
      response r;
      std::error_code ec;
      const auto st = p.next(r, ec);
      if (st == response_parser::status::ok) {
        out.push_back(dump(r));
        continue;
      }
      if (st == response_parser::status::error) {
        out.push_back("error: " + ec.message());
        return out;
      }
      break;
    }
  }
  out.push_back("need_more");
  return out;
}

std::vector<std::string> run_chunked(std::string_view input, std::size_t chunk,
                                     response_parser::limits lim = {}) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < input.size(); i += chunk) pieces.push_back(input.substr(i, chunk));
  return run_pieces(pieces, lim);
}

std::vector<std::string> run_whole(std::string_view input, response_parser::limits lim = {}) {
  return run_pieces({input}, lim);
}

// The fail matrix: byte by byte, and split at every point, must equal feeding whole.
void check_all_splits(std::string_view input, const std::vector<std::string>& expected,
                      response_parser::limits lim = {}) {
  CHECK(run_whole(input, lim) == expected);
  CHECK(run_chunked(input, 1, lim) == expected);
  for (std::size_t k = 1; k < input.size(); ++k) {
    INFO("split at " << k);
    CHECK(run_pieces({input.substr(0, k), input.substr(k)}, lim) == expected);
  }
}

struct transcript {
  const char* name;
  std::string input;
  std::vector<std::string> expected;  ///< dumps, ending with "need_more" or "error: ..."
};

const std::string body_with_nul = "Subject: x\r\n\r\nline (one)\r\n)\0end\r\n"s;

std::vector<transcript> transcripts() {
  return {
      {"dovecot greeting",
       "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] "
       "Dovecot ready.\r\n",
       {"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] "
        "\"Dovecot ready.\"",
        "need_more"}},
      {"dovecot select",
       "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
       "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
       "permitted.\r\n"
       "* 3 EXISTS\r\n"
       "* 0 RECENT\r\n"
       "* OK [UNSEEN 2] First unseen.\r\n"
       "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
       "* OK [UIDNEXT 4392] Predicted next UID\r\n"
       "* OK [HIGHESTMODSEQ 18446744073709551615] Highest\r\n"
       "a2 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n",
       {"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] "
        "\"Flags permitted.\"",
        "* 3 EXISTS", "* 0 RECENT", "* OK [UNSEEN #2] \"First unseen.\"",
        "* OK [UIDVALIDITY #3857529045] \"UIDs valid\"",
        "* OK [UIDNEXT #4392] \"Predicted next UID\"",
        "* OK [HIGHESTMODSEQ #18446744073709551615] \"Highest\"",
        "a2 OK [READ-WRITE] \"Select completed (0.001 + 0.000 secs).\"", "need_more"}},
      {"fetch body literal with CRLF, paren and NUL",
       "* 1 FETCH (UID 3 RFC822.SIZE 33 FLAGS (\\Seen) BODY[] {"s +
           std::to_string(body_with_nul.size()) + "}\r\n" + body_with_nul +
           ")\r\na5 OK Fetch completed.\r\n",
       {"* 1 FETCH (UID #3 RFC822.SIZE #33 FLAGS (\\Seen) BODY[] "
        "\"Subject: x\\r\\n\\r\\nline (one)\\r\\n)\\x00end\\r\\n\")",
        "a5 OK \"Fetch completed.\"", "need_more"}},
      {"fetch header fields section and partial",
       "* 2 FETCH (UID 4 BODY[HEADER.FIELDS (MESSAGE-ID)] {21}\r\nMessage-ID: <a@b>\r\n\r\n "
       "BODY[]<0> {5}\r\nhello)\r\n",
       {"* 2 FETCH (UID #4 BODY[HEADER.FIELDS (MESSAGE-ID)] \"Message-ID: <a@b>\\r\\n\\r\\n\" "
        "BODY[]<0> \"hello\")",
        "need_more"}},
      {"fetch NIL, empty and escaped quoted bodies",
       "* 7 FETCH (BODY[] NIL UID 9)\r\n* 8 FETCH (BODY[] \"\")\r\n"
       "* 9 FETCH (BODY[TEXT] \"say \\\"hi\\\" \\\\ bye\")\r\n",
       {"* 7 FETCH (BODY[] NIL UID #9)", "* 8 FETCH (BODY[] \"\")",
        "* 9 FETCH (BODY[TEXT] \"say \\\"hi\\\" \\\\ bye\")", "need_more"}},
      {"literal8 and LITERAL+ marker",
       "* 1 FETCH (BINARY[] ~{3}\r\na\0b UID 2)\r\n* LIST () \"/\" {5+}\r\nCases\r\n"s,
       {"* 1 FETCH (BINARY[] \"a\\x00b\" UID #2)", "* LIST () \"/\" \"Cases\"", "need_more"}},
      {"empty literal", "* 1 FETCH (BODY[] {0}\r\n)\r\n", {"* 1 FETCH (BODY[] \"\")", "need_more"}},
      {"data responses",
       "* CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS\r\n"
       "* SEARCH 1 2 3\r\n"
       "* SEARCH\r\n"
       "* SEARCH \r\n"
       "* ESEARCH (TAG \"a7\") UID COUNT 3 ALL 1:3,5\r\n"
       "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
       "* LIST (\\Noselect \\HasChildren) \".\" \"Support Cases\"\r\n"
       "* ENABLED CONDSTORE QRESYNC\r\n"
       "* ID (\"name\" \"Dovecot\")\r\n"
       "* ID NIL\r\n"
       "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
       "* STATUS \"box\" (MESSAGES 3 UIDNEXT 7)\r\n"
       "* VANISHED (EARLIER) 300:310,405\r\n"
       "* 4 EXPUNGE\r\n"
       "* 5 FETCH (FLAGS (\\Seen \\Deleted) UID 10)\r\n",
       {"* CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS", "* SEARCH #1 #2 #3", "* SEARCH", "* SEARCH",
        "* ESEARCH (TAG \"a7\") UID COUNT #3 ALL 1:3,5", "* LIST (\\HasNoChildren) \"/\" INBOX",
        "* LIST (\\Noselect \\HasChildren) \".\" \"Support Cases\"", "* ENABLED CONDSTORE QRESYNC",
        "* ID (\"name\" \"Dovecot\")", "* ID NIL", "* NAMESPACE ((\"\" \"/\")) NIL NIL",
        "* STATUS \"box\" (MESSAGES #3 UIDNEXT #7)", "* VANISHED (EARLIER) 300:310,405",
        "* 4 EXPUNGE", "* 5 FETCH (FLAGS (\\Seen \\Deleted) UID #10)", "need_more"}},
      {"tagged status and codes",
       "a3 NO [TRYCREATE] Mailbox doesn't exist: Cases\r\n"
       "a4 OK [COPYUID 38505 304,319:320 3956:3958] Move completed (0.002 + 0.000 secs).\r\n"
       "a5 BAD Error in IMAP command: Unknown command.\r\n"
       "a6 NO [ALREADYEXISTS] Mailbox already exists\r\n"
       "a7 OK\r\n"
       "A8 ok [appenduid 38505 3955] Append completed.\r\n",
       {"a3 NO [TRYCREATE] \"Mailbox doesn't exist: Cases\"",
        "a4 OK [COPYUID #38505 304,319:320 3956:3958] \"Move completed (0.002 + 0.000 secs).\"",
        "a5 BAD \"Error in IMAP command: Unknown command.\"",
        "a6 NO [ALREADYEXISTS] \"Mailbox already exists\"", "a7 OK \"\"",
        "A8 OK [APPENDUID #38505 #3955] \"Append completed.\"", "need_more"}},
      {"untagged status forms",
       "* PREAUTH [CAPABILITY IMAP4rev1] Logged in as tac\r\n"
       "* OK [ALERT] System shutdown in 10 minutes\r\n"
       "* NO Can't \"open (mailbox\r\n"
       "* BAD [unknown-code with \"odd args] text\r\n"
       "* OK [not closed\r\n"
       "* BYE Logging out\r\n"
       "* OK\r\n",
       {"* PREAUTH [CAPABILITY IMAP4rev1] \"Logged in as tac\"",
        "* OK [ALERT] \"System shutdown in 10 minutes\"", "* NO \"Can't \\\"open (mailbox\"",
        "* BAD [UNKNOWN-CODE with \"odd args] \"text\"", "* OK \"[not closed\"",
        "* BYE \"Logging out\"", "* OK \"\"", "need_more"}},
      {"continuations",
       "+ idling\r\n+\r\n+ \r\n+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQ==\r\n",
       {"+ \"idling\"", "+ \"\"", "+ \"\"",
        "+ \"YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQ==\"", "need_more"}},
      {"bare LF and lower case",
       "* ok [uidvalidity 1] fine\n* 2 exists\n* search 1 nil\n",
       {"* OK [UIDVALIDITY #1] \"fine\"", "* 2 EXISTS", "* SEARCH #1 NIL", "need_more"}},
      {"literal ending in CR before a bare-LF line",
       "* LIST () \"/\" {3}\r\nab\r\n",
       {"* LIST () \"/\" \"ab\\r\"", "need_more"}},
      {"number past uint64 stays an atom",
       "* SEARCH 18446744073709551615 18446744073709551616\r\n",
       {"* SEARCH #18446744073709551615 18446744073709551616", "need_more"}},
      {"partial response",
       "* OK done\r\n* 1 FETCH (BODY[] {5}\r\nhel",
       {"* OK \"done\"", "need_more"}},
  };
}

std::string malformed = "error: " + make_error_code(error::malformed_response).message();

}  // namespace

TEST_CASE("imap error category names every value") {
  const auto& cat = tacmail::daemon::imap::imap_category();
  CHECK(std::string_view(cat.name()) == "imap");
  for (int v = 1; v <= static_cast<int>(error::no_uidvalidity); ++v) {
    CAPTURE(v);
    CHECK(cat.message(v).find("unknown") == std::string::npos);
  }
  const std::error_code ec = error::literal_too_large;
  CHECK(ec.category() == cat);
}

TEST_CASE("transcripts parse, whole and at every split point") {
  for (const auto& t : transcripts()) {
    SUBCASE(t.name) { check_all_splits(t.input, t.expected); }
  }
}

TEST_CASE("all transcripts concatenated parse byte by byte like whole") {
  std::string all;
  std::vector<std::string> expected;
  for (const auto& t : transcripts()) {
    if (t.expected.back() != "need_more" || std::string_view(t.name) == "partial response") {
      continue;
    }
    all += t.input;
    expected.insert(expected.end(), t.expected.begin(), t.expected.end() - 1);
  }
  expected.push_back("need_more");
  CHECK(run_whole(all) == expected);
  CHECK(run_chunked(all, 1) == expected);
  CHECK(run_chunked(all, 7) == expected);
}

TEST_CASE("value kinds and fields") {
  response_parser p;
  p.feed("* 12 FETCH (UID 3 BODY[] {3}\r\nabc)\r\n");
  response r;
  std::error_code ec;
  REQUIRE(p.next(r, ec) == response_parser::status::ok);
  CHECK(!ec);
  CHECK(r.type == response::kind::untagged);
  REQUIRE(r.number);
  CHECK(*r.number == 12);
  CHECK(r.name == "FETCH");
  REQUIRE(r.data.size() == 1);
  const auto& items = r.data[0].items;
  REQUIRE(items.size() == 4);
  CHECK(items[0].type == value::kind::atom);
  CHECK(items[0].text == "UID");
  CHECK(items[1].type == value::kind::number);
  CHECK(items[1].number == 3);
  CHECK(items[2].text == "BODY[]");
  CHECK(items[3].type == value::kind::string);
  CHECK(items[3].text == "abc");
  CHECK(p.buffered() == 0);

  p.feed("tag1 NO [TRYCREATE] no\r\n");
  REQUIRE(p.next(r, ec) == response_parser::status::ok);
  CHECK(r.type == response::kind::tagged);
  CHECK(r.tag == "tag1");
  CHECK(!r.number);
  CHECK(r.code == "TRYCREATE");
  CHECK(r.code_args.empty());
  CHECK(r.data.empty());
}

TEST_CASE("several responses in one feed come out one by one") {
  response_parser p;
  const std::string input = "* 1 EXISTS\r\n* 2 EXISTS\r\n* 3 EXISTS\r\n* 4 EXI";
  p.feed(input);
  std::size_t before = p.buffered();
  CHECK(before == input.size());
  for (std::uint32_t n = 1; n <= 3; ++n) {
    response r;
    std::error_code ec;
    REQUIRE(p.next(r, ec) == response_parser::status::ok);
    CHECK(*r.number == n);
    CHECK(p.buffered() == before - 12);
    before = p.buffered();
  }
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::need_more);
  CHECK(p.next(r, ec) == response_parser::status::need_more);
  CHECK(p.buffered() == 7);
  p.feed("STS\r\n");
  REQUIRE(p.next(r, ec) == response_parser::status::ok);
  CHECK(*r.number == 4);
  CHECK(p.buffered() == 0);
}

TEST_CASE("need_more on partial input") {
  for (std::string_view partial :
       {"", "*", "* OK", "* OK done\r", "a1 OK [UIDNEXT 4", "* 1 FETCH (BODY[] {5}",
        "* 1 FETCH (BODY[] {5}\r\n", "* 1 FETCH (BODY[] {5}\r\nhello",
        "* 1 FETCH (BODY[] {5}\r\nhello)"}) {
    CAPTURE(partial);
    CHECK(run_whole(partial) == std::vector<std::string>{"need_more"});
  }
}

TEST_CASE("malformed responses are errors at every split point") {
  const std::vector<std::string> cases = {
      "\r\n",
      "garbage\r\n",
      "a1\r\n",
      "a1 FOO bar\r\n",
      "a1 PREAUTH x\r\n",
      "a1 3 EXISTS\r\n",
      "*\r\n",
      "* \r\n",
      "*OK\r\n",
      "* (x)\r\n",
      "* 1 FETCH (UID 3\r\n",
      "* SEARCH 1)\r\n",
      "* 1 FETCH ((UID 3)\r\n",
      "* LIST () \"/ INBOX\r\n",
      "* LIST () \"/\\\r\n",
      "* 1 FETCH (BODY[] {5} x)\r\n",
      "* 1 FETCH (BODY[] {5x}\r\nhello)\r\n",
      "* 1 FETCH (BODY[HEADER\r\n",
      "* 1 FETCH UID 3\r\n",
      "* 1 FETCH (UID 3) (UID 4)\r\n",
      "* FETCH (UID 3)\r\n",
      "* 4294967296 EXISTS\r\n",
      "* 3 \r\n",
      "* 3EXISTS\r\n",
      "* 3 OK done\r\n",
      "* OK[ALERT] x\r\n",
      "* SEARCH 1\x01 2\r\n",
      "* CAPABILITY(x)\r\n",
      "* 1 FETCH (BODY[] \"abc {3}\r\nxyz\")\r\n",
      "* SEARCH ]\r\n",
  };
  for (const auto& c : cases) {
    CAPTURE(c);
    check_all_splits(c, {malformed});
  }
}

TEST_CASE("error is sticky, and reset recovers") {
  response_parser p;
  p.feed("garbage\r\n* OK fine\r\n");
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::error);
  CHECK(ec == error::malformed_response);
  CHECK(p.buffered() == 0);
  p.feed("* OK more\r\n");
  ec.clear();
  CHECK(p.next(r, ec) == response_parser::status::error);
  CHECK(ec == error::malformed_response);
  p.reset();
  p.feed("* OK fine\r\n");
  CHECK(p.next(r, ec) == response_parser::status::ok);
  CHECK(!ec);
  CHECK(r.text == "fine");
}

TEST_CASE("reset drops a half-received response") {
  response_parser p;
  p.feed("* 1 FETCH (BODY[] {5}\r\nhe");
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::need_more);
  p.reset();
  CHECK(p.buffered() == 0);
  p.feed("* 2 EXISTS\r\n");
  REQUIRE(p.next(r, ec) == response_parser::status::ok);
  CHECK(*r.number == 2);
}

TEST_CASE("nesting deeper than the limit is malformed, not a stack overflow") {
  auto nested = [](int depth) {
    return "* X " + std::string(static_cast<std::size_t>(depth), '(') +
           std::string(static_cast<std::size_t>(depth), ')') + "\r\n";
  };
  CHECK(run_whole(nested(100)).front().rfind("* X ((", 0) == 0);
  CHECK(run_whole(nested(101)) == std::vector<std::string>{malformed});
  CHECK(run_whole(nested(100000)) == std::vector<std::string>{malformed});
}

TEST_CASE("literal_too_large as soon as the marker arrives, without buffering") {
  const std::string too_large = "error: " + make_error_code(error::literal_too_large).message();
  response_parser::limits lim;
  lim.max_literal = 1000;

  check_all_splits("* 1 FETCH (BODY[] {1000}\r\n" + std::string(1000, 'x') + ")\r\n",
                   {"* 1 FETCH (BODY[] \"" + std::string(1000, 'x') + "\")", "need_more"}, lim);
  CHECK(run_whole("* 1 FETCH (BODY[] {1001}\r\n", lim) == std::vector<std::string>{too_large});
  CHECK(run_whole("* 1 FETCH (BODY[] {99999999999999999999999999999}\r\n", lim) ==
        std::vector<std::string>{too_large});
  // The limit is on the response's literals together.
  CHECK(run_whole("* 1 FETCH (BODY[1] {600}\r\n" + std::string(600, 'x') + " BODY[2] {600}\r\n",
                  lim) == std::vector<std::string>{too_large});

  response_parser p;  // default limit: 64 MiB
  p.feed("* 1 FETCH (BODY[] {1000000000}\r\n");
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::error);
  CHECK(ec == error::literal_too_large);
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) {
    p.feed(chunk);
    CHECK(p.next(r, ec) == response_parser::status::error);
    CHECK(p.buffered() == 0);
  }
}

TEST_CASE("line_too_long as soon as the limit is passed without a line end") {
  const std::string too_long = "error: " + make_error_code(error::line_too_long).message();
  response_parser::limits lim;
  lim.max_line = 20;
  const std::string exact = "* OK " + std::string(15, 'x');  // 20 bytes
  check_all_splits(exact + "\r\n", {"* OK \"" + std::string(15, 'x') + "\"", "need_more"}, lim);
  CHECK(run_whole(exact + "\r", lim) == std::vector<std::string>{"need_more"});
  CHECK(run_whole(exact + "y", lim) == std::vector<std::string>{too_long});
  CHECK(run_whole(exact + "y\r\n", lim) == std::vector<std::string>{too_long});
  // Lines around a literal count together; the literal itself does not.
  CHECK(run_whole("* 1 FETCH (A {30}\r\n" + std::string(30, 'z') + " BBBBBBB)\r\n", lim) ==
        std::vector<std::string>{too_long});
  CHECK(run_whole("* 1 FETCH (A {30}\r\n" + std::string(30, 'z') + ")\r\n", lim).size() == 2);

  response_parser p(lim);
  p.feed("* OK " + std::string(16, 'x'));
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::error);
  CHECK(ec == error::line_too_long);
  CHECK(p.buffered() == 0);
}

TEST_CASE("byte-at-a-time framing of a large response stays linear") {
  // A rescan from the start on every byte would make this quadratic (~10^11 steps).
  const std::size_t size = 512 * 1024;
  const std::string input = "* 1 FETCH (BODY[] {" + std::to_string(size) + "}\r\n" +
                            std::string(size, 'a') + " " + std::string(size, 'b') + ")\r\n";
  response_parser p;
  response r;
  std::error_code ec;
  std::size_t ok = 0;
  for (char ch : input) {
    p.feed(std::string_view(&ch, 1));
    if (p.next(r, ec) == response_parser::status::ok) ++ok;
  }
  CHECK(ok == 1);
  REQUIRE(r.data.size() == 1);
  REQUIRE(r.data[0].items.size() == 3);
  CHECK(r.data[0].items[1].text.size() == size);
  CHECK(r.data[0].items[2].text.size() == size);
  CHECK(p.buffered() == 0);
}

// Compaction keeps buffered() exact while responses are consumed from a reused buffer.
TEST_CASE("a long session of partial feeds keeps nothing stale") {
  response_parser p;
  response r;
  std::error_code ec;
  for (int i = 0; i < 10000; ++i) {
    p.feed("* 1 EXISTS\r\n* 2 EXI");
    CHECK(p.next(r, ec) == response_parser::status::ok);
    CHECK(p.next(r, ec) == response_parser::status::need_more);
    p.feed("STS\r\n");
    CHECK(p.next(r, ec) == response_parser::status::ok);
    CHECK(p.buffered() == 0);
  }
}

TEST_CASE("message-sized literals are framed on their own and come out whole, in any chunking") {
  // Two bodies over the spill threshold and one under it, in one response, then another
  // response in the same bytes: every byte lands where it belongs.
  std::string big1(response_parser::spill_threshold + 17, '\0');
  std::string big2(3 * response_parser::spill_threshold, '\0');
  for (std::size_t i = 0; i < big1.size(); ++i) big1[i] = static_cast<char>('a' + i % 26);
  for (std::size_t i = 0; i < big2.size(); ++i) big2[i] = static_cast<char>(i % 251);
  big2[100] = '\n';  // a literal may hold anything, line ends included
  const std::string input = "* 1 FETCH (UID 7 BODY[] {" + std::to_string(big1.size()) + "}\r\n" +
                            big1 + " BODY[TEXT] {3}\r\nxyz BODY[HEADER] ~{" +
                            std::to_string(big2.size()) + "}\r\n" + big2 + ")\r\n* 2 EXISTS\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{1000}, std::size_t{65536}, input.size()}) {
    CAPTURE(chunk);
    response_parser p;
    response r;
    std::error_code ec;
    std::size_t fed = 0;
    auto status = response_parser::status::need_more;
    while (status == response_parser::status::need_more && fed < input.size()) {
      const std::size_t n = std::min(chunk, input.size() - fed);
      p.feed(std::string_view(input).substr(fed, n));
      fed += n;
      status = p.next(r, ec);
    }
    REQUIRE(status == response_parser::status::ok);
    REQUIRE(r.data.size() == 1);
    const auto& items = r.data[0].items;
    REQUIRE(items.size() == 8);
    CHECK(items[3].text == big1);
    CHECK(items[5].text == "xyz");
    CHECK(items[7].text == big2);
    if (fed < input.size()) p.feed(std::string_view(input).substr(fed));
    REQUIRE(p.next(r, ec) == response_parser::status::ok);
    CHECK(r.name == "EXISTS");
    CHECK(p.buffered() == 0);
  }
}

TEST_CASE("a spilled literal counts as buffered until its response is complete") {
  response_parser p;
  const std::size_t n = response_parser::spill_threshold;
  p.feed("* 1 FETCH (BODY[] {" + std::to_string(n) + "}\r\n" + std::string(n - 1, 'x'));
  response r;
  std::error_code ec;
  CHECK(p.next(r, ec) == response_parser::status::need_more);
  CHECK(p.buffered() >= n - 1);
  p.feed("x)\r\n");
  REQUIRE(p.next(r, ec) == response_parser::status::ok);
  CHECK(r.data[0].items[1].text == std::string(n, 'x'));
  CHECK(p.buffered() == 0);
}
