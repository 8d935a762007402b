//! The data layer on a Parquet table, whose columns only the data layer can see.

use std::sync::Arc;

use attest_data::cases::ImageCheck;
use attest_spec::{validate_source, Code, SpecSource, ValidateOptions};
use polars::prelude::*;

#[test]
fn parquet_tables_get_their_grouping_columns_and_cohorts_checked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let n = 60usize;
    let mut frame = df!(
        "case_id" => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
        "finding" => (0..n).map(|i| if i % 2 == 0 { "pos" } else { "neg" }).collect::<Vec<_>>(),
        "site" => (0..n).map(|i| if i % 3 == 0 { "A" } else { "B" }).collect::<Vec<_>>(),
        "age" => (0..n).map(|i| (20 + i) as i64).collect::<Vec<_>>(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file =
        std::fs::File::create(dir.path().join("cases.parquet")).unwrap_or_else(|e| panic!("{e}"));
    ParquetWriter::new(file)
        .finish(&mut frame)
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("scores.csv"), "case_id,score\nc0,0.5\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let text = "attest: 1\nname: t\nintended_use: Testing.\nseed: 1\n\
        model:\n  id: m\n  scores: scores.csv\n  output: { task: binary }\n\
        data:\n  table: cases.parquet\n  id: case_id\n  label: { column: finding, positive: pos }\n\
        cohorts:\n  old: { where: \"age >= 50\" }\n  tune: { where: \"age < 40\" }\n\
        operating_points:\n  by_site: { choose_on: tune, per: sitee, target: { specificity: 0.9 } }\n\
        tests:\n  - id: S\n    cohort: old\n    across: sexx\n    metric: auc\n    require: { gap: \"<= 0.1\" }\n";
    let source = Arc::new(SpecSource::new("attest.yaml", text));
    let validation = validate_source(
        &source,
        &ValidateOptions {
            base_dir: Some(dir.path().to_path_buf()),
        },
    );
    let spec = validation
        .valid_spec()
        .unwrap_or_else(|| panic!("{:?}", validation.diagnostics))
        .clone();
    let check = attest_data::check::check(&spec, &validation.source, dir.path(), ImageCheck::Skip);
    let unknown: Vec<&str> = check
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::UnknownColumn)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        unknown,
        [
            "the case table has no column `sitee`",
            "the case table has no column `sexx`"
        ],
        "{:?}",
        check.diagnostics
    );
    let old = check.cohort("old").unwrap_or_else(|| panic!("cohort"));
    assert_eq!(old.n(), 30);
    assert_eq!((old.positives, old.negatives), (Some(15), Some(15)));
}
