//! A YAML document as a tree of located nodes.
//!
//! The spec is read once into this tree, where every key and every value keeps its byte span.
//! Every later layer (JSON Schema, typed deserialisation, semantic checks) reports problems as a
//! [`SpecPath`](crate::SpecPath) and looks the span up here, so no layer depends on serde keeping
//! locations through flattened or untagged types.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::path::{Segment, SpecPath};

/// Largest spec file accepted, in bytes. A spec is a page or two of text; anything near this
/// size is a mistake (a data file passed as a spec) or an attack.
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;

/// Deepest nesting of mappings and sequences accepted. The deepest legitimate spec path is
/// about six levels (`tests[0].checks.label_missingness`).
pub const MAX_DEPTH: usize = 32;

/// Most YAML nodes one spec may expand to, aliases included (an alias bomb expands to
/// billions).
pub const MAX_NODES: usize = 100_000;

/// A byte range in the spec text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (may be zero for a collection that starts a block).
    pub len: usize,
}

impl Span {
    /// A span from a byte offset and length.
    pub fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.offset, span.len).into()
    }
}

/// One node of the document with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the value starts in the text (a collection's span may be empty).
    pub span: Span,
    /// The value.
    pub value: Value,
}

/// The value of a node. Scalars are resolved by the YAML 1.2 core schema with strict booleans
/// (`on`, `yes` and `no` stay strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// An unsigned integer beyond `i64::MAX`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string (quoted, or plain and not a number, boolean or null).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<Entry>),
}

/// A key-value pair of a mapping, with the key's span.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key text.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// Why a text could not be read as a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The parser's message, without location prefix or snippet.
    pub message: String,
    /// Where the parser stopped, when known.
    pub span: Option<Span>,
    /// What kind of problem it was, for the diagnostic code.
    pub kind: YamlErrorKind,
}

/// Classes of YAML reading failures, each with its own diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// Malformed YAML.
    Syntax,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// A resource limit (aliases, nesting, node count) was exceeded.
    Limit,
    /// The file is larger than [`MAX_SPEC_BYTES`].
    TooLarge,
}

impl Node {
    /// Parses a YAML document into a located tree, enforcing the limits of this module.
    ///
    /// Duplicate keys, alias bombs, deep nesting, multiple documents and oversize input are
    /// errors; this function never panics on any input.
    pub fn parse(text: &str) -> Result<Node, YamlError> {
        if text.len() > MAX_SPEC_BYTES {
            return Err(YamlError {
                message: format!(
                    "the spec is {} bytes; the limit is {} bytes",
                    text.len(),
                    MAX_SPEC_BYTES
                ),
                span: None,
                kind: YamlErrorKind::TooLarge,
            });
        }
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = MAX_DEPTH;
        budget.max_nodes = MAX_NODES;
        budget.max_events = 4 * MAX_NODES;
        budget.max_aliases = 1_000;
        budget.max_documents = 1;
        let mut alias_limits = serde_saphyr::options::AliasLimits::default();
        alias_limits.max_total_replayed_events = MAX_NODES;
        let options = serde_saphyr::options! {
            budget: Some(budget),
            alias_limits: alias_limits,
            strict_booleans: true,
            duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
            with_snippet: false,
        };
        match serde_saphyr::from_str_with_options::<Spanned<LocatedNode>>(text, options) {
            Ok(spanned) => Ok(into_node(spanned, text)),
            Err(err) => Err(yaml_error(&err, text)),
        }
    }

