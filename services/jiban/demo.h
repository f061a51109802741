// `jiban demo`: a guided tour a newcomer runs and watches. The whole suite starts in this process
// on SQLite files, escalation and assessment on a simulated clock; a few dozen requests written
// for the demo (in Chinese) go through the gateway: submitted, dispatched (rules, the classifier
// when a model is given, the triage desk otherwise), signed for, answered, evaluated and scored;
// one stalls into a yellow then a red light and a supervision case; a cluster of similar
// complaints surfaces as a hot spot. Every step shows the jibanctl command that does it.
#ifndef JIBAN_SERVICES_JIBAN_DEMO_H_
#define JIBAN_SERVICES_JIBAN_DEMO_H_

#include <ostream>
#include <string>
#include <vector>

namespace jiban::suite {

// args: [--pace=SECONDS] (pause after each step, default 1), [--model=FILE] (a classifier from
// `jiban routing train`), [--data-dir=DIR] (default: a new temporary directory). Returns the exit
// code: 0 the demo ran to the end, 1 a step did not happen, 2 usage.
int RunDemo(const std::vector<std::string>& args, std::ostream& out);

}  // namespace jiban::suite

#endif  // JIBAN_SERVICES_JIBAN_DEMO_H_
