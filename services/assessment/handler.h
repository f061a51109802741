// The thin gRPC face of assessment. The actor recorded in the audit trail is the caller's role
// (metadata `x-jiban-role`, set by the gateway).
#ifndef JIBAN_SERVICES_ASSESSMENT_HANDLER_H_
#define JIBAN_SERVICES_ASSESSMENT_HANDLER_H_

#include "proto/jiban/assessment/v1/assessment.grpc.pb.h"
#include "services/assessment/domain.h"

namespace jiban::assessment {

class AssessmentHandler final : public v1::AssessmentService::Service {
 public:
  explicit AssessmentHandler(Assessment& assessment) : assessment_(assessment) {}
  grpc::Status GetScheme(grpc::ServerContext* ctx, const v1::GetSchemeRequest* req,
                         v1::GetSchemeResponse* resp) override;
  grpc::Status UpdateScheme(grpc::ServerContext* ctx, const v1::UpdateSchemeRequest* req,
                            v1::UpdateSchemeResponse* resp) override;
  grpc::Status GetUnitScore(grpc::ServerContext* ctx, const v1::GetUnitScoreRequest* req,
                            v1::GetUnitScoreResponse* resp) override;
  grpc::Status GetRankings(grpc::ServerContext* ctx, const v1::GetRankingsRequest* req,
                           v1::GetRankingsResponse* resp) override;
  grpc::Status ExplainScore(grpc::ServerContext* ctx, const v1::ExplainScoreRequest* req,
                            v1::ExplainScoreResponse* resp) override;
  grpc::Status PublishPeriod(grpc::ServerContext* ctx, const v1::PublishPeriodRequest* req,
                             v1::PublishPeriodResponse* resp) override;
  grpc::Status FileObjection(grpc::ServerContext* ctx, const v1::FileObjectionRequest* req,
                             v1::FileObjectionResponse* resp) override;
  grpc::Status DecideObjection(grpc::ServerContext* ctx, const v1::DecideObjectionRequest* req,
                               v1::DecideObjectionResponse* resp) override;
  grpc::Status ListObjections(grpc::ServerContext* ctx, const v1::ListObjectionsRequest* req,
                              v1::ListObjectionsResponse* resp) override;
  grpc::Status ExportReport(grpc::ServerContext* ctx, const v1::ExportReportRequest* req,
                            v1::ExportReportResponse* resp) override;

 private:
  Assessment& assessment_;
};

}  // namespace jiban::assessment

#endif  // JIBAN_SERVICES_ASSESSMENT_HANDLER_H_
