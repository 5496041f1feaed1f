// Looking metrics up in the catalogue (eval/metric_catalogue.h), and the words of its directions.
#include "eval/metric_catalogue.h"

#include <fmt/format.h>

#include "core/error.h"

namespace lb::eval {

const MetricInfo* find_metric(std::string_view name) {
  for (const MetricInfo& m : kMetricCatalogue)
    if (m.name == name) return &m;
  return nullptr;
}

const MetricInfo& metric_info(std::string_view name, Output output, std::string_view path, long line) {
  const MetricInfo* m = find_metric(name);
  if (m && m->appears_in(output)) return *m;
  std::string names;
  for (const MetricInfo& c : kMetricCatalogue)
    if (c.appears_in(output)) names += fmt::format("{}{}", names.empty() ? "" : ", ", c.name);
  throw input_error(path, line, "unknown metric", fmt::format("a metric of {} ({})", output_name(output), names),
                    quote_token(name));
}

const MetricInfo& metric_info(std::string_view name) {
  if (const MetricInfo* m = find_metric(name)) return *m;
  throw InputError(fmt::format("unknown metric; expected a metric of the catalogue (eval/metric_catalogue.h), got {}",
                               quote_token(name)));
}

std::string_view direction_words(Better better) {
  switch (better) {
    case Better::Lower: return "lower is better";
    case Better::Higher: return "higher is better";
    case Better::NotRanked: return "not ranked";
  }
  return "";
}

std::string_view output_name(Output output) {
  switch (output) {
    case Output::MetricsTsv: return "metrics.tsv";
    case Output::MetricsJsonModel: return "metrics.json's model";
    case Output::RoleMetricsTsv: return "role_metrics.tsv";
    case Output::MethodDifferencesTsv: return "method_differences.tsv";
    case Output::DiscoveryTsv: return "discovery.tsv";
    case Output::ReportTables: return "the report's metric tables";
    case Output::ReportRanked: return "the report's ranked tables";
    case Output::ReportModel: return "the report's model tables";
  }
  return "";
}

}  // namespace lb::eval
