//! The ARM `Microsoft.AzureSphere` 2024-04-01 OpenAPI spec, turned into a validator.
//!
//! This module owns everything the simulator knows about the spec file itself: which operation a
//! `(method, path)` pair is, which request body an operation takes, and which response body it may
//! answer with for a given status. The ARM routes use it to reject the requests ARM would reject and,
//! in tests and debug builds, to prove that every response they send is one the spec allows.
//!
//! The spec is OpenAPI 2.0, whose schemas are JSON Schema draft 4 plus `x-ms-*` extensions. To hand
//! them to the `jsonschema` crate the spec's `definitions` and those of the ARM common types are merged
//! into one document: the spec's own names stay as they are, the common types get the prefix `ct.`,
//! and the relative reference `../../../../../common-types/resource-management/v3/types.json#/...` is
//! rewritten to point at the prefixed copy. `x-ms-*` keys are dropped.
//!
//! Two strictness levels exist, because the two directions do not deserve the same trust:
//! - **Requests** are checked the way ARM checks them: types, enums, required properties. Unknown
//!   properties are allowed (UNSURE: some resource providers reject them). `readOnly` properties
//!   are refused by [`ArmSpec::validate_writable`], as a strict resource provider does (generated
//!   Azure SDKs never serialize them); the simulator can be made lenient for a test that needs
//!   ARM's documented "ignored" behaviour instead (`SimHandle::set_lenient_read_only`).
//! - **Responses** are the simulator's own output, so they are checked *closed*: `allOf` is
//!   flattened and every object that lists its properties gets `additionalProperties: false`. A typo
//!   such as `lastOSUpdateUtc` in the simulator is then a validation failure instead of a silently
//!   ignored extra key.
//!
//! The spec files are verbatim copies kept in `spec/` beside this crate (see `spec/README.md`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::Validator;
use serde_json::{json, Map, Value};

/// The spec text, embedded so that the shipped app needs no file beside it.
const SPEC_JSON: &str = include_str!("../spec/azuresphere-2024-04-01.json");
/// The ARM common types the spec refers to by a relative path.
const COMMON_TYPES_JSON: &str = include_str!("../spec/common-types-v3-types.json");

/// The path prefix of every reference from the spec into the common types.
const COMMON_TYPES_REF: &str = "../../../../../common-types/resource-management/v3/types.json";
/// The prefix given to the common types' definitions in the merged document.
const COMMON_PREFIX: &str = "ct.";

/// The one process-wide spec, parsed on first use.
static ARM_SPEC: LazyLock<Result<ArmSpec, SpecLoadError>> =
    LazyLock::new(|| ArmSpec::parse(SPEC_JSON, COMMON_TYPES_JSON));

/// The embedded ARM spec, parsed once.
///
/// The embedded files are fixed at compile time and covered by tests, so a failure here is a build
/// defect, reported as an error rather than a panic so that a server can still answer 500.
pub fn arm_spec() -> Result<&'static ArmSpec, &'static SpecLoadError> {
    ARM_SPEC.as_ref()
}

/// Why the spec files could not be turned into a validator.
#[derive(Debug, thiserror::Error)]
pub enum SpecLoadError {
    #[error("the {file} file is not JSON: {source}")]
    NotJson {
        file: &'static str,
        source: serde_json::Error,
    },
    #[error("the spec has no `{0}` object")]
    MissingSection(&'static str),
    #[error("the spec's parameter reference `{0}` does not resolve")]
    DanglingParameter(String),
}

/// Why a value does not pass the spec, or why it could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum SpecViolation {
    #[error("the spec has no operation `{0}`")]
    UnknownOperation(String),
    #[error("operation `{operation_id}` declares no response with status {status}")]
    UndeclaredStatus { operation_id: String, status: u16 },
    #[error(
        "operation `{operation_id}` declares a bodiless response {status}, but a body was sent"
    )]
    UnexpectedBody { operation_id: String, status: u16 },
    #[error("operation `{0}` requires a request body")]
    MissingBody(String),
    #[error("the schema for `{subject}` does not compile: {message}")]
    BrokenSchema { subject: String, message: String },
    #[error("`{subject}` does not match the spec: {}", .messages.join("; "))]
    Schema {
        /// The operation (and status) or definition the value was checked against.
        subject: String,
        /// One message per violation, each naming the JSON pointer of the offending value.
        messages: Vec<String>,
    },
    #[error("path parameter `{name}` = `{value}` does not match `{pattern}`")]
    PathParameter {
        name: String,
        value: String,
        pattern: String,
    },
}

