// jiban-bundle: the bundle service on its own (configuration: docs/configuration.md).
#include "libs/server/server.h"
#include "services/bundle/app.h"

int main() {
  jiban::server::BlockTerminationSignals();
  return jiban::bundle::RunStandalone("jiban-bundle");
}
