#include "services/routing/handler.h"

#include "libs/server/call.h"
#include "libs/server/timestamp.h"
#include "libs/status/status.h"
#include "services/routing/convert.h"

namespace jiban::routing {
namespace {

// One call's ids (for events, errors and the audit trail).
struct Call {
  explicit Call(const grpc::ServerContext& ctx) {
    auto info = server::CallInfoOf(ctx);
    context = {info.request_id, info.trace.trace_id, server::ScopedUnit(info)};
    actor = server::ActorOf(info);
  }
  grpc::Status Fail(const absl::Status& s) const {
    return ToGrpcStatus(s, context.request_id, context.trace_id);
  }
  CallContext context;
  std::string actor;
};

// An action's context: its idempotency key is the message's request_id.
CallContext Keyed(const Call& call, const std::string& request_id) {
  return {request_id, call.context.trace_id, call.context.unit_id};
}

grpc::Status Answer(const Call& call, const absl::StatusOr<WorkOrder>& o, v1::WorkOrder* out) {
  if (!o.ok()) return call.Fail(o.status());
  *out = ToProto(*o);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status RoutingHandler::GetWorkOrder(grpc::ServerContext* ctx,
                                          const v1::GetWorkOrderRequest* req,
                                          v1::GetWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call, routing_.Get(req->id(), call.context.unit_id), resp->mutable_order());
}

grpc::Status RoutingHandler::ListWorkOrders(grpc::ServerContext* ctx,
                                            const v1::ListWorkOrdersRequest* req,
                                            v1::ListWorkOrdersResponse* resp) {
  const Call call(*ctx);
  OrderQuery q{.unit_id = req->unit_id(), .request_id = req->request_id()};
  if (req->state() != v1::ORDER_STATE_UNSPECIFIED) q.state = static_cast<OrderState>(req->state());
  if (!server::ScopeToUnit(server::CallInfoOf(*ctx), q.unit_id)) return grpc::Status::OK;
  auto page = routing_.List(q, req->page_size(), req->page_token());
  if (!page.ok()) return call.Fail(page.status());
  for (const WorkOrder& o : page->orders) *resp->add_orders() = ToProto(o);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::SignForWorkOrder(grpc::ServerContext* ctx,
                                              const v1::SignForWorkOrderRequest* req,
                                              v1::SignForWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call, routing_.SignFor(req->order_id(), Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ReturnWorkOrder(grpc::ServerContext* ctx,
                                             const v1::ReturnWorkOrderRequest* req,
                                             v1::ReturnWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.Return(req->order_id(), static_cast<ReturnReason>(req->reason()),
                                req->note(), Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::RequestExtension(grpc::ServerContext* ctx,
                                              const v1::RequestExtensionRequest* req,
                                              v1::RequestExtensionResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.RequestExtension(req->order_id(), req->working_days(), req->reason(),
                                          Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::DecideExtension(grpc::ServerContext* ctx,
                                             const v1::DecideExtensionRequest* req,
                                             v1::DecideExtensionResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.DecideExtension(req->order_id(), req->approve(), req->note(),
                                         Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::PauseWorkOrder(grpc::ServerContext* ctx,
                                            const v1::PauseWorkOrderRequest* req,
                                            v1::PauseWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.Pause(req->order_id(), static_cast<PauseReason>(req->reason()),
                               Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ResumeWorkOrder(grpc::ServerContext* ctx,
                                             const v1::ResumeWorkOrderRequest* req,
                                             v1::ResumeWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call, routing_.Resume(req->order_id(), Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ReplyWorkOrder(grpc::ServerContext* ctx,
                                            const v1::ReplyWorkOrderRequest* req,
                                            v1::ReplyWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.Reply(req->order_id(), static_cast<Outcome>(req->reply().outcome()),
                               req->reply().text(), Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ListTriageItems(grpc::ServerContext* ctx,
                                             const v1::ListTriageItemsRequest* req,
                                             v1::ListTriageItemsResponse* resp) {
  const Call call(*ctx);
  auto page = routing_.ListTriage(req->page_size(), req->page_token());
  if (!page.ok()) return call.Fail(page.status());
  for (const RoutedRequest& r : page->items) *resp->add_items() = ToTriageItem(r);
  resp->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::AssignTriageItem(grpc::ServerContext* ctx,
                                              const v1::AssignTriageItemRequest* req,
                                              v1::AssignTriageItemResponse* resp) {
  const Call call(*ctx);
  Routing::Assignment a{
      .lead = req->lead_unit_id(),
      .co_handlers = {req->co_handler_unit_ids().begin(), req->co_handler_unit_ids().end()},
      .mode = req->mode() == v1::HANDLING_MODE_UNSPECIFIED ? Mode::kTriage
                                                           : static_cast<Mode>(req->mode()),
      .limit = {req->time_limit().working_days(), req->time_limit().natural_hours()},
      .note = req->note()};
  auto orders = routing_.Assign(req->item_request_id(), a, Keyed(call, req->request_id()));
  if (!orders.ok()) return call.Fail(orders.status());
  for (const WorkOrder& o : *orders) *resp->add_orders() = ToProto(o);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::DispatchBundlePart(grpc::ServerContext* ctx,
                                                const v1::DispatchBundlePartRequest* req,
                                                v1::DispatchBundlePartResponse* resp) {
  const Call call(*ctx);
  const Routing::BundlePart part{.item_id = req->item_id(),
                                 .tracking_number = req->tracking_number(),
                                 .title = req->title(),
                                 .unit_id = req->unit_id(),
                                 .working_days = req->working_days(),
                                 .district_code = req->district_code(),
                                 .receive_time = req->has_receive_time()
                                                     ? server::FromTimestamp(req->receive_time())
                                                     : absl::InfinitePast()};
  return Answer(call, routing_.DispatchBundlePart(part, Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ReassignWorkOrder(grpc::ServerContext* ctx,
                                               const v1::ReassignWorkOrderRequest* req,
                                               v1::ReassignWorkOrderResponse* resp) {
  const Call call(*ctx);
  return Answer(call,
                routing_.Reassign(req->order_id(), req->note(), Keyed(call, req->request_id())),
                resp->mutable_order());
}

grpc::Status RoutingHandler::ClassifyText(grpc::ServerContext* ctx,
                                          const v1::ClassifyTextRequest* req,
                                          v1::ClassifyTextResponse* resp) {
  const Call call(*ctx);
  Violations v;
  v.Length("text", req->text(), 1, 10000);
  if (!v.empty()) return call.Fail(v.Status());
  if (auto p = routing_.Classify(req->text())) {
    resp->set_category(p->category);
    resp->set_confidence(p->confidence);
  }
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::ReloadClassifier(grpc::ServerContext* ctx,
                                              const v1::ReloadClassifierRequest*,
                                              v1::ReloadClassifierResponse* resp) {
  const Call call(*ctx);
  auto model = reload_();
  if (!model.ok()) return call.Fail(model.status());
  routing_.SetClassifier(*model);
  for (const auto& c : (*model)->categories()) resp->add_categories(c);
  resp->set_features(static_cast<int64_t>((*model)->features()));
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::ListUnits(grpc::ServerContext*, const v1::ListUnitsRequest*,
                                       v1::ListUnitsResponse* resp) {
  for (const Unit& u : routing_.directory()->units()) *resp->add_units() = ToProto(u);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::UpsertUnit(grpc::ServerContext* ctx, const v1::UpsertUnitRequest* req,
                                        v1::UpsertUnitResponse* resp) {
  const Call call(*ctx);
  if (!req->has_unit()) {
    return call.Fail(InvalidArgument("INVALID_REQUEST", {{"unit", "required"}}));
  }
  auto u = routing_.UpsertUnit(FromProto(req->unit()), call.actor);
  if (!u.ok()) return call.Fail(u.status());
  *resp->mutable_unit() = ToProto(*u);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::GetDispatchList(grpc::ServerContext* ctx,
                                             const v1::GetDispatchListRequest* req,
                                             v1::GetDispatchListResponse* resp) {
  const Call call(*ctx);
  auto l = routing_.GetDispatchList(req->version());
  if (!l.ok()) return call.Fail(l.status());
  *resp->mutable_dispatch_list() = ToProto(*l);
  return grpc::Status::OK;
}

grpc::Status RoutingHandler::UpdateDispatchList(grpc::ServerContext* ctx,
                                                const v1::UpdateDispatchListRequest* req,
                                                v1::UpdateDispatchListResponse* resp) {
  const Call call(*ctx);
  if (!req->has_dispatch_list()) {
    return call.Fail(InvalidArgument("INVALID_REQUEST", {{"dispatch_list", "required"}}));
  }
  auto l = routing_.UpdateDispatchList(FromProto(req->dispatch_list()), req->expected_version(),
                                       call.actor);
  if (!l.ok()) return call.Fail(l.status());
  *resp->mutable_dispatch_list() = ToProto(*l);
  return grpc::Status::OK;
}

}  // namespace jiban::routing
