// jiban-assessment: the assessment service on its own (configuration: docs/configuration.md).
#include "libs/server/server.h"
#include "services/assessment/app.h"

int main() {
  jiban::server::BlockTerminationSignals();
  return jiban::server::RunApp<jiban::assessment::AssessmentApp,
                               jiban::assessment::AssessmentConfig>("jiban-assessment",
                                                                    "assessment", 8084, 9094);
}
