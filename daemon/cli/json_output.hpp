// The JSON that `parse` and `cases` print (CONTRACT.md). nlohmann-json stays in the .cpp.
#pragma once

#include <string>

#include "store/case_store.hpp"
#include "tacmail/parser/message.hpp"
#include "tacmail/routing/decision.hpp"

namespace tacmail::daemon::cli {

/// The `parse` object; with a decision, its `decision` member too.
std::string parse_json(const parser::parsed_message& m, const routing::decision* d);

/// One `cases list --json` line.
std::string case_json(const store::case_record& c);

/// One `outbox list --json` line.
std::string outbox_json(const store::outbox_entry& e);

/// One `quarantine list --json` line.
std::string quarantine_json(const store::quarantine_entry& q);

/// The `status --json` object; a mailbox whose report is older than `fresh_after` is stale.
std::string status_json(const std::vector<store::mailbox_status>& boxes,
                        const std::string& fresh_after, std::size_t outbox_pending,
                        std::size_t cases_today, std::size_t quarantined);

/// The `cases show --json` object: the case's fields plus messages and replies.
std::string case_details_json(const store::case_details& d);

}  // namespace tacmail::daemon::cli
