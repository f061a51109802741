// jiban.events.v1.EventLogService over an EventLog: the internal stream other services consume.
#ifndef JIBAN_LIBS_EVENTS_SERVICE_H_
#define JIBAN_LIBS_EVENTS_SERVICE_H_

#include "libs/events/event_log.h"
#include "proto/jiban/events/v1/events.grpc.pb.h"

namespace jiban::events {

class EventLogService final : public jiban::events::v1::EventLogService::Service {
 public:
  explicit EventLogService(EventLog& log) : log_(log) {}

  grpc::Status StreamEvents(
      grpc::ServerContext* context, const jiban::events::v1::StreamEventsRequest* request,
      grpc::ServerWriter<jiban::events::v1::StreamEventsResponse>* writer) override;
  grpc::Status GetHead(grpc::ServerContext* context, const jiban::events::v1::GetHeadRequest* request,
                       jiban::events::v1::GetHeadResponse* response) override;

 private:
  EventLog& log_;
};

}  // namespace jiban::events

#endif  // JIBAN_LIBS_EVENTS_SERVICE_H_
