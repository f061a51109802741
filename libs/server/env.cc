#include "libs/server/env.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace jiban::server {

Env::Env(Lookup lookup) : lookup_(std::move(lookup)) {}

const char* Env::Get(const char* name) const {
  const char* v = lookup_ ? lookup_(name) : std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

std::string Env::String(const char* name, absl::string_view fallback) {
  const char* v = Get(name);
  return v ? std::string(v) : std::string(fallback);
}

std::string Env::Required(const char* name) {
  const char* v = Get(name);
  if (v == nullptr) {
    errors_.push_back(absl::StrCat(name, " is required but not set"));
    return "";
  }
  return v;
}

std::string Env::Secret(const std::string& name) {
  const std::string file_var = name + "_FILE";
  if (const char* path = Get(file_var.c_str())) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string value(absl::StripAsciiWhitespace(text.str()));
    if (!in.good() && !in.eof()) value.clear();
    if (value.empty())
      errors_.push_back(absl::StrCat(file_var, " must name a readable, non-empty file"));
    return value;
  }
  return Required(name.c_str());
}

int Env::Int(const char* name, int fallback, int min, int max) {
  const char* v = Get(name);
  if (v == nullptr) return fallback;
  int out = 0;
  if (!absl::SimpleAtoi(v, &out) || out < min || out > max) {
    errors_.push_back(absl::StrCat(name, " must be an integer between ", min, " and ", max));
    return fallback;
  }
  return out;
}

double Env::Parse(const char* name, double fallback, double min, double max,
                  absl::string_view what) {
  const char* v = Get(name);
  if (v == nullptr) return fallback;
  double out = 0;
  if (!absl::SimpleAtod(v, &out) || !(out >= min && out <= max)) {
    errors_.push_back(absl::StrCat(name, " must be ", what, " between ", min, " and ", max));
    return fallback;
  }
  return out;
}

double Env::Number(const char* name, double fallback, double min, double max) {
  return Parse(name, fallback, min, max, "a number");
}

absl::Duration Env::Seconds(const char* name, double fallback, double min, double max) {
  return absl::Seconds(Parse(name, fallback, min, max, "a number of seconds"));
}

bool Env::Bool(const char* name, bool fallback) {
  const char* v = Get(name);
  if (v == nullptr) return fallback;
  const std::string s = absl::AsciiStrToLower(v);
  if (s == "1" || s == "true" || s == "yes") return true;
  if (s == "0" || s == "false" || s == "no") return false;
  errors_.push_back(absl::StrCat(name, " must be true or false"));
  return fallback;
}

std::string Env::Address(const char* name, absl::string_view fallback) {
  std::string v = String(name, fallback);
  const size_t colon = v.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    errors_.push_back(absl::StrCat(name, " must be host:port with a port between 0 and 65535"));
  }
  return v;
}

std::string Env::OneOf(const char* name, absl::string_view fallback,
                       const std::vector<std::string>& allowed) {
  std::string v = String(name, fallback);
  for (const auto& a : allowed) {
    if (a == v) return v;
  }
  errors_.push_back(absl::StrCat(name, " must be one of: ", absl::StrJoin(allowed, ", ")));
  return std::string(fallback);
}

absl::Status Env::Validate() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid configuration: ", absl::StrJoin(errors_, "; ")));
}

}  // namespace jiban::server
