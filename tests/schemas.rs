//! The committed JSON Schemas are exactly what the types generate, and they describe
//! every property (editors show the descriptions on hover).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_integration_tests::workspace_root;
use attest_spec::schema;
use serde_json::Value;

fn check_current(file: &str, generated: &Value, flag: &str) {
    let path = workspace_root().join("schemas").join(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let expected = schema::to_pretty(generated);
    assert!(
        committed == expected,
        "schemas/{file} is out of date with the types.\nRegenerate it with:\n    cargo run -p attest-cli -- schema{flag} > schemas/{file}\n"
    );
}

#[test]
fn spec_schema_is_current() {
    check_current("spec.v1.json", &schema::spec_schema(), "");
}

#[test]
fn results_schema_is_current() {
    check_current("results.v1.json", &schema::results_schema(), " --results");
}

/// Every property of every object in the schema has a description, directly or on the
/// definition it refers to.
fn undocumented(schema: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let resolve = |v: &Value| -> Option<String> {
        if let Some(d) = v.get("description").and_then(Value::as_str) {
            return Some(d.to_string());
        }
        let target = v
            .get("$ref")
            .or_else(|| {
                v.get("anyOf")
                    .and_then(|a| a.get(0))
                    .and_then(|f| f.get("$ref"))
            })
            .and_then(Value::as_str)?;
        schema
            .pointer(target.trim_start_matches('#'))
            .and_then(|t| t.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut stack = vec![("#".to_string(), schema)];
    while let Some((at, node)) = stack.pop() {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                if resolve(prop).is_none() {
                    missing.push(format!("{at}/properties/{name}"));
                }
            }
        }
        if let Some(obj) = node.as_object() {
            for (k, v) in obj {
                if v.is_object() || v.is_array() {
                    stack.push((format!("{at}/{k}"), v));
                }
            }
        } else if let Some(arr) = node.as_array() {
            for (i, v) in arr.iter().enumerate() {
                stack.push((format!("{at}/{i}"), v));
            }
        }
    }
    missing
}

#[test]
fn every_property_has_a_description() {
    assert_eq!(undocumented(&schema::spec_schema()), Vec::<String>::new());
    assert_eq!(
        undocumented(&schema::results_schema()),
        Vec::<String>::new()
    );
}
