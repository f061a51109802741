// What every handler needs to know about the call it serves, and how it calls onwards.
//
// The server interceptor guarantees that each call carries an `x-request-id` and a valid W3C
// `traceparent` (generated when the client sent none or an invalid one; a valid incoming trace id
// is kept and a new span id is minted for this server). Handlers read them with CallInfoOf and
// create outgoing calls with OutgoingContext, which carries the deadline, cancellation, request id
// and trace context downstream.
#ifndef JIBAN_LIBS_SERVER_CALL_H_
#define JIBAN_LIBS_SERVER_CALL_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"

namespace jiban::server {

inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kIdentitySignatureHeader[] = "x-jiban-identity";

struct TraceContext {
  std::string trace_id;        // 32 lowercase hex, not all zero
  std::string span_id;         // 16 lowercase hex, not all zero
  std::string flags;           // 2 lowercase hex
  std::string Header() const;  // "00-<trace>-<span>-<flags>"
};

// Parses a version-00 traceparent; nullopt for anything invalid (uppercase hex, zero ids, wrong
// length, unknown version ff, ...).
std::optional<TraceContext> ParseTraceparent(absl::string_view value);

// Fresh random ids.
std::string NewTraceId();
std::string NewSpanId();
std::string NewRequestId();

struct CallInfo {
  std::string request_id;
  TraceContext trace;   // this server's span
  std::string role;     // x-jiban-role, set by the gateway after authentication; empty if absent
  std::string subject;  // x-jiban-subject: who the gateway authenticated; empty if absent
  std::string unit;     // x-jiban-unit: the unit unit staff work for; empty if absent
};

// The request id and trace context of the call `ctx` serves.
CallInfo CallInfoOf(const grpc::ServerContext& ctx);

// Who acted, for audit trails: the caller's role, or "unknown" when the call named none.
std::string ActorOf(const CallInfo& info);

// Object-level scopes of the backends: the unit a unit-staff caller is confined to, and the
// requester a requester is (each "\x01none" when the gateway named none, so that nothing
// matches); empty for every other role.
std::string ScopedUnit(const CallInfo& info);
std::string ScopedRequester(const CallInfo& info);
// Confines a list's unit filter to a unit-staff caller's unit: false when it asks for another
// unit (the answer is an empty list); otherwise sets `unit_id` to the caller's unit, if any.
bool ScopeToUnit(const CallInfo& info, std::string& unit_id);

// `status` as the answer to the call `ctx` serves: ToGrpcStatus with the call's request and trace
// ids.
grpc::Status Failed(const grpc::ServerContext& ctx, const absl::Status& status);

// Who a call is made for (x-jiban-role, x-jiban-subject, x-jiban-unit), with its request id and,
// when the deployment has an identity key (JIBAN_IDENTITY_KEY), an HMAC over all four
// (x-jiban-identity): a backend holding the key drops identity headers that are not signed, so
// only the gateway and the services themselves can name a caller.
void SetIdentity(grpc::ClientContext& ctx, absl::string_view key, absl::string_view role,
                 absl::string_view subject, absl::string_view unit, absl::string_view request_id);
std::string IdentitySignature(absl::string_view key, absl::string_view role,
                              absl::string_view subject, absl::string_view unit,
                              absl::string_view request_id);

// A client context for a call made on behalf of `ctx`: inherits its deadline and cancellation
// (a downstream call never has more time than the upstream one), request id and trace.
std::unique_ptr<grpc::ClientContext> OutgoingContext(const grpc::ServerContext& ctx);

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_CALL_H_
