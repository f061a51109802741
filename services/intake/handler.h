// The thin gRPC face of intake: check presence, convert, call the domain, convert back.
#ifndef JIBAN_SERVICES_INTAKE_HANDLER_H_
#define JIBAN_SERVICES_INTAKE_HANDLER_H_

#include "proto/jiban/intake/v1/intake.grpc.pb.h"
#include "services/intake/domain.h"

namespace jiban::intake {

class IntakeHandler final : public v1::IntakeService::Service {
 public:
  explicit IntakeHandler(Intake& intake) : intake_(intake) {}

  grpc::Status SubmitRequest(grpc::ServerContext* ctx, const v1::SubmitRequestRequest* req,
                             v1::SubmitRequestResponse* resp) override;
  grpc::Status GetRequest(grpc::ServerContext* ctx, const v1::GetRequestRequest* req,
                          v1::GetRequestResponse* resp) override;

 private:
  Intake& intake_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_HANDLER_H_
