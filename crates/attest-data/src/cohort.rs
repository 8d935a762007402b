//! Cohorts: SQL WHERE predicates over the case table.
//!
//! A predicate is checked in two steps before anything runs. First `sqlparser` (the parser
//! polars itself uses) reads it, so a syntax error or an unknown column is reported at the
//! exact token, with a "did you mean" — polars' own errors are plain strings without
//! positions, and it finds unknown columns only when the query is planned. Then polars
//! evaluates all predicates in one pass over the table (`polars::sql::sql_expr`), with SQL's
//! three-valued logic: a row where the predicate is NULL (a missing age, say) is not in the
//! cohort.

use std::ops::Range;

use polars::prelude::*;
use sqlparser::ast::{Expr, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token};

use crate::table::Table;

/// Deepest nesting accepted in a predicate (sqlparser's recursion guard); a cohort
/// definition never needs more, and a hostile one cannot overflow the stack.
const MAX_PREDICATE_DEPTH: usize = 64;

/// Longest predicate accepted, in bytes.
pub const MAX_PREDICATE_BYTES: usize = 4096;

/// A problem in one predicate, located in the predicate's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateError {
    /// What is wrong, one lowercase sentence.
    pub message: String,
    /// Byte range in the predicate text to underline (may be empty at the end).
    pub range: Range<usize>,
    /// What to write under the underline.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// A column named in a predicate, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// The column name as polars will look it up.
    pub name: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
    /// Byte range of the name in the predicate text.
    pub range: Range<usize>,
}

/// A predicate that parsed as one SQL expression.
#[derive(Debug, Clone)]
pub struct Predicate {
    text: String,
    columns: Vec<ColumnRef>,
}

impl Predicate {
    /// Parses `text` as a single SQL boolean expression.
    pub fn parse(text: &str) -> Result<Predicate, PredicateError> {
        if text.len() > MAX_PREDICATE_BYTES {
            return Err(PredicateError {
                message: format!(
                    "the predicate is {} bytes long; the limit is {MAX_PREDICATE_BYTES}",
                    text.len()
                ),
                range: 0..0,
                label: "too long".into(),
                help: Some("split it into simpler cohorts".into()),
            });
        }
        if text.trim().is_empty() {
            return Err(PredicateError {
                message: "the predicate is empty".into(),
                range: 0..text.len(),
                label: "empty".into(),
                help: Some("write a condition such as `site = 'A'`; the built-in cohort `all` holds every case".into()),
            });
        }
        let dialect = GenericDialect {};
        let mut parser = Parser::new(&dialect)
            .with_recursion_limit(MAX_PREDICATE_DEPTH)
            .try_with_sql(text)
            .map_err(|e| syntax_error(text, &e.to_string()))?;
        let expr = parser
            .parse_expr()
            .map_err(|e| syntax_error(text, &e.to_string()))?;
        let next = parser.peek_token();
        if next.token != Token::EOF {
            let start = byte_offset(text, next.span.start).unwrap_or(text.len());
            let end = byte_offset(text, next.span.end)
                .unwrap_or(text.len())
                .max(start);
            let help = match &next.token {
                Token::Word(w) if w.value.eq_ignore_ascii_case("where") => {
                    "write only the condition, without `WHERE`".to_string()
                }
                Token::SemiColon => "remove the `;`".to_string(),
                _ => "a cohort is one condition; join conditions with AND / OR".to_string(),
            };
            return Err(PredicateError {
                message: format!("unexpected `{}` after the end of the condition", next.token),
                range: start..end,
                label: "unexpected here".into(),
                help: Some(help),
            });
        }
        let mut collector = Columns {
            text,
            found: Vec::new(),
        };
        let _ = expr.visit(&mut collector);
        Ok(Predicate {
            text: text.to_string(),
            columns: collector.found,
        })
    }

    /// The predicate's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The columns the predicate names, in order of appearance.
    pub fn columns(&self) -> &[ColumnRef] {
        &self.columns
    }

