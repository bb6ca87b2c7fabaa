#include "output.hpp"

#include <algorithm>
#include <cstdio>

namespace cwmpd::cwmpctl {

namespace {

template <typename Row>
std::size_t widestName(const std::vector<Row>& rows) {
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.name.size());
  return width;
}

std::string padded(const std::string& text, std::size_t width) {
  std::string out = text;
  out.append(width - std::min(width, text.size()), ' ');
  return out;
}

std::string jsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += jsonString(items[i]);
  }
  return out + "]";
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// Writes one JSON array of objects: `object(row)` gives the members inside the braces.
template <typename Row, typename Members>
std::string jsonObjects(const std::vector<Row>& rows, Members members) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) out += ',';
    out += '{' + members(rows[i]) + '}';
  }
  return out + "]\n";
}

}  // namespace

std::string jsonString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string formatValues(const std::vector<ValueRow>& rows, bool json) {
  if (json) {
    return jsonObjects(rows, [](const ValueRow& row) {
      return "\"name\":" + jsonString(row.name) + ",\"type\":" + jsonString(row.type) +
             ",\"value\":" + jsonString(row.value);
    });
  }
  const std::size_t width = widestName(rows);
  std::string out;
  for (const auto& row : rows) out += padded(row.name, width) + " = " + row.value + '\n';
  return out;
}

std::string formatNames(const std::vector<NameRow>& rows, bool json) {
  if (json) {
    return jsonObjects(rows, [](const NameRow& row) {
      return "\"name\":" + jsonString(row.name) +
             ",\"writable\":" + (row.writable ? "true" : "false");
    });
  }
  const std::size_t width = widestName(rows);
  std::string out;
  for (const auto& row : rows) {
    out += padded(row.name, width) + (row.writable ? "  writable\n" : "  read-only\n");
  }
  return out;
}

std::string formatAttributes(const std::vector<AttributeRow>& rows, bool json) {
  if (json) {
    return jsonObjects(rows, [](const AttributeRow& row) {
      return "\"name\":" + jsonString(row.name) +
             ",\"notification\":" + std::to_string(row.notification) +
             ",\"accessList\":" + jsonArray(row.accessList);
    });
  }
  const std::size_t width = widestName(rows);
  std::string out;
  for (const auto& row : rows) {
    out += padded(row.name, width) + "  notification=" + std::to_string(row.notification) +
           " access=" + (row.accessList.empty() ? "-" : joined(row.accessList, ",")) + '\n';
  }
  return out;
}

std::string formatStatus(const std::vector<StatusRow>& rows, bool json) {
  if (json) {
    std::string out = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i > 0) out += ',';
      const auto& row = rows[i];
      out += jsonString(row.name) + ':' +
             (row.list ? jsonArray(row.values)
                       : jsonString(row.values.empty() ? std::string() : row.values.front()));
    }
    return out + "}\n";
  }
  const std::size_t width = widestName(rows);
  std::string out;
  for (const auto& row : rows)
    out += padded(row.name, width) + " = " + joined(row.values, ", ") + '\n';
  return out;
}

std::string formatAdded(const std::string& object, std::uint32_t instance, bool json) {
  const std::string path = object + std::to_string(instance) + '.';
  if (json) {
    return "{\"object\":" + jsonString(path) + ",\"instance\":" + std::to_string(instance) + "}\n";
  }
  return path + '\n';
}

std::string formatDone(bool json) { return json ? "{\"ok\":true}\n" : std::string(); }

std::string formatErrorJson(const std::string& errorName, const std::string& message,
                            std::optional<int> faultCode) {
  std::string out = "{\"error\":{\"name\":" + jsonString(errorName);
  if (faultCode) out += ",\"code\":" + std::to_string(*faultCode);
  return out + ",\"message\":" + jsonString(message) + "}}\n";
}

}  // namespace cwmpd::cwmpctl
