#include "services/routing/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/pii/pii.h"
#include "libs/status/status.h"
#include "linear.h"

namespace jiban::routing {
namespace {

constexpr absl::string_view kMagic = "jiban-text-classifier 1";

bool Kept(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF);
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;  // 0 marks an empty index slot
}

absl::Status Invalid(absl::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, "MODEL_INVALID", what);
}

void Quiet(const char*) {}

}  // namespace

std::vector<uint64_t> CharNgrams(absl::string_view text, int min_n, int max_n) {
  std::vector<char32_t> cps;
  for (char32_t c : pii::DecodeUtf8(text)) {
    c = pii::HalfWidth(c);
    if (c >= U'A' && c <= U'Z') c += U'a' - U'A';
    if (Kept(c)) cps.push_back(c);
  }
  std::vector<uint64_t> grams;
  grams.reserve(cps.size() * static_cast<size_t>(max_n - min_n + 1));
  for (size_t i = 0; i < cps.size(); ++i) {
    uint64_t h = 0;
    for (int n = 1; n <= max_n && i + static_cast<size_t>(n) <= cps.size(); ++n) {
      h = Mix(h, cps[i + static_cast<size_t>(n) - 1]);
      if (n >= min_n) grams.push_back(Mix(h, static_cast<uint64_t>(n)));
    }
  }
  return grams;
}

absl::StatusOr<std::vector<LabelledText>> ReadLabelledFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return Error(absl::StatusCode::kNotFound, "FILE_NOT_FOUND", absl::StrCat("cannot read ", path));
  std::vector<LabelledText> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    int64_t id;
    if (f.size() == 3 && absl::SimpleAtoi(f[0], &id)) {
      f.erase(f.begin());
    } else if (f.size() == 3 && number == 1) {
      continue;  // a header naming the columns
    } else if (f.size() == 3) {
      f = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    }
    if (f.size() != 2 || f[0].empty()) {
      return Error(absl::StatusCode::kInvalidArgument, "TRAINING_FILE_INVALID",
                   absl::StrCat(path, ":", number, ": expected label<TAB>text"));
    }
    out.push_back({std::move(f[0]), std::move(f[1])});
  }
  return out;
}

