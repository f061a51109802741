#include "services/assessment/handler.h"

#include "absl/time/civil_time.h"
#include "libs/server/call.h"
#include "libs/status/status.h"
#include "services/assessment/convert.h"

namespace jiban::assessment {
namespace {

using server::Failed;

CallContext Call(const grpc::ServerContext& ctx, const std::string& request_id = "") {
  auto info = server::CallInfoOf(ctx);
  return {.request_id = request_id,
          .trace_id = info.trace.trace_id,
          .actor = server::ActorOf(info),
          .unit_id = server::ScopedUnit(info)};
}

v1::RankedUnit ToProto(const Ranked& r) {
  v1::RankedUnit p;
  p.set_rank(r.rank);
  *p.mutable_score() = assessment::ToProto(r.score);
  return p;
}

}  // namespace

grpc::Status AssessmentHandler::GetScheme(grpc::ServerContext* ctx, const v1::GetSchemeRequest* req,
                                          v1::GetSchemeResponse* resp) {
  std::optional<absl::CivilDay> day;
  if (!req->date().empty()) {
    absl::CivilDay d;
    if (!absl::ParseCivilTime(req->date(), &d)) {
      return Failed(*ctx, InvalidArgument("INVALID_REQUEST", {{"date", "a date YYYY-MM-DD"}}));
    }
    day = d;
  }
  auto s = assessment_.GetScheme(req->version(), day);
  if (!s.ok()) return Failed(*ctx, s.status());
  *resp->mutable_scheme() = ToProto(*s);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::UpdateScheme(grpc::ServerContext* ctx,
                                             const v1::UpdateSchemeRequest* req,
                                             v1::UpdateSchemeResponse* resp) {
  auto scheme = FromProto(req->scheme());
  if (!scheme.ok()) return Failed(*ctx, scheme.status());
  auto s = assessment_.UpdateScheme(*scheme, req->expected_version(), Call(*ctx));
  if (!s.ok()) return Failed(*ctx, s.status());
  *resp->mutable_scheme() = ToProto(*s);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::GetUnitScore(grpc::ServerContext* ctx,
                                             const v1::GetUnitScoreRequest* req,
                                             v1::GetUnitScoreResponse* resp) {
  auto s = assessment_.UnitScoreFor(req->unit_id(), req->period());
  if (!s.ok()) return Failed(*ctx, s.status());
  *resp->mutable_score() = ToProto(*s);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::GetRankings(grpc::ServerContext* ctx,
                                            const v1::GetRankingsRequest* req,
                                            v1::GetRankingsResponse* resp) {
  auto r = assessment_.RankClass(req->period(), static_cast<UnitClass>(req->unit_class()),
                                 req->list_size());
  if (!r.ok()) return Failed(*ctx, r.status());
  for (const Ranked& x : r->all) *resp->add_rankings() = ToProto(x);
  for (const Ranked& x : r->red_list) *resp->add_red_list() = ToProto(x);
  for (const Ranked& x : r->black_list) *resp->add_black_list() = ToProto(x);
  for (const Ranked& x : r->candidates) *resp->add_commendation_candidates() = ToProto(x);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::ExplainScore(grpc::ServerContext* ctx,
                                             const v1::ExplainScoreRequest* req,
                                             v1::ExplainScoreResponse* resp) {
  auto e = assessment_.Explain(req->unit_id(), req->period(), req->sub_item_id());
  if (!e.ok()) return Failed(*ctx, e.status());
  *resp->mutable_sub_item() = ToProto(e->sub_item);
  for (size_t i = 0; i < e->orders.size(); ++i) {
    *resp->add_against() = ToProto(e->orders[i], e->evaluations[i]);
  }
  for (const LightFact& l : e->lights) *resp->add_lights() = ToProto(l);
  for (const CaseFact& c : e->cases) *resp->add_cases() = ToProto(c);
  resp->set_scheme_version(e->scheme_version);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::PublishPeriod(grpc::ServerContext* ctx,
                                              const v1::PublishPeriodRequest* req,
                                              v1::PublishPeriodResponse* resp) {
  auto r = assessment_.Publish(req->period(), req->recompute(), Call(*ctx));
  if (!r.ok()) return Failed(*ctx, r.status());
  resp->set_units(r->first);
  resp->set_scheme_version(r->second);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::FileObjection(grpc::ServerContext* ctx,
                                              const v1::FileObjectionRequest* req,
                                              v1::FileObjectionResponse* resp) {
  auto o = assessment_.File(FromProto(req->objection()), Call(*ctx, req->request_id()));
  if (!o.ok()) return Failed(*ctx, o.status());
  *resp->mutable_objection() = ToProto(*o);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::DecideObjection(grpc::ServerContext* ctx,
                                                const v1::DecideObjectionRequest* req,
                                                v1::DecideObjectionResponse* resp) {
  auto o = assessment_.DecideOn(req->id(), static_cast<Decision>(req->decision()), req->note(),
                                Call(*ctx));
  if (!o.ok()) return Failed(*ctx, o.status());
  *resp->mutable_objection() = ToProto(*o);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::ListObjections(grpc::ServerContext* ctx,
                                               const v1::ListObjectionsRequest* req,
                                               v1::ListObjectionsResponse* resp) {
  if (req->state() < 0 || req->state() > 4) {
    return Failed(*ctx, InvalidArgument("INVALID_REQUEST", {{"state", "a known state"}}));
  }
  std::optional<ObjectionState> state;
  if (req->state() != v1::OBJECTION_STATE_UNSPECIFIED) {
    state = static_cast<ObjectionState>(req->state());
  }
  std::string unit_id = req->unit_id();
  if (!server::ScopeToUnit(server::CallInfoOf(*ctx), unit_id)) return grpc::Status::OK;
  std::string next;
  auto list = assessment_.Objections(unit_id, state, req->page_size(), req->page_token(), &next);
  if (!list.ok()) return Failed(*ctx, list.status());
  for (const Objection& o : *list) *resp->add_objections() = ToProto(o);
  resp->set_next_page_token(next);
  return grpc::Status::OK;
}

grpc::Status AssessmentHandler::ExportReport(grpc::ServerContext* ctx,
                                             const v1::ExportReportRequest* req,
                                             v1::ExportReportResponse* resp) {
  auto r = assessment_.Export(req->period(), static_cast<UnitClass>(req->unit_class()));
  if (!r.ok()) return Failed(*ctx, r.status());
  resp->set_csv(r->csv);
  for (const std::string& l : r->labels) resp->mutable_series()->add_labels(l);
  for (const auto& [name, values] : r->datasets) {
    auto* d = resp->mutable_series()->add_datasets();
    d->set_name(name);
    for (double v : values) d->add_values(v);
  }
  return grpc::Status::OK;
}

}  // namespace jiban::assessment
