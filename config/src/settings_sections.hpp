// The settings loader split by section: what every section reader shares (the error sink, the
// folder relative paths start from, the files named so far) and the readers of the sections
// that live outside settings_loader.cpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "settings_loader.hpp"
#include "yaml_reader.hpp"

namespace tacmail::config::detail {

struct settings_context {
  error_sink& errors;
  std::filesystem::path base;
  std::vector<named_file>& files;
};

/// A path resolved against the config's folder and recorded for load_config to check.
std::optional<std::filesystem::path> read_named_path(settings_context& ctx, const field& where,
                                                     named_file::kind what);

/// Sets target from the key when present and valid; leaves the default otherwise.
template <typename T, typename Reader>
void read_into(map_reader& map, std::string_view key, T& target, Reader reader) {
  if (auto f = map.optional(key)) {
    if (auto value = reader(*f)) target = std::move(*value);
  }
}

void read_routing(settings_context& ctx, const field& where, routing_settings& routing);
void read_limits(settings_context& ctx, const field& where, limits_settings& limits);
void read_logging(settings_context& ctx, const field& where, logging_settings& logging);
void read_metrics(settings_context& ctx, const field& where, metrics_settings& metrics);

}  // namespace tacmail::config::detail
