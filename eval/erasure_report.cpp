// The MNIST erasure page: Vega-Lite box plots of drops per pair, a summary table, SVG pixel maps of one example.
#include "eval/erasure_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/build_info.h"
#include "core/error.h"
#include "eval/html.h"
#include "eval/web/report_assets.h"
#include "io/atomic_file.h"

namespace lb::eval {

namespace {

// A (h x w) map as SVG rects: red positive, blue negative, white 0, scaled by max |v| (or
// grey levels 0..1 for an image). Cells of `cell` px.
std::string svg_map(const Vec& v, int h, int w, bool image, const std::string& title, int cell = 5) {
  std::string s = fmt::format(
      "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "shape-rendering=\"crispEdges\"><rect width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#999\"/>",
      w * cell, h * cell, w * cell, h * cell, w * cell, h * cell);
  const double scale = image ? 1.0 : std::max(1e-12, double(v.cwiseAbs().maxCoeff()));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double a = double(v(y * w + x)) / scale;
      std::string fill;
      if (image) {
        const int g = static_cast<int>(std::lround(255.0 * (1.0 - std::clamp(a, 0.0, 1.0))));
        if (g == 255) continue;
        fill = fmt::format("#{:02x}{:02x}{:02x}", g, g, g);
      } else {
        const int t = static_cast<int>(std::lround(255.0 * (1.0 - std::min(1.0, std::abs(a)))));
        if (t == 255) continue;
        fill = a > 0 ? fmt::format("#ff{:02x}{:02x}", t, t) : fmt::format("#{:02x}{:02x}ff", t, t);
      }
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", x * cell, y * cell, cell, cell,
                       fill);
    }
  s += "</svg><figcaption>" + html_escape(title) + "</figcaption></figure>";
  return s;
}

constexpr const char* kStyle = R"CSS(
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 1400px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
td:first-child, th:first-child, td:nth-child(2) { text-align: left; }
figure { display: inline-block; margin: 4px; text-align: center; font-size: 0.75em; }
.maps { margin-bottom: 1em; } .maps h4 { margin: 0.3em 0; }
#lb-status { font-size: 0.8em; color: #666; }
pre { background: #f6f6f6; padding: 0.5em; font-size: 0.8em; }
)CSS";

