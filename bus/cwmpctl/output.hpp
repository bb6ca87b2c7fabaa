// cwmpctl's output: aligned text for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cwmpd::cwmpctl {

struct ValueRow {
  std::string name;
  std::string type;
  std::string value;
};

struct NameRow {
  std::string name;
  bool writable = false;
};

struct AttributeRow {
  std::string name;
  int notification = 0;
  std::vector<std::string> accessList;
};

// A JSON string literal, quotes included; control characters escaped as \uXXXX. The
// input is UTF-8 (D-Bus strings are), which JSON carries as is.
[[nodiscard]] std::string jsonString(std::string_view text);

// "name = value" lines with the "=" aligned / [{"name":..,"type":..,"value":..}].
[[nodiscard]] std::string formatValues(const std::vector<ValueRow>& rows, bool json);
[[nodiscard]] std::string formatNames(const std::vector<NameRow>& rows, bool json);
[[nodiscard]] std::string formatAttributes(const std::vector<AttributeRow>& rows, bool json);
// Agent status: ordered (property, value) pairs; list values are already joined for text.
struct StatusRow {
  std::string name;
  std::vector<std::string> values;
  bool list = false;
};
[[nodiscard]] std::string formatStatus(const std::vector<StatusRow>& rows, bool json);
[[nodiscard]] std::string formatAdded(const std::string& object, std::uint32_t instance, bool json);
// Commands with nothing to report: "" for text, {"ok":true} for JSON.
[[nodiscard]] std::string formatDone(bool json);
// On stdout in --json mode when a call fails (the text goes to stderr in both modes).
[[nodiscard]] std::string formatErrorJson(const std::string& errorName, const std::string& message,
                                          std::optional<int> faultCode);

}  // namespace cwmpd::cwmpctl