absl::StatusOr<TextClassifier> TextClassifier::Train(
    const std::vector<LabelledText>& data, const ClassifierOptions& options,
    const std::function<void(const std::string& step)>& progress) {
  const auto tell = [&](const std::string& step) {
    if (progress) progress(step);
  };
  if (options.min_n < 1 || options.max_n < options.min_n || options.max_n > 6 ||
      options.min_df < 1 || options.c <= 0) {
    return Invalid("options out of range");
  }
  if (data.empty()) return Invalid("no training texts");
  TextClassifier m;
  m.options_ = options;
  absl::flat_hash_map<std::string, int> label_index;
  std::vector<int> y;
  std::vector<std::vector<uint64_t>> grams;
  absl::flat_hash_map<uint64_t, int> df;
  for (const LabelledText& t : data) {
    auto [it, added] = label_index.try_emplace(t.label, static_cast<int>(m.labels_.size()));
    if (added) m.labels_.push_back(t.label);
    y.push_back(it->second);
    std::vector<uint64_t> g = CharNgrams(t.text, options.min_n, options.max_n);
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    for (uint64_t h : g) ++df[h];
    grams.push_back(std::move(g));
  }
  if (m.labels_.size() < 2) return Invalid("training texts need at least two labels");
  // Features in a fixed order (by hash) so that the same data trains the same model.
  for (const auto& [h, n] : df) {
    if (n >= options.min_df) m.hashes_.push_back(h);
  }
  std::sort(m.hashes_.begin(), m.hashes_.end());
  const double docs = static_cast<double>(data.size());
  m.rows_.assign(m.hashes_.size() * m.stride(), 0);
  for (size_t f = 0; f < m.hashes_.size(); ++f) {
    m.idf(f) = static_cast<float>(std::log((1 + docs) / (1 + df[m.hashes_[f]])) + 1);
  }
  m.BuildIndex();
  tell(absl::StrCat("features: ", m.hashes_.size(), " n-grams in at least ", options.min_df,
                    " texts, of ", df.size()));

  // liblinear's problem: 1-based feature indices, a bias feature, -1 terminated rows.
  const int features = static_cast<int>(m.hashes_.size());
  std::vector<std::vector<feature_node>> rows(data.size());
  std::vector<feature_node*> x(data.size());
  std::vector<double> labels(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    std::vector<std::pair<int, float>> vec = m.Vectorize(data[i].text);
    std::sort(vec.begin(), vec.end());  // liblinear wants ascending feature indices
    for (const auto& [f, v] : vec) rows[i].push_back({f + 1, v});
    rows[i].push_back({features + 1, 1.0});
    rows[i].push_back({-1, 0});
    x[i] = rows[i].data();
    labels[i] = y[i];
  }
  problem prob{.l = static_cast<int>(data.size()),
               .n = features + 1,
               .y = labels.data(),
               .x = x.data(),
               .bias = 1.0};
  parameter param{.solver_type = options.logistic ? L2R_LR : L2R_L2LOSS_SVC_DUAL,
                  .eps = options.logistic ? 0.01 : 0.1,
                  .C = options.c,
                  .nr_weight = 0,
                  .weight_label = nullptr,
                  .weight = nullptr,
                  .p = 0.1,
                  .init_sol = nullptr};
  if (const char* e = check_parameter(&prob, &param); e != nullptr) return Invalid(e);
  set_print_string_function(&Quiet);
  using Model = std::unique_ptr<model, void (*)(model*)>;
  const auto train_model = [&](const problem& p) {
    return Model(train(&p, &param), [](model* q) { free_and_destroy_model(&q); });
  };
  const size_t k = m.labels_.size();
  m.bias_.resize(k);
  if (options.nb_alpha <= 0) {
    Model trained = train_model(prob);
    if (!trained) return Invalid("training failed");
    // Copy the weights out in our own layout, per our label order.
    std::vector<int> column(k);  // our label → liblinear's class position
    for (int j = 0; j < trained->nr_class; ++j) column[static_cast<size_t>(trained->label[j])] = j;
    for (size_t c = 0; c < k; ++c) {
      for (int f = 0; f < features; ++f) {
        m.weight(static_cast<size_t>(f), c) =
            static_cast<float>(get_decfun_coef(trained.get(), f + 1, column[c]));
      }
      m.bias_[c] = static_cast<float>(get_decfun_coef(trained.get(), features + 1, column[c]));
    }
    return m;
  }
  // NBSVM: per category, scale each feature by r = log((p/|p|)/(q/|q|)) with p, q the smoothed
  // feature sums inside and outside the category, train one binary model, fold r into its weights.
  std::vector<std::vector<feature_node>> scaled(rows);
  std::vector<feature_node*> sx(data.size());
  for (size_t c = 0; c < k; ++c) {
    std::vector<double> p(static_cast<size_t>(features), options.nb_alpha), q = p;
    for (size_t i = 0; i < data.size(); ++i) {
      auto& sum = static_cast<size_t>(y[i]) == c ? p : q;
      for (const feature_node& n : rows[i]) {
        if (n.index >= 1 && n.index <= features) sum[static_cast<size_t>(n.index - 1)] += n.value;
      }
    }
    double p1 = 0, q1 = 0;
    for (int f = 0; f < features; ++f)
      p1 += p[static_cast<size_t>(f)], q1 += q[static_cast<size_t>(f)];
    std::vector<double> r(static_cast<size_t>(features));
    for (size_t f = 0; f < r.size(); ++f) r[f] = std::log((p[f] / p1) / (q[f] / q1));
    std::vector<double> binary(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
      for (size_t j = 0; j + 1 < rows[i].size(); ++j) {
        const int idx = rows[i][j].index;
        scaled[i][j].value =
            idx <= features ? rows[i][j].value * r[static_cast<size_t>(idx - 1)] : rows[i][j].value;
      }
      sx[i] = scaled[i].data();
      binary[i] = static_cast<size_t>(y[i]) == c ? 1 : -1;
    }
    problem bp = prob;
    bp.y = binary.data();
    bp.x = sx.data();
    Model trained = train_model(bp);
    if (!trained) return Invalid("training failed");
    const int positive = trained->label[0] == 1 ? 0 : 1;
    for (int f = 0; f < features; ++f) {
      m.weight(static_cast<size_t>(f), c) = static_cast<float>(
          get_decfun_coef(trained.get(), f + 1, positive) * r[static_cast<size_t>(f)]);
    }
    m.bias_[c] = static_cast<float>(get_decfun_coef(trained.get(), features + 1, positive));
    tell(absl::StrCat("category ", c + 1, "/", k, " trained (", m.labels_[c], ")"));
  }
  return m;
}

