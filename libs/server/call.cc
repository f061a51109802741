#include "libs/server/call.h"

#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/crypto/sealer.h"
#include "libs/status/status.h"

namespace jiban::server {
namespace {

bool IsLowerHex(absl::string_view s, size_t len) {
  if (s.size() != len) return false;
  bool nonzero = false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    nonzero |= c != '0';
  }
  return nonzero || len == 2;  // flags may be 00
}

std::string RandomHex(size_t chars) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(chars, '0');
  do {
    for (auto& c : out) c = kHex[rng() & 15];
  } while (out.find_first_not_of('0') == std::string::npos);
  return out;
}

std::string Metadata(const grpc::ServerContext& ctx, const char* key) {
  auto it = ctx.client_metadata().find(key);
  if (it == ctx.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

std::string TraceContext::Header() const {
  return absl::StrCat("00-", trace_id, "-", span_id, "-", flags);
}

std::optional<TraceContext> ParseTraceparent(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  if (parts.size() != 4 || parts[0] != "00") return std::nullopt;
  if (!IsLowerHex(parts[1], 32) || !IsLowerHex(parts[2], 16) || !IsLowerHex(parts[3], 2)) {
    return std::nullopt;
  }
  return TraceContext{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

std::string NewTraceId() { return RandomHex(32); }
std::string NewSpanId() { return RandomHex(16); }
std::string NewRequestId() { return RandomHex(32); }

CallInfo CallInfoOf(const grpc::ServerContext& ctx) {
  CallInfo info;
  info.request_id = Metadata(ctx, kRequestIdHeader);
  if (auto tp = ParseTraceparent(Metadata(ctx, kTraceparentHeader)); tp.has_value()) {
    info.trace = *tp;
  }
  info.role = Metadata(ctx, "x-jiban-role");
  info.subject = Metadata(ctx, "x-jiban-subject");
  info.unit = Metadata(ctx, "x-jiban-unit");
  return info;
}

std::string ActorOf(const CallInfo& info) { return info.role.empty() ? "unknown" : info.role; }

std::string ScopedUnit(const CallInfo& info) {
  if (info.role != "unit_staff") return "";
  return info.unit.empty() ? "\x01none" : info.unit;
}

bool ScopeToUnit(const CallInfo& info, std::string& unit_id) {
  const std::string unit = ScopedUnit(info);
  if (unit.empty()) return true;
  if (!unit_id.empty() && unit_id != unit) return false;
  unit_id = unit;
  return true;
}

std::string ScopedRequester(const CallInfo& info) {
  if (info.role != "requester") return "";
  return info.subject.empty() ? "\x01none" : info.subject;
}

std::string IdentitySignature(absl::string_view key, absl::string_view role,
                              absl::string_view subject, absl::string_view unit,
                              absl::string_view request_id) {
  return absl::BytesToHexString(crypto::HmacSha256(
      key, absl::StrCat(role, "\x1f", subject, "\x1f", unit, "\x1f", request_id)));
}

void SetIdentity(grpc::ClientContext& ctx, absl::string_view key, absl::string_view role,
                 absl::string_view subject, absl::string_view unit, absl::string_view request_id) {
  ctx.AddMetadata(kRequestIdHeader, std::string(request_id));
  ctx.AddMetadata("x-jiban-role", std::string(role));
  if (!subject.empty()) ctx.AddMetadata("x-jiban-subject", std::string(subject));
  if (!unit.empty()) ctx.AddMetadata("x-jiban-unit", std::string(unit));
  if (!key.empty()) {
    ctx.AddMetadata(kIdentitySignatureHeader,
                    IdentitySignature(key, role, subject, unit, request_id));
  }
}

std::unique_ptr<grpc::ClientContext> OutgoingContext(const grpc::ServerContext& ctx) {
  auto out = grpc::ClientContext::FromServerContext(ctx);
  const CallInfo info = CallInfoOf(ctx);
  if (!info.request_id.empty()) out->AddMetadata(kRequestIdHeader, info.request_id);
  if (!info.trace.trace_id.empty()) out->AddMetadata(kTraceparentHeader, info.trace.Header());
  return out;
}

grpc::Status Failed(const grpc::ServerContext& ctx, const absl::Status& status) {
  const CallInfo info = CallInfoOf(ctx);
  return ToGrpcStatus(status, info.request_id, info.trace.trace_id);
}

}  // namespace jiban::server
