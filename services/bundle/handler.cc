#include "services/bundle/handler.h"

#include "libs/server/call.h"
#include "libs/status/status.h"
#include "services/bundle/convert.h"

namespace jiban::bundle {
namespace {

using server::Failed;

CallContext Call(const grpc::ServerContext& ctx, const std::string& request_id = "") {
  auto info = server::CallInfoOf(ctx);
  return {
      .request_id = request_id, .trace_id = info.trace.trace_id, .actor = server::ActorOf(info)};
}

}  // namespace

grpc::Status BundleHandler::GetCatalogue(grpc::ServerContext* ctx,
                                         const v1::GetCatalogueRequest* req,
                                         v1::GetCatalogueResponse* resp) {
  auto c = bundles_.GetCatalogue(req->version());
  if (!c.ok()) return Failed(*ctx, c.status());
  *resp->mutable_catalogue() = ToProto(**c);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::UpdateCatalogue(grpc::ServerContext* ctx,
                                            const v1::UpdateCatalogueRequest* req,
                                            v1::UpdateCatalogueResponse* resp) {
  auto c = bundles_.UpdateCatalogue(FromProto(req->catalogue()), req->expected_version(),
                                    Call(*ctx).actor);
  if (!c.ok()) return Failed(*ctx, c.status());
  *resp->mutable_catalogue() = ToProto(*c);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::GetBundle(grpc::ServerContext* ctx, const v1::GetBundleRequest* req,
                                      v1::GetBundleResponse* resp) {
  auto view = bundles_.GetBundle(req->bundle_id(), req->catalogue_version());
  if (!view.ok()) return Failed(*ctx, view.status());
  ToProto(*view, resp);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::SearchGuide(grpc::ServerContext* ctx, const v1::SearchGuideRequest* req,
                                        v1::SearchGuideResponse* resp) {
  auto hits = bundles_.Search(req->query(), req->page_size());
  if (!hits.ok()) return Failed(*ctx, hits.status());
  for (const GuideAnswer& a : *hits) *resp->add_hits() = ToProto(a);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::SubmitApplication(grpc::ServerContext* ctx,
                                              const v1::SubmitApplicationRequest* req,
                                              v1::SubmitApplicationResponse* resp) {
  const Submission s{.bundle_id = req->bundle_id(),
                     .catalogue_version = req->catalogue_version(),
                     .form = {req->form().begin(), req->form().end()},
                     .material_ids = {req->material_ids().begin(), req->material_ids().end()},
                     .district_code = req->district_code()};
  auto a = bundles_.Submit(s, Call(*ctx, req->request_id()));
  if (!a.ok()) return Failed(*ctx, a.status());
  *resp->mutable_application() = ToProto(*a, bundles_.Now());
  return grpc::Status::OK;
}

grpc::Status BundleHandler::GetApplication(grpc::ServerContext* ctx,
                                           const v1::GetApplicationRequest* req,
                                           v1::GetApplicationResponse* resp) {
  auto a = bundles_.Get(req->application_id());
  if (!a.ok()) return Failed(*ctx, a.status());
  *resp->mutable_application() = ToProto(*a, bundles_.Now());
  return grpc::Status::OK;
}

grpc::Status BundleHandler::ListApplications(grpc::ServerContext* ctx,
                                             const v1::ListApplicationsRequest* req,
                                             v1::ListApplicationsResponse* resp) {
  ApplicationQuery q{.bundle_id = req->bundle_id()};
  if (req->state() != v1::APPLICATION_STATE_UNSPECIFIED) {
    q.state = static_cast<ApplicationState>(req->state());
  }
  auto page = bundles_.List(q, req->page_size(), req->page_token());
  if (!page.ok()) return Failed(*ctx, page.status());
  const absl::Time now = bundles_.Now();
  for (const Application& a : page->applications) *resp->add_applications() = ToProto(a, now);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::GetPartForm(grpc::ServerContext* ctx, const v1::GetPartFormRequest* req,
                                        v1::GetPartFormResponse* resp) {
  auto form = bundles_.PartForm(req->application_id(), req->part_index(), Call(*ctx));
  if (!form.ok()) return Failed(*ctx, form.status());
  resp->mutable_form()->insert(form->begin(), form->end());
  return grpc::Status::OK;
}

grpc::Status BundleHandler::ListHotSpots(grpc::ServerContext* ctx,
                                         const v1::ListHotSpotsRequest* req,
                                         v1::ListHotSpotsResponse* resp) {
  auto spots = bundles_.HotSpots(req->window_days() == 0 ? 7 : req->window_days(),
                                 req->page_size() == 0 ? 20 : req->page_size());
  if (!spots.ok()) return Failed(*ctx, spots.status());
  for (const auto& v : *spots) *resp->add_hot_spots() = ToProto(v);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::DecideHotSpot(grpc::ServerContext* ctx,
                                          const v1::DecideHotSpotRequest* req,
                                          v1::DecideHotSpotResponse* resp) {
  auto d = bundles_.DecideHotSpot(req->hotspot_key(), static_cast<ActionKind>(req->action()),
                                  req->note(), req->window_days() == 0 ? 7 : req->window_days(),
                                  Call(*ctx, req->request_id()));
  if (!d.ok()) return Failed(*ctx, d.status());
  *resp->mutable_decision() = ToProto(*d, nullptr);
  return grpc::Status::OK;
}

grpc::Status BundleHandler::ListHotSpotDecisions(grpc::ServerContext* ctx,
                                                 const v1::ListHotSpotDecisionsRequest* req,
                                                 v1::ListHotSpotDecisionsResponse* resp) {
  auto page = bundles_.Decisions(req->page_size(), req->page_token());
  if (!page.ok()) return Failed(*ctx, page.status());
  for (const auto& v : page->decisions) *resp->add_decisions() = ToProto(v.decision, &v.effect);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

}  // namespace jiban::bundle
