#include "duet/contract.h"

#include <set>

namespace duet {
namespace {

std::string FieldPath(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  std::string full(path);
  full.append(".").append(name);
  return full;
}

Status CheckString(const FieldSpec& spec, const std::string& path, std::string_view value) {
  if (value.size() < spec.min_length) {
    return Status::InvalidArgument(
        path, spec.min_length == 1 ? "must not be empty"
                                   : "shorter than " + std::to_string(spec.min_length) + " bytes");
  }
  if (spec.max_length != 0 && value.size() > spec.max_length) {
    return Status::InvalidArgument(path,
                                   "longer than " + std::to_string(spec.max_length) + " bytes");
  }
  if (!spec.pattern.empty() && !spec.pattern.Matches(value)) {
    return Status::InvalidArgument(path, spec.pattern.hint().empty()
                                             ? "must match " + spec.pattern.regex()
                                             : spec.pattern.hint());
  }
  return Status::OK();
}

Status CheckInteger(const FieldSpec& spec, const std::string& path, const boost::json::value& v) {
  int64_t value = 0;
  if (v.is_int64()) {
    value = v.get_int64();
  } else if (v.is_uint64()) {
    return Status::InvalidArgument(path, "must be an integer within int64");
  } else {
    return Status::InvalidArgument(path, "must be an integer");
  }
  if (spec.minimum && value < *spec.minimum) {
    // The two common floors get the words people use for them.
    if (*spec.minimum == 0) return Status::InvalidArgument(path, "must not be negative");
    if (*spec.minimum == 1) return Status::InvalidArgument(path, "must be greater than 0");
    return Status::InvalidArgument(path, "must be at least " + std::to_string(*spec.minimum));
  }
  if (spec.maximum && value > *spec.maximum) {
    return Status::InvalidArgument(path, "must be at most " + std::to_string(*spec.maximum));
  }
  return Status::OK();
}

Status CheckValue(const FieldSpec& spec, const std::string& path, const boost::json::value& v) {
  switch (spec.type) {
    case FieldType::kString:
      if (!v.is_string()) return Status::InvalidArgument(path, "must be a string");
      return CheckString(spec, path, std::string_view(v.get_string()));
    case FieldType::kInteger: return CheckInteger(spec, path, v);
    case FieldType::kBoolean:
      if (!v.is_bool()) return Status::InvalidArgument(path, "must be true or false");
      return Status::OK();
    case FieldType::kObject:
      if (!v.is_object()) return Status::InvalidArgument(path, "must be an object");
      return CheckFields(spec.fields, v.get_object(), path);
    case FieldType::kArray: {
      if (!v.is_array()) return Status::InvalidArgument(path, "must be an array");
      const boost::json::array& items = v.get_array();
      if (items.size() < spec.min_items) {
        return Status::InvalidArgument(
            path, spec.min_items == 1
                      ? "must not be empty"
                      : "needs at least " + std::to_string(spec.min_items) + " elements");
      }
      if (spec.max_items != 0 && items.size() > spec.max_items) {
        return Status::InvalidArgument(path,
                                       "more than " + std::to_string(spec.max_items) + " elements");
      }
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string element = path + "[" + std::to_string(i) + "]";
        if (!items[i].is_object()) return Status::InvalidArgument(element, "must be an object");
        DUET_RETURN_IF_ERROR(CheckFields(spec.fields, items[i].get_object(), element));
      }
      return Status::OK();
    }
  }
  return Status::InvalidArgument(path, "has an undeclared type");
}

std::string LimitsText(const FieldSpec& spec) {
  std::string text;
  auto range = [](uint64_t min, uint64_t max, std::string_view unit) {
    if (max == 0)
      return min == 0 ? std::string() : "at least " + std::to_string(min) + " " + std::string(unit);
    return std::to_string(min) + ".." + std::to_string(max) + " " + std::string(unit);
  };
  switch (spec.type) {
    case FieldType::kString:
      text = range(spec.min_length, spec.max_length, "bytes");
      if (!spec.pattern.empty()) {
        text += (text.empty() ? "" : ", ") + (spec.pattern.hint().empty()
                                                  ? "matching " + spec.pattern.regex()
                                                  : spec.pattern.hint());
      }
      break;
    case FieldType::kInteger:
      if (spec.minimum) text = ">= " + std::to_string(*spec.minimum);
      if (spec.maximum) text += (text.empty() ? "<= " : ", <= ") + std::to_string(*spec.maximum);
      break;
    case FieldType::kArray: text = range(spec.min_items, spec.max_items, "elements"); break;
    default: break;
  }
  return text;
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kInteger: return "integer";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kObject: return "object";
    case FieldType::kArray: return "array";
  }
  return "unknown";
}

