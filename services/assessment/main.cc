// jiban-assessment: the assessment service on its own (configuration: docs/configuration.md), or
// `jiban-assessment rebuild` to replay the event logs from sequence 0 at the next start.
#include <string>
#include <vector>

#include "libs/server/server.h"
#include "services/assessment/app.h"

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  return jiban::assessment::RunStandalone("jiban-assessment",
                                          std::vector<std::string>(argv + 1, argv + argc));
}
