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

/// A gzip CSV that decompresses to `rows` rows of 16 bytes from a few kilobytes.
fn gzip_bomb(path: &std::path::Path, rows: usize) {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::best(),
    );
    gz.write_all(b"case_id,score\n").unwrap();
    for _ in 0..rows {
        gz.write_all(b"aaaaaaaaaaa,0.5\n").unwrap();
    }
    gz.finish().unwrap();
}

#[test]
fn a_gzip_bomb_is_refused_by_its_decompressed_size_before_parsing() {
    use attest_data::table::TableLimits;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.csv.gz");
    gzip_bomb(&path, 200_000); // 3.2 MB of text
    let on_disk = std::fs::metadata(&path).unwrap().len();
    assert!(on_disk < 64 << 10, "{on_disk}");
    let limits = TableLimits {
        max_bytes: 1 << 20,
        ..TableLimits::default()
    };
    let err = Table::read_with_limits(&path, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::TooLarge {
                what: "the decompressed size in bytes",
                value,
                limit: 1_048_576,
                ..
            } if value == (1 << 20) + 1
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("bomb.csv.gz") && text.contains("over the limit"),
        "{text}"
    );
    // Within the default limits the same file reads, every row.
    assert_eq!(Table::read(&path).unwrap().len(), 200_000);
}

#[test]
fn too_many_rows_are_refused_for_csv_and_before_reading_parquet() {
    use attest_data::table::TableLimits;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let mut text = String::from("case_id,score\n");
    for i in 0..100 {
        text.push_str(&format!("c{i},0.{i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let limits = TableLimits {
        max_rows: 50,
        ..TableLimits::default()
    };
    let err = Table::read_with_limits(&csv, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::TooLarge {
                what: "the row count",
                value: 100,
                limit: 50,
                ..
            }
        ),
        "{err}"
    );
    let mut frame = Table::read(&csv).unwrap().frame().clone();
    let parquet = dir.path().join("t.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .finish(&mut frame)
        .unwrap();
    let err = Table::read_with_limits(&parquet, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            TableError::TooLarge {
                what: "the row count",
                value: 100,
                ..
            }
        ),
        "{err}"
    );
    let small = TableLimits {
        max_bytes: 64,
        ..TableLimits::default()
    };
    let err = Table::read_with_limits(&parquet, &small).unwrap_err();
    assert!(matches!(err, TableError::TooLarge { .. }), "{err}");
    assert_eq!(Table::read(&parquet).unwrap().len(), 100);
}

/// The table fuzz target's regression input `name` (its first byte chose the format) read
/// as a Parquet file named `file_name`: the error it gives, and its text.
fn read_parquet_regression(name: &str, file_name: &str) -> (TableError, String) {
    let input = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/table")
            .join(name),
    )
    .unwrap();
    assert!(input.len() < 2_000, "{name} is a small file");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, &input[1..]).unwrap();
    let err = Table::read(&path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TableError::Parse { .. }), "{text}");
    assert!(text.contains(file_name), "{text}");
    (err, text)
}

/// Found by the `table` fuzz target: a Parquet file with a dictionary index out of range made
/// polars-parquet assert (panic) in a worker thread. It is now this table's parse error.
#[test]
fn a_damaged_parquet_file_is_a_parse_error_not_a_crash() {
    read_parquet_regression(
        "parquet-dictionary-index-out-of-range.bin",
        "damaged.parquet",
    );
}

/// Found by the `table` fuzz target: a 1 KB Parquet file whose footer declares a list of
/// 2^31 key-value entries made polars-parquet ask for 103 GB up front, and a failed
/// allocation aborts the process (no `catch_unwind` helps). The footer is now checked before
/// polars reads it: a parse error naming the list, and nothing large is allocated.
#[test]
fn a_parquet_footer_declaring_a_huge_list_is_refused_before_polars_reads_it() {
    let (_, text) = read_parquet_regression(
        "parquet-footer-list-declares-2g-entries.bin",
        "crafted.parquet",
    );
    assert!(text.contains("declares a list of"), "{text}");
}

/// Found by the `table` fuzz target: a 1.9 KB Parquet file with a data page declaring a
/// negative value count made polars-parquet reserve a validity bitmap of 2.3e18 bytes — an
/// abort. Every page header is now checked before polars decodes a page.
#[test]
fn a_parquet_page_declaring_a_negative_count_is_refused_before_polars_decodes_it() {
    let (_, text) = read_parquet_regression(
        "parquet-page-validity-declares-2e18-bits.bin",
        "crafted.parquet",
    );
    assert!(text.contains("page at byte"), "{text}");
    assert!(text.contains("a negative count"), "{text}");
}
