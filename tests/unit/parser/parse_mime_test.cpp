// MIME on whole messages: transfer encodings, charsets, HTML, alternatives and attachments.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"
#include "tacmail/parser/digest.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("quoted-printable UTF-8 body and RFC 2047 Q subject over two lines") {
  const parsed_message m = parse_file("qp_utf8.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.subject == "Cisco BroadWorks \xE2\x80\x93 Anrufweiterleitung gest\xC3\xB6rt");
  CHECK(m.from_name == "J\xC3\xB6rg M\xC3\xBCller");
  CHECK(m.from_address == "joerg.mueller@mueller-soehne.at");
  CHECK(m.product == "Cisco BroadWorks");
  CHECK(m.company == "M\xC3\xBCller & S\xC3\xB6hne Kommunikation GmbH");
  CHECK(m.contact_name == "J\xC3\xB6rg M\xC3\xBCller");
  CHECK(m.contract == "912345678");
  CHECK(m.severity == 3);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.description ==
        "Die Anrufweiterleitung funktioniert nicht mehr \xE2\x80\x93 Anrufer "
        "h\xC3\xB6ren nur ein Besetztzeichen.");
  CHECK(m.missing.empty());
  CHECK(m.body_text.find("=C3") == std::string::npos);
}

TEST_CASE("base64 UTF-8 body, B-encoded subject and display name, Sev 2 on its own line") {
  const parsed_message m = parse_file("base64_utf8.eml");
  CHECK(m.subject == "HIPCOM");
  CHECK(m.product == "HIPCOM");
  CHECK(m.from_name == "Am\xC3\xA9lie Dubois");
  CHECK(m.company == "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale de T\xC3\xA9l\xC3\xA9phonie");
  CHECK(m.contact_phone == "+33 1 23 45 67 89");
  CHECK(m.severity == 2);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.description ==
        "Les appels sortants \xC3\xA9"
        "chouent de fa\xC3\xA7on intermittente.");
}

TEST_CASE("ISO-8859-1 8bit body converted to UTF-8") {
  const parsed_message m = parse_file("iso_8859_1.eml");
  CHECK(m.subject == "BroadSoft PaaS");
  CHECK(m.product == "BroadSoft PaaS");
  CHECK(m.from_name == "Jos\xC3\xA9 P\xC3\xA9rez");
  CHECK(m.company == "Telef\xC3\xB3nica Ib\xC3\xA9rica S.A.");
  CHECK(m.contact_name == "Jos\xC3\xA9 P\xC3\xA9rez");
  CHECK(m.description ==
        "La se\xC3\xB1"
        "alizaci\xC3\xB3n SIP falla en el troncal n\xC3\xBAmero 3.");
  CHECK(m.warnings.size() == 1);  // only "contact_email taken from From"
}

TEST_CASE("unlabeled 8-bit text is detected, not garbled") {
  const parsed_message m = parse_file("unlabeled_8bit.eml");
  CHECK(m.company == "Caf\xC3\xA9 Cr\xC3\xA8me Communications");
  CHECK(m.contact_name ==
        "Ren\xC3\xA9"
        "e Lef\xC3\xA8vre");
  CHECK(m.product == "UC-One SaaS");
  CHECK(m.body_text.find("\xEF\xBF\xBD") == std::string::npos);
}

TEST_CASE("HTML-only mail: table rows read as label: value, style/script/head dropped") {
  const parsed_message m = parse_file("html_only.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.product == "Contact Center (CC-One)");
  CHECK(m.company == "Northwind & Partners");
  CHECK(m.contact_name == "Anna Schmidt");
  CHECK(m.contact_phone == "+1 (555) 010-2000");
  CHECK(m.contract == "55443322");
  CHECK(m.severity == 4);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.description == "Need the \"CDR\" export format for reporting.");
  CHECK(m.body_text.find("color") == std::string::npos);
  CHECK(m.body_text.find("var x") == std::string::npos);
  CHECK(m.body_text.find("Request") == std::string::npos);
  CHECK(m.body_text.find("<p>") == std::string::npos);
  CHECK(m.missing.empty());
}

TEST_CASE("multipart/alternative uses the text/plain part; Fwd: prefix stripped for product") {
  const parsed_message m = parse_file("multipart_alternative.eml");
  CHECK(m.product == "Cisco BroadWorks");
  CHECK(m.company == "Globex Corporation");
  CHECK(m.severity == 3);
  CHECK(m.body_text.find("must not be used") == std::string::npos);
  CHECK(m.missing.empty());
}

TEST_CASE("attachments listed with name, type, decoded size and SHA-256") {
  const parsed_message m = parse_file("attachment.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.description == "Logs and the config export are attached.");
  REQUIRE(m.attachments.size() == 2);
  CHECK(m.attachments[0].name == "config export.pdf");
  CHECK(m.attachments[0].type == "application/pdf");
  CHECK(m.attachments[0].size == 73);
  CHECK(m.attachments[0].sha256 ==
        "19bdc377807bc795c5e24a6fb75980239b7fe28efa7a8b44dac5e52de4778a4a");
  // RFC 2231 filename*= with a UTF-8 en dash.
  CHECK(m.attachments[1].name == "sip\xE2\x80\x93trace.log");
  CHECK(m.attachments[1].type == "text/plain");
  CHECK(m.attachments[1].size == 88);
  CHECK(m.attachments[1].sha256 ==
        "a4edcf62e2b01c22fdfd94bf200b7011bee4fce9be185082bef66e57442d8c6d");
}

TEST_CASE("sha256_hex: the FIPS 180-2 test vectors") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
