// Text escaping for the self-contained HTML pages (report/index.html, report/mnist.html).
#pragma once

#include <string>
#include <string_view>

namespace lb::eval {

/// &, <, > and " as entities.
std::string html_escape(std::string_view s);
/// A JSON string literal that is also safe inside <script> (no '<', '>' or '&' characters).
std::string json_string(std::string_view s);
/// A number for JSON with `digits` significant digits; NaN and infinities become null.
std::string json_number(double v, int digits = 6);
/// A <script> element holding `js`, with any "</script" inside it broken so it cannot end early.
std::string inline_script(std::string_view js);

}  // namespace lb::eval
