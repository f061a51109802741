#include "services/escalation/reassigner.h"

#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/server/call.h"
#include "libs/status/status.h"

namespace jiban::escalation {

absl::Status GrpcReassigner::Reassign(const std::string& order_id, const std::string& note,
                                      const std::string& key) {
  jiban::routing::v1::ReassignWorkOrderRequest req;
  req.set_request_id(key.substr(0, 64));
  req.set_order_id(order_id);
  req.set_note(note.substr(0, 500));
  jiban::routing::v1::ReassignWorkOrderResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  server::SetIdentity(ctx, identity_key_, "commission_officer", "escalation", "", req.request_id());
  return FromGrpcStatus(stub_->ReassignWorkOrder(&ctx, req, &resp));
}

}  // namespace jiban::escalation
