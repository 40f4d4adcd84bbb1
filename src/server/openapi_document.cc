#include "server/openapi_document.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <vector>

#include "duet/server.h"
#include "query/params.h"
#include "server/openapi_parts.h"

namespace duet::server {
namespace {

namespace json = boost::json;

// The fixed parts are constant text checked by tests (openapi_document_test):
// a parse failure is a bug in this build, answered with an empty object so
// the document is visibly wrong rather than the server down.
json::object ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.as_object());
}

json::object Ref(std::string_view kind, std::string_view name) {
  return {{"$ref", "#/components/" + std::string(kind) + "/" + std::string(name)}};
}

// A 200 with `description` and a JSON body of schema `schema_name`, then
// the shared problem responses named in `problems` (status code, component).
json::object Responses(
    std::string_view description, std::string_view schema_name,
    std::initializer_list<std::pair<std::string_view, std::string_view>> problems) {
  json::object responses{
      {"200",
       {{"description", description},
        {"content", {{"application/json", {{"schema", Ref("schemas", schema_name)}}}}}}}};
  for (const auto& [code, name] : problems) responses[code] = Ref("responses", name);
  return responses;
}

json::array BearerSecurity() { return json::array{json::object{{"bearerAuth", json::array{}}}}; }

// "search-accounts" -> "SearchAccounts": operation ids and schema names.
std::string Camel(std::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// A schema name not yet taken in `schemas`: `name`, else `name` + `suffix`
// (a command called "Event" must not replace the generic Event schema).
std::string FreeName(const json::object& schemas, std::string name, std::string_view suffix) {
  if (schemas.contains(name)) name += suffix;
  while (schemas.contains(name)) name += "_";
  return name;
}

json::object CommandOperation(const CommandInfo& command, const std::string& schema_name) {
  std::string description = command.description.empty() ? "" : command.description + "\n\n";
  description +=
      "Checks the body against " + command.name +
      "'s contract (a field that is missing, unknown, mistyped or out of its limits is 400 with "
      "`subject` = the field, e.g. `items[1].qty`), decides it against the aggregate's current "
      "state and appends the resulting events atomically; answers once they are durable. A broken "
      "domain rule is 422 with `subject` = the rule. Scope: `command`.";
  json::object media{{"schema", Ref("schemas", schema_name)}};
  if (!command.example.empty()) {
    json::object example = ParseObject(command.example);
    if (!example.empty()) media["example"] = std::move(example);
  }
  return {
      {"operationId", "send" + Camel(command.name)},
      {"tags", {"commands"}},
      {"summary", command.description.empty() ? "Send " + command.name : command.description},
      {"description", std::move(description)},
      {"x-duet-scope", "command"},
      {"security", BearerSecurity()},
      {"parameters", json::array{Ref("parameters", "IdempotencyKey")}},
      {"requestBody", {{"required", true}, {"content", {{"application/json", std::move(media)}}}}},
      {"responses", Responses("Accepted and durable.", "CommandAccepted",
                              {{"400", "BadRequest"},
                               {"401", "Unauthorized"},
                               {"403", "Forbidden"},
                               {"404", "NotFound"},
                               {"405", "MethodNotAllowed"},
                               {"409", "Conflict"},
                               {"413", "PayloadTooLarge"},
                               {"415", "UnsupportedMediaType"},
                               {"422", "Unprocessable"},
                               {"500", "InternalError"},
                               {"503", "Unavailable"},
                               {"507", "InsufficientStorage"}})}};
}

// The schema of one declared query parameter, from its type and limits
// (query/params.cc checks the same).
json::object ParamSchema(const QueryParam& param) {
  switch (param.type) {
    case ParamType::kString: {
      json::object schema{{"type", "string"}, {"minLength", 1}, {"maxLength", param.max_length}};
      if (!param.choices.empty()) {
        json::array choices;
        for (const std::string& choice : param.choices) choices.emplace_back(choice);
        schema["enum"] = std::move(choices);
      }
      return schema;
    }
    case ParamType::kInteger: return {{"type", "integer"}, {"format", "int64"}};
    case ParamType::kBucket: return {{"type", "string"}, {"enum", {"minute", "hour", "day"}}};
    case ParamType::kCursor: return {{"type", "string"}, {"maxLength", query::kMaxCursorBytes}};
    case ParamType::kLimit:
      return {{"type", "integer"},
              {"minimum", 1},
              {"maximum", query::kMaxLimit},
              {"default", query::kDefaultLimit}};
  }
  return {};
}

// Parameters declared without a description get the usual words for their
// type (CursorParam and LimitParam, shared by every domain, have none).
std::string ParamDescription(const QueryParam& param) {
  if (!param.description.empty()) return param.description;
  switch (param.type) {
    case ParamType::kCursor:
      return "The `next_cursor` of the previous page; absent for the first page.";
    case ParamType::kLimit: return "Page size.";
    case ParamType::kBucket: return "The time bucket: minute, hour or day.";
    default: return "";
  }
}

json::object QueryParameter(const QueryParam& param) {
  json::object parameter{{"name", param.name}, {"in", "query"}, {"required", param.required}};
  if (std::string description = ParamDescription(param); !description.empty()) {
    parameter["description"] = std::move(description);
  }
  parameter["schema"] = ParamSchema(param);
  return parameter;
}

// QueryAnswer with `data` typed as the query's result and `read_model` fixed.
json::object AnswerSchema(const json::object& generic, const QueryDefinition& query) {
  json::object schema = generic;
  json::object& properties = schema["properties"].as_object();
  json::object data =
      query.result_schema.is_object() ? query.result_schema.as_object() : json::object{};
  if (!data.contains("description")) data["description"] = "The query's answer.";
  properties["data"] = std::move(data);
  properties["read_model"].as_object()["const"] = query.read_model;
  schema["additionalProperties"] = false;
  return schema;
}

json::object QueryOperation(const QueryDefinition& query, const std::string& answer_name) {
  json::array parameters;
  for (const QueryParam& param : query.params) parameters.push_back(QueryParameter(param));
  parameters.push_back(Ref("parameters", "MinPosition"));
  parameters.push_back(Ref("parameters", "TimeoutMs"));
  parameters.push_back(Ref("parameters", "IfNoneMatch"));
  std::string description = query.description.empty() ? "" : query.description + ".\n\n";
  description += "Answered from read model `" + query.read_model +
                 "`, never from the event store. A missing, unknown or ill-typed parameter is "
                 "400 with `subject` = the parameter. Scope: `query`.";
  json::object responses =
      Responses("The answer and the read model position it reflects.", answer_name,
                {{"400", "BadRequest"},
                 {"401", "Unauthorized"},
                 {"403", "Forbidden"},
                 {"404", "NotFound"},
                 {"405", "MethodNotAllowed"},
                 {"500", "InternalError"},
                 {"503", "Unavailable"}});
  responses["200"].as_object()["headers"] = json::object{
      {"ETag",
       {{"description",
         "W/\"<read model>-<position>-<digest of the answer>\": it changes whenever the answer "
         "does. Send it back as `If-None-Match` to get 304 while the answer is the same."},
        {"schema", {{"type", "string"}}}}}};
  responses["304"] = Ref("responses", "NotModified");
  return {{"operationId", "query" + Camel(query.name)},
          {"tags", {"queries"}},
          {"summary", query.description.empty() ? "Query " + query.name : query.description},
          {"description", std::move(description)},
          {"x-duet-scope", "query"},
          {"security", BearerSecurity()},
          {"parameters", std::move(parameters)},
          {"responses", std::move(responses)}};
}

void AddCommands(const CommandBus& bus, json::object* paths, json::object* schemas) {
  for (const CommandInfo& command : bus.Commands()) {  // sorted by name
    const std::string name = FreeName(*schemas, command.name, "Command");
    json::object schema = command.fields.empty() ? json::object{{"type", "object"}}
                                                 // undeclared: any object
                                                 : FieldsSchema(command.fields);
    json::object titled{{"title", command.name}};
    if (!command.description.empty()) titled["description"] = command.description;
    for (auto& [key, value] : schema) titled[key] = std::move(value);
    (*schemas)[name] = std::move(titled);
    (*paths)["/commands/" + command.name] = {{"post", CommandOperation(command, name)}};
  }
}

void AddQueries(const QueryBus& bus, const json::object& generic_answer, json::object* paths,
                json::object* schemas) {
  std::vector<const QueryDefinition*> queries;
  for (const QueryDefinition& query : bus.definitions()) queries.push_back(&query);
  std::sort(queries.begin(), queries.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const QueryDefinition* query : queries) {
    const std::string name = FreeName(*schemas, Camel(query->name) + "Answer", "Query");
    (*schemas)[name] = AnswerSchema(generic_answer, *query);
    (*paths)["/queries/" + query->name] = {{"get", QueryOperation(*query, name)}};
  }
}

// Every "#/components/<kind>/<name>" referenced anywhere in `value`.
void CollectRefs(const json::value& value, std::set<std::string>* refs) {
  if (const json::object* object = value.if_object()) {
    for (const auto& [key, child] : *object) {
      if (key == "$ref" && child.is_string()) refs->insert(std::string(child.get_string()));
      CollectRefs(child, refs);
    }
  } else if (const json::array* array = value.if_array()) {
    for (const json::value& child : *array) CollectRefs(child, refs);
  }
}

// Drops the components nothing refers to (a command node has no query
// answers, a query node no CommandAccepted), until none is left: a document
// documents what its node serves and nothing else.
void PruneUnusedComponents(json::object* document) {
  json::object& components = (*document)["components"].as_object();
  for (bool removed = true; removed;) {
    removed = false;
    std::set<std::string> refs;
    CollectRefs(*document, &refs);
    for (auto& [kind, group] : components) {
      if (kind == "securitySchemes" || !group.is_object()) continue;
      json::object& entries = group.as_object();
      std::vector<std::string> unused;
      for (const auto& [name, entry] : entries) {
        const std::string ref = "#/components/" + std::string(kind) + "/" + std::string(name);
        if (!refs.contains(ref)) unused.push_back(std::string(name));
      }
      for (const std::string& name : unused) entries.erase(name);
      removed = removed || !unused.empty();
    }
  }
}

void Print(const json::value& value, int indent, std::string* out) {
  const std::string inner(static_cast<size_t>(indent + 2), ' ');
  if (const json::object* object = value.if_object(); object != nullptr && !object->empty()) {
    out->append("{\n");
    bool first = true;
    for (const auto& [key, child] : *object) {
      if (!first) out->append(",\n");
      first = false;
      out->append(inner).append(json::serialize(json::string(key))).append(": ");
      Print(child, indent + 2, out);
    }
    out->append("\n").append(static_cast<size_t>(indent), ' ').append("}");
  } else if (const json::array* array = value.if_array(); array != nullptr && !array->empty()) {
    out->append("[\n");
    for (size_t i = 0; i < array->size(); ++i) {
      if (i != 0) out->append(",\n");
      out->append(inner);
      Print((*array)[i], indent + 2, out);
    }
    out->append("\n").append(static_cast<size_t>(indent), ' ').append("]");
  } else {
    out->append(json::serialize(value));
  }
}

}  // namespace

