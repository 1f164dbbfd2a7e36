// The settings file (CONTRACT.md "Config (YAML)") -> settings: the top level, mailboxes, smtp
// and storage, with their cross-key rules (unique mailbox names, smtps:// means implicit TLS,
// xoauth2 needs a token file). routing, limits, logging and metrics: settings_sections.hpp.
#include "settings_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <set>

#include "settings_sections.hpp"
#include "yaml_reader.hpp"

namespace tacmail::config {

namespace detail {

std::optional<std::filesystem::path> read_named_path(settings_context& ctx, const field& where,
                                                     named_file::kind what) {
  auto path = read_path(ctx.errors, where, ctx.base);
  if (path) ctx.files.push_back(named_file{what, where.path, where.line, *path});
  return path;
}

namespace {

using context = settings_context;

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

// RFC 2177: a server may end an IDLE after 30 minutes; renewing before 29 keeps a margin.
constexpr std::chrono::minutes idle_renewal_limit{29};

// An addr-spec as MAIL FROM takes it: no display name, no angle brackets, no spaces.
bool bare_address(const std::string& text) {
  return text.find('@') != std::string::npos && text.find_first_of("<> \t\"") == std::string::npos;
}

// What the replies' From header can be: a bare address, or a display name and an address in
// angle brackets at the end, short enough for one header line.
bool from_header(const std::string& text) {
  if (text.size() > 900 || text.find_first_of("\r\n") != std::string::npos) return false;
  if (bare_address(text)) return true;
  const std::size_t open = text.rfind('<');
  return open != std::string::npos && text.ends_with('>') &&
         bare_address(text.substr(open + 1, text.size() - open - 2));
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
  const auto auth = map.optional("auth");
  bool auth_known = true;
  if (auth) {
    constexpr imap_auth methods[] = {imap_auth::automatic, imap_auth::login, imap_auth::plain,
                                     imap_auth::xoauth2};
    const auto index = read_choice(errors, *auth, {"auto", "login", "plain", "xoauth2"});
    if (index) imap.auth = methods[*index];
    auth_known = index.has_value();
  }
  const bool xoauth2 = imap.auth == imap_auth::xoauth2;
  // With a bad auth value nobody knows whether a password is needed: one error is enough.
  const auto password =
      xoauth2 || !auth_known ? map.optional("password_file") : map.required("password_file");
  if (password) {
    imap.password_file = read_secret_path(ctx, *password).value_or(std::filesystem::path());
  }
  if (auto f = map.optional("oauth2_token_file")) {
    imap.oauth2_token_file = read_secret_path(ctx, *f);
    if (auth_known && !xoauth2) errors.add(f->line, f->path, "only used with auth: xoauth2");
  } else if (xoauth2) {
    errors.add(auth->line, child_path(where.path, "oauth2_token_file"),
               "required with auth: xoauth2");
  }
  read_into(map, "folder", imap.folder, text);
  std::optional<field> processed = map.optional("processed_folder");
  if (processed) imap.processed_folder = text(*processed).value_or(imap.processed_folder);
  std::optional<field> quarantine = map.optional("quarantine_folder");
  if (quarantine) imap.quarantine_folder = text(*quarantine).value_or(imap.quarantine_folder);
  read_into(map, "idle", imap.idle, [&](const field& f) { return read_bool(errors, f); });
  const auto positive = [&](const field& f) { return read_positive_duration(errors, f); };
  read_into(map, "poll_interval", imap.poll_interval, positive);
  if (auto f = map.optional("idle_renewal")) {
    if (auto value = positive(*f)) {
      if (*value >= idle_renewal_limit) {
        errors.add(f->line, f->path,
                   "must be less than 29m (servers may end an IDLE after 30 minutes), got " +
                       f->value.Scalar());
      } else {
        imap.idle_renewal = *value;
      }
    }
  }
  read_into(map, "command_timeout", imap.command_timeout, positive);
  read_into(map, "connect_timeout", imap.connect_timeout, positive);
  read_into(map, "reconnect_max", imap.reconnect_max, positive);
  read_into(map, "fetch_batch", imap.fetch_batch,
            [&](const field& f) { return read_int(errors, f, 1, 1000); });
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
  // libcurl speaks TLS from the first byte only for smtps://: `tls: implicit` with an smtp://
  // url (e.g. smtp://host:465) is written as the url libcurl needs.
  if (smtp.tls == tls_mode::implicit && smtp.url.starts_with("smtp://")) {
    smtp.url = "smtps://" + smtp.url.substr(7);
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
      if (!from_header(*from)) {
        errors.add(f->line, f->path,
                   "expected an address or Display Name <address> (at most 900 bytes), got '" +
                       *from + "'");
      }
      smtp.from = *from;
    }
  }
  if (auto f = map.optional("envelope_from")) {
    if (auto address = text(*f)) {
      if (bare_address(*address)) {
        smtp.envelope_from = *address;
      } else {
        errors.add(f->line, f->path,
                   "expected a bare address such as bounces@example.com, got '" + *address + "'");
      }
    }
  }
  read_into(map, "max_replies_per_hour", smtp.max_replies_per_hour, [&](const field& f) {
    return read_int(errors, f, 0, std::numeric_limits<int>::max());
  });
  read_into(map, "give_up_after", smtp.give_up_after,
            [&](const field& f) { return read_positive_duration(errors, f); });
  if (auto f = map.optional("templates_dir")) {
    smtp.templates_dir = read_named_path(ctx, *f, named_file::kind::folder);
  }
  if (auto f = map.optional("authserv_id")) smtp.authserv_id = text(*f);
  read_into(map, "reply_on_follow_up", smtp.reply_on_follow_up,
            [&](const field& f) { return read_bool(errors, f); });
  map.finish();
}

void read_storage(context& ctx, const field& where, storage_settings& storage) {
  map_reader map(ctx.errors, where);
  if (auto f = map.required("sqlite")) {
    storage.sqlite = read_path(ctx.errors, *f, ctx.base).value_or(std::filesystem::path());
  }
  map.finish();
}

}  // namespace

located_settings load_settings_located(const std::filesystem::path& file) {
  located_settings out;
  out.file = file.string();
  error_sink errors(out.file);
  settings_context ctx{errors, base_folder(file), out.files};

  settings loaded;
  if (auto root = parse_yaml_file(file, errors)) {
    map_reader map(errors, *root);
    if (map.is_mapping()) {
      if (auto f = map.required("mailboxes")) read_mailboxes(ctx, *f, loaded.mailboxes);
      if (auto f = map.required("smtp")) read_smtp(ctx, *f, loaded.smtp);
      if (auto f = map.required("storage")) read_storage(ctx, *f, loaded.storage);
      if (auto f = map.optional("routing")) read_routing(ctx, *f, loaded.routing);
      if (auto f = map.optional("limits")) read_limits(ctx, *f, loaded.limits);
      if (auto f = map.optional("logging")) read_logging(ctx, *f, loaded.logging);
      if (auto f = map.optional("metrics")) read_metrics(ctx, *f, loaded.metrics);
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
