// The SQLite case store: WAL mode, synchronous=FULL so a committed case survives power loss.
// SQLiteCpp stays behind this header's pimpl.
#pragma once

#include <filesystem>
#include <memory>
#include <system_error>

#include "store/case_store.hpp"

namespace tacmail::daemon::store {

class sqlite_store final : public case_store {
 public:
  enum class access {
    read_write,  ///< the daemon: creates the file and the schema when missing
    read_only,   ///< the CLI's read commands: nothing is created or changed; no file is an error
  };
  /// Opens the database. nullptr on failure, with `ec` set and `detail` saying what SQLite
  /// said.
  static std::unique_ptr<sqlite_store> open(const std::filesystem::path& file, std::error_code& ec,
                                            std::string& detail, access mode = access::read_write);
  ~sqlite_store() override;

  void begin_batch(std::error_code& ec) override;
  void commit_batch(std::error_code& ec) override;
  std::optional<store::mailbox_cursor> find_cursor(const std::string& mailbox,
                                                   std::error_code& ec) override;
  origin_state find_origin(const message_origin& origin, std::error_code& ec) override;
  std::optional<std::string> case_for_message_id(const std::string& message_id,
                                                 std::error_code& ec) override;
  bool case_exists(const std::string& case_number, std::error_code& ec) override;
  std::string open_case(const new_case& c,
                        const std::function<queued_reply(const std::string&)>& make_reply,
                        std::error_code& ec) override;
  std::optional<routing::case_view> case_view(const std::string& case_number,
                                              std::error_code& ec) override;
  std::optional<std::string> case_for_fingerprint(const std::string& fingerprint,
                                                  clock::time_point since,
                                                  std::error_code& ec) override;
  void add_note(const std::string& case_number, const case_note& note,
                std::error_code& ec) override;
  void record_message(const std::string& case_number, const parser::parsed_message& m,
                      const message_origin& origin, const std::string& role,
                      const std::string& note, clock::time_point received,
                      std::error_code& ec) override;
  void record_quarantine(const message_origin& origin,
                         const std::optional<std::string>& message_id, const std::string& reason,
                         clock::time_point at, std::error_code& ec) override;
  std::vector<case_record> list_cases(std::error_code& ec) override;
  std::size_t cases_since(clock::time_point since, std::error_code& ec) override;
  std::vector<outbox_entry> list_outbox(std::error_code& ec) override;
  std::vector<quarantine_entry> list_quarantine(std::error_code& ec) override;
  void save_status(const std::vector<mailbox_status>& status, std::error_code& ec) override;
  std::vector<mailbox_status> load_status(std::error_code& ec) override;
  std::optional<case_details> find_case(const std::string& case_number,
                                        std::error_code& ec) override;
  std::vector<outbox_entry> due_replies(clock::time_point now, std::size_t limit,
                                        std::error_code& ec) override;
  std::size_t pending_replies(std::error_code& ec) override;
  std::size_t replies_to_since(const std::string& recipient, clock::time_point since,
                               std::error_code& ec) override;
  void mark_replies_sent(const std::vector<std::int64_t>& ids, clock::time_point at,
                         std::error_code& ec) override;
  void mark_reply_failed(std::int64_t id, const std::string& error,
                         std::optional<clock::time_point> retry_at, std::error_code& ec) override;

  /// SQLite's text for the last error, for the log line beside the error code.
  const std::string& last_error_detail() const;

 private:
  struct impl;
  explicit sqlite_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tacmail::daemon::store
