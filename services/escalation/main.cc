// jiban-escalation: the escalation service on its own (configuration: docs/configuration.md), or
// `jiban-escalation verify-log` to check the case log's hash chain.
#include <string>
#include <vector>

#include "libs/server/server.h"
#include "services/escalation/app.h"

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  return jiban::escalation::RunStandalone("jiban-escalation",
                                          std::vector<std::string>(argv + 1, argv + argc));
}
