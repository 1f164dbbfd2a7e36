// The settings file (CONTRACT.md "Config (YAML)") -> settings: required keys, defaults, types,
// and the cross-key rules (unique mailbox names, smtps:// means implicit TLS).
#include "settings_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "yaml_reader.hpp"

namespace tacmail::config {

namespace detail {

namespace {

struct context {
  error_sink& errors;
  std::filesystem::path base;
  std::vector<named_file>& files;
};

// A relative password file names a systemd credential when $CREDENTIALS_DIRECTORY holds it
// (read_secret's order), else a file beside the config.
std::optional<std::filesystem::path> read_secret_path(context& ctx, const field& where) {
  auto text = read_string(ctx.errors, where);
  if (!text) return std::nullopt;
  std::filesystem::path path(*text);
  if (path.is_relative()) {
    const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
    std::error_code ec;
    if (credentials != nullptr && *credentials != '\0' &&
        std::filesystem::exists(std::filesystem::path(credentials) / path, ec)) {
      path = (std::filesystem::path(credentials) / path).lexically_normal();
    } else {
      path = (ctx.base / path).lexically_normal();
    }
  }
  ctx.files.push_back(named_file{named_file::kind::secret, where.path, where.line, path});
  return path;
}

std::optional<std::filesystem::path> read_named_path(context& ctx, const field& where,
                                                     named_file::kind what) {
  auto path = read_path(ctx.errors, where, ctx.base);
  if (path) ctx.files.push_back(named_file{what, where.path, where.line, *path});
  return path;
}

// Sets target from the key when present and valid; leaves the default otherwise.
template <typename T, typename Reader>
void read_into(map_reader& map, std::string_view key, T& target, Reader reader) {
  if (auto f = map.optional(key)) {
    if (auto value = reader(*f)) target = std::move(*value);
  }
}

void read_imap(context& ctx, const field& where, imap_settings& imap) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  const auto text = [&](const field& f) { return read_string(errors, f); };

  if (auto f = map.required("host")) imap.host = text(*f).value_or("");
  read_into(map, "tls", imap.tls, [&](const field& f) { return read_tls(errors, f); });
  // The default port follows the TLS mode, so it is set after tls is known.
  imap.port = imap.tls == tls_mode::implicit ? 993 : 143;
  read_into(map, "port", imap.port, [&](const field& f) { return read_int(errors, f, 1, 65535); });
  if (auto f = map.optional("ca_file")) {
    imap.ca_file = read_named_path(ctx, *f, named_file::kind::readable);
  }
  if (auto f = map.required("username")) imap.username = text(*f).value_or("");
  if (auto f = map.required("password_file")) {
    imap.password_file = read_secret_path(ctx, *f).value_or(std::filesystem::path());
  }
  read_into(map, "folder", imap.folder, text);
  std::optional<field> processed = map.optional("processed_folder");
  if (processed) imap.processed_folder = text(*processed).value_or(imap.processed_folder);
  std::optional<field> quarantine = map.optional("quarantine_folder");
  if (quarantine) imap.quarantine_folder = text(*quarantine).value_or(imap.quarantine_folder);
  read_into(map, "idle", imap.idle, [&](const field& f) { return read_bool(errors, f); });
  if (auto f = map.optional("poll_interval")) {
    if (auto value = read_duration(errors, *f)) {
      if (value->count() <= 0) {
        errors.add(f->line, f->path, "must be greater than zero");
      } else {
        imap.poll_interval = *value;
      }
    }
  }
  map.finish();

