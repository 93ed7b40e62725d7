#include "core/eval/report_writer.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/eval/report_chart.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

std::string TieShuffleNote(const EvaluationReport& report) {
  if (report.tie_shuffle) {
    return absl::StrFormat(
        "%d consecutive test events (and %d train) share their timestamp; the tie-shuffled "
        "columns re-evaluate with such events permuted inside their session (seed %d; "
        "baselines refit on the shuffled train side, models not retrained)",
        report.test_timestamp_ties, report.train_timestamp_ties, report.tie_shuffle_seed);
  }
  if (report.test_timestamp_ties == 0) {
    return "no consecutive test events share a timestamp: results do not depend on file order";
  }
  return absl::StrFormat(
      "%d consecutive test events share their timestamp; tie shuffling was turned off, so the "
      "order of tied events is file order",
      report.test_timestamp_ties);
}

std::string FormatCi(const ConfidenceInterval& ci) {
  return absl::StrFormat("[%.4f, %.4f]", ci.low, ci.high);
}

std::string Delta(double shuffled, double base) {
  return absl::StrFormat("%.4f (%+.4f)", shuffled, shuffled - base);
}

absl::Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    return absl::PermissionDeniedError(absl::StrCat(path.string(), ": cannot open for writing"));
  }
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  if (!file) return absl::DataLossError(absl::StrCat(path.string(), ": write failed"));
  return absl::OkStatus();
}

}  // namespace

std::string FormatReportTable(const EvaluationReport& report) {
  const int k = report.headline_k;
  std::string out = absl::StrCat(report.protocol, "\n",
                                 absl::StrFormat("%d predictions; catalogue %d items\n",
                                                 report.test_predictions, report.catalogue_items));
  size_t width = 6;
  for (const MethodResult& m : report.methods) width = std::max(width, m.name.size());
  std::string header = absl::StrFormat("%-*s", static_cast<int>(width), "method");
  for (int c : report.cutoffs) {
    absl::StrAppendFormat(&header, " %8s %8s %8s", absl::StrCat("R@", c), absl::StrCat("MRR@", c),
                          absl::StrCat("NDCG@", c));
  }
  absl::StrAppendFormat(&header, " %8s %6s %17s %17s", absl::StrCat("cov@", report.list_size),
                        "pop%", absl::StrCat("R@", k, " 95% CI"),
                        absl::StrCat("MRR@", k, " 95% CI"));
  if (report.tie_shuffle) {
    absl::StrAppendFormat(&header, " %17s %17s", absl::StrCat("R@", k, " ties shuf."),
                          absl::StrCat("MRR@", k, " ties shuf."));
  }
  absl::StrAppend(&out, header, "\n");
  for (const MethodResult& m : report.methods) {
    std::string row = absl::StrFormat("%-*s", static_cast<int>(width), m.name);
    for (int c : report.cutoffs) {
      absl::StrAppendFormat(&row, " %8.4f %8.4f %8.4f", m.metrics.recall.at(c), m.metrics.mrr.at(c),
                            m.metrics.ndcg.at(c));
    }
    absl::StrAppendFormat(&row, " %8.4f %6.1f %17s %17s", m.coverage, m.popularity_percentile,
                          FormatCi(m.recall_ci), FormatCi(m.mrr_ci));
    if (report.tie_shuffle) {
      absl::StrAppendFormat(&row, " %17s %17s",
                            Delta(m.tie_shuffled_recall, m.metrics.recall.at(k)),
                            Delta(m.tie_shuffled_mrr, m.metrics.mrr.at(k)));
    }
    absl::StrAppend(&out, row, "\n");
  }
  absl::StrAppend(&out, TieShuffleNote(report), "\n");
  return out;
}

