// Manifests: the last file a multi-file output writes, listing every other file with its size
// and MD5, so a reader can tell a complete, untouched set from one a killed run half replaced
// or someone edited afterwards (docs/reliability.md). A manifest is a TSV `file bytes md5`
// whose paths are relative to the manifest's own directory.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace lb::io {

/// MD5 of a file's bytes as 32 lowercase hex digits (what `md5sum` prints); IoError naming the path.
std::string file_md5(const std::string& path);
/// MD5 of a text, as file_md5 writes it.
std::string text_md5(std::string_view text);

/// Writes `manifest_path` atomically, one row per file of `files` (relative to the manifest's
/// directory, in the given order) with its current size and MD5.
void write_manifest(const std::string& manifest_path, std::span<const std::string> files);

/// Checks every file the manifest lists against its size and MD5. InputErrors, exactly:
///   M: missing; expected the manifest written last by <writer>, got no file (an interrupted run, or a directory written before manifests: rerun <writer>)
///   M:3: 'labels.tsv' does not match; expected 1234 bytes with md5 <hex>, got 1200 bytes with md5 <hex> (changed or half replaced after M was written: rerun <writer>)
///   M:3: 'labels.tsv' is missing; expected 1234 bytes, got no file (...same advice...)
///   M:1: wrong header; expected 'file bytes md5', got '...'
///   M:2: no files; expected a row per file of the output, got a header only
///   M:4: bad row; expected a relative path, a byte count and 32 hex digits, got '...'
/// `writer` names the command that writes it (e.g. "liftbench simulate"). Files named in
/// `unread` (paths as in the manifest) are not checked: a reader that does not open them.
void verify_manifest(const std::string& manifest_path, const std::string& writer,
                     std::span<const std::string> unread = {});

}  // namespace lb::io