  // Moving a message to the folder it came from would have it processed again, forever.
  if (map.is_mapping()) {
    const int line = where.key_line;
    if (imap.processed_folder == imap.folder) {
      errors.add(processed ? processed->line : line, child_path(where.path, "processed_folder"),
                 "must differ from folder '" + imap.folder + "'");
    }
    if (imap.quarantine_folder == imap.folder) {
      errors.add(quarantine ? quarantine->line : line, child_path(where.path, "quarantine_folder"),
                 "must differ from folder '" + imap.folder + "'");
    }
  }
}

void read_mailboxes(context& ctx, const field& where, std::vector<mailbox_settings>& out) {
  auto items = read_list(ctx.errors, where);
  if (!items) return;
  if (items->empty()) {
    ctx.errors.add(where.line, where.path, "must list at least one mailbox");
    return;
  }
  std::set<std::string> names;
  for (const auto& item : *items) {
    mailbox_settings mailbox;
    map_reader map(ctx.errors, item);
    if (auto f = map.required("name")) {
      if (auto name = read_string(ctx.errors, *f)) {
        // Names key each mailbox's UID cursor in the store; two alike would share one.
        if (!names.insert(*name).second) {
          ctx.errors.add(f->line, f->path, "duplicate mailbox name '" + *name + "'");
        }
        mailbox.name = *name;
      }
    }
    if (auto f = map.required("imap")) read_imap(ctx, *f, mailbox.imap);
    map.finish();
    out.push_back(std::move(mailbox));
  }
}

bool valid_smtp_url(const std::string& url, bool& implicit_tls) {
  std::string_view rest;
  if (url.starts_with("smtps://")) {
    implicit_tls = true;
    rest = std::string_view(url).substr(8);
  } else if (url.starts_with("smtp://")) {
    implicit_tls = false;
    rest = std::string_view(url).substr(7);
  } else {
    return false;
  }
  return !rest.empty() && rest.front() != ':' && rest.front() != '/';
}

void read_smtp(context& ctx, const field& where, smtp_settings& smtp) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  const auto text = [&](const field& f) { return read_string(errors, f); };

  bool implicit_url = false;
  if (auto f = map.required("url")) {
    if (auto url = text(*f)) {
      if (valid_smtp_url(*url, implicit_url)) {
        smtp.url = *url;
      } else {
        errors.add(f->line, f->path,
                   "expected smtp://host[:port] or smtps://host[:port], got '" + *url + "'");
      }
    }
  }
  smtp.tls = implicit_url ? tls_mode::implicit : tls_mode::starttls;
  if (auto f = map.optional("tls")) {
    if (auto tls = read_tls(errors, *f)) {
      if (implicit_url && *tls != tls_mode::implicit) {
        errors.add(f->line, f->path, "an smtps:// url means implicit TLS; set tls: implicit");
      }
      smtp.tls = *tls;
    }
  }
  if (auto f = map.optional("ca_file")) {
    smtp.ca_file = read_named_path(ctx, *f, named_file::kind::readable);
  }
  const auto username = map.optional("username");
  if (username) smtp.username = text(*username);
  if (auto f = map.optional("password_file")) {
    smtp.password_file = read_secret_path(ctx, *f);
    if (!username) {
      errors.add(f->line, f->path, "needs smtp.username to log in with");
    }
  }
  if (auto f = map.required("from")) {
    if (auto from = text(*f)) {
      if (from->find('@') == std::string::npos) {
        errors.add(f->line, f->path, "expected an email address, got '" + *from + "'");
      }
      smtp.from = *from;
    }
  }
  map.finish();
}

void read_storage(context& ctx, const field& where, storage_settings& storage) {
  map_reader map(ctx.errors, where);
  if (auto f = map.required("sqlite")) {
    storage.sqlite = read_path(ctx.errors, *f, ctx.base).value_or(std::filesystem::path());
  }
  map.finish();
}

void read_routing(context& ctx, const field& where, routing_settings& routing) {
  map_reader map(ctx.errors, where);
  if (auto f = map.optional("products_file")) {
    routing.products_file = read_named_path(ctx, *f, named_file::kind::products);
  }
  if (auto f = map.optional("contracts_file")) {
    routing.contracts_file = read_named_path(ctx, *f, named_file::kind::contracts);
  }
  map.finish();
}

}  // namespace

located_settings load_settings_located(const std::filesystem::path& file) {
  located_settings out;
  out.file = file.string();
  error_sink errors(out.file);
  context ctx{errors, base_folder(file), out.files};

  settings loaded;
  if (auto root = parse_yaml_file(file, errors)) {
    map_reader map(errors, *root);
    if (map.is_mapping()) {
      if (auto f = map.required("mailboxes")) read_mailboxes(ctx, *f, loaded.mailboxes);
      if (auto f = map.required("smtp")) read_smtp(ctx, *f, loaded.smtp);
      if (auto f = map.required("storage")) read_storage(ctx, *f, loaded.storage);
      if (auto f = map.optional("routing")) read_routing(ctx, *f, loaded.routing);
      map.finish();
    }
  }

  out.result.errors = std::move(errors.errors());
  if (out.result.errors.empty()) out.result.value = std::move(loaded);
  return out;
}

}  // namespace detail

load_result<settings> load_settings(const std::filesystem::path& file) {
  return detail::load_settings_located(file).result;
}

}  // namespace tacmail::config