std::string ReportToJson(const EvaluationReport& report) {
  using nlohmann::json;
  json root;
  root["protocol"] = report.protocol;
  root["split"] = report.split;
  const SplitStats& s = report.split_stats;
  root["split_stats"] = {{"train_users", s.train_users},
                         {"train_sessions", s.train_sessions},
                         {"train_events", s.train_events},
                         {"test_users", s.test_users},
                         {"test_sessions", s.test_sessions},
                         {"test_events", s.test_events},
                         {"single_session_users", s.single_session_users},
                         {"test_events_unknown_item", s.test_events_unknown_item},
                         {"test_sessions_too_short", s.test_sessions_too_short},
                         {"test_events_too_short", s.test_events_too_short}};
  root["catalogue_items"] = report.catalogue_items;
  root["test_predictions"] = report.test_predictions;
  root["exclude_seen"] = report.exclude_seen;
  root["cutoffs"] = report.cutoffs;
  root["headline_k"] = report.headline_k;
  root["list_size"] = report.list_size;
  root["bootstrap"] = {{"resamples", report.bootstrap.resamples},
                       {"confidence", report.bootstrap.confidence},
                       {"seed", report.bootstrap.seed}};
  root["timestamp_ties"] = {{"train", report.train_timestamp_ties},
                            {"test", report.test_timestamp_ties}};
  root["tie_shuffle"] = {{"done", report.tie_shuffle}, {"seed", report.tie_shuffle_seed}};
  json methods = json::array();
  for (const MethodResult& m : report.methods) {
    json method = {{"name", m.name},
                   {"kind", m.kind},
                   {"source", m.source},
                   {"description", m.description},
                   {"predictions", m.metrics.predictions},
                   {"coverage", m.coverage},
                   {"popularity_percentile", m.popularity_percentile},
                   {"recall_ci", {m.recall_ci.low, m.recall_ci.high}},
                   {"mrr_ci", {m.mrr_ci.low, m.mrr_ci.high}},
                   {"seconds", m.seconds},
                   {"items_unknown_to_model", m.items_unknown_to_model}};
    for (const auto& [name, values] :
         {std::pair{"recall", &m.metrics.recall}, std::pair{"mrr", &m.metrics.mrr},
          std::pair{"ndcg", &m.metrics.ndcg}}) {
      json by_k = json::object();
      for (const auto& [k, value] : *values) by_k[absl::StrCat(k)] = value;
      method[name] = by_k;
    }
    method["tie_shuffled_recall"] = m.tie_shuffled ? json(m.tie_shuffled_recall) : json(nullptr);
    method["tie_shuffled_mrr"] = m.tie_shuffled ? json(m.tie_shuffled_mrr) : json(nullptr);
    methods.push_back(std::move(method));
  }
  root["methods"] = std::move(methods);
  return root.dump(2) + "\n";
}

