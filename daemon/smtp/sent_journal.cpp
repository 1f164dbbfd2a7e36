// The sent journal's file: a line per event, appended with O_APPEND, never fsynced: "?ID" an
// attempt, "ID" the server's 250, "!ID" a refusal.
#include "smtp/sent_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

namespace tacmail::daemon::smtp {

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

// One journal line: `mark` ("?" an attempt, "!" a refusal, "" a 250) and the id.
std::string journal_line(std::string_view mark, std::int64_t id) {
  return std::string(mark) + std::to_string(id) + '\n';
}

bool contains(const std::vector<std::int64_t>& ids, std::int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The sent ids, and the attempted ones with no outcome after them. A whole line that is not
// a positive id with an optional '?' or '!' before it (NUL bytes a power loss left, say) is
// skipped.
void parse(std::string_view text, std::vector<std::int64_t>& sent,
           std::vector<std::int64_t>& in_doubt) {
  for (std::size_t eol; (eol = text.find('\n')) != std::string_view::npos;
       text.remove_prefix(eol + 1)) {
    std::string_view line = text.substr(0, eol);
    const char mark = !line.empty() && (line[0] == '?' || line[0] == '!') ? line[0] : '\0';
    if (mark != '\0') line.remove_prefix(1);
    std::int64_t id = 0;
    const auto [end, err] = std::from_chars(line.data(), line.data() + line.size(), id);
    if (err != std::errc() || end != line.data() + line.size() || id <= 0) continue;
    std::erase(in_doubt, id);
    if (mark == '?') {
      in_doubt.push_back(id);
    } else if (mark == '\0') {
      sent.push_back(id);
    }
  }
}

}  // namespace

std::filesystem::path sent_journal::path_for(const std::filesystem::path& database) {
  return database.string() + "-sent";
}

std::unique_ptr<sent_journal> sent_journal::open(const std::filesystem::path& file,
                                                 std::error_code& ec) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    ec = last_error();
    return nullptr;
  }
  std::unique_ptr<sent_journal> journal(new sent_journal(file, fd));
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ec = last_error();
      return nullptr;
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  parse(text, journal->ids_, journal->in_doubt_);
  // A torn last line (a write cut short) is cut off, or the next line would extend it.
  journal->size_ = static_cast<long long>(text.rfind('\n') + 1);  // npos + 1 == 0
  if (journal->size_ != static_cast<long long>(text.size()) &&
      ::ftruncate(fd, journal->size_) != 0) {
    ec = last_error();
    return nullptr;
  }
  ec.clear();
  return journal;
}

std::unique_ptr<sent_journal> sent_journal::in_memory() {
  return std::unique_ptr<sent_journal>(new sent_journal({}, -1));
}

sent_journal::~sent_journal() {
  if (fd_ >= 0) ::close(fd_);
}

bool sent_journal::record(std::int64_t id, std::error_code& ec) {
  ids_.push_back(id);
  const bool on_file = append(journal_line("", id));
  ec = std::exchange(unreported_, {});
  return on_file;
}

void sent_journal::attempt(std::int64_t id) {
  std::erase(in_doubt_, id);
  append(journal_line("?", id));
}

void sent_journal::refused(std::int64_t id) {
  // Nothing else on file matters (no id to mark, none in doubt): start the file afresh, so a
  // long outage of the server, one refused attempt after another, does not grow it.
  if (ids_.empty() && in_doubt_.empty() && fd_ >= 0 && !failed_) {
    std::error_code ec;
    clear(ec);
    if (!ec) return;
  }
  append(journal_line("!", id));
}

bool sent_journal::in_doubt(std::int64_t id) const { return contains(in_doubt_, id); }

bool sent_journal::append(const std::string& line) {
  if (fd_ < 0 || failed_) return false;
  ssize_t n;
  do n = ::write(fd_, line.data(), line.size());
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(line.size())) {
    size_ += n;
    return true;
  }
  unreported_ = n < 0 ? last_error() : std::make_error_code(std::errc::no_space_on_device);
  // Never append after a failure: a torn line could join the next one into another id.
  failed_ = true;
  (void)::ftruncate(fd_, size_);
  return false;
}

bool sent_journal::holds(std::int64_t id) const { return contains(ids_, id); }

void sent_journal::clear(std::error_code& ec) {
  ec.clear();
  if (fd_ >= 0 && ::ftruncate(fd_, 0) != 0) {
    ec = last_error();  // the ids stay: marking them again is harmless
    return;
  }
  size_ = 0;
  ids_.clear();
  // Replies still in doubt and not sent again yet stay so for a start after this one.
  for (const std::int64_t id : in_doubt_) append(journal_line("?", id));
}

}  // namespace tacmail::daemon::smtp
