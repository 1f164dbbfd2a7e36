// libcurl SMTP client. Classification: 2xx after DATA = sent, 5xx = permanent, all else
// (no connection, timeouts, 4xx) = temporary.
#include "smtp/smtp_sender.hpp"

#include <curl/curl.h>

#include <cstring>

namespace tacmail::daemon::smtp {

struct smtp_sender::impl {
  config::smtp_settings settings;
  std::optional<std::string> password;
  CURL* handle = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string last_reply;  ///< the server's last reply line, for the log and `outbox list`

  ~impl() {
    if (handle) curl_easy_cleanup(handle);
  }
};

namespace {

struct upload {
  const std::string* content;
  std::size_t offset = 0;
};

// libcurl hands every SMTP server line to the debug callback as HEADER_IN: keep the last.
int keep_server_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* last = static_cast<std::string*>(user);
  last->assign(data, size);
  while (!last->empty() && (last->back() == '\r' || last->back() == '\n')) last->pop_back();
  return 0;
}

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* u = static_cast<upload*>(user);
  const std::size_t n = std::min(size * count, u->content->size() - u->offset);
  std::memcpy(buffer, u->content->data() + u->offset, n);
  u->offset += n;
  return n;
}

}  // namespace

smtp_sender::smtp_sender(config::smtp_settings settings, std::optional<std::string> password)
    : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  impl_->password = std::move(password);
}

smtp_sender::~smtp_sender() = default;

send_result smtp_sender::send(const std::string& envelope_from, const std::string& recipient,
                              const std::string& content) {
  auto& s = impl_->settings;
  if (!impl_->handle) impl_->handle = curl_easy_init();
  CURL* h = impl_->handle;
  if (!h) return {send_result::kind::temporary, 0, "libcurl could not create a handle"};

  impl_->error_buffer[0] = '\0';
  impl_->last_reply.clear();
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, impl_->error_buffer);
  // VERBOSE feeds the callback only; nothing is printed.
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, keep_server_reply);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &impl_->last_reply);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_USE_SSL, s.tls == config::tls_mode::none ? static_cast<long>(CURLUSESSL_NONE)
                                                                       : static_cast<long>(CURLUSESSL_ALL));
  if (s.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file->c_str());
  if (s.username) curl_easy_setopt(h, CURLOPT_USERNAME, s.username->c_str());
  if (impl_->password) curl_easy_setopt(h, CURLOPT_PASSWORD, impl_->password->c_str());
  // Unset MAIL_FROM makes libcurl send the null reverse-path MAIL FROM:<>.
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, envelope_from.empty() ? nullptr : envelope_from.c_str());
  curl_slist* recipients = curl_slist_append(nullptr, recipient.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients);
  upload u{&content};
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &u);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);

  const CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(recipients);
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, nullptr);

  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) return {send_result::kind::sent, code, ""};

  std::string detail = impl_->error_buffer[0] ? impl_->error_buffer : curl_easy_strerror(rc);
  // Only a negative reply (4xx/5xx) is the server's doing; a positive last reply (250 to
  // EHLO, 220 to STARTTLS) means libcurl itself gave up (no STARTTLS, bad certificate).
  if (code >= 400 && !impl_->last_reply.empty())
    detail = "server replied: " + impl_->last_reply + " (" + detail + ")";
  else if (code >= 400)
    detail = "server replied " + std::to_string(code) + ": " + detail;
  // A failed transfer can leave the cached connection mid-dialogue: start afresh next time.
  curl_easy_cleanup(h);
  impl_->handle = nullptr;
  // After the whole message only a 4xx/5xx says it was not taken (a 354 is DATA's answer).
  const bool unsure = u.offset == content.size() && code < 400;
  return {code >= 500 ? send_result::kind::permanent : send_result::kind::temporary, code, detail,
          unsure};
}

}  // namespace tacmail::daemon::smtp
