// jiban-gateway: the one public door (configuration: docs/configuration.md), or
// `jiban-gateway mint ...` to sign a demo token.
#include <string>
#include <vector>

#include "libs/server/server.h"
#include "services/gateway/app.h"

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  return jiban::gateway::RunStandalone("jiban-gateway",
                                       std::vector<std::string>(argv + 1, argv + argc));
}
