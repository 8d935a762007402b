//! The loader and validator never panic, whatever the input: arbitrary bytes, arbitrary YAML
//! documents, and the DESIGN sketch with random edits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_spec::{validate_source, SpecSource, ValidateOptions};
use proptest::prelude::*;

const SKETCH: &str = include_str!("../../../tests/fixtures/design-example/attest.yaml");

fn validate(text: &str) -> attest_spec::Validation {
    validate_source(
        &SpecSource::new("fuzz.yaml", text),
        &ValidateOptions::default(),
    )
}

/// Every label of every diagnostic lies inside the text, on a character boundary.
fn spans_are_in_bounds(text: &str, v: &attest_spec::Validation) -> bool {
    v.diagnostics.iter().all(|d| {
        d.labels.iter().all(|l| {
            let end = l.span.offset + l.span.len;
            end <= text.len() && text.is_char_boundary(l.span.offset) && text.is_char_boundary(end)
        })
    })
}

/// A YAML document built from a random tree of scalars, lists and mappings, in block or flow
/// style, with keys drawn from the spec's own vocabulary so the schema layer gets exercised.
fn yaml_tree() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "attest",
        "name",
        "seed",
        "model",
        "data",
        "tests",
        "id",
        "metric",
        "require",
        "lower",
        "cohort",
        "at",
        "kind",
        "onnx",
        "scores",
        "input",
        "output",
        "task",
        "table",
        "label",
        "column",
        "perturbation",
        "severities",
        "ci",
        "method",
        "level",
        "x",
        "&a",
        "*a",
    ]);
    let scalar = prop_oneof![
        Just("1".to_string()),
        Just("0.95".to_string()),
        Just("\">= 0.85\"".to_string()),
        Just("binary".to_string()),
        Just("sensitivity".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        "[a-z_]{0,8}",
        "-?[0-9]{1,20}",
    ];
    scalar.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((key.clone(), inner), 0..5).prop_map(|entries| {
                let body: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let v = validate(&text);
        prop_assert!(spans_are_in_bounds(&text, &v));
    }

    #[test]
    fn arbitrary_yaml_documents_never_panic(doc in yaml_tree()) {
        let v = validate(&doc);
        prop_assert!(spans_are_in_bounds(&doc, &v));
        // A document that is not the spec's shape never yields a valid spec.
        if v.is_valid() {
            prop_assert!(v.spec.is_some());
        }
    }

    #[test]
    fn edited_sketches_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), "[ -~\n]{0,6}", 0usize..8), 1..6)
    ) {
        let mut text = SKETCH.to_string();
        for (at, insert, remove) in edits {
            let mut pos = at.index(text.len() + 1);
            while !text.is_char_boundary(pos) { pos -= 1; }
            let mut end = (pos + remove).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(pos..end, &insert);
        }
        let v = validate(&text);
        prop_assert!(spans_are_in_bounds(&text, &v));
    }
}

#[test]
fn the_unedited_sketch_is_valid() {
    assert!(validate(SKETCH).is_valid());
}
