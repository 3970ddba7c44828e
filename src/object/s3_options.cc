// S3Options: environment and flag parsing, validation.
#include "object/s3_options.h"

#include <charconv>
#include <cstdlib>

namespace nokv::object {
namespace {

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

template <typename T>
Status ParseNumber(std::string_view name, std::string_view value, T* out) {
  T parsed{};
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size() || parsed < 0) {
    return Status::InvalidArgument("flag --s3-" + std::string(name) +
                                   ": not a number: " + std::string(value));
  }
  *out = parsed;
  return Status::Ok();
}

Status ParseBool(std::string_view name, std::string_view value, bool* out) {
  if (value == "true" || value == "1" || value == "yes") {
    *out = true;
  } else if (value == "false" || value == "0" || value == "no") {
    *out = false;
  } else {
    return Status::InvalidArgument("flag --s3-" + std::string(name) + ": want true or false");
  }
  return Status::Ok();
}

}  // namespace

S3Options S3Options::FromEnvironment() {
  S3Options options;
  options.access_key_id = GetEnv("AWS_ACCESS_KEY_ID");
  options.secret_access_key = GetEnv("AWS_SECRET_ACCESS_KEY");
  options.session_token = GetEnv("AWS_SESSION_TOKEN");
  std::string region = GetEnv("AWS_REGION");
  if (region.empty()) region = GetEnv("AWS_DEFAULT_REGION");
  if (!region.empty()) options.region = region;
  options.endpoint = GetEnv("AWS_ENDPOINT_URL_S3");
  if (options.endpoint.empty()) options.endpoint = GetEnv("AWS_ENDPOINT_URL");
  return options;
}

Status S3Options::ApplyFlag(std::string_view name, std::string_view value) {
  if (name.starts_with("--")) name.remove_prefix(2);
  if (name.starts_with("s3-")) name.remove_prefix(3);
  if (name == "endpoint") {
    endpoint = value;
  } else if (name == "bucket") {
    bucket = value;
  } else if (name == "key-prefix") {
    key_prefix = value;
  } else if (name == "region") {
    region = value;
  } else if (name == "access-key-id") {
    access_key_id = value;
  } else if (name == "secret-access-key") {
    secret_access_key = value;
  } else if (name == "session-token") {
    session_token = value;
  } else if (name == "addressing") {
    if (value != "path" && value != "virtual") {
      return Status::InvalidArgument("flag --s3-addressing: want path or virtual");
    }
    path_style = value == "path";
  } else if (name == "connect-timeout-ms") {
    return ParseNumber(name, value, &connect_timeout_ms);
  } else if (name == "request-timeout-ms") {
    return ParseNumber(name, value, &request_timeout_ms);
  } else if (name == "stall-timeout-ms") {
    return ParseNumber(name, value, &stall_timeout_ms);
  } else if (name == "max-retries") {
    return ParseNumber(name, value, &max_retries);
  } else if (name == "part-size") {
    return ParseNumber(name, value, &part_size);
  } else if (name == "multipart-threshold") {
    return ParseNumber(name, value, &multipart_threshold);
  } else if (name == "multipart-concurrency") {
    return ParseNumber(name, value, &multipart_concurrency);
  } else if (name == "sign-payload") {
    return ParseBool(name, value, &sign_payload);
  } else {
    return Status::InvalidArgument("unknown S3 flag --s3-" + std::string(name));
  }
  return Status::Ok();
}

Status S3Options::Validate() const {
  if (bucket.empty()) return Status::InvalidArgument("S3: no bucket given (--s3-bucket)");
  if (region.empty()) return Status::InvalidArgument("S3: empty region");
  if (!endpoint.empty() && !endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
    return Status::InvalidArgument("S3: endpoint must start with http:// or https://: " + endpoint);
  }
  if (access_key_id.empty() != secret_access_key.empty()) {
    return Status::InvalidArgument("S3: access key id and secret access key go together");
  }
  if (part_size < (uint64_t{5} << 20)) {
    return Status::InvalidArgument("S3: part size below the 5 MiB minimum");
  }
  if (multipart_threshold < part_size) {
    return Status::InvalidArgument("S3: multipart threshold below the part size");
  }
  if (multipart_concurrency == 0) return Status::InvalidArgument("S3: multipart concurrency 0");
  return Status::Ok();
}

std::string S3Options::ToString() const {
  std::string out = "s3://" + bucket + "/" + key_prefix;
  out += " endpoint=" + (endpoint.empty() ? std::string("aws") : endpoint);
  out += " region=" + region;
  out += path_style ? " addressing=path" : " addressing=virtual";
  out += access_key_id.empty() ? " credentials=none" : " credentials=set";
  return out;
}

}  // namespace nokv::object
