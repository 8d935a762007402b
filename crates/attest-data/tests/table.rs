//! Reading CSV, gzip CSV and Parquet tables into typed columns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_data::table::{Table, TableError};
use polars::prelude::*;

const CSV: &str = "case_id,label,score,site\na,1,0.9,north\nb,0,0.2,south\nc,1,0.4,north\n";

#[test]
fn csv_columns_come_out_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, CSV).unwrap();
    let table = Table::read(&path).unwrap();
    assert_eq!(table.len(), 3);
    assert_eq!(table.f64_column("score").unwrap(), vec![0.9, 0.2, 0.4]);
    assert_eq!(
        table.binary_labels("label", "1").unwrap(),
        vec![true, false, true]
    );
    assert_eq!(
        table.binary_labels("label", "1.0").unwrap(),
        vec![true, false, true]
    );
    assert_eq!(
        table.binary_labels("site", "north").unwrap(),
        vec![true, false, true]
    );
    assert!(matches!(
        table.f64_column("site"),
        Err(TableError::BadValues { .. })
    ));
    let err = table.f64_column("Score").unwrap_err().to_string();
    assert!(err.contains("did you mean `score`"), "{err}");
}

#[test]
fn gzip_csv_and_parquet_read_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, CSV).unwrap();
    let mut frame = Table::read(&csv).unwrap().frame().clone();
    let parquet = dir.path().join("t.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .finish(&mut frame)
        .unwrap();
    let from_parquet = Table::read(&parquet).unwrap();
    assert_eq!(
        from_parquet.f64_column("score").unwrap(),
        vec![0.9, 0.2, 0.4]
    );
    assert_eq!(
        from_parquet.binary_labels("label", "1").unwrap(),
        vec![true, false, true]
    );

    // A gzip file written by Python's gzip module (committed fixture).
    let gz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/t.csv.gz");
    let from_gz = Table::read(&gz).unwrap();
    assert_eq!(from_gz.f64_column("score").unwrap(), vec![0.9, 0.2, 0.4]);
}

#[test]
fn unreadable_inputs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Table::read(&dir.path().join("x.xlsx")),
        Err(TableError::UnsupportedFormat { .. })
    ));
    assert!(matches!(
        Table::read(&dir.path().join("absent.csv")),
        Err(TableError::Io { .. })
    ));
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"not parquet").unwrap();
    assert!(matches!(Table::read(&bad), Err(TableError::Parse { .. })));
    let missing = dir.path().join("m.csv");
    std::fs::write(&missing, "y,s\n1,\n0,0.3\n1,nan\n").unwrap();
    let t = Table::read(&missing).unwrap();
    let err = t.f64_column("s").unwrap_err().to_string();
    assert!(
        err.contains("missing value in 1 row(s), first at row(s) 1"),
        "{err}"
    );
    std::fs::write(&missing, "y,s\n1,0.5\n0,0.3\n1,nan\n0,high\n").unwrap();
    let t = Table::read(&missing).unwrap();
    let err = t.f64_column("s").unwrap_err().to_string();
    assert!(
        err.contains("value that is not a number in 1 row(s), first at row(s) 4"),
        "{err}"
    );
    std::fs::write(&missing, "y,s\n1,0.5\n0,0.3\n1,nan\n").unwrap();
    let t = Table::read(&missing).unwrap();
    let err = t.f64_column("s").unwrap_err().to_string();
    assert!(
        err.contains("NaN or infinite value in 1 row(s), first at row(s) 3"),
        "{err}"
    );
}
