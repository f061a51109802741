#include "services/intake/handler.h"

#include "absl/strings/str_cat.h"
#include "libs/server/call.h"
#include "libs/server/timestamp.h"
#include "libs/status/status.h"
#include "services/intake/convert.h"

namespace jiban::intake {
namespace {

// One call's context: ids for events and errors, and what the caller may see.
struct Call {
  explicit Call(const grpc::ServerContext& ctx) {
    auto info = server::CallInfoOf(ctx);
    context = {info.request_id, info.trace.trace_id, server::ScopedRequester(info)};
    view = ViewForRole(info.role);
    reader = info.subject.empty() ? info.role : absl::StrCat(info.role, ":", info.subject);
  }
  grpc::Status Fail(const absl::Status& s) const {
    return ToGrpcStatus(s, context.request_id, context.trace_id);
  }
  // Records the sealed reads among `shown` when this caller sees sealed details.
  absl::Status Audit(Intake& intake, const std::vector<const Request*>& shown) const {
    if (view != View::kFullConfidential) return absl::OkStatus();
    return intake.RecordSealedReads(shown, reader, context);
  }
  CallContext context;
  View view;
  std::string reader;  // role[:subject]
};

std::optional<absl::Time> Time(bool has, const google::protobuf::Timestamp& t) {
  if (!has) return std::nullopt;
  return server::FromTimestamp(t);
}

}  // namespace

grpc::Status IntakeHandler::SubmitRequest(grpc::ServerContext* ctx,
                                          const v1::SubmitRequestRequest* req,
                                          v1::SubmitRequestResponse* resp) {
  const Call call(*ctx);
  if (!req->has_request()) {
    return call.Fail(InvalidArgument("INVALID_REQUEST", {{"request", "required"}}));
  }
  auto r = intake_.Submit(req->request_id(), DraftFromProto(req->request()), call.context);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::GetRequest(grpc::ServerContext* ctx, const v1::GetRequestRequest* req,
                                       v1::GetRequestResponse* resp) {
  const Call call(*ctx);
  auto r = intake_.Get(req->id(), call.context.owner);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::ListRequests(grpc::ServerContext* ctx,
                                         const v1::ListRequestsRequest* req,
                                         v1::ListRequestsResponse* resp) {
  const Call call(*ctx);
  if (!req->requester_phone().empty() && call.view == View::kMasked) {
    return call.Fail(Error(absl::StatusCode::kPermissionDenied, "PERSONAL_DATA_FORBIDDEN",
                           "searching by phone needs a role that may see personal data"));
  }
  Intake::ListFilter f{.status = static_cast<Status>(req->status()),
                       .nature = static_cast<Nature>(req->nature()),
                       .channel = static_cast<Channel>(req->channel()),
                       .district_code = req->district_code(),
                       .from = Time(req->has_create_time_from(), req->create_time_from()),
                       .to = Time(req->has_create_time_to(), req->create_time_to()),
                       .requester_phone = req->requester_phone(),
                       .submitter = call.context.owner};
  auto page = intake_.List(f, req->page_size(), req->page_token());
  if (!page.ok()) return call.Fail(page.status());
  std::vector<const Request*> shown;
  for (const auto& r : page->requests) shown.push_back(&r);
  if (auto s = call.Audit(intake_, shown); !s.ok()) return call.Fail(s);
  for (const auto& r : page->requests) *resp->add_requests() = ToProto(r, call.view);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::TrackRequest(grpc::ServerContext* ctx,
                                         const v1::TrackRequestRequest* req,
                                         v1::TrackRequestResponse* resp) {
  const Call call(*ctx);
  auto t = intake_.TrackByNumber(req->tracking_number());
  if (!t.ok()) return call.Fail(t.status());
  resp->set_tracking_number(t->tracking_number);
  resp->set_status(static_cast<v1::RequestStatus>(t->status));
  for (const auto& e : t->timeline) *resp->add_timeline() = ToProto(e);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::SupplementRequest(grpc::ServerContext* ctx,
                                              const v1::SupplementRequestRequest* req,
                                              v1::SupplementRequestResponse* resp) {
  const Call call(*ctx);
  auto r = intake_.AddSupplement(req->request_id(), req->id(), FromProto(req->supplement()),
                                 call.context);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::WithdrawRequest(grpc::ServerContext* ctx,
                                            const v1::WithdrawRequestRequest* req,
                                            v1::WithdrawRequestResponse* resp) {
  const Call call(*ctx);
  auto r = intake_.Withdraw(req->id(), req->reason(), call.context);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::EvaluateRequest(grpc::ServerContext* ctx,
                                            const v1::EvaluateRequestRequest* req,
                                            v1::EvaluateRequestResponse* resp) {
  const Call call(*ctx);
  if (!req->has_evaluation()) {
    return call.Fail(InvalidArgument("INVALID_REQUEST", {{"evaluation", "required"}}));
  }
  auto r = intake_.Evaluate(req->id(), FromProto(req->evaluation()), call.context);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::MergeRequests(grpc::ServerContext* ctx,
                                          const v1::MergeRequestsRequest* req,
                                          v1::MergeRequestsResponse* resp) {
  const Call call(*ctx);
  std::vector<std::string> members(req->member_ids().begin(), req->member_ids().end());
  auto merged = intake_.Merge(req->master_id(), members, call.context);
  if (!merged.ok()) return call.Fail(merged.status());
  std::vector<const Request*> shown;
  for (const auto& r : *merged) shown.push_back(&r);
  if (auto s = call.Audit(intake_, shown); !s.ok()) return call.Fail(s);
  for (const auto& r : *merged) *resp->add_members() = ToProto(r, call.view);
  return grpc::Status::OK;
}

grpc::Status IntakeHandler::UnmergeRequest(grpc::ServerContext* ctx,
                                           const v1::UnmergeRequestRequest* req,
                                           v1::UnmergeRequestResponse* resp) {
  const Call call(*ctx);
  auto r = intake_.Unmerge(req->id(), call.context);
  if (!r.ok()) return call.Fail(r.status());
  if (auto s = call.Audit(intake_, {&*r}); !s.ok()) return call.Fail(s);
  *resp->mutable_request() = ToProto(*r, call.view);
  return grpc::Status::OK;
}

}  // namespace jiban::intake