    /// One error per named column that `available` lacks, with a suggestion.
    pub fn check_columns(&self, available: &[String]) -> Vec<PredicateError> {
        let mut errors = Vec::new();
        for column in &self.columns {
            if available.iter().any(|c| c == &column.name) {
                continue;
            }
            let case_match = available
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&column.name));
            let looks_like_text = column.quoted
                && !available
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&column.name));
            let help = if let Some(c) = case_match {
                Some(format!(
                    "column names are case-sensitive: did you mean `{c}`?"
                ))
            } else if looks_like_text {
                Some(format!(
                    "double quotes name a column; write text in single quotes: '{}'",
                    column.name
                ))
            } else if let Some(s) =
                attest_spec::did_you_mean(&column.name, available.iter().map(String::as_str))
            {
                let quoted = if s.contains(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')) {
                    format!("\"{s}\"")
                } else {
                    s.to_string()
                };
                Some(format!("did you mean `{quoted}`?"))
            } else {
                Some(format!("the table's columns are: {}", available.join(", ")))
            };
            errors.push(PredicateError {
                message: format!("the case table has no column `{}`", column.name),
                range: column.range.clone(),
                label: "unknown column".into(),
                help,
            });
        }
        errors
    }
}

/// Collects column identifiers with their byte ranges.
struct Columns<'t> {
    text: &'t str,
    found: Vec<ColumnRef>,
}

