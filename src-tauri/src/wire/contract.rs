//! Checks JSON values against `docs/gui-contract.json` (its grammar is in
//! `docs/gui-contract.md`): the test side of the contract, used by `contract_tests`.

use serde_json::{Map, Value};

/// The parsed contract.
pub(crate) struct Contract {
    pub(crate) doc: Value,
}

impl Contract {
    pub(crate) fn load() -> Contract {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gui-contract.json");
        let text = std::fs::read_to_string(path).expect("docs/gui-contract.json");
        Contract {
            doc: serde_json::from_str(&text).expect("gui-contract.json is JSON"),
        }
    }

    pub(crate) fn types(&self) -> &Map<String, Value> {
        self.doc["types"].as_object().expect("types")
    }

    pub(crate) fn commands(&self) -> &Map<String, Value> {
        self.doc["commands"].as_object().expect("commands")
    }

    pub(crate) fn channels(&self) -> &Map<String, Value> {
        self.doc["channels"].as_object().expect("channels")
    }

    /// The mismatches of `value` against the type expression `expr` (empty when it fits).
    pub(crate) fn check(&self, expr: &str, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        self.check_at(expr, value, "$", &mut errors);
        errors
    }

    /// Panics with every mismatch of `value` against `expr`.
    pub(crate) fn assert_fits(&self, what: &str, expr: &str, value: &Value) {
        let errors = self.check(expr, value);
        assert!(
            errors.is_empty(),
            "{what} does not fit `{expr}`:\n  {}\nvalue: {value:#}",
            errors.join("\n  ")
        );
    }

    fn check_at(&self, expr: &str, value: &Value, at: &str, errors: &mut Vec<String>) {
        let expr = expr.trim();
        let members = split_union(expr);
        if members.len() > 1 {
            let mut best: Option<Vec<String>> = None;
            for member in members {
                let mut attempt = Vec::new();
                self.check_at(member, value, at, &mut attempt);
                if attempt.is_empty() {
                    return;
                }
                if best.as_ref().is_none_or(|b| attempt.len() < b.len()) {
                    best = Some(attempt);
                }
            }
            errors.extend(best.unwrap_or_default());
            return;
        }
        let mismatch = |errors: &mut Vec<String>| {
            errors.push(format!("{at}: expected {expr}, found {value}"));
        };
        match expr {
            "any" => {}
            "string" if value.is_string() => {}
            "number" if value.is_number() => {}
            "boolean" if value.is_boolean() => {}
            "null" if value.is_null() => {}
            "object" if value.is_object() => {}
            "string" | "number" | "boolean" | "null" | "object" => mismatch(errors),
            _ if expr.starts_with('[') && expr.ends_with(']') => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check_at(
                            &expr[1..expr.len() - 1],
                            item,
                            &format!("{at}[{i}]"),
                            errors,
                        );
                    }
                }
                None => mismatch(errors),
            },
            _ if expr.starts_with("enum:") => {
                let allowed: Vec<&str> = expr["enum:".len()..].split(',').collect();
                if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
                    mismatch(errors);
                }
            }
            name => match self
                .types()
                .get(name)
                .or_else(|| self.doc["errors"].get(name))
            {
                Some(Value::String(alias)) => self.check_at(alias, value, at, errors),
                Some(Value::Object(fields)) => self.check_object(fields, value, at, errors),
                _ => errors.push(format!("{at}: `{name}` is not a type of the contract")),
            },
        }
    }

    fn check_object(
        &self,
        fields: &Map<String, Value>,
        value: &Value,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let Some(object) = value.as_object() else {
            errors.push(format!("{at}: expected an object, found {value}"));
            return;
        };
        for (field, expr) in fields {
            let (name, optional) = match field.strip_suffix('?') {
                Some(name) => (name, true),
                None => (field.as_str(), false),
            };
            let expr = expr.as_str().unwrap_or("?");
            match object.get(name) {
                Some(v) => self.check_at(expr, v, &format!("{at}.{name}"), errors),
                None if optional => {}
                None => errors.push(format!("{at}: the field `{name}` is missing")),
            }
        }
        for name in object.keys() {
            if !fields.contains_key(name) && !fields.contains_key(&format!("{name}?")) {
                errors.push(format!("{at}: the field `{name}` is not in the contract"));
            }
        }
    }

    /// Every type name an expression of the contract uses, for the check that each exists.
    pub(crate) fn names_in(expr: &str) -> Vec<String> {
        split_union(expr.trim())
            .into_iter()
            .flat_map(|member| {
                let member = member.trim();
                if member.starts_with('[') && member.ends_with(']') {
                    Self::names_in(&member[1..member.len() - 1])
                } else if member.starts_with("enum:")
                    || member.starts_with("channel:")
                    || ["any", "string", "number", "boolean", "null", "object"].contains(&member)
                {
                    Vec::new()
                } else {
                    vec![member.to_owned()]
                }
            })
            .collect()
    }
}

/// `A|B|[C|D]` → `A`, `B`, `[C|D]`.
fn split_union(expr: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in expr.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '|' if depth == 0 => {
                members.push(&expr[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members.push(&expr[start..]);
    members
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_checker_finds_missing_extra_and_mistyped_fields() {
        let contract = Contract::load();
        let good = json!({"runId": "update-1"});
        assert!(contract.check("RunStarted", &good).is_empty());
        assert_eq!(contract.check("RunStarted", &json!({})).len(), 1);
        assert_eq!(contract.check("RunStarted", &json!({"runId": 1})).len(), 1);
        assert_eq!(
            contract
                .check("RunStarted", &json!({"runId": "x", "extra": true}))
                .len(),
            1
        );
        assert!(contract.check("[string]|null", &json!(null)).is_empty());
        assert!(!contract.check("enum:a,b", &json!("c")).is_empty());
        assert!(!contract.check("Nope", &json!({})).is_empty());
    }

    #[test]
    fn every_type_the_contract_names_exists() {
        let contract = Contract::load();
        let mut exprs: Vec<String> = Vec::new();
        for spec in contract.types().values() {
            match spec {
                Value::Object(fields) => exprs.extend(
                    fields
                        .values()
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                ),
                Value::String(alias) => exprs.push(alias.clone()),
                _ => panic!("a type is an object or an alias"),
            }
        }
        for command in contract.commands().values() {
            exprs.push(command["returns"].as_str().expect("returns").to_owned());
            for arg in command["args"].as_object().expect("args").values() {
                let arg = arg.as_str().expect("arg type");
                match arg.strip_prefix("channel:") {
                    Some(channel) => {
                        assert!(contract.channels().contains_key(channel), "{channel}")
                    }
                    None => exprs.push(arg.to_owned()),
                }
            }
        }
        exprs.extend(
            contract
                .channels()
                .values()
                .filter_map(|v| v.as_str().map(str::to_owned)),
        );
        for name in exprs.iter().flat_map(|e| Contract::names_in(e)) {
            let known =
                contract.types().contains_key(&name) || contract.doc["errors"].get(&name).is_some();
            assert!(known, "unknown type {name}");
        }
    }
}
