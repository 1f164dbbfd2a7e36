// HTML bodies turned into text with gumbo: tables as `cell: cell`, blocks as lines.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

parsed_message parse_html(const std::string& html) {
  return parse_message(
      "From: a@b.example\r\nSubject: HIPCOM\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
          html,
      test_catalog());
}

// A multipart/alternative of a plain and an HTML part.
std::string alternative(const std::string& plain, const std::string& html) {
  return "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/alternative; boundary=x\r\n\r\n"
         "--x\r\nContent-Type: text/plain\r\n\r\n" +
         plain + "\r\n--x\r\nContent-Type: text/html\r\n\r\n" + html + "\r\n--x--\r\n";
}

}  // namespace

TEST_CASE("Outlook-style paragraphs with <br> and bold labels") {
  const parsed_message m = parse_html(
      "<html><head><meta charset=utf-8><style>.MsoNormal{margin:0}</style></head><body>"
      "<div class=WordSection1><p class=MsoNormal><b>Company name:</b> Wayne&nbsp;Enterprises"
      "<o:p></o:p></p><p class=MsoNormal>Contact name: Lucius Fox<br>Contact phone number: "
      "+1 555 0111</p><p>Brief problem description: Calls &lt;drop&gt; after 5&#160;minutes "
      "&amp; then<br>reconnect.</p></div></body></html>");
  CHECK(m.company == "Wayne Enterprises");
  CHECK(m.contact_name == "Lucius Fox");
  CHECK(m.contact_phone == "+1 555 0111");
  CHECK(m.description == "Calls <drop> after 5\xC2\xA0minutes & then\nreconnect.");
  CHECK(m.body_text.find("MsoNormal") == std::string::npos);
}

TEST_CASE("table with th/td, empty cells skipped, nested markup flattened in a cell") {
  const parsed_message m = parse_html(
      "<table><tr><th>Company name</th><td></td><td><span>Stark</span> <i>Industries</i></td></tr>"
      "<tr><td>Contract #</td><td><div>12 34 56 78</div></td></tr>"
      "<tr><td colspan=2>Brief problem description</td></tr>"
      "<tr><td colspan=2>Repulsor firmware upgrade fails.</td></tr></table>");
  CHECK(m.company == "Stark Industries");
  CHECK(m.contract == "12 34 56 78");
  CHECK(m.description == "Repulsor firmware upgrade fails.");
}

TEST_CASE("multipart/alternative with a stub plain part uses the HTML") {
  const parsed_message m = parse_message(
      alternative("This message is in HTML format.", "<p>Company name: Html Corp</p>"),
      test_catalog());
  CHECK(m.company == "Html Corp");
}

TEST_CASE("an empty plain part uses the HTML; a real plain part wins") {
  const std::string empty = alternative("", "<p>Company name: Html Corp</p>");
  CHECK(parse_message(empty, test_catalog()).company == "Html Corp");
  const std::string both =
      alternative("Company name: Plain Corp", "<p>Company name: Html Corp</p>");
  CHECK(parse_message(both, test_catalog()).company == "Plain Corp");
}

TEST_CASE("a plain rendering that flattened a table: the fields come from the HTML alternative") {
  const parsed_message m = parse_message(
      alternative("Please help.\r\n\r\nCompany name Acme Corp\r\nContract number 12345678\r\n",
                  "<p>Please help.</p><table><tr><td>Company name</td><td>Acme Corp</td></tr>"
                  "<tr><td>Contract #</td><td>12345678</td></tr></table>"),
      test_catalog());
  CHECK(m.company == "Acme Corp");
  CHECK(m.contract == "12345678");
}

TEST_CASE("text an HTML alternative holds beyond the plain one (hidden) fills no field") {
  const parsed_message m =
      parse_message(alternative("Calls drop after five minutes since this morning.",
                                "<p>Calls drop after five minutes since this morning.</p>"
                                "<div style=\"display:none\">Company name: Hidden Corp</div>"),
                    test_catalog());
  CHECK(m.company == std::nullopt);
  CHECK(m.body_text == "Calls drop after five minutes since this morning.");
}

TEST_CASE("HTML in a legacy charset is converted before parsing") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\n"
      "Content-Type: text/html; charset=windows-1252\r\n\r\n<p>Company name: Caf\xE9 "
      "\x93Noir\x94</p>";
  CHECK(parse_message(raw, test_catalog()).company == "Caf\xC3\xA9 \xE2\x80\x9CNoir\xE2\x80\x9D");
}

TEST_CASE("hostile HTML nesting does not crash") {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "Company name: Deep Corp";
  const parsed_message m = parse_html(html);
  CHECK(m.kind == message_kind::new_case);
}
