// jiban-routing: the routing service (configuration from the environment, see app.h), or
// `jiban-routing train ...` to build a classifier model.
#include <string>
#include <vector>

#include "libs/server/server.h"
#include "services/routing/app.h"

int main(int argc, char** argv) {
  jiban::server::BlockTerminationSignals();
  return jiban::routing::RunStandalone(argv[0], std::vector<std::string>(argv + 1, argv + argc));
}
