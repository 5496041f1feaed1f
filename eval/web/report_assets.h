// The charting libraries (Vega, Vega-Lite, Vega-Embed minified builds from eval/web/node_modules)
// embedded into the binary, so the HTML report is self-contained and works offline.
#pragma once

#include <string_view>

namespace lb::eval::web {

std::string_view vega_js();
std::string_view vega_lite_js();
std::string_view vega_embed_js();
/// "vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0": the versions embedded.
std::string_view versions();

}  // namespace lb::eval::web
