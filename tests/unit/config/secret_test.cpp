// read_secret: newline handling, the $CREDENTIALS_DIRECTORY lookup, and failures without content.
#include "tacmail/config/secret.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include "temp_folder.hpp"

using tacmail::config::read_secret;
using tacmail::config::test::scoped_env;
using tacmail::config::test::temp_folder;

TEST_CASE("read_secret drops exactly one trailing newline") {
  temp_folder tmp;
  CHECK(read_secret(tmp.write("lf", "hunter2\n")) == "hunter2");
  CHECK(read_secret(tmp.write("crlf", "hunter2\r\n")) == "hunter2");
  CHECK(read_secret(tmp.write("none", "hunter2")) == "hunter2");
  CHECK(read_secret(tmp.write("two", "hunter2\n\n")) == "hunter2\n");
  CHECK(read_secret(tmp.write("space", " pass word \n")) == " pass word ");
  CHECK(read_secret(tmp.write("empty", "")) == "");
}

TEST_CASE("read_secret looks up a relative path in CREDENTIALS_DIRECTORY first") {
  temp_folder credentials;
  credentials.write("imap-password", "from-systemd\n");
  scoped_env env("CREDENTIALS_DIRECTORY", credentials.path().c_str());
  CHECK(read_secret("imap-password") == "from-systemd");

  // An absolute path is never redirected.
  temp_folder other;
  CHECK(read_secret(other.write("imap-password", "absolute\n")) == "absolute");
}

TEST_CASE("read_secret falls back to the path as given when the credential is absent") {
  temp_folder credentials;
  scoped_env env("CREDENTIALS_DIRECTORY", credentials.path().c_str());
  temp_folder cwd_folder;
  cwd_folder.write("local-secret", "local\n");
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(cwd_folder.path());
  const auto secret = read_secret("local-secret");
  std::filesystem::current_path(old_cwd);
  CHECK(secret == "local");
}

TEST_CASE("read_secret says why it failed, naming the file but not revealing content") {
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  temp_folder tmp;
  std::string why;
  CHECK_FALSE(read_secret(tmp.path() / "missing", &why).has_value());
  CHECK(why == "cannot read " + (tmp.path() / "missing").string() + ": No such file or directory");

  CHECK_FALSE(read_secret(tmp.path(), &why).has_value());
  CHECK(why == "cannot read " + tmp.path().string() + ": Is a directory");

  CHECK_FALSE(read_secret(tmp.path() / "missing").has_value());  // why is optional
}

TEST_CASE("read_secret reports permission denied without the content") {
  if (::geteuid() == 0) return;  // root reads anything; nothing to observe
  temp_folder tmp;
  const auto file = tmp.write("locked", "topsecret\n");
  std::filesystem::permissions(file, std::filesystem::perms::none);
  std::string why;
  CHECK_FALSE(read_secret(file, &why).has_value());
  CHECK(why == "cannot read " + file.string() + ": Permission denied");
  CHECK(why.find("topsecret") == std::string::npos);
}