std::vector<std::pair<int, float>> TextClassifier::Vectorize(absl::string_view text) const {
  // Known n-grams only, counted in a small open-addressing table keyed by feature index (a sort
  // of the occurrences cost as much as the whole lookup).
  const std::vector<uint64_t> grams = CharNgrams(text, options_.min_n, options_.max_n);
  size_t capacity = 16;
  while (capacity < grams.size() * 2) capacity *= 2;
  std::vector<int32_t> slot_feature(capacity, -1);
  std::vector<uint32_t> slot_entry(capacity);
  std::vector<std::pair<int, float>> x;  // (feature, count) until weighted below
  for (uint64_t h : grams) {
    const int f = Find(h);
    if (f < 0) continue;
    size_t i = (static_cast<size_t>(f) * 0x9E3779B1u) & (capacity - 1);
    while (slot_feature[i] != -1 && slot_feature[i] != f) i = (i + 1) & (capacity - 1);
    if (slot_feature[i] == -1) {
      slot_feature[i] = f;
      slot_entry[i] = static_cast<uint32_t>(x.size());
      x.emplace_back(f, 0.0f);
    }
    x[slot_entry[i]].second += 1;
  }
  double norm = 0;
  for (auto& [f, v] : x) {
    const double tf = v == 1 ? 1 : 1 + std::log(static_cast<double>(v));  // sublinear
    v = static_cast<float>(tf * rows_[static_cast<size_t>(f) * stride()]);
    norm += static_cast<double>(v) * v;
  }
  if (norm > 0) {
    const float inv = static_cast<float>(1 / std::sqrt(norm));
    for (auto& [f, v] : x) v *= inv;
  }
  return x;
}

void TextClassifier::BuildIndex() {
  // 8-byte slots at most 2/3 full: the table of a 150,000-feature model is 2 MiB, which keeps
  // lookups in cache. A lookup compares the slot's position bits and the hash's high 32 bits
  // (about 50 bits in all): an unknown n-gram taken for a known one is a 1-in-10^15 event.
  size_t capacity = 16;
  while (capacity * 2 < hashes_.size() * 3) capacity *= 2;
  index_.assign(capacity, Slot{});
  for (size_t f = 0; f < hashes_.size(); ++f) {
    size_t i = hashes_[f] & (capacity - 1);
    while (index_[i].feature != -1) i = (i + 1) & (capacity - 1);
    index_[i] = {static_cast<uint32_t>(hashes_[f] >> 32), static_cast<int32_t>(f)};
  }
}

int TextClassifier::Find(uint64_t hash) const {
  const size_t mask = index_.size() - 1;
  const auto check = static_cast<uint32_t>(hash >> 32);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = index_[i];
    if (slot.feature == -1) return -1;
    if (slot.check == check) return slot.feature;
  }
}

std::vector<double> TextClassifier::Decisions(const std::vector<std::pair<int, float>>& x) const {
  const size_t k = labels_.size();
  std::vector<double> d(bias_.begin(), bias_.end());
  for (const auto& [f, v] : x) {
    const float* w = &rows_[static_cast<size_t>(f) * stride() + 1];
    for (size_t c = 0; c < k; ++c) d[c] += static_cast<double>(w[c]) * v;
  }
  return d;
}

namespace {
// Softmax of slope·d; returns the probabilities.
std::vector<double> Softmax(const std::vector<double>& d, double slope) {
  const double top = *std::max_element(d.begin(), d.end());
  std::vector<double> p(d.size());
  double sum = 0;
  for (size_t c = 0; c < d.size(); ++c) sum += p[c] = std::exp(slope * (d[c] - top));
  for (double& v : p) v /= sum;
  return p;
}
}  // namespace

Prediction TextClassifier::Predict(absl::string_view text) const {
  const std::vector<double> d = Decisions(Vectorize(text));
  const size_t best = static_cast<size_t>(std::max_element(d.begin(), d.end()) - d.begin());
  return {labels_[best], Softmax(d, options_.calibration)[best]};
}

void TextClassifier::Calibrate(const std::vector<LabelledText>& held_out) {
  std::vector<std::pair<std::vector<double>, size_t>> cases;
  for (const LabelledText& t : held_out) {
    auto it = std::find(labels_.begin(), labels_.end(), t.label);
    if (it == labels_.end()) continue;
    cases.emplace_back(Decisions(Vectorize(t.text)), static_cast<size_t>(it - labels_.begin()));
  }
  if (cases.empty()) return;
  double best_slope = options_.calibration, best_loss = INFINITY;
  for (double slope = 0.5; slope <= 40; slope *= 1.15) {
    double loss = 0;
    for (const auto& [d, truth] : cases)
      loss -= std::log(std::max(Softmax(d, slope)[truth], 1e-12));
    if (loss < best_loss) best_loss = loss, best_slope = slope;
  }
  options_.calibration = best_slope;
}

