// The corpus under tests/data/parser/corpus: every NAME.eml parsed and compared field by field
// with NAME.expected.json (the `tacmaild parse` keys of CONTRACT.md, warnings aside). Prints
// field-level accuracy; every field of every message must match.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;
using nlohmann::json;

TEST_CASE("corpus: every field of every message matches its expected parse") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(TACMAIL_TEST_DATA) / "parser" / "corpus";
  std::vector<fs::path> messages;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".eml") messages.push_back(entry.path());
  }
  std::sort(messages.begin(), messages.end());
  REQUIRE(messages.size() >= 80);

  std::size_t fields = 0;
  std::size_t matched = 0;
  std::size_t perfect = 0;
  for (const fs::path& path : messages) {
    fs::path expected_path = path;
    expected_path.replace_extension(".expected.json");
    std::ifstream expected_in(expected_path);
    REQUIRE_MESSAGE(expected_in.good(), "no expected JSON for " << path.filename().string());
    const json expected = json::parse(expected_in);
    std::ifstream eml(path, std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(eml)), std::istreambuf_iterator<char>());
    const json actual = to_json(parse_message(raw, test_catalog()));
    bool all = true;
    for (const auto& [key, want] : expected.items()) {
      ++fields;
      const json got = actual.contains(key) ? actual.at(key) : json();
      if (got == want) {
        ++matched;
        continue;
      }
      all = false;
      const std::string why = path.filename().string() + ": " + key + ": expected " + want.dump() +
                              ", got " + got.dump();
      FAIL_CHECK(why);
    }
    perfect += all ? 1 : 0;
  }
  const double accuracy = fields == 0 ? 0.0 : 100.0 * static_cast<double>(matched) / fields;
  const std::string summary = "corpus: " + std::to_string(messages.size()) + " messages, " +
                              std::to_string(perfect) + " fully right; fields " +
                              std::to_string(matched) + "/" + std::to_string(fields) + " (" +
                              std::to_string(accuracy) + "%)";
  MESSAGE(summary);
  CHECK(matched == fields);
}
