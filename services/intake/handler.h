// The thin gRPC face of intake: presence checks, conversion, the domain call, and the caller's
// view of personal data (from the `x-jiban-role` metadata the gateway sets).
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
  grpc::Status ListRequests(grpc::ServerContext* ctx, const v1::ListRequestsRequest* req,
                            v1::ListRequestsResponse* resp) override;
  grpc::Status TrackRequest(grpc::ServerContext* ctx, const v1::TrackRequestRequest* req,
                            v1::TrackRequestResponse* resp) override;
  grpc::Status SupplementRequest(grpc::ServerContext* ctx, const v1::SupplementRequestRequest* req,
                                 v1::SupplementRequestResponse* resp) override;
  grpc::Status WithdrawRequest(grpc::ServerContext* ctx, const v1::WithdrawRequestRequest* req,
                               v1::WithdrawRequestResponse* resp) override;
  grpc::Status EvaluateRequest(grpc::ServerContext* ctx, const v1::EvaluateRequestRequest* req,
                               v1::EvaluateRequestResponse* resp) override;
  grpc::Status MergeRequests(grpc::ServerContext* ctx, const v1::MergeRequestsRequest* req,
                             v1::MergeRequestsResponse* resp) override;
  grpc::Status UnmergeRequest(grpc::ServerContext* ctx, const v1::UnmergeRequestRequest* req,
                              v1::UnmergeRequestResponse* resp) override;

 private:
  Intake& intake_;
};

}  // namespace jiban::intake

#endif  // JIBAN_SERVICES_INTAKE_HANDLER_H_
