// The thin gRPC face of escalation. The actor recorded in the case log is the caller's role
// (metadata `x-jiban-role`, set by the gateway).
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
  grpc::Status OpenCase(grpc::ServerContext* ctx, const v1::OpenCaseRequest* req,
                        v1::OpenCaseResponse* resp) override;
  grpc::Status ActOnCase(grpc::ServerContext* ctx, const v1::ActOnCaseRequest* req,
                         v1::ActOnCaseResponse* resp) override;
  grpc::Status GetCase(grpc::ServerContext* ctx, const v1::GetCaseRequest* req,
                       v1::GetCaseResponse* resp) override;
  grpc::Status ListCases(grpc::ServerContext* ctx, const v1::ListCasesRequest* req,
                         v1::ListCasesResponse* resp) override;
  grpc::Status VerifyCaseLog(grpc::ServerContext* ctx, const v1::VerifyCaseLogRequest* req,
                             v1::VerifyCaseLogResponse* resp) override;

 private:
  Escalation& escalation_;
};

}  // namespace jiban::escalation

#endif  // JIBAN_SERVICES_ESCALATION_HANDLER_H_