/// How closely a body must follow the schema (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Strictness {
    /// Requests: unknown and read-only properties are accepted.
    Open,
    /// Responses: every listed object is closed.
    Closed,
}

/// One path parameter as the spec declares it.
#[derive(Debug, Clone)]
pub struct PathParameter {
    pub name: String,
    /// The regular expression the value must match, when the spec gives one.
    pub pattern: Option<String>,
}

/// One response an operation declares.
#[derive(Debug, Clone)]
struct DeclaredResponse {
    /// The body schema, with references already rewritten into the merged document; `None` when the
    /// response has no body (a 202 or 204).
    schema: Option<Value>,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template, e.g. `/subscriptions/{subscriptionId}/providers/...`.
    pub template: String,
    segments: Vec<Segment>,
    path_parameters: Vec<PathParameter>,
    /// Query parameter names the operation declares (`api-version`, `$top`, ...).
    pub query_parameters: Vec<String>,
    /// The body schema, rewritten, and whether the body is required.
    body: Option<(Value, bool)>,
    /// By status code; the key `None` is the spec's `default` response.
    responses: HashMap<Option<u16>, DeclaredResponse>,
    /// `x-ms-long-running-operation`.
    pub long_running: bool,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// An operation matched to a concrete request path.
#[derive(Debug, Clone)]
pub struct OperationMatch<'a> {
    pub operation: &'a Operation,
    /// Path parameter values, percent-decoded, in path order.
    pub parameters: Vec<(String, String)>,
}

impl OperationMatch<'_> {
    /// The value of one path parameter.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The parsed spec: operations plus the merged schema document and a cache of compiled validators.
pub struct ArmSpec {
    operations: Vec<Operation>,
    /// `{"definitions": {...}}` with requests' (open) schemas.
    open_definitions: Value,
    /// The same with every object closed and `allOf` flattened (responses).
    closed_definitions: Value,
    /// Compiled validators, keyed by strictness and the schema's JSON text.
    compiled: Mutex<HashMap<(Strictness, String), Arc<Validator>>>,
}

impl std::fmt::Debug for ArmSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmSpec")
            .field("operations", &self.operations.len())
            .finish_non_exhaustive()
    }
}

impl ArmSpec {
    /// Parses the spec and the common types from their JSON text.
    pub fn parse(spec_json: &str, common_json: &str) -> Result<ArmSpec, SpecLoadError> {
        let spec: Value =
            serde_json::from_str(spec_json).map_err(|source| SpecLoadError::NotJson {
                file: "spec",
                source,
            })?;
        let common: Value =
            serde_json::from_str(common_json).map_err(|source| SpecLoadError::NotJson {
                file: "common types",
                source,
            })?;

        let mut definitions = Map::new();
        let spec_defs = spec
            .get("definitions")
            .and_then(Value::as_object)
            .ok_or(SpecLoadError::MissingSection("definitions"))?;
        for (name, schema) in spec_defs {
            definitions.insert(name.clone(), rewrite(schema, Origin::Spec));
        }
        let common_defs = common
            .get("definitions")
            .and_then(Value::as_object)
            .ok_or(SpecLoadError::MissingSection("definitions"))?;
        for (name, schema) in common_defs {
            definitions.insert(
                format!("{COMMON_PREFIX}{name}"),
                rewrite(schema, Origin::CommonTypes),
            );
        }
        let closed = close_definitions(&definitions);

        let paths = spec
            .get("paths")
            .and_then(Value::as_object)
            .ok_or(SpecLoadError::MissingSection("paths"))?;
        let mut operations = Vec::new();
        for (template, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if method == "parameters" {
                    continue;
                }
                operations.push(parse_operation(template, method, op, &spec, &common)?);
            }
        }

