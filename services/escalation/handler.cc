#include "services/escalation/handler.h"

#include "libs/server/call.h"
#include "libs/status/status.h"
#include "services/escalation/convert.h"

namespace jiban::escalation {
namespace {

using server::Failed;

// The caller's role: the case log's actor.
std::string Actor(const grpc::ServerContext& ctx) {
  return server::ActorOf(server::CallInfoOf(ctx));
}

CallContext Keyed(const grpc::ServerContext& ctx, const std::string& request_id) {
  auto info = server::CallInfoOf(ctx);
  return {request_id, info.trace.trace_id, info.subject};
}

}  // namespace

grpc::Status EscalationHandler::ListLights(grpc::ServerContext* ctx,
                                           const v1::ListLightsRequest* req,
                                           v1::ListLightsResponse* resp) {
  LightQuery q{.unit_id = req->unit_id(),
               .district_code = req->district_code(),
               .active_only = req->active_only()};
  Violations v;
  if (req->colour() < 0 || req->colour() > 2) v.Add("colour", "unknown");
  if (req->cause() < 0 || req->cause() > 8) v.Add("cause", "unknown");
  if (!v.empty()) return Failed(*ctx, v.Status());
  if (req->colour() != v1::LIGHT_COLOUR_UNSPECIFIED) q.colour = static_cast<Colour>(req->colour());
  if (req->cause() != v1::LIGHT_CAUSE_UNSPECIFIED) q.cause = static_cast<Cause>(req->cause());
  if (!server::ScopeToUnit(server::CallInfoOf(*ctx), q.unit_id)) return grpc::Status::OK;
  std::string next;
  auto lights = escalation_.List(q, req->page_size(), req->page_token(), &next);
  if (!lights.ok()) return Failed(*ctx, lights.status());
  for (const Light& l : *lights) *resp->add_lights() = ToProto(l);
  resp->set_next_page_token(next);
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::ListOrderLights(grpc::ServerContext* ctx,
                                                const v1::ListOrderLightsRequest* req,
                                                v1::ListOrderLightsResponse* resp) {
  auto lights = escalation_.OrderHistory(req->order_id());
  if (!lights.ok()) return Failed(*ctx, lights.status());
  const std::string unit = server::ScopedUnit(server::CallInfoOf(*ctx));
  for (const Light& l : *lights) {
    if (unit.empty() || l.unit_id == unit) *resp->add_lights() = ToProto(l);
  }
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::CountLights(grpc::ServerContext* ctx,
                                            const v1::CountLightsRequest* req,
                                            v1::CountLightsResponse* resp) {
  std::string unit_id = req->unit_id();
  if (!server::ScopeToUnit(server::CallInfoOf(*ctx), unit_id)) return grpc::Status::OK;
  auto counts = escalation_.Counts(unit_id, req->district_code());
  if (!counts.ok()) return Failed(*ctx, counts.status());
  for (const LightCount& c : *counts) {
    auto* out = resp->add_counts();
    out->set_colour(static_cast<v1::LightColour>(ColourOf(c.cause)));
    out->set_cause(static_cast<v1::LightCause>(c.cause));
    out->set_active(c.active);
  }
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::OpenCase(grpc::ServerContext* ctx, const v1::OpenCaseRequest* req,
                                         v1::OpenCaseResponse* resp) {
  auto c = escalation_.OpenCase(req->order_id(), static_cast<CaseKind>(req->kind()), req->note(),
                                Actor(*ctx), Keyed(*ctx, req->request_id()));
  if (!c.ok()) return Failed(*ctx, c.status());
  *resp->mutable_case_() = ToProto(*c);
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::ActOnCase(grpc::ServerContext* ctx, const v1::ActOnCaseRequest* req,
                                          v1::ActOnCaseResponse* resp) {
  auto c = escalation_.Act(req->case_id(), static_cast<ActionKind>(req->action()), req->note(),
                           Actor(*ctx), Keyed(*ctx, req->request_id()));
  if (!c.ok()) return Failed(*ctx, c.status());
  *resp->mutable_case_() = ToProto(*c);
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::GetCase(grpc::ServerContext* ctx, const v1::GetCaseRequest* req,
                                        v1::GetCaseResponse* resp) {
  auto c = escalation_.GetCase(req->id());
  if (!c.ok()) return Failed(*ctx, c.status());
  if (std::string unit = c->first.unit_id; !server::ScopeToUnit(server::CallInfoOf(*ctx), unit)) {
    return Failed(*ctx, Error(absl::StatusCode::kNotFound, "CASE_NOT_FOUND",
                              "no supervision case with this id"));
  }
  *resp->mutable_case_() = ToProto(c->first);
  for (const CaseAction& a : c->second) *resp->add_actions() = ToProto(a);
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::ListCases(grpc::ServerContext* ctx, const v1::ListCasesRequest* req,
                                          v1::ListCasesResponse* resp) {
  CaseQuery q{.unit_id = req->unit_id(),
              .district_code = req->district_code(),
              .officer = req->officer(),
              .open_only = req->open_only()};
  if (req->state() != v1::CASE_STATE_UNSPECIFIED) q.state = static_cast<CaseState>(req->state());
  if (!server::ScopeToUnit(server::CallInfoOf(*ctx), q.unit_id)) return grpc::Status::OK;
  if (q.officer == "me") {
    q.officer = server::CallInfoOf(*ctx).subject;
    if (q.officer.empty()) {
      return Failed(*ctx, InvalidArgument("INVALID_REQUEST",
                                          {{"officer", "\"me\" needs an authenticated caller"}}));
    }
  }
  std::string next;
  auto cases = escalation_.ListCases(q, req->page_size(), req->page_token(), &next);
  if (!cases.ok()) return Failed(*ctx, cases.status());
  for (const Case& c : *cases) *resp->add_cases() = ToProto(c);
  resp->set_next_page_token(next);
  return grpc::Status::OK;
}

grpc::Status EscalationHandler::VerifyCaseLog(grpc::ServerContext* ctx,
                                              const v1::VerifyCaseLogRequest* req,
                                              v1::VerifyCaseLogResponse* resp) {
  std::optional<Anchor> anchor;
  if (!req->anchor().empty()) {
    auto a = ParseAnchor(req->anchor());
    if (!a.ok()) return Failed(*ctx, a.status());
    anchor = *a;
  }
  auto v = escalation_.VerifyLog(anchor);
  if (!v.ok()) return Failed(*ctx, v.status());
  resp->set_anchor_matches(v->anchor_matches);
  resp->set_intact(v->intact);
  resp->set_entries(v->entries);
  resp->set_first_broken_sequence(v->first_broken);
  return grpc::Status::OK;
}

}  // namespace jiban::escalation