    /// The node at `path`, if the document has one there.
    pub fn get(&self, path: &SpecPath) -> Option<&Node> {
        let mut node = self;
        for segment in path.segments() {
            node = match (segment, &node.value) {
                (Segment::Key(key), Value::Map(entries)) => {
                    &entries.iter().find(|e| &e.key == key)?.value
                }
                (Segment::Index(i), Value::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The span of the key that introduces `path` (its last segment), when that is a mapping key.
    pub fn key_span(&self, path: &SpecPath) -> Option<Span> {
        let (parent, last) = path.split_last()?;
        match (last, &self.get(&parent)?.value) {
            (Segment::Key(key), Value::Map(entries)) => {
                entries.iter().find(|e| &e.key == key).map(|e| e.key_span)
            }
            _ => None,
        }
    }

    /// The best span to underline for a problem at `path`: the value itself when it is a
    /// scalar, otherwise the key that introduces it, otherwise the nearest located ancestor.
    pub fn label_span(&self, path: &SpecPath) -> Span {
        let mut path = path.clone();
        loop {
            if let Some(node) = self.get(&path) {
                let scalar = !matches!(node.value, Value::Map(_) | Value::Seq(_));
                if scalar && !(node.span.len == 0 && matches!(node.value, Value::Null)) {
                    return node.span;
                }
                if let Some(key) = self.key_span(&path) {
                    return key;
                }
                // A mapping inside a list (e.g. one test): point at its first key.
                if let Value::Map(entries) = &node.value {
                    if let Some(first) = entries.first() {
                        return first.key_span;
                    }
                }
                if node.span.len > 0 || path.is_empty() {
                    return node.span;
                }
            }
            match path.split_last() {
                Some((parent, _)) => path = parent,
                None => return self.span,
            }
        }
    }

    /// The document as a JSON value, for JSON Schema validation and typed deserialisation.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::UInt(u) => serde_json::Value::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Converts a serde-saphyr span (character offsets plus optional byte offsets) to bytes.
fn byte_span(location: &serde_saphyr::Location, text: &str) -> Span {
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(offset), Some(len)) => {
            let offset = usize::try_from(offset)
                .unwrap_or(text.len())
                .min(text.len());
            let len = usize::try_from(len).unwrap_or(0).min(text.len() - offset);
            Span::new(offset, len)
        }
        _ => {
            // Character offsets only: walk the text to find the byte positions.
            let start = usize::try_from(span.offset()).unwrap_or(usize::MAX);
            let len = usize::try_from(span.len()).unwrap_or(0);
            let mut chars = text.char_indices().map(|(i, _)| i).chain([text.len()]);
            let begin = chars.clone().nth(start).unwrap_or(text.len());
            let end = chars.nth(start.saturating_add(len)).unwrap_or(text.len());
            Span::new(begin, end.saturating_sub(begin))
        }
    }
}

fn into_node(spanned: Spanned<LocatedNode>, text: &str) -> Node {
    let span = byte_span(&spanned.referenced, text);
    let value = match spanned.value {
        LocatedNode::Null => Value::Null,
        LocatedNode::Bool(b) => Value::Bool(b),
        LocatedNode::Int(i) => Value::Int(i),
        LocatedNode::UInt(u) => Value::UInt(u),
        LocatedNode::Float(f) => Value::Float(f),
        LocatedNode::Str(s) => Value::Str(s),
        LocatedNode::Seq(items) => {
            Value::Seq(items.into_iter().map(|n| into_node(n, text)).collect())
        }
        LocatedNode::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| Entry {
                    key_span: byte_span(&key.referenced, text),
                    key: key.value,
                    value: into_node(value, text),
                })
                .collect(),
        ),
    };
    Node { span, value }
}

fn yaml_error(err: &serde_saphyr::Error, text: &str) -> YamlError {
    let rendered = err.without_snippet().to_string();
    // serde-saphyr prefixes "error: line L column C: "; the location goes in the label instead.
    let message = rendered
        .trim()
        .trim_start_matches("error: ")
        .split_once(": ")
        .filter(|(prefix, _)| prefix.starts_with("line "))
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| rendered.trim().trim_start_matches("error: ").to_string());
    let first_line = message.lines().next().unwrap_or_default();
    // The location goes in the label; drop the parser's own "at line L, column C (…)" tail.
    let message = first_line
        .split(" at line ")
        .next()
        .unwrap_or(first_line)
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .trim()
        .to_string();
    let message = if message.contains("Depth {") {
        format!("nesting is deeper than the limit of {MAX_DEPTH} levels")
    } else if message.contains("budget breached") {
        format!("the document exceeds a size limit ({message})")
    } else {
        message
    };
    let lower = message.to_lowercase();
    let kind = if lower.contains("duplicate mapping key") {
        YamlErrorKind::DuplicateKey
    } else if lower.contains("budget")
        || lower.contains("limit")
        || lower.contains("alias")
        || lower.contains("depth")
        || lower.contains("exceeded")
    {
        YamlErrorKind::Limit
    } else {
        YamlErrorKind::Syntax
    };
    let span = err
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| byte_span(&l, text));
    YamlError {
        message,
        span,
        kind,
    }
}