FieldPattern::FieldPattern(std::string regex, std::string hint)
    : regex_(std::move(regex)), hint_(std::move(hint)) {
  try {
    compiled_ = std::make_shared<const std::regex>(regex_, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    compiled_ = nullptr;  // reported by ValidateFields
  }
}

bool FieldPattern::Matches(std::string_view value) const {
  return compiled_ != nullptr && std::regex_search(value.begin(), value.end(), *compiled_);
}

Status ValidateFields(const std::vector<FieldSpec>& fields) {
  std::set<std::string_view> names;
  for (const FieldSpec& field : fields) {
    if (field.name.empty()) return Status::InvalidArgument("contract", "a field has no name");
    if (!names.insert(field.name).second) {
      return Status::InvalidArgument(field.name, "declared twice");
    }
    if (!field.pattern.empty() && !field.pattern.valid()) {
      return Status::InvalidArgument(field.name, "pattern is not a valid regular expression");
    }
    if (field.max_length != 0 && field.max_length < field.min_length) {
      return Status::InvalidArgument(field.name, "max_length is below min_length");
    }
    if (field.max_items != 0 && field.max_items < field.min_items) {
      return Status::InvalidArgument(field.name, "max_items is below min_items");
    }
    if (field.minimum && field.maximum && *field.maximum < *field.minimum) {
      return Status::InvalidArgument(field.name, "maximum is below minimum");
    }
    const bool nested = field.type == FieldType::kObject || field.type == FieldType::kArray;
    if (!nested && !field.fields.empty()) {
      return Status::InvalidArgument(field.name, "only objects and arrays have nested fields");
    }
    if (nested) DUET_RETURN_IF_ERROR(ValidateFields(field.fields));
  }
  return Status::OK();
}

Status CheckFields(const std::vector<FieldSpec>& fields, const boost::json::object& object,
                   std::string_view path) {
  for (const FieldSpec& spec : fields) {
    const std::string field_path = FieldPath(path, spec.name);
    const boost::json::value* value = object.if_contains(spec.name);
    if (value == nullptr || value->is_null()) {
      if (spec.required) return Status::InvalidArgument(field_path, "missing");
      continue;
    }
    DUET_RETURN_IF_ERROR(CheckValue(spec, field_path, *value));
  }
  for (const boost::json::key_value_pair& member : object) {
    const std::string_view key = member.key();
    const bool declared = std::any_of(fields.begin(), fields.end(),
                                      [key](const FieldSpec& spec) { return spec.name == key; });
    if (!declared) return Status::InvalidArgument(FieldPath(path, key), "unknown field");
  }
  return Status::OK();
}

boost::json::object FieldsSchema(const std::vector<FieldSpec>& fields) {
  boost::json::object properties;
  boost::json::array required;
  for (const FieldSpec& spec : fields) {
    boost::json::object property;
    property["type"] = FieldTypeName(spec.type);
    if (!spec.description.empty()) property["description"] = spec.description;
    switch (spec.type) {
      case FieldType::kString:
        if (spec.min_length != 0) property["minLength"] = spec.min_length;
        if (spec.max_length != 0) property["maxLength"] = spec.max_length;
        if (!spec.pattern.empty()) property["pattern"] = spec.pattern.regex();
        break;
      case FieldType::kInteger:
        property["format"] = "int64";
        if (spec.minimum) property["minimum"] = *spec.minimum;
        if (spec.maximum) property["maximum"] = *spec.maximum;
        break;
      case FieldType::kBoolean: break;
      case FieldType::kObject: {
        boost::json::object nested = FieldsSchema(spec.fields);
        for (auto& [key, value] : nested) {
          if (key != "type") property[key] = value;
        }
        break;
      }
      case FieldType::kArray:
        if (spec.min_items != 0) property["minItems"] = spec.min_items;
        if (spec.max_items != 0) property["maxItems"] = spec.max_items;
        property["items"] = FieldsSchema(spec.fields);
        break;
    }
    properties[spec.name] = std::move(property);
    if (spec.required) required.emplace_back(spec.name);
  }
  boost::json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

std::string FieldsHelp(const std::vector<FieldSpec>& fields, int indent) {
  std::string help;
  for (const FieldSpec& spec : fields) {
    std::string line(static_cast<size_t>(indent), ' ');
    line.append(spec.name).append("  ").append(FieldTypeName(spec.type));
    line.append(spec.required ? ", required" : ", optional");
    if (std::string limits = LimitsText(spec); !limits.empty()) line.append(", ").append(limits);
    if (!spec.description.empty()) line.append(": ").append(spec.description);
    help.append(line).append("\n");
    if (!spec.fields.empty()) help.append(FieldsHelp(spec.fields, indent + 2));
  }
  return help;
}

}  // namespace duet
