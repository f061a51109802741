// jiban-assessment: the assessment service on its own (configuration: docs/configuration.md).
#include "libs/server/server.h"
#include "services/assessment/app.h"

int main() {
  jiban::server::BlockTerminationSignals();
  return jiban::assessment::RunStandalone("jiban-assessment");
}
