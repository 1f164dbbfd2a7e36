// Parse throughput. `bench_parse corpus [DIR] [SECONDS]`: every .eml under DIR (default: the
// parser corpus), parsed round after round for SECONDS (default 2). `bench_parse file PATH
// [ROUNDS]`: one message (e.g. a 30 MB one) parsed ROUNDS times (default 3). Prints one JSON
// line: bytes, messages, MB/s (the whole run's, and the median and best of its windows),
// messages/s, and the process's peak RSS (VmHWM) before and after.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/parser/parser.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// Peak resident set size of this process so far, in kB (Linux /proc).
long vm_hwm_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int usage() {
  std::fprintf(stderr, "usage: bench_parse corpus [DIR] [SECONDS] | bench_parse file PATH [ROUNDS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) return usage();
  const std::string_view mode = argv[1];
  std::vector<std::string> messages;
  std::size_t bytes = 0;
  double min_seconds = 2.0;
  std::size_t min_rounds = 1;
  if (mode == "corpus") {
    const fs::path dir = argc > 2 ? fs::path(argv[2]) : fs::path(TACMAIL_TEST_DATA) / "parser" / "corpus";
    if (argc > 3) min_seconds = std::atof(argv[3]);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.path().extension() == ".eml") messages.push_back(read_all(entry.path()));
    }
  } else if (mode == "file" && argc > 2) {
    messages.push_back(read_all(argv[2]));
    min_seconds = 0;
    min_rounds = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 3;
  } else {
    return usage();
  }
  for (const auto& m : messages) bytes += m.size();
  if (messages.empty() || bytes == 0) {
    std::fprintf(stderr, "bench_parse: nothing to parse\n");
    return 1;
  }
  const tacmail::config::product_catalog catalog = tacmail::config::builtin_product_catalog();
  const long hwm_before = vm_hwm_kb();

  std::size_t rounds = 0;
  std::size_t sink = 0;  // keeps the results observable
  // The run is also cut into windows of at least a quarter second (one round for a single
  // file): on a shared machine other tenants slow some windows down, so the median and best
  // window rates are printed beside the whole run's.
  constexpr double window_seconds = 0.25;
  std::vector<double> window_rates;
  const auto start = clock_type::now();
  auto window_start = start;
  std::size_t window_rounds = 0;
  double seconds = 0;
  do {
    for (const std::string& raw : messages) {
      const auto m = tacmail::parser::parse_message(raw, catalog);
      sink += m.body_text.size() + m.attachments.size() + m.warnings.size();
    }
    ++rounds;
    ++window_rounds;
    const auto now = clock_type::now();
    seconds = std::chrono::duration<double>(now - start).count();
    const double in_window = std::chrono::duration<double>(now - window_start).count();
    if (in_window >= window_seconds || min_seconds == 0) {
      window_rates.push_back(static_cast<double>(bytes * window_rounds) / 1e6 / in_window);
      window_start = now;
      window_rounds = 0;
    }
  } while (seconds < min_seconds || rounds < min_rounds);
  std::sort(window_rates.begin(), window_rates.end());
  const double median = window_rates.empty() ? 0 : window_rates[window_rates.size() / 2];
  const double best = window_rates.empty() ? 0 : window_rates.back();

  const double mb = static_cast<double>(bytes) * static_cast<double>(rounds) / 1e6;
  std::printf(
      "{\"messages\": %zu, \"bytes\": %zu, \"rounds\": %zu, \"seconds\": %.3f, "
      "\"mb_per_s\": %.2f, \"mb_per_s_median\": %.2f, \"mb_per_s_best\": %.2f, "
      "\"windows\": %zu, \"messages_per_s\": %.1f, \"hwm_before_kb\": %ld, "
      "\"hwm_after_kb\": %ld, \"check\": %zu}\n",
      messages.size(), bytes, rounds, seconds, mb / seconds, median, best, window_rates.size(),
      static_cast<double>(messages.size() * rounds) / seconds, hwm_before, vm_hwm_kb(), sink % 7);
  return 0;
}
