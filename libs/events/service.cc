#include "libs/events/service.h"

#include "libs/status/status.h"

namespace jiban::events {
namespace {
constexpr int kDefaultBatch = 256;
constexpr int kMaxBatch = 1000;
// How often an idle stream re-reads the log (events numbered by another replica) and checks for
// cancellation, and how often it sends an empty heartbeat batch carrying the head.
constexpr absl::Duration kPoll = absl::Milliseconds(250);
constexpr absl::Duration kHeartbeat = absl::Seconds(10);
}  // namespace

grpc::Status EventLogService::StreamEvents(
    grpc::ServerContext* context, const jiban::events::v1::StreamEventsRequest* request,
    grpc::ServerWriter<jiban::events::v1::StreamEventsResponse>* writer) {
  std::vector<FieldViolation> bad;
  if (request->after_sequence() < 0) bad.push_back({"after_sequence", "must be >= 0"});
  if (request->max_batch_size() < 0 || request->max_batch_size() > kMaxBatch) {
    bad.push_back({"max_batch_size", "must be between 0 and 1000"});
  }
  if (!bad.empty()) return ToGrpcStatus(InvalidArgument("INVALID_STREAM_REQUEST", std::move(bad)));
  const int limit = request->max_batch_size() == 0 ? kDefaultBatch : request->max_batch_size();

  int64_t after = request->after_sequence();
  absl::Time last_sent = absl::Now();
  while (!context->IsCancelled()) {
    if (log_.stopping()) {
      return ToGrpcStatus(Error(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
                                "server is shutting down; resume from the last sequence"));
    }
    auto batch = log_.Read(after, limit);
    if (!batch.ok()) return ToGrpcStatus(batch.status());
    if (!batch->events.empty() || absl::Now() - last_sent >= kHeartbeat) {
      jiban::events::v1::StreamEventsResponse response;
      response.set_head_sequence(batch->head_sequence);
      for (auto& e : batch->events) *response.add_events() = std::move(e);
      if (response.events_size() > 0) {
        after = response.events(response.events_size() - 1).sequence();
      }
      if (!writer->Write(response)) break;  // the consumer went away
      last_sent = absl::Now();
      if (response.events_size() == limit) continue;  // more may be ready
    }
    log_.WaitForEvents(after, kPoll);
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled");
}

grpc::Status EventLogService::GetHead(grpc::ServerContext*, const jiban::events::v1::GetHeadRequest*,
                                      jiban::events::v1::GetHeadResponse* response) {
  auto head = log_.Head();
  if (!head.ok()) return ToGrpcStatus(head.status());
  response->set_head_sequence(*head);
  return grpc::Status::OK;
}

}  // namespace jiban::events
