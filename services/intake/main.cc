// jiban-intake: the intake service on its own. Configuration: docs/configuration.md.
#include "libs/server/server.h"
#include "services/intake/app.h"

int main() {
  jiban::server::BlockTerminationSignals();
  return jiban::intake::RunStandalone("jiban-intake");
}
