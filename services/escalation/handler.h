// The thin gRPC face of escalation.
#ifndef JIBAN_SERVICES_ESCALATION_HANDLER_H_
#define JIBAN_SERVICES_ESCALATION_HANDLER_H_

#include "proto/jiban/escalation/v1/escalation.grpc.pb.h"
#include "services/escalation/domain.h"

namespace jiban::escalation {

class EscalationHandler final : public v1::EscalationService::Service {
 public:
  explicit EscalationHandler(Escalation& escalation) : escalation_(escalation) {}
  grpc::Status ListLights(grpc::ServerContext* ctx, const v1::ListLightsRequest* req,
                          v1::ListLightsResponse* resp) override;
  grpc::Status ListOrderLights(grpc::ServerContext* ctx, const v1::ListOrderLightsRequest* req,
                               v1::ListOrderLightsResponse* resp) override;
  grpc::Status CountLights(grpc::ServerContext* ctx, const v1::CountLightsRequest* req,
                           v1::CountLightsResponse* resp) override;

 private:
  Escalation& escalation_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_HANDLER_H_
