// The live page's files, compiled into the binary (cmake/EmbedAssets.cmake writes the table from
// app/web/page/ and the vendored libraries): the page needs nothing from any other host.
#pragma once

#include <cstddef>
#include <string_view>

namespace mailactor::app::web {

struct Asset {
  std::string_view path;  // "/", "/assets/app.js", ...
  std::string_view content_type;
  std::string_view bytes;
};

// The asset at `path`; nullptr when there is none.
const Asset* find_asset(std::string_view path);

}  // namespace mailactor::app::web
