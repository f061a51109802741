#include "services/gateway/policy.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/embedded/embedded.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"

namespace jiban::generated {
std::vector<EmbeddedFile> gateway_defaults();
}  // namespace jiban::generated

namespace jiban::gateway {

bool Matches(absl::string_view pattern, absl::string_view method) {
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(method, pattern.substr(0, pattern.size() - 1));
  }
  return pattern == method;
}

absl::StatusOr<Policy> Policy::Parse(absl::string_view json) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("CONFIG_INVALID", {{"policy", "not a JSON object"}});
  Violations v;
  Policy p;
  const auto patterns = [&](const nlohmann::json& list, const std::string& field) {
    std::vector<std::string> out;
    if (!list.is_array()) {
      v.Add(field, "a list of method patterns");
      return out;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string() || list[i].get<std::string>().empty()) {
        v.Add(absl::StrCat(field, "[", i, "]"), "a method name or a prefix ending in *");
      } else {
        out.push_back(list[i].get<std::string>());
      }
    }
    return out;
  };
  p.internal_ = patterns(j.value("internal", nlohmann::json::array()), "internal");
  const auto roles = j.value("roles", nlohmann::json::object());
  if (!roles.is_object()) v.Add("roles", "an object of role → patterns");
  for (const auto& [role, list] : roles.items()) {
    if (!IsRole(role)) v.Add(absl::StrCat("roles.", role), "not one of the roles");
    p.roles_[role] = patterns(list, absl::StrCat("roles.", role));
  }
  if (!v.empty()) return v.Status();
  return p;
}

absl::StatusOr<Policy> Policy::Default() {
  for (const auto& f : generated::gateway_defaults()) {
    if (absl::EndsWith(f.name, "policy.json")) return Parse(f.text);
  }
  return absl::InternalError("no shipped policy");
}

bool Policy::Internal(absl::string_view method) const {
  return std::any_of(internal_.begin(), internal_.end(),
                     [&](const std::string& pattern) { return Matches(pattern, method); });
}

absl::Status Policy::Check(const Principal& p, absl::string_view method) const {
  if (Internal(method)) {
    return Error(absl::StatusCode::kNotFound, "METHOD_NOT_FOUND", "no such method");
  }
  auto it = roles_.find(p.role);
  const bool allowed = it != roles_.end() &&
                       std::any_of(it->second.begin(), it->second.end(),
                                   [&](const std::string& pat) { return Matches(pat, method); });
  if (!allowed) {
    return Error(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                 absl::StrCat("the role ", p.role, " may not call this method"));
  }
  if (!p.scopes.empty() &&
      std::none_of(p.scopes.begin(), p.scopes.end(),
                   [&](const std::string& pat) { return Matches(pat, method); })) {
    return Error(absl::StatusCode::kPermissionDenied, "SCOPE_NOT_ALLOWED",
                 "this API key's scopes do not cover this method");
  }
  return absl::OkStatus();
}

}  // namespace jiban::gateway
