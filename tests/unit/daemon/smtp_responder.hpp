// A tiny SMTP server on 127.0.0.1 for the outbox tests: one thread, one connection at a time,
// just enough of RFC 5321 (220, EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
// QUIT). The reply to the final "." is configurable, so 250/451/550 can be scripted; 0 keeps
// the message and hangs up without answering (RFC 1047: the answer lost on the way).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tacmail::daemon::test {

class smtp_responder {
 public:
  struct transaction {
    std::string mail_from;           ///< the whole MAIL command line
    std::vector<std::string> rcpt;   ///< the whole RCPT command lines
    std::string wire;                ///< the DATA lines as sent, each with CRLF, before un-stuffing
    std::string data;                ///< the message after un-stuffing
    int code = 0;                    ///< what the server answered to the final "."
  };

  explicit smtp_responder(int final_code = 250) : final_code_(final_code) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 4) != 0)
      throw std::runtime_error("bind/listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }

  ~smtp_responder() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  smtp_responder(const smtp_responder&) = delete;
  smtp_responder& operator=(const smtp_responder&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  void set_final_code(int code) { final_code_ = code; }

  std::vector<transaction> transactions() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return transactions_;
  }
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commands_;
  }
  int connections() const { return connections_; }

  /// A loopback port nothing listens on (bound, then closed).
  static int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  // Waits for readability with a short timeout so stop_ is noticed.
  bool readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, 50);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }

  void serve() {
    while (!stop_) {
      if (!readable(listen_fd_)) return;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      session(fd);
      ::close(fd);
    }
  }

  void send_line(int fd, const std::string& line) {
    const std::string out = line + "\r\n";
    (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  // One line without its CRLF; false on EOF or stop.
  bool read_line(int fd, std::string& buffer, std::string& line) {
    for (;;) {
      const auto eol = buffer.find("\r\n");
      if (eol != std::string::npos) {
        line = buffer.substr(0, eol);
        buffer.erase(0, eol + 2);
        return true;
      }
      if (!readable(fd)) return false;
      char chunk[4096];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void session(int fd) {
    std::string buffer, line;
    transaction current;
    send_line(fd, "220 test.invalid ESMTP ready");
    while (read_line(fd, buffer, line)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        commands_.push_back(line);
      }
      std::string verb = line.substr(0, 4);
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO" || verb == "HELO") {
        send_line(fd, "250 test.invalid");
      } else if (verb == "MAIL") {
        current = transaction{};
        current.mail_from = line;
        send_line(fd, "250 OK");
      } else if (verb == "RCPT") {
        current.rcpt.push_back(line);
        send_line(fd, "250 OK");
      } else if (verb == "DATA") {
        send_line(fd, "354 go ahead");
        bool complete = false;
        while (read_line(fd, buffer, line)) {
          if (line == ".") {
            complete = true;
            break;
          }
          current.wire += line + "\r\n";
          current.data += (line.starts_with(".") ? line.substr(1) : line) + "\r\n";
        }
        if (!complete) return;
        current.code = final_code_;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          transactions_.push_back(current);
        }
        const int code = current.code;  // one reading of final_code_ for the whole answer
        if (code == 0) return;
        send_line(fd, std::to_string(code) + (code == 250  ? " 2.0.0 queued"
                                              : code < 500 ? " 4.3.0 try again later"
                                                           : " 5.1.1 no such user"));
      } else if (verb == "QUIT") {
        send_line(fd, "221 bye");
        return;
      } else {
        send_line(fd, "250 OK");  // RSET, NOOP
      }
    }
  }

  std::atomic<int> final_code_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<transaction> transactions_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

}  // namespace tacmail::daemon::test