std::string PrettyJson(const json::value& value) {
  std::string out;
  Print(value, 0, &out);
  return out;
}

json::object GenerateOpenApiObject(const OpenApiInputs& inputs) {
  json::object document = ParseObject(OpenApiHead());
  json::object generic_paths = ParseObject(OpenApiGenericPaths());
  json::object components = ParseObject(OpenApiGenericComponents());
  json::object schemas = ParseObject(OpenApiGenericSchemas());
  const json::object generic_answer =
      schemas.contains("QueryAnswer") ? schemas["QueryAnswer"].as_object() : json::object{};
  schemas.erase("QueryAnswer");  // replaced by one typed answer per query

  if (json::value* info = document.if_contains("info"); info != nullptr && info->is_object()) {
    json::value& description = info->as_object()["description"];
    std::string text(description.is_string() ? description.get_string() : "");
    text += "\n\nThis document is generated from what the node (role `" + inputs.role +
            "`) registers: one path per command type and per query, each with its own schemas.";
    description = text;
  }

  json::object paths;
  if (inputs.commands != nullptr) AddCommands(*inputs.commands, &paths, &schemas);
  if (inputs.queries != nullptr) AddQueries(*inputs.queries, generic_answer, &paths, &schemas);
  for (auto& [path, item] : generic_paths) {
    json::object& operations = item.as_object();
    if (inputs.commands == nullptr) operations.erase("post");  // POST /streams/{stream}
    if (!inputs.has_projections && path.starts_with("/projections")) continue;
    const bool has_operation =
        std::any_of(operations.begin(), operations.end(), [](const auto& kv) {
          return kv.key() != "parameters" && kv.key() != "summary" && kv.key() != "description";
        });
    if (has_operation) paths[path] = std::move(item);
  }
  document["paths"] = std::move(paths);
  components["schemas"] = std::move(schemas);
  document["components"] = std::move(components);
  PruneUnusedComponents(&document);
  return document;
}

std::string GenerateOpenApi(const OpenApiInputs& inputs) {
  return PrettyJson(GenerateOpenApiObject(inputs)) + "\n";
}

}  // namespace duet::server

namespace duet {

std::string OpenApiDocument(const App& app) {
  return server::GenerateOpenApi({.role = std::string(AppRoleName(app.role())),
                                  .commands = app.commands(),
                                  .queries = app.queries(),
                                  .has_projections = app.projections() != nullptr});
}

}  // namespace duet
