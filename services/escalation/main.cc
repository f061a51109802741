// jiban-escalation: the escalation service on its own. Configuration: docs/configuration.md.
#include "libs/server/server.h"
#include "services/escalation/app.h"

int main() {
  jiban::server::BlockTerminationSignals();
  return jiban::escalation::RunStandalone("jiban-escalation");
}