        Ok(ArmSpec {
            operations,
            open_definitions: json!({ "definitions": Value::Object(definitions) }),
            closed_definitions: json!({ "definitions": Value::Object(closed) }),
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// Every operation of the spec.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this id.
    pub fn operation(&self, operation_id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.operation_id == operation_id)
    }

    /// Finds the operation a request is, from its method and its path below the ARM root
    /// (`/subscriptions/...` or `/providers/...`, without the query).
    ///
    /// Literal segments compare case-insensitively, as ARM routes them. When two templates match,
    /// the one with more literal segments wins, so that `.../catalogs/{c}/countDevices` is never
    /// mistaken for a parameter.
    pub fn match_operation(&self, method: &str, path: &str) -> Option<OperationMatch<'_>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, OperationMatch<'_>)> = None;
        for op in &self.operations {
            if !op.method.eq_ignore_ascii_case(method) || op.segments.len() != segments.len() {
                continue;
            }
            let mut parameters = Vec::new();
            let mut literals = 0;
            let matched = op
                .segments
                .iter()
                .zip(&segments)
                .all(|(seg, actual)| match seg {
                    Segment::Literal(lit) => {
                        literals += 1;
                        lit.eq_ignore_ascii_case(actual)
                    }
                    Segment::Parameter(name) => {
                        parameters.push((name.clone(), percent_decode(actual)));
                        !actual.is_empty()
                    }
                });
            if matched && best.as_ref().is_none_or(|(score, _)| literals > *score) {
                best = Some((
                    literals,
                    OperationMatch {
                        operation: op,
                        parameters,
                    },
                ));
            }
        }
        best.map(|(_, m)| m)
    }

    /// Checks matched path parameters against the patterns the spec gives them.
    pub fn validate_path_parameters(
        &self,
        matched: &OperationMatch<'_>,
    ) -> Result<(), SpecViolation> {
        for declared in &matched.operation.path_parameters {
            self.validate_path_parameter(matched, &declared.name)?;
        }
        Ok(())
    }

    /// Checks one matched path parameter (e.g. the name of a resource being created) against
    /// the pattern the spec gives it; a parameter without a pattern or value passes.
    pub fn validate_path_parameter(
        &self,
        matched: &OperationMatch<'_>,
        name: &str,
    ) -> Result<(), SpecViolation> {
        let declared = matched
            .operation
            .path_parameters
            .iter()
            .find(|p| p.name == name);
        let (Some(pattern), Some(value)) = (
            declared.and_then(|d| d.pattern.as_ref()),
            matched.parameter(name),
        ) else {
            return Ok(());
        };
        let schema = json!({ "type": "string", "pattern": pattern });
        let validator = self.compile(Strictness::Open, &schema, name)?;
        if validator.is_valid(&Value::String(value.to_owned())) {
            Ok(())
        } else {
            Err(SpecViolation::PathParameter {
                name: name.to_owned(),
                value: value.to_owned(),
                pattern: pattern.clone(),
            })
        }
    }

    /// Checks a request body against the operation's body parameter.
    ///
    /// `Value::Null` stands for "no body". An operation without a body parameter accepts anything,
    /// as ARM ignores a body it does not read.
    pub fn validate_request_body(
        &self,
        operation_id: &str,
        body: &Value,
    ) -> Result<(), SpecViolation> {
        let op = self
            .operation(operation_id)
            .ok_or_else(|| SpecViolation::UnknownOperation(operation_id.to_owned()))?;
        let Some((schema, required)) = &op.body else {
            return Ok(());
        };
        if body.is_null() {
            return if *required {
                Err(SpecViolation::MissingBody(operation_id.to_owned()))
            } else {
                Ok(())
            };
        }
        self.check(
            Strictness::Open,
            schema,
            body,
            &format!("{operation_id} request"),
        )
    }

    /// Refuses a request body that carries a property the spec marks `readOnly` (at any depth:
    /// `id`, `name`, `type` of a nested resource, an image's `uri`, `provisioningState`, ...).
    /// One message per property, naming its JSON pointer.
    pub fn validate_writable(&self, operation_id: &str, body: &Value) -> Result<(), SpecViolation> {
        let op = self
            .operation(operation_id)
            .ok_or_else(|| SpecViolation::UnknownOperation(operation_id.to_owned()))?;
        let Some((schema, _)) = &op.body else {
            return Ok(());
        };
        let mut found = Vec::new();
        read_only_paths(
            schema,
            body,
            "",
            root_definitions(&self.open_definitions),
            0,
            &mut found,
        );
        if found.is_empty() {
            return Ok(());
        }
        Err(SpecViolation::Schema {
            subject: format!("{operation_id} request"),
            messages: found
                .into_iter()
                .map(|pointer| {
                    format!(
                        "at `{pointer}`: the property is read-only and must not be sent in a request"
                    )
                })
                .collect(),
        })
    }

    /// Checks a response body against what the operation declares for this status.
    ///
    /// `Value::Null` stands for "no body". An undeclared error status (4xx/5xx) falls back to the
    /// spec's `default` response (the ARM error object); an undeclared success status is a violation.
    pub fn validate_response(
        &self,
        operation_id: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), SpecViolation> {
        let op = self
            .operation(operation_id)
            .ok_or_else(|| SpecViolation::UnknownOperation(operation_id.to_owned()))?;
        let declared = match op.responses.get(&Some(status)) {
            Some(declared) => declared,
            None if status >= 400 => {
                op.responses
                    .get(&None)
                    .ok_or_else(|| SpecViolation::UndeclaredStatus {
                        operation_id: operation_id.to_owned(),
                        status,
                    })?
            }
            None => {
                return Err(SpecViolation::UndeclaredStatus {
                    operation_id: operation_id.to_owned(),
                    status,
                })
            }
        };
        match &declared.schema {
            Some(schema) => self.check(
                Strictness::Closed,
                schema,
                body,
                &format!("{operation_id} response {status}"),
            ),
            None if body.is_null() => Ok(()),
            None => Err(SpecViolation::UnexpectedBody {
                operation_id: operation_id.to_owned(),
                status,
            }),
        }
    }

    /// Checks a value against one named definition, closed: `definition` is a spec name such as
    /// `Image`, or a common type prefixed `ct.` such as `ct.OperationStatusResult` or
    /// `ct.ErrorResponse`. Used for bodies that no spec path describes (the LRO status resource).
    pub fn validate_definition(
        &self,
        definition: &str,
        value: &Value,
    ) -> Result<(), SpecViolation> {
        let schema = json!({ "$ref": format!("#/definitions/{definition}") });
        self.check(Strictness::Closed, &schema, value, definition)
    }

    fn check(
        &self,
        strictness: Strictness,
        schema: &Value,
        value: &Value,
        subject: &str,
    ) -> Result<(), SpecViolation> {
        let validator = self.compile(strictness, schema, subject)?;
        let messages: Vec<String> = validator
            .iter_errors(value)
            .map(|error| format!("at `{}`: {}", error.instance_path, error))
            .collect();
        if messages.is_empty() {
            Ok(())
        } else {
            Err(SpecViolation::Schema {
                subject: subject.to_owned(),
                messages,
            })
        }
    }

    /// Compiles (once) a validator for a schema whose references point into the merged document.
    fn compile(
        &self,
        strictness: Strictness,
        schema: &Value,
        subject: &str,
    ) -> Result<Arc<Validator>, SpecViolation> {
        let key = (strictness, schema.to_string());
        // A poisoned cache only means another thread panicked mid-insert; the map is still usable.
        let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(&key) {
            return Ok(Arc::clone(found));
        }
        let mut root = match strictness {
            Strictness::Open => self.open_definitions.clone(),
            Strictness::Closed => self.closed_definitions.clone(),
        };
        let closed_schema = match strictness {
            Strictness::Open => schema.clone(),
            Strictness::Closed => close_schema(schema, root_definitions(&root)),
        };
        if let (Value::Object(root_map), Value::Object(schema_map)) = (&mut root, closed_schema) {
            for (k, v) in schema_map {
                root_map.insert(k, v);
            }
        }
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| SpecViolation::BrokenSchema {
                subject: subject.to_owned(),
                message: e.to_string(),
            })?;
        let validator = Arc::new(validator);
        cache.insert(key, Arc::clone(&validator));
        Ok(validator)
    }
}

