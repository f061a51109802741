// OrderReassigner over routing's gRPC API (ReassignWorkOrder), with a deadline and the idempotency
// key carried as the request id.
#ifndef JIBAN_SERVICES_ESCALATION_REASSIGNER_H_
#define JIBAN_SERVICES_ESCALATION_REASSIGNER_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/escalation/domain.h"

namespace jiban::escalation {

class GrpcReassigner final : public OrderReassigner {
 public:
  // `identity_key`: signs the commission's identity for routing (server::SetIdentity).
  GrpcReassigner(std::shared_ptr<grpc::Channel> routing, std::string identity_key)
      : stub_(jiban::routing::v1::RoutingService::NewStub(std::move(routing))),
        identity_key_(std::move(identity_key)) {}
  absl::Status Reassign(const std::string& order_id, const std::string& note,
                        const std::string& key) override;

 private:
  std::unique_ptr<jiban::routing::v1::RoutingService::Stub> stub_;
  const std::string identity_key_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_REASSIGNER_H_
