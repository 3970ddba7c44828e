// The one table from a file name to its media type, for the whole project:
// the content type a publish records, the mimeType of MCP resources, and
// whether the read verb returns a file as an image.
#pragma once

#include <string_view>

namespace nokv {

inline constexpr std::string_view kOctetStream = "application/octet-stream";

// The media type of `name` by its extension (case-insensitive), or "" when
// the table does not know it.
std::string_view MediaTypeOf(std::string_view name);

// Whether `media_type` is a raster image an MCP client can show as image
// content (PNG, JPEG, GIF, WebP).
bool IsShowableImage(std::string_view media_type);

}  // namespace nokv