/// Collects the JSON pointers of `value`'s properties that `schema` marks `readOnly`, following
/// `$ref`, `allOf`, `properties`, `items` and `additionalProperties`.
fn read_only_paths(
    schema: &Value,
    value: &Value,
    pointer: &str,
    definitions: &Map<String, Value>,
    depth: usize,
    found: &mut Vec<String>,
) {
    // The spec nests a handful of levels; the bound only guards against a cyclic reference.
    if depth > 32 {
        return;
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/definitions/"))
    {
        if let Some(target) = definitions.get(name) {
            read_only_paths(target, value, pointer, definitions, depth + 1, found);
        }
        return;
    }
    if let Some(Value::Array(parents)) = schema.get("allOf") {
        for parent in parents {
            read_only_paths(parent, value, pointer, definitions, depth + 1, found);
        }
    }
    match value {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for (key, item) in map {
                let here = format!("{pointer}/{key}");
                match props.and_then(|p| p.get(key)) {
                    Some(prop) if prop.get("readOnly") == Some(&Value::Bool(true)) => {
                        found.push(here)
                    }
                    Some(prop) => read_only_paths(prop, item, &here, definitions, depth + 1, found),
                    None => {
                        if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
                            read_only_paths(extra, item, &here, definitions, depth + 1, found);
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{pointer}/{i}");
                    read_only_paths(item_schema, item, &here, definitions, depth + 1, found);
                }
            }
        }
        _ => {}
    }
}

fn root_definitions(root: &Value) -> &Map<String, Value> {
    static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
    root.get("definitions")
        .and_then(Value::as_object)
        .unwrap_or(&EMPTY)
}

/// Which file a schema comes from, which decides how its references are rewritten.
#[derive(Clone, Copy)]
enum Origin {
    Spec,
    CommonTypes,
}

/// Copies a schema, dropping `x-ms-*` keys and pointing every reference into the merged document.
fn rewrite(schema: &Value, origin: Origin) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                if key.starts_with("x-ms-") || key == "example" {
                    continue;
                }
                if key == "$ref" {
                    if let Some(reference) = value.as_str() {
                        out.insert(key.clone(), Value::String(rewrite_ref(reference, origin)));
                        continue;
                    }
                }
                out.insert(key.clone(), rewrite(value, origin));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite(v, origin)).collect()),
        other => other.clone(),
    }
}

