// S3 wire helpers: the exact percent-encoding SigV4 expects, sorted query
// strings, and the little XML that S3 requests and responses need.
//
// libcurl 7.88 signs the path and query exactly as sent, so everything here
// produces the canonical form: unreserved bytes (A-Z a-z 0-9 - . _ ~) as is,
// every other byte as %XX with uppercase hex, query parameters sorted and
// always written as k=v. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
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

// The ETag S3 gives an object completed from parts with these ETags (each the
// quoted MD5 hex of its part): quoted MD5 hex of the concatenated binary part
// MD5s, "-", the part count. Empty when some part ETag is not a plain MD5
// (encrypted uploads), so the ETag cannot be predicted.
std::string MultipartEtag(std::span<const std::string> part_etags);

// ISO-8601 UTC time as in ListObjectsV2 LastModified ("2009-10-12T17:50:30.000Z",
// fraction optional) to nanoseconds since the Unix epoch; false if malformed.
bool ParseIso8601Time(std::string_view text, int64_t* ns);
// HTTP date as in the Last-Modified header ("Wed, 12 Oct 2009 17:50:00 GMT").
bool ParseHttpDate(std::string_view text, int64_t* ns);

}  // namespace nokv::object