constexpr const char* kScript = R"JS(
(function () {
  const status = document.getElementById('lb-status');
  let failed = false;
  const fail = m => { failed = true; status.textContent = 'error: ' + m; };
  try {
    const D = JSON.parse(document.getElementById('lb-data').textContent);
    const jobs = D.charts.map(c => vegaEmbed('#' + c.id, {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: c.title, width: 520, height: 260,
      data: { values: D.drops.filter(r => r.pair === c.pair) },
      mark: { type: 'boxplot', extent: 'min-max' },
      encoding: {
        x: { field: 'method', type: 'nominal', sort: D.methods, axis: { labelAngle: -40 } },
        y: { field: 'drop', type: 'quantitative', title: 'drop of logit c0 - logit ct' },
        color: { field: 'method', type: 'nominal', sort: D.methods, legend: null }
      }
    }, { actions: false, renderer: 'canvas' }));
    Promise.all(jobs).then(r => { if (!failed) status.textContent = 'rendered ' + r.length + ' charts'; })
      .catch(e => fail(e && e.message ? e.message : String(e)));
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
)JS";

// Per-pixel maps of the example image for every method: S_c0 and S_ct minus the mean over the
// ten classes, S_c0 - S_ct, and the erased image.
std::string example_section(const ErasureReportInputs& in) {
  if (in.example < 0 || !in.net || !in.data || !in.methods) return "";
  const ImageSet& d = *in.data;
  const int S = d.shape.spatial(), h = d.shape.h, w = d.shape.w;
  const int c0 = d.labels[static_cast<std::size_t>(in.example)];
  int ct = -1;
  for (const auto& [a, b] : in.pairs)
    if (a == c0) {
      ct = b;
      break;
    }
  if (ct < 0) ct = (c0 + 1) % in.net->n_outputs();
  const Mat x = d.images.middleCols(Eigen::Index{in.example} * S, S);
  const int K = in.net->n_outputs();
  std::string s = fmt::format(
      "<h2 id=\"maps\">Pixel maps of test image {} (label {}), {}&rarr;{}</h2>\n<p>Per method: the scores of class {} and of "
      "class {} with the mean over the {} classes subtracted (red positive, blue negative, each map scaled to its "
      "largest |score|), S<sub>{}</sub> &minus; S<sub>{}</sub>, and the image after erasing at most {} pixels with the "
      "largest positive difference (erased pixels set to the reference 0).</p>\n",
      in.example, c0, c0, ct, c0, ct, K, c0, ct, in.k);
  s += "<div class=\"maps\">" + svg_map(x.row(0).transpose(), h, w, true, "original") + "</div>\n";
  for (const auto& m : *in.methods) {
    // All classes' maps, two at a time.
    Mat all(K, S);
    for (int c = 0; c < K; c += 2) {
      const int c2 = c + 1 < K ? c + 1 : 0;
      const Mat sc = erasure_scores(m, *in.net, x, 1, c, c2);
      all.row(c) = sc.leftCols(S).colwise().sum();
      if (c + 1 < K) all.row(c + 1) = sc.rightCols(S).colwise().sum();
    }
    const Vec mean = all.colwise().mean().transpose();
    const Vec s0 = all.row(c0).transpose(), st = all.row(ct).transpose();
    const Vec a = s0 - mean, b = st - mean, diff = s0 - st;
    const std::vector<int> px = pixels_to_erase({s0.data(), static_cast<std::size_t>(S)},
                                                {st.data(), static_cast<std::size_t>(S)}, in.k);
    Vec erased = x.row(0).transpose();
    for (int p : px) erased(p) = 0.0f;
    s += "<div class=\"maps\"><h4>" + html_escape(m.name) + "</h4>";
    s += svg_map(a, h, w, false, fmt::format("S{} - mean", c0));
    s += svg_map(b, h, w, false, fmt::format("S{} - mean", ct));
    s += svg_map(diff, h, w, false, fmt::format("S{} - S{}", c0, ct));
    s += svg_map(erased, h, w, true, fmt::format("erased ({} px)", px.size()));
    s += "</div>\n";
  }
  return s;
}

}  // namespace

ErasurePage render_erasure_report(const ErasureReportInputs& in) {
  if (!in.rows || !in.summary) throw InputError("erasure report: no rows; expected the erasure results, got none");
  std::vector<std::string> methods;
  for (const auto& s : *in.summary)
    if (std::find(methods.begin(), methods.end(), s.method) == methods.end()) methods.push_back(s.method);
  std::vector<std::string> pairs;
  for (const auto& s : *in.summary) {
    const std::string p = fmt::format("{}->{}", s.c0, s.ct);
    if (std::find(pairs.begin(), pairs.end(), p) == pairs.end()) pairs.push_back(p);
  }

  std::string data = "{\"methods\":[";
  for (std::size_t i = 0; i < methods.size(); ++i) {
    if (i) data += ',';
    data += json_string(methods[i]);
  }
  data += "],\"charts\":[";
  for (std::size_t i = 0; i < pairs.size(); ++i)
    data += fmt::format("{}{{\"id\":\"box{}\",\"pair\":{},\"title\":{}}}", i ? "," : "", i, json_string(pairs[i]),
                        json_string("Drop of logit difference after erasure, " + pairs[i]));
  data += "],\"drops\":[";
  bool first = true;
  for (const auto& r : *in.rows) {
    data += fmt::format("{}{{\"pair\":\"{}->{}\",\"method\":{},\"drop\":{}}}", first ? "" : ",", r.c0, r.ct,
                        json_string(r.method), json_number(r.drop));
    first = false;
  }
  data += "]}";
  // '>' inside "8->3" is escaped by json_string only; the pair strings above are written raw.
  for (std::size_t p = 0; (p = data.find("->", p)) != std::string::npos;) data.replace(p, 2, "-\\u003e");

  ErasurePage page;
  page.n_charts = static_cast<int>(pairs.size());
  std::string& h = page.html;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>liftbench MNIST erasure</title>\n";
  h += fmt::format("<style>{}</style>\n", kStyle);
  h += "<!-- " + html_escape(web::versions()) + ", inlined -->\n";
  h += inline_script(web::vega_js());
  h += inline_script(web::vega_lite_js());
  h += inline_script(web::vega_embed_js());
  h += "</head>\n<body>\n<h1>MNIST pixel erasure (DeepLIFT appendix E)</h1>\n";
  h += fmt::format("<div id=\"lb-status\" data-charts=\"{}\">rendering {} charts…</div>\n", page.n_charts, page.n_charts);
  h += fmt::format(
      "<p>For each pair c0&rarr;ct and each test image of class c0, pixels are ranked by S<sub>c0</sub> &minus; "
      "S<sub>ct</sub> and at most {} with a positive difference are set to 0 (the reference); the box plots show the "
      "drop of logit<sub>c0</sub> &minus; logit<sub>ct</sub> (higher: the method found the pixels that separate the "
      "digits better).</p>\n",
      in.k);
  h += "<h2 id=\"boxes\">Drops per pair</h2>\n";
  for (std::size_t i = 0; i < pairs.size(); ++i) h += fmt::format("<div id=\"box{}\"></div>\n", i);
  h += "<h2 id=\"summary\">Summary</h2>\n<table><tr><th>pair</th><th>method</th><th>n</th><th>median</th><th>q1</th>"
       "<th>q3</th><th>mean</th><th>share flipped</th><th>mean erased</th></tr>\n";
  for (const auto& s : *in.summary)
    h += fmt::format("<tr><td>{}&rarr;{}</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.3f}</td><td>{:.3f}</td>"
                     "<td>{:.3f}</td><td>{:.3f}</td><td>{:.1f}</td></tr>\n",
                     s.c0, s.ct, html_escape(s.method), s.n, s.median, s.q1, s.q3, s.mean, s.share_flipped,
                     s.mean_erased);
  h += "</table>\n";
  h += example_section(in);
  h += fmt::format("<h2 id=\"config\">Configuration and versions</h2>\n<p>liftbench {} ({} {}); charts: {}</p>\n",
                   build::kVersion, html_escape(build::kCompiler), html_escape(build::kBuildType),
                   html_escape(web::versions()));
  h += "<pre>" + html_escape(in.config_ini.empty() ? "(no configuration given)" : in.config_ini) + "</pre>\n";
  h += "<script type=\"application/json\" id=\"lb-data\">" + data + "</script>\n";
  h += inline_script(kScript);
  h += "</body>\n</html>\n";
  return page;
}

void write_erasure_report(const std::string& outdir, const ErasureReportInputs& in) {
  const ErasurePage page = render_erasure_report(in);
  const std::string dir = outdir + "/report";
  io::ensure_output_dir(dir);
  io::write_file_atomic(dir + "/mnist.html", page.html);
}

}  // namespace lb::eval