std::string TextClassifier::Serialize() const {
  std::ostringstream out;
  out.precision(9);
  out << kMagic << "\n"
      << "ngrams " << options_.min_n << " " << options_.max_n << "\n"
      << "calibration " << options_.calibration << "\n"
      << "labels " << labels_.size() << "\n";
  for (const std::string& l : labels_) out << l << "\n";
  out << "bias";
  for (float b : bias_) out << " " << b;
  out << "\nfeatures " << hashes_.size() << "\n";
  for (size_t f = 0; f < hashes_.size(); ++f) {
    out << hashes_[f] << " ";
    for (size_t c = 0; c < stride(); ++c) out << (c == 0 ? "" : " ") << rows_[f * stride() + c];
    out << "\n";
  }
  return out.str();
}

absl::StatusOr<TextClassifier> TextClassifier::Parse(absl::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line, word;
  if (!std::getline(in, line) || line != kMagic)
    return Invalid("not a jiban text classifier model");
  TextClassifier m;
  size_t k = 0, n = 0;
  if (!(in >> word >> m.options_.min_n >> m.options_.max_n) || word != "ngrams" ||
      m.options_.min_n < 1 || m.options_.max_n < m.options_.min_n || m.options_.max_n > 6 ||
      !(in >> word >> m.options_.calibration) || word != "calibration" || !(in >> word >> k) ||
      word != "labels" || k < 2 || k > 1000) {
    return Invalid("bad model header");
  }
  std::getline(in, line);
  for (size_t c = 0; c < k; ++c) {
    if (!std::getline(in, line) || line.empty()) return Invalid("bad label list");
    m.labels_.push_back(line);
  }
  m.bias_.resize(k);
  if (!(in >> word) || word != "bias") return Invalid("bias missing");
  for (float& b : m.bias_) {
    if (!(in >> b)) return Invalid("bias missing");
  }
  if (!(in >> word >> n) || word != "features" || n > 50'000'000) return Invalid("bad features");
  m.hashes_.resize(n);
  m.rows_.resize(n * m.stride());
  for (size_t f = 0; f < n; ++f) {
    if (!(in >> m.hashes_[f]) || m.hashes_[f] == 0) return Invalid("truncated feature table");
    for (size_t c = 0; c < m.stride(); ++c) {
      if (!(in >> m.rows_[f * m.stride() + c])) return Invalid("truncated feature table");
    }
  }
  m.BuildIndex();
  return m;
}

Evaluation Evaluate(const TextClassifier& model, const std::vector<LabelledText>& data) {
  Evaluation e;
  e.labels = model.categories();
  const size_t k = e.labels.size();
  e.confusion.assign(k, std::vector<int>(k, 0));
  int right = 0, known = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Prediction> predicted;
  predicted.reserve(data.size());
  for (const LabelledText& t : data) predicted.push_back(model.Predict(t.text));
  const double micros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  e.micros_per_prediction = data.empty() ? 0 : micros / static_cast<double>(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    auto truth = std::find(e.labels.begin(), e.labels.end(), data[i].label);
    auto guess = std::find(e.labels.begin(), e.labels.end(), predicted[i].category);
    ++known;
    if (truth == e.labels.end()) continue;  // a label the model never saw: counts as wrong
    ++e.confusion[static_cast<size_t>(truth - e.labels.begin())]
                 [static_cast<size_t>(guess - e.labels.begin())];
    if (truth == guess) ++right;
  }
  e.accuracy = known == 0 ? 0 : static_cast<double>(right) / known;
  double f1_sum = 0;
  for (size_t c = 0; c < k; ++c) {
    int tp = e.confusion[c][c], fp = 0, fn = 0;
    for (size_t o = 0; o < k; ++o) {
      if (o == c) continue;
      fp += e.confusion[o][c];
      fn += e.confusion[c][o];
    }
    const double denom = 2.0 * tp + fp + fn;
    f1_sum += denom == 0 ? 0 : 2.0 * tp / denom;
  }
  e.macro_f1 = k == 0 ? 0 : f1_sum / static_cast<double>(k);
  return e;
}

}  // namespace jiban::routing