std::string ReportToMarkdown(const EvaluationReport& report, const std::string& chart_file) {
  const int k = report.headline_k;
  std::string md = "# hrnn-eval report\n\n";
  absl::StrAppend(&md, "**Protocol.** ", report.protocol, ".\n\n");
  absl::StrAppend(&md, "**Seen items.** ",
                  report.exclude_seen
                      ? "Items already clicked in the current session are excluded from every "
                        "method's list (--exclude_seen); a repeated target keeps its own score."
                      : "Items already clicked in the current session, the current one "
                        "included, may be recommended: a repeated click counts as a hit.",
                  "\n\n");
  const SplitStats& s = report.split_stats;
  absl::StrAppendFormat(
      &md,
      "**Data.** train: %d users, %d sessions, %d events; test: %d users, %d sessions, %d "
      "events, %d predictions over %d items. Removed from test: %d events with items unknown "
      "to train, %d sessions then shorter than 2 (%d events).\n\n",
      s.train_users, s.train_sessions, s.train_events, s.test_users, s.test_sessions, s.test_events,
      report.test_predictions, report.catalogue_items, s.test_events_unknown_item,
      s.test_sessions_too_short, s.test_events_too_short);
  absl::StrAppend(&md, "![Recall@k and MRR@k per method](", chart_file, ")\n\n");

  std::vector<std::string> columns = {"method"};
  for (int c : report.cutoffs) {
    for (const char* metric : {"Recall", "MRR", "NDCG"}) {
      columns.push_back(absl::StrCat(metric, "@", c));
    }
  }
  columns.push_back(absl::StrCat("coverage@", report.list_size));
  columns.push_back("popularity pct");
  absl::StrAppend(&md, "| ", absl::StrJoin(columns, " | "), " |\n|");
  for (size_t i = 0; i < columns.size(); ++i) absl::StrAppend(&md, i == 0 ? "---|" : "---:|");
  absl::StrAppend(&md, "\n");
  // Best value per metric column (higher is better), shown in bold.
  std::vector<double> best(3 * report.cutoffs.size() + 1, -1.0);
  for (const MethodResult& m : report.methods) {
    for (size_t c = 0; c < report.cutoffs.size(); ++c) {
      const int cut = report.cutoffs[c];
      best[3 * c] = std::max(best[3 * c], m.metrics.recall.at(cut));
      best[3 * c + 1] = std::max(best[3 * c + 1], m.metrics.mrr.at(cut));
      best[3 * c + 2] = std::max(best[3 * c + 2], m.metrics.ndcg.at(cut));
    }
    best.back() = std::max(best.back(), m.coverage);
  }
  auto cell = [](double value, double best_value) {
    const std::string text = absl::StrFormat("%.4f", value);
    return value >= best_value ? absl::StrCat("**", text, "**") : text;
  };
  for (const MethodResult& m : report.methods) {
    absl::StrAppend(&md, "| ", m.name);
    for (size_t c = 0; c < report.cutoffs.size(); ++c) {
      const int cut = report.cutoffs[c];
      absl::StrAppend(&md, " | ", cell(m.metrics.recall.at(cut), best[3 * c]), " | ",
                      cell(m.metrics.mrr.at(cut), best[3 * c + 1]), " | ",
                      cell(m.metrics.ndcg.at(cut), best[3 * c + 2]));
    }
    absl::StrAppendFormat(&md, " | %s | %.1f |\n", cell(m.coverage, best.back()),
                          m.popularity_percentile);
  }
  absl::StrAppendFormat(&md,
                        "\n## Uncertainty and tie sensitivity\n\nBootstrap %.0f%% intervals over "
                        "test users (sessions when anonymous), %d resamples, seed %d. %s.\n\n",
                        100 * report.bootstrap.confidence, report.bootstrap.resamples,
                        report.bootstrap.seed, TieShuffleNote(report));
  absl::StrAppendFormat(&md, "| method | Recall@%d | 95%% CI | MRR@%d | 95%% CI |", k, k);
  if (report.tie_shuffle) {
    absl::StrAppendFormat(&md, " Recall@%d ties shuffled | MRR@%d ties shuffled |", k, k);
  }
  absl::StrAppend(&md, "\n|---|---:|---|---:|---|", report.tie_shuffle ? "---:|---:|" : "", "\n");
  for (const MethodResult& m : report.methods) {
    absl::StrAppendFormat(&md, "| %s | %.4f | %s | %.4f | %s |", m.name, m.metrics.recall.at(k),
                          FormatCi(m.recall_ci), m.metrics.mrr.at(k), FormatCi(m.mrr_ci));
    if (report.tie_shuffle) {
      absl::StrAppendFormat(&md, " %s | %s |", Delta(m.tie_shuffled_recall, m.metrics.recall.at(k)),
                            Delta(m.tie_shuffled_mrr, m.metrics.mrr.at(k)));
    }
    absl::StrAppend(&md, "\n");
  }
  absl::StrAppend(&md, "\n## Methods\n\n");
  for (const MethodResult& m : report.methods) {
    absl::StrAppend(&md, "- **", m.name, "**: ", m.description,
                    m.source.empty() ? "" : absl::StrCat(" (`", m.source, "`)"), ".\n");
  }
  absl::StrAppend(&md,
                  "\nPopularity pct: mean training-popularity percentile of the items in "
                  "the top-",
                  report.list_size, " lists (100 = most popular item).\n");
  absl::StrAppend(&md, "\n## Data preparation\n\n```\n", report.data_summary, "```\n");
  return md;
}

absl::Status WriteReportDirectory(const EvaluationReport& report, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", error.message()));
  HRNN_RETURN_IF_ERROR(WriteFile(fs::path(dir) / "chart.svg", ReportChartSvg(report)));
  HRNN_RETURN_IF_ERROR(WriteFile(fs::path(dir) / "report.json", ReportToJson(report)));
  return WriteFile(fs::path(dir) / "report.md", ReportToMarkdown(report, "chart.svg"));
}

}  // namespace hrnn
