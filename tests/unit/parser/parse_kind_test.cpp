// Kind detection on whole messages: follow-ups, auto-replies, bounces and list mail.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("[Case N] in the subject makes a follow-up; ids without angle brackets") {
  const parsed_message m = parse_file("follow_up.eml");
  CHECK(m.kind == message_kind::follow_up);
  CHECK(m.case_ref == "686463306");
  CHECK(m.product == "Cisco BroadWorks");
  CHECK(m.message_id == "followup.0001@mail.acme-telecom.com");
  const std::vector<std::string> in_reply_to{"tacmail.686463306.1@example.com"};
  CHECK(m.in_reply_to == in_reply_to);
  const std::vector<std::string> references{"CAF=plain.0001@mail.acme-telecom.com",
                                            "tacmail.686463306.1@example.com"};
  CHECK(m.references == references);
  CHECK(m.missing.empty());
  // An update that states no severity does not get one inferred.
  CHECK_FALSE(m.severity);
  CHECK_FALSE(m.severity_inferred);
}

TEST_CASE("case number named in the body makes a follow-up") {
  const parsed_message m = parse_file("follow_up_body.eml");
  CHECK(m.kind == message_kind::follow_up);
  CHECK(m.case_ref == "686463399");
  CHECK(m.from_address == "ops@bigcarrier.com");
  CHECK_FALSE(m.from_name);
}

TEST_CASE("Auto-Submitted wins over the [Case N] tag") {
  const parsed_message m = parse_file("auto_reply.eml");
  CHECK(m.kind == message_kind::auto_reply);
  CHECK(m.case_ref == "686463306");
  CHECK(m.missing.empty());
  CHECK_FALSE(m.severity);
}

TEST_CASE("an Out of Office subject is an auto-reply") {
  CHECK(parse_file("out_of_office.eml").kind == message_kind::auto_reply);
}

TEST_CASE("a delivery report from MAILER-DAEMON is a bounce") {
  const parsed_message m = parse_file("bounce.eml");
  CHECK(m.kind == message_kind::bounce);
  CHECK(m.from_address == "mailer-daemon@mx.acme-telecom.com");
  CHECK(m.missing.empty());
  CHECK(m.attachments.empty());
}

TEST_CASE("List-Id makes list mail even when a product is named") {
  const parsed_message m = parse_file("list.eml");
  CHECK(m.kind == message_kind::list);
  CHECK(m.missing.empty());
}

TEST_CASE("kind priority and header variants on small inline messages") {
  const auto catalog = test_catalog();
  auto kind_of = [&](const std::string& headers) {
    return parse_message(headers + "\r\n\r\nhello\r\n", catalog).kind;
  };
  CHECK(kind_of("From: a@b.c\r\nSubject: x") == message_kind::new_case);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nAuto-Submitted: no") == message_kind::new_case);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nX-Autoreply: yes") == message_kind::auto_reply);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nX-Autorespond: yes") == message_kind::auto_reply);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nPrecedence: auto_reply") == message_kind::auto_reply);
  CHECK(kind_of("From: a@b.c\r\nSubject: Auto: away") == message_kind::auto_reply);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nPrecedence: bulk") == message_kind::list);
  CHECK(kind_of("From: a@b.c\r\nSubject: x\r\nPrecedence: junk") == message_kind::list);
  CHECK(kind_of("From: postmaster@b.c\r\nSubject: x") == message_kind::bounce);
  CHECK(kind_of("Return-Path: <>\r\nFrom: a@b.c\r\nSubject: x") == message_kind::bounce);
  CHECK(kind_of("From: a@b.c\r\nSubject: [Case 123456789] x\r\nPrecedence: list") ==
        message_kind::list);
  CHECK(
      kind_of("From: a@b.c\r\nSubject: x\r\nAuto-Submitted: auto-generated\r\nList-Id: <l.b.c>") ==
      message_kind::auto_reply);
  // Not nine digits: no case reference.
  CHECK(kind_of("From: a@b.c\r\nSubject: [Case 12345678] x") == message_kind::new_case);
}

TEST_CASE("case references in body text") {
  const auto catalog = test_catalog();
  auto ref = [&](const std::string& body) {
    return parse_message("From: a@b.c\r\nSubject: update\r\n\r\n" + body, catalog).case_ref;
  };
  CHECK(ref("see case 686463306 please") == "686463306");
  CHECK(ref("Case number: 686463306") == "686463306");
  CHECK(ref("our SR 686463306 is still open") == "686463306");
  CHECK(ref("Case #686463306") == "686463306");
  CHECK_FALSE(ref("call 6864633061 now"));
  CHECK_FALSE(ref("in case 68646330 helps"));
}

TEST_CASE("a read receipt is an automatic reply, a delivery report a bounce") {
  const auto catalog = test_catalog();
  auto report = [&](const std::string& type) {
    return parse_message(
               "From: a@b.example\r\nSubject: Read: HIPCOM\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/report; report-type=" +
                   type +
                   "; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\n"
                   "Your message was read.\r\n--r--\r\n",
               catalog)
        .kind;
  };
  CHECK(report("disposition-notification") == message_kind::auto_reply);
  CHECK(report("delivery-status") == message_kind::bounce);
}
