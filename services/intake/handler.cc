#include "services/intake/handler.h"

#include "libs/server/call.h"
#include "libs/status/status.h"
#include "services/intake/convert.h"

namespace jiban::intake {
namespace {

CallContext Call(const grpc::ServerContext& ctx) {
  auto info = server::CallInfoOf(ctx);
  return {info.request_id, info.trace.trace_id};
}

grpc::Status Fail(const absl::Status& s, const CallContext& call) {
  return ToGrpcStatus(s, call.request_id, call.trace_id);
}

}  // namespace

grpc::Status IntakeHandler::SubmitRequest(grpc::ServerContext* ctx,
                                          const v1::SubmitRequestRequest* req,
                                          v1::SubmitRequestResponse* resp) {
  const CallContext call = Call(*ctx);
  if (!req->has_request()) {
    return Fail(InvalidArgument("INVALID_REQUEST", {{"request", "required"}}), call);
  }
  auto submitted = intake_.Submit(req->request_id(), DraftFromProto(req->request()), call);
  if (!submitted.ok()) return Fail(submitted.status(), call);
  *resp->mutable_request() = ToProto(*submitted);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::GetRequest(grpc::ServerContext* ctx, const v1::GetRequestRequest* req,
                                       v1::GetRequestResponse* resp) {
  const CallContext call = Call(*ctx);
  auto found = intake_.Get(req->id());
  if (!found.ok()) return Fail(found.status(), call);
  *resp->mutable_request() = ToProto(*found);
  return grpc::Status::OK;
}

}  // namespace jiban::intake
