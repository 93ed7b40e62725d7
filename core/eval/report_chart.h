// The chart of an hrnn-eval report: Recall@k and MRR@k against k, one line per method, as a
// self-contained SVG document written by hand (no dependency). Stateless; thread-safe.
#ifndef HRNN_CORE_EVAL_REPORT_CHART_H_
#define HRNN_CORE_EVAL_REPORT_CHART_H_

#include <string>

#include "core/eval/evaluation_run.h"

namespace hrnn {

// An SVG of two panels (Recall@k left, MRR@k right) over report.cutoffs in ascending order,
// one coloured polyline with point markers per method and a legend. Text is XML-escaped.
std::string ReportChartSvg(const EvaluationReport& report);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_REPORT_CHART_H_
