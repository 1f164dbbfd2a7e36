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

/// The `cases show --json` object: the case's fields plus messages and replies.
std::string case_details_json(const store::case_details& d);

}  // namespace tacmail::daemon::cli