impl Visitor for Columns<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> std::ops::ControlFlow<()> {
        let idents = match expr {
            Expr::Identifier(ident) => vec![ident],
            Expr::CompoundIdentifier(parts) => parts.last().into_iter().collect(),
            _ => Vec::new(),
        };
        for ident in idents {
            let start = byte_offset(self.text, ident.span.start).unwrap_or(0);
            let end = byte_offset(self.text, ident.span.end)
                .unwrap_or(self.text.len())
                .max(start);
            self.found.push(ColumnRef {
                name: ident.value.clone(),
                quoted: ident.quote_style.is_some(),
                range: start..end,
            });
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// Byte offset of a sqlparser location (1-based line and character column).
fn byte_offset(text: &str, location: Location) -> Option<usize> {
    if location.line == 0 || location.column == 0 {
        return None;
    }
    let mut line_start = 0usize;
    for _ in 1..location.line {
        line_start += text.get(line_start..)?.find('\n')? + 1;
    }
    let line = text.get(line_start..)?;
    let column = (location.column - 1) as usize;
    let within = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + within)
}

/// Turns sqlparser's message ("... at Line: 1, Column: 9") into a located error.
fn syntax_error(text: &str, message: &str) -> PredicateError {
    let (clean, location) = split_location(message);
    let start = location
        .and_then(|l| byte_offset(text, l))
        .unwrap_or(text.len())
        .min(text.len());
    let end = text
        .get(start..)
        .and_then(|rest| rest.find(char::is_whitespace))
        .map_or(text.len(), |i| start + i)
        .max(start);
    let clean = clean
        .trim_start_matches("sql parser error: ")
        .trim()
        .to_string();
    let help = if text.contains('"') && !text.contains('\'') {
        Some("text values are written in single quotes ('F'); double quotes name columns".into())
    } else if text.contains("==") {
        Some("SQL compares with a single `=`".into())
    } else if text.contains("&&") || text.contains("||") {
        Some("SQL joins conditions with AND / OR".into())
    } else {
        Some("write a SQL condition, e.g. `age >= 65 AND sex = 'F'`".into())
    };
    PredicateError {
        message: format!("not a valid SQL condition: {}", lowercase_first(&clean)),
        range: start..end,
        label: "here".into(),
        help,
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Splits "... at Line: L, Column: C" off a sqlparser message.
fn split_location(message: &str) -> (String, Option<Location>) {
    let Some(at) = message.rfind(" at Line: ") else {
        return (message.to_string(), None);
    };
    let rest = &message[at + " at Line: ".len()..];
    let mut parts = rest.split(", Column: ");
    let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
    let column = parts.next().and_then(|c| {
        c.trim()
            .trim_end_matches(|ch: char| !ch.is_ascii_digit())
            .parse::<u64>()
            .ok()
    });
    match (line, column) {
        (Some(line), Some(column)) => (message[..at].to_string(), Some(Location { line, column })),
        _ => (message.to_string(), None),
    }
}

/// Evaluates every predicate over the table in one pass and returns, per predicate, which
/// rows it selects. `Err((i, message))` names the first predicate polars refuses.
pub fn evaluate(table: &Table, predicates: &[&str]) -> Result<Vec<Vec<bool>>, (usize, String)> {
    if predicates.is_empty() {
        return Ok(Vec::new());
    }
    let mut exprs = Vec::with_capacity(predicates.len());
    for (i, text) in predicates.iter().enumerate() {
        let expr = polars::sql::sql_expr(text).map_err(|e| (i, polars_message(&e)))?;
        exprs.push(expr.alias(format!("__cohort_{i}")));
    }
    // Evaluate one at a time only when the combined query fails, to name the culprit.
    let frame = table.frame().clone().lazy();
    match frame.clone().select(exprs).collect() {
        Ok(masks) => collect_masks(&masks, predicates.len(), table.len()),
        Err(_) => {
            for (i, text) in predicates.iter().enumerate() {
                let expr = polars::sql::sql_expr(text).map_err(|e| (i, polars_message(&e)))?;
                frame
                    .clone()
                    .select([expr.alias("__cohort")])
                    .collect()
                    .map_err(|e| (i, polars_message(&e)))?;
            }
            Err((0, "the predicates could not be evaluated together".into()))
        }
    }
}

fn collect_masks(
    masks: &DataFrame,
    count: usize,
    rows: usize,
) -> Result<Vec<Vec<bool>>, (usize, String)> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let column = masks
            .column(&format!("__cohort_{i}"))
            .map_err(|e| (i, polars_message(&e)))?;
        let series = column.as_materialized_series();
        let values = series.bool().map_err(|_| {
            (
                i,
                format!(
                    "the predicate gives values of type {}, not true/false",
                    series.dtype()
                ),
            )
        })?;
        let mask: Vec<bool> = if values.len() == 1 && rows != 1 {
            // A constant predicate (`1 = 1`) broadcasts.
            vec![values.get(0).unwrap_or(false); rows]
        } else {
            (0..values.len())
                .map(|r| values.get(r).unwrap_or(false))
                .collect()
        };
        out.push(mask);
    }
    Ok(out)
}

/// polars' message without its error-kind prefix.
fn polars_message(e: &PolarsError) -> String {
    let text = e.to_string();
    let text = text.lines().next().unwrap_or(&text).to_string();
    for prefix in [
        "SQL interface error: ",
        "SQL syntax error: ",
        "sql interface error: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<String> {
        ["age", "sex", "site", "Patient Age"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn columns_are_found_with_their_positions() {
        let text = "age >= 65 AND \"Patient Age\" < 90 AND site IN ('A', 'B')";
        let p = Predicate::parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        let names: Vec<_> = p.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["age", "Patient Age", "site"]);
        for c in p.columns() {
            let written = &text[c.range.clone()];
            assert!(written.contains(&c.name), "{written:?} {c:?}");
        }
        assert!(p.check_columns(&columns()).is_empty());
    }

    #[test]
    fn unknown_columns_are_located_with_a_suggestion() {
        let text = "split = 'test' AND sexx = 'F'";
        let p = Predicate::parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        let errors = p.check_columns(&columns());
        assert_eq!(errors.len(), 2);
        assert_eq!(&text[errors[1].range.clone()], "sexx");
        assert_eq!(errors[1].help.as_deref(), Some("did you mean `sex`?"));
        let case = Predicate::parse("Site = 'A'").unwrap_or_else(|e| panic!("{e:?}"));
        let help = case.check_columns(&columns())[0]
            .help
            .clone()
            .unwrap_or_default();
        assert!(help.contains("case-sensitive"), "{help}");
        let dq = Predicate::parse("sex = \"F\"").unwrap_or_else(|e| panic!("{e:?}"));
        let help = dq.check_columns(&columns())[0]
            .help
            .clone()
            .unwrap_or_default();
        assert!(help.contains("single quotes"), "{help}");
    }

    #[test]
    fn syntax_errors_point_into_the_text() {
        assert!(Predicate::parse("age >= AND sex = 'F'").is_err());
        let text = "age >= 65 AND (sex = 'F' OR";
        let e = Predicate::parse(text).err();
        let e = e.unwrap_or_else(|| panic!("must fail"));
        assert!(e.message.starts_with("not a valid SQL condition"), "{e:?}");
        assert_eq!(e.range, text.len()..text.len(), "{e:?}");
        let e = Predicate::parse("age >= 65)").err();
        let e = e.unwrap_or_else(|| panic!("must fail"));
        assert_eq!(e.range, 9..10, "{e:?}");
        let trailing = Predicate::parse("age >= 65 WHERE sex = 'F'").err();
        let trailing = trailing.unwrap_or_else(|| panic!("must fail"));
        assert_eq!(
            &"age >= 65 WHERE sex = 'F'"[trailing.range.clone()],
            "WHERE"
        );
        assert!(Predicate::parse("   ").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let text = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(Predicate::parse(&text).is_err());
    }

    #[test]
    fn locations_map_to_bytes_across_lines_and_unicode() {
        let text = "é = 1 AND\n  b = 2";
        assert_eq!(byte_offset(text, Location { line: 1, column: 2 }), Some(2));
        assert_eq!(byte_offset(text, Location { line: 2, column: 3 }), Some(13));
        assert_eq!(&text[13..14], "b");
    }

    fn table() -> Table {
        let frame = df!(
            "age" => [Some(70i64), Some(40), None, Some(80)],
            "sex" => ["F", "M", "F", "M"],
            "site" => ["A", "A", "B", "B"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Table::from_frame("t.csv", frame)
    }

    #[test]
    fn predicates_evaluate_with_sql_null_semantics() {
        let masks = evaluate(
            &table(),
            &[
                "age >= 65",
                "sex = 'F' AND age >= 65",
                "site IN ('B')",
                "1 = 1",
            ],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(masks[0], [true, false, false, true]);
        assert_eq!(masks[1], [true, false, false, false]);
        assert_eq!(masks[2], [false, false, true, true]);
        assert_eq!(masks[3], [true, true, true, true]);
    }

    #[test]
    fn a_non_boolean_predicate_is_refused() {
        let e = evaluate(&table(), &["site = 'A'", "age + 1"]).err();
        let (i, message) = e.unwrap_or_else(|| panic!("must fail"));
        assert_eq!(i, 1);
        assert!(message.contains("not true/false"), "{message}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text — including SQL-ish fragments, quotes and unicode — parses or gives a
        /// located error; ranges always lie inside the text on character boundaries.
        #[test]
        fn parsing_never_panics_and_ranges_are_valid(
            text in "(age|sex|\"Patient Age\"|'F'|'é'|65|>=|=|<>|AND|OR|NOT|IN|\\(|\\)|,|%| |\n|\\$|;|ö|🙂){0,24}"
        ) {
            match Predicate::parse(&text) {
                Ok(p) => {
                    for c in p.columns() {
                        proptest::prop_assert!(text.get(c.range.clone()).is_some(), "{c:?}");
                    }
                    let _ = p.check_columns(&columns());
                }
                Err(e) => {
                    proptest::prop_assert!(text.get(e.range.clone()).is_some(), "{e:?}");
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(text in "\\PC{0,64}") {
            if let Err(e) = Predicate::parse(&text) {
                proptest::prop_assert!(text.get(e.range.clone()).is_some(), "{e:?}");
            }
        }
    }
}
