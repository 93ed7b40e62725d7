#include "core/eval/report_chart.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace hrnn {
namespace {

constexpr const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr double kPanelWidth = 420, kPanelHeight = 300, kLeft = 60, kTop = 50, kGap = 90;

std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(text,
                             {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `value`.
double NiceMax(double value) {
  if (!(value > 0)) return 1.0;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10.0 * power;
}

void DrawPanel(const EvaluationReport& report, const std::vector<int>& cutoffs, bool recall,
               double x0, std::string* svg) {
  double top_value = 0;
  for (const MethodResult& method : report.methods) {
    for (int k : cutoffs) {
      const auto& values = recall ? method.metrics.recall : method.metrics.mrr;
      if (auto it = values.find(k); it != values.end()) top_value = std::max(top_value, it->second);
    }
  }
  const double y_max = NiceMax(top_value * 1.05);
  const double y0 = kTop + kPanelHeight;
  auto x_of = [&](size_t i) {
    return cutoffs.size() < 2 ? x0 + kPanelWidth / 2
                              : x0 + 20 +
                                    (kPanelWidth - 40) * static_cast<double>(i) /
                                        static_cast<double>(cutoffs.size() - 1);
  };
  auto y_of = [&](double v) { return y0 - kPanelHeight * v / y_max; };
  absl::StrAppendFormat(svg,
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"15\" text-anchor=\"middle\" "
                        "font-weight=\"bold\">%s@k</text>\n",
                        x0 + kPanelWidth / 2, kTop - 15, recall ? "Recall" : "MRR");
  absl::StrAppendFormat(svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"none\" stroke=\"#444\"/>\n",
                        x0, kTop, kPanelWidth, kPanelHeight);
  for (int tick = 0; tick <= 5; ++tick) {
    const double v = y_max * tick / 5.0;
    absl::StrAppendFormat(svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">"
                          "%.3g</text>\n",
                          x0, y_of(v), x0 + kPanelWidth, y_of(v), x0 - 5, y_of(v) + 4, v);
  }
  for (size_t i = 0; i < cutoffs.size(); ++i) {
    absl::StrAppendFormat(svg,
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">"
                          "k=%d</text>\n",
                          x_of(i), y0 + 16, cutoffs[i]);
  }
  for (size_t m = 0; m < report.methods.size(); ++m) {
    const MethodResult& method = report.methods[m];
    const auto& values = recall ? method.metrics.recall : method.metrics.mrr;
    const char* color = kColors[m % std::size(kColors)];
    std::string points;
    std::string markers;
    for (size_t i = 0; i < cutoffs.size(); ++i) {
      auto it = values.find(cutoffs[i]);
      if (it == values.end()) continue;
      absl::StrAppendFormat(&points, "%.1f,%.1f ", x_of(i), y_of(it->second));
      absl::StrAppendFormat(&markers,
                            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
                            "<title>%s %s@%d = %.4f</title></circle>\n",
                            x_of(i), y_of(it->second), color, Escape(method.name),
                            recall ? "Recall" : "MRR", cutoffs[i], it->second);
    }
    absl::StrAppendFormat(svg,
                          "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                          "points=\"%s\"/>\n%s",
                          color, points, markers);
  }
}

}  // namespace

std::string ReportChartSvg(const EvaluationReport& report) {
  std::vector<int> cutoffs = report.cutoffs;
  std::sort(cutoffs.begin(), cutoffs.end());
  cutoffs.erase(std::unique(cutoffs.begin(), cutoffs.end()), cutoffs.end());
  const double width = kLeft + 2 * kPanelWidth + kGap + 20;
  const double legend_top = kTop + kPanelHeight + 40;
  const double height = legend_top + 20.0 * static_cast<double>(report.methods.size()) + 20;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
  DrawPanel(report, cutoffs, true, kLeft, &svg);
  DrawPanel(report, cutoffs, false, kLeft + kPanelWidth + kGap, &svg);
  for (size_t m = 0; m < report.methods.size(); ++m) {
    const double y = legend_top + 20.0 * static_cast<double>(m);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">"
                          "%s</text>\n",
                          kLeft, y, kLeft + 30, y, kColors[m % std::size(kColors)], kLeft + 38,
                          y + 4, Escape(report.methods[m].name));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace hrnn
