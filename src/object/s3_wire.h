// S3 wire helpers: the exact percent-encoding SigV4 expects, sorted query
// strings, and the little XML that S3 requests and responses need.
//
// libcurl 7.88 signs the path and query exactly as sent, so everything here
// produces the canonical form: unreserved bytes (A-Z a-z 0-9 - . _ ~) as is,
// every other byte as %XX with uppercase hex, query parameters sorted and
// always written as k=v. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nokv::object {

// Percent-encodes `s`; '/' is kept when `keep_slash` (object paths).
std::string UriEncode(std::string_view s, bool keep_slash);

// "a=1&b=" from parameters, sorted by name then value, names and values encoded.
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params);

// Escapes &, <, >, " and ' for XML text.
std::string XmlEscape(std::string_view s);
// Decodes the five named entities and numeric character references.
std::string XmlUnescape(std::string_view s);
// True when `s` can be sent in XML 1.0 (no control bytes other than tab/LF/CR).
bool XmlSendable(std::string_view s);

// The raw inner text of every <tag>...</tag> in `xml`, in order (elements of
// the same name must not nest). The views borrow `xml`.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
// The first such element, decoded; empty when absent.
std::string XmlText(std::string_view xml, std::string_view tag);

// Base64 of the MD5 of `data` (the Content-MD5 header).
std::string ContentMd5(std::string_view data);

}  // namespace nokv::object
