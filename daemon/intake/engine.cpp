// One mail through intake: recognise, parse, classify, decide, commit, log one line.
#include "intake/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "smtp/message_writer.hpp"
#include "store/error.hpp"
#include "tacmail/parser/digest.hpp"
#include "tacmail/routing/reply.hpp"
#include "tacmail/routing/reply_policy.hpp"

namespace tacmail::daemon::intake {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return "[" + out + "]";
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? "tacmail.invalid" : address.substr(at + 1);
}

// SHA-256 over sender, normalised subject and text: the identity of a submission.
std::string fingerprint(const parser::parsed_message& m) {
  std::string subject;
  for (char c : m.subject)
    if (!std::isspace(static_cast<unsigned char>(c)))
      subject += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string material = m.from_address.value_or("");
  material += '\0';
  material += subject;
  material += '\0';
  material += m.body_text;
  return parser::sha256_hex(material);
}

// The case's request as stored, with the fields a follow-up supplies filled in.
parser::parsed_message merged_request(const store::case_record& c,
                                      const parser::parsed_message& note,
                                      const routing::follow_up_decision& fd) {
  parser::parsed_message m;
  static_cast<parser::request_fields&>(m) = c;
  m.subject = c.subject;
  m.from_address = c.sender;
  for (const auto& field : fd.filled) {
    auto take = [&](std::optional<std::string>& target, const std::optional<std::string>& v) {
      if (v) target = v;
    };
    if (field == "company") take(m.company, note.company);
    if (field == "contact_name") take(m.contact_name, note.contact_name);
    if (field == "contact_phone") take(m.contact_phone, note.contact_phone);
    if (field == "cco_id") take(m.cco_id, note.cco_id);
    if (field == "contact_email") take(m.contact_email, note.contact_email);
    if (field == "contract") {
      take(m.contract, note.contract);
      take(m.smart_account, note.smart_account);
      take(m.virtual_account, note.virtual_account);
    }
    if (field == "product") take(m.product, note.product);
    if (field == "description") take(m.description, note.description);
    if (field == "location") take(m.location, note.location);
  }
  m.missing = fd.still_missing;
  return m;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string routing_reasons(const routing::decision& d) {
  std::string out;
  for (const auto& r : d.reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

}  // namespace

const char* to_string(outcome::kind k) {
  switch (k) {
    case outcome::kind::opened: return "opened";
    case outcome::kind::attached: return "attached";
    case outcome::kind::duplicate: return "duplicate";
    case outcome::kind::skipped: return "skipped";
    case outcome::kind::already_done: return "already_done";
    case outcome::kind::quarantined: return "quarantined";
    case outcome::kind::retry: return "retry";
  }
  return "unknown";
}

engine::engine(store::case_store& store, routing::routing_rules rules, engine_settings settings,
               std::function<void()> on_reply_queued, ops::event_sink* events)
    : store_(store),
      rules_(std::move(rules)),
      settings_(std::move(settings)),
      reply_limits_{lower(smtp::address_of(settings_.from_header).value_or("")),
                    settings_.max_replies_per_hour, settings_.authserv_id},
      on_reply_queued_(std::move(on_reply_queued)),
      events_(events) {}

void engine::begin_batch() {
  if (batching_) return;
  batching_ = true;
  batch_mails_ = 0;
  after_commit_.clear();
  store_.begin_batch(batch_error_);
  if (batch_error_) store_failure(batch_error_, "starting a batch");
}

bool engine::commit_batch() {
  if (!batching_) return true;
  batching_ = false;
  std::error_code ec = batch_error_;
  if (!ec) store_.commit_batch(ec);
  batch_error_.clear();
  auto effects = std::exchange(after_commit_, {});
  if (ec) {
    if (batch_mails_ > 0)
      spdlog::error("store error: the batch of {} mail(s) was not stored ({}); it stays in the "
                    "folder for the next pass",
                    batch_mails_, ec.message());
    return false;
  }
  for (auto& effect : effects) effect();
  return true;
}

void engine::after_commit(std::function<void()> effect) {
  if (batching_)
    after_commit_.push_back(std::move(effect));
  else
    effect();
}

std::optional<outcome> engine::start_mail() {
  started_ = std::chrono::steady_clock::now();
  if (batching_) ++batch_mails_;
  if (batch_error_)
    return outcome{outcome::kind::retry, "", "store error: " + batch_error_.message(), {}};
  return std::nullopt;
}

outcome engine::quarantine(const store::message_origin& origin, const std::string& reason,
                           clock::time_point now) {
  if (auto refused = start_mail()) return *refused;
  return quarantined(origin, parser::parsed_message{}, reason, now);
}

outcome engine::quarantined(const store::message_origin& origin, const parser::parsed_message& m,
                            const std::string& reason, clock::time_point now) {
  std::error_code ec;
  store_.record_quarantine(origin, m.message_id, reason, now, ec);
  if (ec) return store_failure(ec, "recording the quarantine");
  outcome o{outcome::kind::quarantined, "", reason, {}};
  log(origin, m, o, nullptr);
  return o;
}

void engine::check_uidvalidity(const std::string& mailbox, std::uint32_t uidvalidity) {
  std::error_code ec;
  const auto cursor = store_.find_cursor(mailbox, ec);
  if (ec || !cursor || cursor->uidvalidity == uidvalidity) return;
  spdlog::warn("[{}] UIDVALIDITY changed from {} to {} (folder recreated or restored): "
               "re-scanning, known mail is recognised by Message-ID",
               mailbox, cursor->uidvalidity, uidvalidity);
  if (events_) {
    ops::case_event e;
    e.event = "uidvalidity_changed";
    e.mailbox = mailbox;
    e.reasons.push_back("UIDVALIDITY " + std::to_string(cursor->uidvalidity) + " -> " +
                        std::to_string(uidvalidity));
    events_->record(e);
  }
}

outcome engine::process(const store::message_origin& origin, std::string_view raw,
                        clock::time_point now) {
  if (auto refused = start_mail()) return *refused;
  std::error_code ec;
  const store::origin_state seen = store_.find_origin(origin, ec);
  if (ec) return store_failure(ec, "looking up the message");
  if (seen.state == store::origin_state::kind::recorded) {
    spdlog::info("[{} uid={}] already recorded{}; finishing its move", origin.mailbox, origin.uid,
                 seen.case_number.empty() ? "" : " in case " + seen.case_number);
    return {outcome::kind::already_done, seen.case_number, "already recorded", seen.message_id};
  }
  if (seen.state == store::origin_state::kind::quarantined)
    return {outcome::kind::quarantined, "", seen.reason, seen.message_id};

  const parser::parsed_message m = parser::parse_message(raw, rules_.products, settings_.parsing);

  if (m.kind == parser::message_kind::unreadable) {
    // The parser says why in a warning of its own ("unreadable: ..."): it leads the reason,
    // the other warnings follow.
    const auto why = std::find_if(m.warnings.begin(), m.warnings.end(),
                                  [](const std::string& w) { return w.starts_with("unreadable"); });
    std::string reason = why != m.warnings.end() ? *why : "unreadable";
    for (auto w = m.warnings.begin(); w != m.warnings.end(); ++w) {
      if (w != why) reason += "; " + *w;
    }
    return quarantined(origin, m, reason, now);
  }

  if (m.message_id) {
    const auto existing = store_.case_for_message_id(*m.message_id, ec);
    if (ec) return store_failure(ec, "looking up the Message-ID");
    if (existing)
      return record(*existing, m, origin, "duplicate",
                    "same Message-ID as a mail already in case " + *existing,
                    outcome::kind::duplicate, now);
  }

  switch (m.kind) {
    case parser::message_kind::auto_reply:
    case parser::message_kind::bounce:
    case parser::message_kind::list:
      return record("", m, origin, "skipped", parser::to_string(m.kind), outcome::kind::skipped, now);
    default: break;
  }

  // A reply names its case by the subject tag, the body, or the ids it answers.
  std::optional<std::string> target;
  if (m.case_ref) {
    const bool exists = store_.case_exists(*m.case_ref, ec);
    if (ec) return store_failure(ec, "looking up the case");
    if (exists) target = m.case_ref;
  }
  if (!target) {
    std::vector<std::string> ids = m.in_reply_to;
    ids.insert(ids.end(), m.references.begin(), m.references.end());
    for (const auto& id : ids) {
      target = store_.case_for_message_id(id, ec);
      if (ec) return store_failure(ec, "looking up the thread");
      if (target) break;
    }
  }
  if (target) return follow_up(*target, m, origin, now);

  // The same request sent twice in a short while is one case, not two.
  const std::string fp = fingerprint(m);
  const auto earlier = store_.case_for_fingerprint(fp, now - rules_.policy.duplicate_window, ec);
  if (ec) return store_failure(ec, "looking for a duplicate submission");
  if (earlier)
    return record(*earlier, m, origin, "duplicate",
                  "same sender, subject and text as case " + *earlier + " within the window",
                  outcome::kind::duplicate, now);
  return open_case(m, origin, now, fp);
}

outcome engine::follow_up(const std::string& case_number, const parser::parsed_message& m,
                          const store::message_origin& origin, clock::time_point now) {
  std::error_code ec;
  const auto view = store_.case_view(case_number, ec);
  if (ec || !view) return store_failure(ec, "reading case " + case_number);
  const routing::follow_up_decision fd = routing::decide_follow_up(m, *view, rules_, now);
  if (fd.what == routing::follow_up_decision::kind::new_case)
    return open_case(m, origin, now, fingerprint(m), std::make_pair(case_number, fd));

  store::case_note note{.request = m,
                        .origin = origin,
                        .received = now,
                        .new_status = fd.status,
                        .filled = fd.filled,
                        .still_missing = fd.still_missing,
                        .reasons = fd.reasons,
                        .redecision = std::nullopt,
                        .reply = std::nullopt};
  if (!fd.filled.empty()) {
    // The customer completed the request: judge it again on everything now known.
    const auto details = store_.find_case(case_number, ec);
    if (ec || !details) return store_failure(ec, "reading case " + case_number);
    routing::decision again = routing::decide(merged_request(details->record, m, fd), rules_, now);
    note.reasons.push_back("judged again with the supplied fields: queue " + again.queue +
                           (again.entitled ? (*again.entitled ? ", entitled" : ", not entitled")
                                           : ""));
    note.redecision = std::move(again);
  }
  std::optional<routing::reply_verdict> verdict;
  if (settings_.reply_on_follow_up) {
    verdict = judge_reply(m, now, ec);
    if (ec) return store_failure(ec, "counting the sender's recent replies");
    note.reply = queued(routing::compose_follow_up_received(case_number, m, fd.status,
                                                            fd.still_missing, rules_.templates),
                        "tacmail." + case_number + ".note-" + std::to_string(origin.uid) + "." +
                            std::to_string(origin.uidvalidity),
                        *verdict, now);
    if (!verdict->answer) note.reasons.push_back("no acknowledgement: " + verdict->reason);
  }
  store_.add_note(case_number, note, ec);
  if (ec) return store_failure(ec, "adding the note to case " + case_number);
  if (verdict) announce(*verdict, case_number, m);
  std::string summary = "status " + fd.status;
  if (!fd.filled.empty()) {
    summary += "; supplies";
    for (const auto& f : fd.filled) summary += " " + f;
  }
  outcome o{outcome::kind::attached, case_number, summary, {}};
  log(origin, m, o, nullptr);
  return o;
}

outcome engine::open_case(const parser::parsed_message& m, const store::message_origin& origin,
                          clock::time_point now, const std::string& fp,
                          const std::optional<std::pair<std::string, routing::follow_up_decision>>&
                              related) {
  routing::decision d = routing::decide(m, rules_, now);
  if (related) {
    d.related_case = related->first;
    d.flags.push_back(related->second.flag);
    d.reasons.insert(d.reasons.end(), related->second.reasons.begin(),
                     related->second.reasons.end());
  }
  std::error_code ec;
  const auto verdict = judge_reply(m, now, ec);
  if (ec) return store_failure(ec, "counting the sender's recent replies");
  if (!verdict.answer) {
    d.flags.push_back(verdict.flag);
    d.reasons.push_back("no reply: " + verdict.reason);
  }
  auto make_reply = [&](const std::string& number) -> store::queued_reply {
    return queued(routing::compose_case_opened(number, m, d, rules_.policy, rules_.templates),
                  "tacmail." + number + ".opened", verdict, now);
  };

  const std::string number = store_.open_case({m, d, origin, now, fp}, make_reply, ec);
  if (ec) return store_failure(ec, "storing the case");
  outcome o{outcome::kind::opened, number, "", {}};
  log(origin, m, o, &d);
  announce(verdict, number, m);
  return o;
}

routing::reply_verdict engine::judge_reply(const parser::parsed_message& m, clock::time_point now,
                                           std::error_code& ec) {
  const std::string sender = lower(m.from_address.value_or(""));
  const bool valid = smtp::valid_address(sender);
  const std::size_t recent =
      valid ? store_.replies_to_since(sender, now - std::chrono::hours(1), ec) : 0;
  return routing::may_answer(m, valid, recent, reply_limits_);
}

store::queued_reply engine::queued(routing::reply_content content, const std::string& id_prefix,
                                   const routing::reply_verdict& verdict, clock::time_point now) {
  // An invalid sender gets no outbox row at all: there is nobody to record a reply for.
  content.to_address = lower(content.to_address);
  if (!smtp::valid_address(content.to_address)) return {};
  const std::string id = id_prefix + "@" + domain_of(reply_limits_.own_address);
  return {id, content.to_address, settings_.envelope_from,
          smtp::write_reply(content, settings_.from_header, id, now),
          verdict.answer ? std::string() : verdict.reason};
}

void engine::announce(const routing::reply_verdict& verdict, const std::string& case_number,
                      const parser::parsed_message& m) {
  if (verdict.answer) {
    if (on_reply_queued_) after_commit(on_reply_queued_);
    return;
  }
  std::string line = fmt::format("reply suppressed: case {} to {}: {}", case_number,
                                 m.from_address.value_or("?"), verdict.reason);
  ops::case_event e;
  e.event = "reply_suppressed";
  e.case_number = case_number;
  e.sender = m.from_address.value_or("");
  e.message_id = m.message_id.value_or("");
  e.flags.push_back(verdict.flag);
  e.reasons.push_back(verdict.reason);
  after_commit([this, line = std::move(line), e = std::move(e)] {
    spdlog::info("{}", line);
    if (events_) events_->record(e);
  });
}

outcome engine::record(const std::string& case_number, const parser::parsed_message& m,
                       const store::message_origin& origin, const std::string& role,
                       const std::string& note, outcome::kind what, clock::time_point now) {
  std::error_code ec;
  store_.record_message(case_number, m, origin, role, note, now, ec);
  if (ec) return store_failure(ec, "recording the message");
  outcome o{what, case_number, note, {}};
  log(origin, m, o, nullptr);
  return o;
}

outcome engine::store_failure(std::error_code ec, const std::string& doing) {
  const bool temporary = store::is_temporary(ec);
  spdlog::error("store error while {}: {}{}", doing, ec.message(),
                temporary ? " (will retry)" : " (quarantining the mail)");
  return {temporary ? outcome::kind::retry : outcome::kind::quarantined,
          "",
          "store error while " + doing + ": " + ec.message(),
          {}};
}

void engine::log(const store::message_origin& origin, const parser::parsed_message& m,
                 const outcome& o, const routing::decision* d) {
  const std::string head = fmt::format("[{} uid={}] <{}> from {}", origin.mailbox, origin.uid,
                                       m.message_id.value_or(""), m.from_address.value_or("?"));
  auto level = spdlog::level::info;
  std::string line;
  if (o.what == outcome::kind::opened && d) {
    line = fmt::format("{}: opened case {} queue={} severity=S{}{} status=\"{}\" product=\"{}\" "
                       "missing={} flags={}{} because: {}",
                       head, o.case_number, d->queue, m.severity.value_or(3),
                       m.severity_inferred ? "(inferred)" : "", d->status, m.product.value_or(""),
                       join(m.missing), join(d->flags),
                       d->related_case ? " related=" + *d->related_case : "", routing_reasons(*d));
  } else if (o.what == outcome::kind::quarantined) {
    level = spdlog::level::warn;
    line = fmt::format("{}: quarantined: {}", head, o.reason);
  } else {
    line = fmt::format("{}: {}{}{}", head, to_string(o.what),
                       o.case_number.empty() ? "" : " case " + o.case_number,
                       o.reason.empty() ? "" : " (" + o.reason + ")");
  }
  if (!events_) {
    after_commit([level, line = std::move(line)] { spdlog::log(level, "{}", line); });
    return;
  }
  ops::case_event e;
  switch (o.what) {
    case outcome::kind::opened: e.event = "case_opened"; break;
    case outcome::kind::attached: e.event = "follow_up_attached"; break;
    default: e.event = to_string(o.what); break;
  }
  e.case_number = o.case_number;
  e.severity = m.severity;
  e.product = m.product.value_or("");
  e.company = m.company.value_or("");
  e.contract = m.contract.value_or("");
  e.sender = m.from_address.value_or("");
  e.mailbox = origin.mailbox;
  e.uid = origin.uid;
  e.message_id = m.message_id.value_or("");
  e.missing = m.missing;
  e.processing_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (d) {
    e.queue = d->queue;
    e.status = d->status;
    e.flags = d->flags;
    e.reasons = d->reasons;
  } else if (!o.reason.empty()) {
    e.reasons.push_back(o.reason);
  }
  after_commit([this, level, line = std::move(line), e = std::move(e)] {
    spdlog::log(level, "{}", line);
    events_->record(e);
  });
}

}  // namespace tacmail::daemon::intake
