// The routing section: catalogs, queue names, webmail domains, windows, the business calendar
// and extra field labels. The calendar's time zone is checked against the system tz database,
// the one the daemon's date/tz reads.
#include <algorithm>
#include <array>
#include <fstream>
#include <set>

#include "settings_sections.hpp"

namespace tacmail::config::detail {

namespace {

constexpr std::string_view zoneinfo = "/usr/share/zoneinfo";

// The keys of the parse output a label can introduce (CONTRACT.md `parse` output).
constexpr std::array<std::string_view, 14> label_fields = {
    "company",     "contact_name",  "contact_phone",    "cco_id",           "contact_email",
    "contract",    "smart_account", "virtual_account",  "product",          "severity",
    "description", "location",      "alt_contact_name", "alt_contact_phone"};

constexpr std::array<std::string_view, 7> weekdays = {"mon", "tue", "wed", "thu",
                                                      "fri", "sat", "sun"};

// A zone is a TZif file under zoneinfo. Names climbing out of it, the host's own setting and
// the posix/ and right/ copies of the database are not zone names.
bool known_time_zone(const std::string& name) {
  if (name == "UTC") return true;
  if (name.front() == '/' || name.find("..") != std::string::npos || name == "localtime" ||
      name == "posixrules" || name.starts_with("posix/") || name.starts_with("right/")) {
    return false;
  }
  const std::filesystem::path file = std::filesystem::path(zoneinfo) / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in && std::string_view(magic, sizeof magic) == "TZif";
}

// "HH:MM" with HH 00..24 and MM 00..59, as minutes since midnight.
std::optional<std::chrono::minutes> clock_time(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 24 || minutes > 59 || (hours == 24 && minutes != 0)) return std::nullopt;
  return std::chrono::minutes(hours * 60 + minutes);
}

void read_time_zone(error_sink& errors, const field& where, business_calendar& calendar) {
  auto name = read_string(errors, where);
  if (!name) return;
  if (!known_time_zone(*name)) {
    errors.add(where.line, where.path,
               "unknown time zone '" + *name + "' (expected an IANA name such as Europe/Berlin, " +
                   "as found under " + std::string(zoneinfo) + ")");
    return;
  }
  calendar.time_zone = *name;
}

void read_working_days(error_sink& errors, const field& where, business_calendar& calendar) {
  auto items = read_list(errors, where);
  if (!items) return;
  if (items->empty()) {
    errors.add(where.line, where.path, "must list at least one day");
    return;
  }
  std::vector<int> days;
  bool ok = true;
  for (const auto& item : *items) {
    auto text = read_string(errors, item);
    if (!text) {
      ok = false;
      continue;
    }
    const auto found = std::find(weekdays.begin(), weekdays.end(), fold_case(*text));
    if (found == weekdays.end()) {
      errors.add(item.line, item.path,
                 "expected one of mon, tue, wed, thu, fri, sat, sun, got '" + *text + "'");
      ok = false;
      continue;
    }
    const int day = static_cast<int>(found - weekdays.begin()) + 1;
    if (std::find(days.begin(), days.end(), day) != days.end()) {
      errors.add(item.line, item.path, "duplicate day '" + *text + "'");
      ok = false;
      continue;
    }
    days.push_back(day);
  }
  if (!ok) return;
  std::sort(days.begin(), days.end());
  calendar.working_days = std::move(days);
}

void read_hours(error_sink& errors, const field& where, business_calendar& calendar) {
  auto text = read_string(errors, where);
  if (!text) return;
  const auto dash = text->find('-');
  const auto start = dash == std::string::npos ? std::nullopt : clock_time(text->substr(0, dash));
  const auto end = dash == std::string::npos ? std::nullopt : clock_time(text->substr(dash + 1));
  if (!start || !end || *start == std::chrono::hours(24)) {
    errors.add(where.line, where.path,
               "expected HH:MM-HH:MM such as 08:00-17:00, got '" + *text + "'");
    return;
  }
  if (*start >= *end) {
    errors.add(where.line, where.path, "the day must start before it ends, got '" + *text + "'");
    return;
  }
  calendar.day_start = *start;
  calendar.day_end = *end;
}

void read_holidays(error_sink& errors, const field& where, business_calendar& calendar) {
  auto items = read_list(errors, where);
  if (!items) return;
  std::vector<std::string> holidays;
  bool ok = true;
  for (const auto& item : *items) {
    auto text = read_string(errors, item);
    if (text && !valid_date(*text)) {
      errors.add(item.line, item.path, "expected a date written YYYY-MM-DD, got '" + *text + "'");
      text.reset();
    }
    if (!text) {
      ok = false;
      continue;
    }
    holidays.push_back(std::move(*text));
  }
  if (ok) calendar.holidays = std::move(holidays);
}

void read_calendar(error_sink& errors, const field& where, business_calendar& calendar) {
  map_reader map(errors, where);
  if (auto f = map.optional("time_zone")) read_time_zone(errors, *f, calendar);
  if (auto f = map.optional("working_days")) read_working_days(errors, *f, calendar);
  if (auto f = map.optional("hours")) read_hours(errors, *f, calendar);
  if (auto f = map.optional("holidays")) read_holidays(errors, *f, calendar);
  map.finish();
}

// Domains are compared with the lower-cased domain of an address.
void read_domains(error_sink& errors, const field& where, std::vector<std::string>& domains) {
  auto items = read_list(errors, where);
  if (!items) return;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : *items) {
    const auto text = read_string(errors, item);
    if (!text) {
      ok = false;
      continue;
    }
    if (text->find_first_of("@ \t") != std::string::npos) {
      errors.add(item.line, item.path, "expected a domain such as gmail.com, got '" + *text + "'");
      ok = false;
      continue;
    }
    out.push_back(fold_case(*text));
  }
  if (ok) domains = std::move(out);
}

void read_labels(error_sink& errors, const field& where,
                 std::map<std::string, std::vector<std::string>>& labels) {
  map_reader map(errors, where);
  for (const auto name : label_fields) {
    const auto f = map.optional(name);
    if (!f) continue;
    auto list = read_string_list(errors, *f);
    if (list && list->empty()) {
      errors.add(f->line, f->path, "must list at least one label");
    } else if (list) {
      labels[std::string(name)] = std::move(*list);
    }
  }
  map.finish();
}

}  // namespace

void read_routing(settings_context& ctx, const field& where, routing_settings& routing) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  const auto text = [&](const field& f) { return read_string(errors, f); };
  const auto positive = [&](const field& f) { return read_positive_duration(errors, f); };

  if (auto f = map.optional("products_file")) {
    routing.products_file = read_named_path(ctx, *f, named_file::kind::products);
  }
  if (auto f = map.optional("contracts_file")) {
    routing.contracts_file = read_named_path(ctx, *f, named_file::kind::contracts);
  }
  read_into(map, "triage_queue", routing.triage_queue, text);
  read_into(map, "urgent_queue", routing.urgent_queue, text);
  read_into(map, "entitlement_queue", routing.entitlement_queue, text);
  read_into(map, "phone_numbers", routing.phone_numbers,
            [&](const field& f) { return read_string_list(errors, f); });
  if (auto f = map.optional("public_email_domains")) {
    read_domains(errors, *f, routing.public_email_domains);
  }
  read_into(map, "duplicate_window", routing.duplicate_window, positive);
  read_into(map, "reopen_window", routing.reopen_window, positive);
  if (auto f = map.optional("calendar")) read_calendar(errors, *f, routing.calendar);
  if (auto f = map.optional("labels")) read_labels(errors, *f, routing.labels);
  map.finish();
}

}  // namespace tacmail::config::detail
