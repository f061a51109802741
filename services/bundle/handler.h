// The thin gRPC face of the bundle service: conversion, the domain call, errors mapped in one
// place.
#ifndef JIBAN_SERVICES_BUNDLE_HANDLER_H_
#define JIBAN_SERVICES_BUNDLE_HANDLER_H_

#include "proto/jiban/bundle/v1/bundle.grpc.pb.h"
#include "services/bundle/domain.h"

namespace jiban::bundle {

class BundleHandler final : public v1::BundleService::Service {
 public:
  explicit BundleHandler(Bundles& bundles) : bundles_(bundles) {}

  grpc::Status GetCatalogue(grpc::ServerContext* ctx, const v1::GetCatalogueRequest* req,
                            v1::GetCatalogueResponse* resp) override;
  grpc::Status UpdateCatalogue(grpc::ServerContext* ctx, const v1::UpdateCatalogueRequest* req,
                               v1::UpdateCatalogueResponse* resp) override;
  grpc::Status GetBundle(grpc::ServerContext* ctx, const v1::GetBundleRequest* req,
                         v1::GetBundleResponse* resp) override;
  grpc::Status SearchGuide(grpc::ServerContext* ctx, const v1::SearchGuideRequest* req,
                           v1::SearchGuideResponse* resp) override;
  grpc::Status SubmitApplication(grpc::ServerContext* ctx, const v1::SubmitApplicationRequest* req,
                                 v1::SubmitApplicationResponse* resp) override;
  grpc::Status GetApplication(grpc::ServerContext* ctx, const v1::GetApplicationRequest* req,
                              v1::GetApplicationResponse* resp) override;
  grpc::Status ListApplications(grpc::ServerContext* ctx, const v1::ListApplicationsRequest* req,
                                v1::ListApplicationsResponse* resp) override;
  grpc::Status GetPartForm(grpc::ServerContext* ctx, const v1::GetPartFormRequest* req,
                           v1::GetPartFormResponse* resp) override;
  grpc::Status ListHotSpots(grpc::ServerContext* ctx, const v1::ListHotSpotsRequest* req,
                            v1::ListHotSpotsResponse* resp) override;
  grpc::Status DecideHotSpot(grpc::ServerContext* ctx, const v1::DecideHotSpotRequest* req,
                             v1::DecideHotSpotResponse* resp) override;
  grpc::Status ListHotSpotDecisions(grpc::ServerContext* ctx,
                                    const v1::ListHotSpotDecisionsRequest* req,
                                    v1::ListHotSpotDecisionsResponse* resp) override;

 private:
  Bundles& bundles_;
};

}  // namespace jiban::bundle

#endif  // JIBAN_SERVICES_BUNDLE_HANDLER_H_
