#include "services/routing/train.h"

#include <chrono>
#include <fstream>
#include <iomanip>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/routing/classifier.h"

namespace jiban::routing {
namespace {

constexpr const char* kUsage =
    "usage: jiban-routing train --data=FILE --out=MODEL [--dev=FILE] [--min-n=1] [--max-n=2]\n"
    "                           [--min-df=2] [--c=0.5] [--nb=0.03] [--logistic]\n"
    "  FILE: one label<TAB>text per line (or row_id<TAB>label<TAB>text with a header line)\n"
    "  --dev: report accuracy, macro-F1 and the confusion matrix there, and fit the confidence\n"
    "         calibration on it\n";

void Report(const Evaluation& e, std::ostream& out) {
  out << std::fixed << std::setprecision(4) << "accuracy " << e.accuracy << "  macro-F1 "
      << e.macro_f1 << "  " << std::setprecision(1) << e.micros_per_prediction
      << " us/prediction\nconfusion (rows: true, columns: predicted)\n";
  for (size_t r = 0; r < e.labels.size(); ++r) {
    out << "  " << e.labels[r] << "\t";
    for (int v : e.confusion[r]) out << std::setw(5) << v;
    out << "\n";
  }
}

}  // namespace

int RunTrainCommand(const std::vector<std::string>& args, std::ostream& out) {
  std::string data, dev, model_path;
  ClassifierOptions options;
  for (const std::string& a : args) {
    const size_t eq = a.find('=');
    const std::string flag = a.substr(0, eq);
    const std::string v = eq == std::string::npos ? "" : a.substr(eq + 1);
    bool ok = true;
    if (flag == "--data") {
      data = v;
    } else if (flag == "--dev") {
      dev = v;
    } else if (flag == "--out") {
      model_path = v;
    } else if (flag == "--min-n") {
      ok = absl::SimpleAtoi(v, &options.min_n);
    } else if (flag == "--max-n") {
      ok = absl::SimpleAtoi(v, &options.max_n);
    } else if (flag == "--min-df") {
      ok = absl::SimpleAtoi(v, &options.min_df);
    } else if (flag == "--c") {
      ok = absl::SimpleAtod(v, &options.c);
    } else if (flag == "--nb") {
      ok = absl::SimpleAtod(v, &options.nb_alpha);
    } else if (a == "--logistic") {
      options.logistic = true;
    } else {
      ok = false;
    }
    if (!ok) {
      out << "train: bad argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (data.empty() || model_path.empty()) {
    out << kUsage;
    return 2;
  }
  auto texts = ReadLabelledFile(data);
  if (!texts.ok()) {
    out << "train: " << texts.status().message() << "\n";
    return 1;
  }
  out << "train: " << texts->size() << " texts from " << data << "; training..." << std::endl;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return absl::StrFormat(
        "%.1f s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  auto model = TextClassifier::Train(*texts, options, [&](const std::string& step) {
    out << "train: " << step << " (" << elapsed() << ")" << std::endl;
  });
  if (!model.ok()) {
    out << "train: " << model.status().message() << "\n";
    return 1;
  }
  out << "train: " << model->categories().size() << " categories, " << model->features()
      << " features, " << elapsed() << std::endl;
  if (!dev.empty()) {
    auto held_out = ReadLabelledFile(dev);
    if (!held_out.ok()) {
      out << "train: " << held_out.status().message() << "\n";
      return 1;
    }
    model->Calibrate(*held_out);
    out << "dev (" << held_out->size() << " texts from " << dev << "), confidence slope "
        << model->options().calibration << ":\n";
    Report(Evaluate(*model, *held_out), out);
  }
  std::ofstream file(model_path, std::ios::binary | std::ios::trunc);
  file << model->Serialize();
  if (!file.flush()) {
    out << "train: cannot write " << model_path << "\n";
    return 1;
  }
  out << "train: model written to " << model_path << "\n";
  return 0;
}

}  // namespace jiban::routing
