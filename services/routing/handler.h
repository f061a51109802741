// The thin gRPC face of routing: conversion, the domain call, errors mapped in one place.
#ifndef JIBAN_SERVICES_ROUTING_HANDLER_H_
#define JIBAN_SERVICES_ROUTING_HANDLER_H_

#include <functional>

#include "proto/jiban/routing/v1/routing.grpc.pb.h"
#include "services/routing/domain.h"

namespace jiban::routing {

class RoutingHandler final : public v1::RoutingService::Service {
 public:
  // `reload` re-reads the configured model file (ReloadClassifier).
  RoutingHandler(Routing& routing,
                 std::function<absl::StatusOr<std::shared_ptr<const TextClassifier>>()> reload)
      : routing_(routing), reload_(std::move(reload)) {}

  grpc::Status GetWorkOrder(grpc::ServerContext* ctx, const v1::GetWorkOrderRequest* req,
                            v1::GetWorkOrderResponse* resp) override;
  grpc::Status ListWorkOrders(grpc::ServerContext* ctx, const v1::ListWorkOrdersRequest* req,
                              v1::ListWorkOrdersResponse* resp) override;
  grpc::Status SignForWorkOrder(grpc::ServerContext* ctx, const v1::SignForWorkOrderRequest* req,
                                v1::SignForWorkOrderResponse* resp) override;
  grpc::Status ReturnWorkOrder(grpc::ServerContext* ctx, const v1::ReturnWorkOrderRequest* req,
                               v1::ReturnWorkOrderResponse* resp) override;
  grpc::Status RequestExtension(grpc::ServerContext* ctx, const v1::RequestExtensionRequest* req,
                                v1::RequestExtensionResponse* resp) override;
  grpc::Status DecideExtension(grpc::ServerContext* ctx, const v1::DecideExtensionRequest* req,
                               v1::DecideExtensionResponse* resp) override;
  grpc::Status PauseWorkOrder(grpc::ServerContext* ctx, const v1::PauseWorkOrderRequest* req,
                              v1::PauseWorkOrderResponse* resp) override;
  grpc::Status ResumeWorkOrder(grpc::ServerContext* ctx, const v1::ResumeWorkOrderRequest* req,
                               v1::ResumeWorkOrderResponse* resp) override;
  grpc::Status ReplyWorkOrder(grpc::ServerContext* ctx, const v1::ReplyWorkOrderRequest* req,
                              v1::ReplyWorkOrderResponse* resp) override;
  grpc::Status ListTriageItems(grpc::ServerContext* ctx, const v1::ListTriageItemsRequest* req,
                               v1::ListTriageItemsResponse* resp) override;
  grpc::Status AssignTriageItem(grpc::ServerContext* ctx, const v1::AssignTriageItemRequest* req,
                                v1::AssignTriageItemResponse* resp) override;
  grpc::Status DispatchBundlePart(grpc::ServerContext* ctx,
                                  const v1::DispatchBundlePartRequest* req,
                                  v1::DispatchBundlePartResponse* resp) override;
  grpc::Status ReassignWorkOrder(grpc::ServerContext* ctx, const v1::ReassignWorkOrderRequest* req,
                                 v1::ReassignWorkOrderResponse* resp) override;
  grpc::Status ClassifyText(grpc::ServerContext* ctx, const v1::ClassifyTextRequest* req,
                            v1::ClassifyTextResponse* resp) override;
  grpc::Status ReloadClassifier(grpc::ServerContext* ctx, const v1::ReloadClassifierRequest* req,
                                v1::ReloadClassifierResponse* resp) override;
  grpc::Status ListUnits(grpc::ServerContext* ctx, const v1::ListUnitsRequest* req,
                         v1::ListUnitsResponse* resp) override;
  grpc::Status UpsertUnit(grpc::ServerContext* ctx, const v1::UpsertUnitRequest* req,
                          v1::UpsertUnitResponse* resp) override;
  grpc::Status GetDispatchList(grpc::ServerContext* ctx, const v1::GetDispatchListRequest* req,
                               v1::GetDispatchListResponse* resp) override;
  grpc::Status UpdateDispatchList(grpc::ServerContext* ctx,
                                  const v1::UpdateDispatchListRequest* req,
                                  v1::UpdateDispatchListResponse* resp) override;

 private:
  Routing& routing_;
  std::function<absl::StatusOr<std::shared_ptr<const TextClassifier>>()> reload_;
};

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_HANDLER_H_