fn rewrite_ref(reference: &str, origin: Origin) -> String {
    if let Some(rest) = reference.strip_prefix(COMMON_TYPES_REF) {
        if let Some(name) = rest.strip_prefix("#/definitions/") {
            return format!("#/definitions/{COMMON_PREFIX}{name}");
        }
    }
    match (origin, reference.strip_prefix("#/definitions/")) {
        (Origin::CommonTypes, Some(name)) => format!("#/definitions/{COMMON_PREFIX}{name}"),
        _ => reference.to_owned(),
    }
}

/// The closed copy of every definition (see the module documentation).
fn close_definitions(definitions: &Map<String, Value>) -> Map<String, Value> {
    definitions
        .iter()
        .map(|(name, schema)| (name.clone(), close_schema(schema, definitions)))
        .collect()
}

/// Flattens `allOf` references into the schema's own `properties`/`required` and closes every
/// object that lists properties, recursively through inline sub-schemas.
fn close_schema(schema: &Value, definitions: &Map<String, Value>) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        let closed = match key.as_str() {
            "properties" => match value {
                Value::Object(props) => Value::Object(
                    props
                        .iter()
                        .map(|(k, v)| (k.clone(), close_schema(v, definitions)))
                        .collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" => close_schema(value, definitions),
            _ => value.clone(),
        };
        out.insert(key.clone(), closed);
    }
    if let Some(Value::Array(parents)) = out.remove("allOf") {
        let mut kept = Vec::new();
        for parent in parents {
            match inherited(&parent, definitions, 0) {
                Some((props, required)) => {
                    let own = out
                        .entry("properties")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(own) = own {
                        for (k, v) in props {
                            own.entry(k).or_insert(v);
                        }
                    }
                    if !required.is_empty() {
                        let own = out
                            .entry("required")
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(own) = own {
                            own.extend(required);
                        }
                    }
                }
                None => kept.push(parent),
            }
        }
        if !kept.is_empty() {
            out.insert("allOf".to_owned(), Value::Array(kept));
        }
    }
    if out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(out)
}