/// The tree as serde-saphyr hands it over; converted to [`Node`] once parsing succeeded.
/// Written as a hand-made visitor (not an untagged enum) so `Spanned` keeps its locations.
enum LocatedNode {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<LocatedNode>>),
    Map(Vec<(Spanned<String>, Spanned<LocatedNode>)>),
}

struct LocatedVisitor;

impl<'de> Visitor<'de> for LocatedVisitor {
    type Value = LocatedNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Null)
    }
    fn visit_none<E>(self) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LocatedNode, D::Error> {
        d.deserialize_any(LocatedVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<LocatedNode, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => LocatedNode::Int(i),
            Err(_) => LocatedNode::UInt(v),
        })
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<LocatedNode, E> {
        i64::try_from(v)
            .map(LocatedNode::Int)
            .or_else(|_| u64::try_from(v).map(LocatedNode::UInt))
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<LocatedNode, E> {
        u64::try_from(v)
            .map(|u| match i64::try_from(u) {
                Ok(i) => LocatedNode::Int(i),
                Err(_) => LocatedNode::UInt(u),
            })
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<LocatedNode, E> {
        String::from_utf8(v.to_vec())
            .map(LocatedNode::Str)
            .map_err(|_| E::custom("binary values are not allowed in a spec"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LocatedNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(LocatedNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LocatedNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value()?;
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            entries.push((key, value));
        }
        Ok(LocatedNode::Map(entries))
    }
}

impl<'de> Deserialize<'de> for LocatedNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LocatedVisitor)
    }
}

/// A mapping key: any scalar, kept as its text (`1: x` has key `"1"`); collections as keys
/// are refused.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "a: 1\nb:\n  c: [x, 2.5]\n";
        let node = Node::parse(text).unwrap();
        let path = SpecPath::root().key("b").key("c").index(1);
        let item = node.get(&path).unwrap();
        assert_eq!(item.value, Value::Float(2.5));
        assert_eq!(
            &text[item.span.offset..item.span.offset + item.span.len],
            "2.5"
        );
        let key = node.key_span(&SpecPath::root().key("b")).unwrap();
        assert_eq!(&text[key.offset..key.offset + key.len], "b");
    }

    #[test]
    fn yes_and_no_stay_strings_and_versions_stay_strings() {
        let node = Node::parse("a: yes\nb: 2.3.0\nc: true\n").unwrap();
        let json = node.to_json();
        assert_eq!(json["a"], "yes");
        assert_eq!(json["b"], "2.3.0");
        assert_eq!(json["c"], true);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = Node::parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::DuplicateKey);
        assert_eq!(err.span.map(|s| s.offset), Some(5));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(10_000);
        assert!(Node::parse(&text).is_err());
        let text = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(Node::parse(&text).is_err());
    }

    #[test]
    fn alias_bombs_are_errors() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = Node::parse(&text).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Limit, "{err:?}");
    }

    #[test]
    fn oversize_input_is_refused_before_parsing() {
        let text = "#".repeat(MAX_SPEC_BYTES + 1);
        assert_eq!(
            Node::parse(&text).unwrap_err().kind,
            YamlErrorKind::TooLarge
        );
    }
}
