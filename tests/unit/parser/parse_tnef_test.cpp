// winmail.dat (application/ms-tnef) from Outlook: unpacked into its body and attachments.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("winmail.dat body read and its attachment listed instead of the blob") {
  const parsed_message m = parse_file("winmail_tnef.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.company == "Contoso Ltd");
  CHECK(m.contact_name == "Megan Bowen");
  CHECK(m.contact_phone == "+1 425 555 0109");
  CHECK(m.contract == "20242024");
  CHECK(m.description == "Outlook sends winmail.dat, the call queue report is attached.");
  CHECK(m.missing.empty());
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].name == "queue-report.csv");
  CHECK(m.attachments[0].size == 51);
  CHECK(m.attachments[0].sha256 ==
        "a7c712539e09a4f30d8eb4176fa5196e28334a8508028efc2c8208f5e9101816");
}

TEST_CASE("an unreadable winmail.dat is listed as an attachment with a warning") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain\r\n\r\nCompany name: Broken Tnef Inc\r\n"
      "--x\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\neJ8+IgEAAQYQAAAAAQA=\r\n--x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.company == "Broken Tnef Inc");
  CHECK(has_warning(m, "winmail.dat"));
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].name == "winmail.dat");
  CHECK(m.attachments[0].type == "application/ms-tnef");
}

TEST_CASE("a well-framed winmail.dat with a corrupt MAPI block still parses, nothing printed") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "eJ8+IgEAAQOQBgAsAAAABQAAAP//////////////////////////////////////////////////////"
      "dJwEMgAIAEAAAAENvbXBhbnkgbmFtZTogWABKBQ==\r\n--x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.product == "HIPCOM");
}
