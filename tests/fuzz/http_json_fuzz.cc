// libFuzzer: the gateway's HTTP/JSON decoding — the nesting check, ProtoJSON into the input of a
// public method (the first byte picks which), the error body — on arbitrary bodies. None may
// crash; a body that parses must print back as JSON that parses again to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/gateway/http.h"

namespace {

// The input type of every unary method of the five services.
std::vector<const google::protobuf::Descriptor*> Inputs() {
  std::vector<const google::protobuf::Descriptor*> out;
  for (const google::protobuf::FileDescriptor* file :
       {jiban::intake::v1::SubmitRequestRequest::descriptor()->file(),
        jiban::routing::v1::ListWorkOrdersRequest::descriptor()->file(),
        jiban::escalation::v1::ListLightsRequest::descriptor()->file(),
        jiban::assessment::v1::GetRankingsRequest::descriptor()->file(),
        jiban::bundle::v1::GetCatalogueRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const auto* method = file->service(s)->method(m);
        if (!method->client_streaming() && !method->server_streaming()) {
          out.push_back(method->input_type());
        }
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<const google::protobuf::Descriptor*> inputs = Inputs();
  if (size == 0) return 0;
  const google::protobuf::Descriptor* type = inputs[data[0] % inputs.size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (absl::Status deep = jiban::gateway::CheckNesting(body, 32); !deep.ok()) {
    (void)jiban::gateway::ErrorBody(deep, "fuzz");
    return 0;
  }
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  if (absl::Status parsed = jiban::gateway::ParseJsonBody(body, *request); !parsed.ok()) {
    (void)jiban::gateway::ErrorBody(parsed, "fuzz");
    return 0;
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*request, &json).ok()) return 0;
  std::unique_ptr<google::protobuf::Message> again(prototype->New());
  if (!jiban::gateway::ParseJsonBody(json, *again).ok()) std::abort();
  if (!google::protobuf::util::MessageDifferencer::Equals(*request, *again)) std::abort();
  return 0;
}