/// The properties and required names a schema (usually a `$ref` to a parent) contributes through
/// `allOf`, with the parent's own `allOf` followed; `None` when it is not a plain object schema.
fn inherited(
    schema: &Value,
    definitions: &Map<String, Value>,
    depth: usize,
) -> Option<(Map<String, Value>, Vec<Value>)> {
    // The spec's inheritance is two levels deep; the bound only guards against a cyclic reference.
    if depth > 8 {
        return None;
    }
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => definitions.get(reference.strip_prefix("#/definitions/")?)?,
        None => schema,
    };
    let mut props = Map::new();
    let mut required = Vec::new();
    if let Some(Value::Array(parents)) = resolved.get("allOf") {
        for parent in parents {
            let (p, r) = inherited(parent, definitions, depth + 1)?;
            props.extend(p);
            required.extend(r);
        }
    }
    if let Some(Value::Object(own)) = resolved.get("properties") {
        for (k, v) in own {
            props.insert(k.clone(), close_schema(v, definitions));
        }
    }
    if let Some(Value::Array(own)) = resolved.get("required") {
        required.extend(own.iter().cloned());
    }
    Some((props, required))
}

fn parse_operation(
    template: &str,
    method: &str,
    op: &Value,
    spec: &Value,
    common: &Value,
) -> Result<Operation, SpecLoadError> {
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let segments = template
        .trim_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Parameter(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect();

    let mut path_parameters = Vec::new();
    let mut query_parameters = Vec::new();
    let mut body = None;
    for raw in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (param, origin) = resolve_parameter(raw, spec, common)?;
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match param.get("in").and_then(Value::as_str) {
            Some("path") => path_parameters.push(PathParameter {
                name: name.to_owned(),
                pattern: param
                    .get("pattern")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }),
            Some("query") => query_parameters.push(name.to_owned()),
            Some("body") => {
                let schema = param.get("schema").map(|s| rewrite(s, origin));
                let required = param
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                body = schema.map(|s| (s, required));
            }
            _ => {}
        }
    }

    let mut responses = HashMap::new();
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let key = if status == "default" {
            None
        } else {
            match status.parse::<u16>() {
                Ok(code) => Some(code),
                Err(_) => continue,
            }
        };
        let schema = response.get("schema").map(|s| rewrite(s, Origin::Spec));
        responses.insert(key, DeclaredResponse { schema });
    }

    Ok(Operation {
        operation_id,
        method: method.to_ascii_uppercase(),
        template: template.to_owned(),
        segments,
        path_parameters,
        query_parameters,
        body,
        responses,
        long_running: op
            .get("x-ms-long-running-operation")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Resolves a parameter that may be a `$ref` into the spec's or the common types' `parameters`.
fn resolve_parameter<'a>(
    raw: &'a Value,
    spec: &'a Value,
    common: &'a Value,
) -> Result<(&'a Value, Origin), SpecLoadError> {
    let Some(reference) = raw.get("$ref").and_then(Value::as_str) else {
        return Ok((raw, Origin::Spec));
    };
    let (doc, origin, pointer) = match reference.strip_prefix(COMMON_TYPES_REF) {
        Some(rest) => (common, Origin::CommonTypes, rest),
        None => (spec, Origin::Spec, reference),
    };
    let pointer = pointer.strip_prefix('#').unwrap_or(pointer);
    doc.pointer(pointer)
        .map(|p| (p, origin))
        .ok_or_else(|| SpecLoadError::DanglingParameter(reference.to_owned()))
}

/// Decodes `%XX` escapes in one path segment (names with spaces arrive as `%20`); a malformed
/// escape is kept as it is, which later fails the name's pattern or lookup.
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        let table = [
            ("My%20Group", "My Group"),
            ("plain", "plain"),
            ("bad%2", "bad%2"),
            ("bad%zz", "bad%zz"),
            ("%41", "A"),
        ];
        for (input, expected) in table {
            assert_eq!(percent_decode(input), expected, "{input}");
        }
    }

    #[test]
    fn common_type_references_point_at_the_prefixed_copy() {
        assert_eq!(
            rewrite_ref(
                "../../../../../common-types/resource-management/v3/types.json#/definitions/ErrorResponse",
                Origin::Spec
            ),
            "#/definitions/ct.ErrorResponse"
        );
        assert_eq!(
            rewrite_ref("#/definitions/SystemData", Origin::CommonTypes),
            "#/definitions/ct.SystemData"
        );
        assert_eq!(
            rewrite_ref("#/definitions/Image", Origin::Spec),
            "#/definitions/Image"
        );
    }
}
