//! A check run before polars decodes a Parquet file's pages: no row group, column chunk or
//! page may declare a negative count, or more values than the table may have rows.
//!
//! polars-parquet 0.55 sizes buffers from the counts that page headers and the footer declare
//! before it decodes anything: a data page's `num_values` becomes the length of its validity
//! bitmap (`decode_page_validity` reserves `num_values / 8` bytes, and a negative `i32` turned
//! `usize` asks for 2.3e18), a dictionary page's `num_values` the capacity of its offsets, and a
//! nested column's `num_values` the capacity of its whole target. A failed allocation aborts
//! the process, which `catch_unwind` cannot turn into this file's error. Found by the `table`
//! fuzz target (`fuzz/regressions/table/parquet-page-validity-declares-2e18-bits.bin`).
//!
//! The check reads every page header the way polars' `PageReader` does — from the start of
//! each column chunk's byte range, with the same Thrift reader (`polars_parquet_format`, the
//! crate polars reads headers with, so a header parses here exactly as it does there), one
//! page after another until the chunk's declared value count is reached — and refuses any
//! count outside `0..=max_rows`. A case table holds one value per cell, so no honest file
//! declares more; a table with list columns longer than that is refused, with the limit to
//! raise. Where polars would fail first (a header that does not parse, a page running past
//! its chunk), the walk stops and leaves the file to polars, which reports it. Hand-written
//! because no crate checks declared counts against a bound before allocating.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use polars::io::parquet::metadata::FileMetadata;
use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
use polars_parquet_format::{PageHeader, PageType};

/// The bounds every declared count must keep.
#[derive(Clone, Copy)]
struct Bounds {
    /// `data.limits.max_rows`: no count of values may exceed it.
    max_rows: u64,
    /// `data.limits.max_table_bytes`: no page may decompress to more.
    max_bytes: u64,
}

/// A count outside its bound: which count, where, and what it declares.
struct Refusal {
    what: String,
    value: i64,
    /// "rows", "values" or "bytes uncompressed".
    unit: &'static str,
    /// The limit it exceeds, in words.
    limit: String,
}

impl Bounds {
    /// `Err` when a count of values lies outside `0..=max_rows`.
    fn values(self, what: impl FnOnce() -> String, value: i64) -> Result<(), Refusal> {
        self.counted(what, value, "values")
    }

    /// `Err` when a count of `unit` (rows or values) lies outside `0..=max_rows`.
    fn counted(
        self,
        what: impl FnOnce() -> String,
        value: i64,
        unit: &'static str,
    ) -> Result<(), Refusal> {
        self.within(what, value, unit, self.max_rows, || {
            format!(
                "the {} rows the table may have (data.limits.max_rows)",
                self.max_rows
            )
        })
    }

    /// `Err` when a page's uncompressed size lies outside `0..=max_bytes`.
    fn bytes(self, what: impl FnOnce() -> String, value: i64) -> Result<(), Refusal> {
        self.within(what, value, "bytes uncompressed", self.max_bytes, || {
            format!(
                "the {} bytes of data.limits.max_table_bytes",
                self.max_bytes
            )
        })
    }

    fn within(
        self,
        what: impl FnOnce() -> String,
        value: i64,
        unit: &'static str,
        max: u64,
        limit: impl FnOnce() -> String,
    ) -> Result<(), Refusal> {
        if value < 0 || value as u64 > max {
            return Err(Refusal {
                what: what(),
                value,
                unit,
                limit: limit(),
            });
        }
        Ok(())
    }
}

/// Checks the row groups, column chunks and page headers of the Parquet file at `path`,
/// whose footer polars has read into `metadata`. `Err` says which count is refused.
pub(crate) fn check(
    path: &Path,
    metadata: &FileMetadata,
    max_rows: u64,
    max_bytes: u64,
) -> Result<(), String> {
    walk(
        path,
        metadata,
        Bounds {
            max_rows,
            max_bytes,
        },
    )
    .map_err(|r| {
        let bound = if r.value < 0 {
            "a negative count".to_string()
        } else {
            format!("more than {}", r.limit)
        };
        format!(
            "{} declares {} {}, {bound}; the file is damaged or was made to exhaust memory",
            r.what, r.value, r.unit
        )
    })
}

/// Checks every row group, column chunk and page; a chunk polars cannot read is skipped, not
/// the rest: polars decodes the columns of a row group in parallel, so another column's pages
/// may be decoded while it fails on that one.
fn walk(path: &Path, metadata: &FileMetadata, bounds: Bounds) -> Result<(), Refusal> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // polars has the file open and reports its own error
    };
    let length = file.metadata().map_or(0, |m| m.len());
    // Only page headers are read: the bodies between them are skipped.
    let mut reader = BufReader::new(&file);
    for (g, group) in metadata.row_groups.iter().enumerate() {
        let rows = i64::try_from(group.num_rows()).unwrap_or(i64::MAX);
        bounds.counted(|| format!("row group {g}"), rows, "rows")?;
        for (c, column) in group.parquet_columns().iter().enumerate() {
            let name = || {
                format!(
                    "column chunk {c} ({}) of row group {g}",
                    column.descriptor().path_in_schema.join(".")
                )
            };
            bounds.values(name, column.num_values())?;
            let range = column.byte_range();
            if range.start > range.end || range.end > length {
                continue; // polars fails on this chunk's range before reading a page
            }
            if reader.seek(SeekFrom::Start(range.start)).is_err() {
                continue;
            }
            let chunk = range.end - range.start;
            check_pages(&mut reader, chunk, column.num_values(), bounds, &name)?;
        }
    }
    Ok(())
}

/// Walks the pages of one column chunk as polars does: a leading dictionary page if there is
/// one (`read_dict`), then (`PageReader`) headers back to back, each followed by its compressed
/// bytes, until `total` values have been declared. `reader` stands at the chunk's first byte;
/// the chunk is `length` bytes long, and no header is read past it (polars reads from the
/// chunk's bytes alone).
fn check_pages<R: Read + Seek>(
    reader: &mut R,
    length: u64,
    total: i64,
    bounds: Bounds,
    column: &dyn Fn() -> String,
) -> Result<(), Refusal> {
    let mut at = 0u64; // position in the chunk
    let mut seen: i64 = 0;
    let mut first = true;
    while first || seen < total {
        if at >= length {
            return Ok(());
        }
        let mut rest = (&mut *reader).take(length - at);
        let Ok(header) = PageHeader::read_from_in_protocol(&mut TCompactInputProtocol::new(
            &mut rest,
            usize::MAX,
        )) else {
            return Ok(()); // polars fails on this header
        };
        let page_at = at;
        at = length - rest.limit();
        let page = |kind: &str| format!("the {kind} page at byte {page_at} of {}", column());
        let (kind, declared) = match header.type_ {
            PageType::DICTIONARY_PAGE if first => {
                let Some(dictionary) = &header.dictionary_page_header else {
                    return Ok(());
                };
                bounds.values(|| page("dictionary"), i64::from(dictionary.num_values))?;
                ("dictionary", 0)
            }
            // `read_dict` puts a data page back; with no values declared none is read.
            _ if first && total <= 0 => return Ok(()),
            PageType::DATA_PAGE => {
                let Some(v1) = &header.data_page_header else {
                    return Ok(());
                };
                bounds.values(|| page("data"), i64::from(v1.num_values))?;
                ("data", v1.num_values)
            }
            PageType::DATA_PAGE_V2 => {
                let Some(v2) = &header.data_page_header_v2 else {
                    return Ok(());
                };
                for count in [v2.num_values, v2.num_rows, v2.num_nulls] {
                    bounds.values(|| page("data (v2)"), i64::from(count))?;
                }
                ("data (v2)", v2.num_values)
            }
            _ => return Ok(()), // polars refuses a page of another kind here
        };
        bounds.bytes(|| page(kind), i64::from(header.uncompressed_page_size))?;
        first = false;
        seen += i64::from(declared);
        let Ok(size) = u64::try_from(header.compressed_page_size) else {
            return Ok(());
        };
        if size > length - at {
            return Ok(()); // "The page header reported the wrong page size"
        }
        let Ok(skip) = i64::try_from(size) else {
            return Ok(());
        };
        if reader.seek_relative(skip).is_err() {
            return Ok(());
        }
        at += size;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;
    use polars_parquet_format::thrift::protocol::TCompactOutputProtocol;
    use polars_parquet_format::{DataPageHeader, DictionaryPageHeader, Encoding};

    const BOUNDS: Bounds = Bounds {
        max_rows: 1_000,
        max_bytes: 1 << 20,
    };

    /// A page: its header (a dictionary page when `dictionary`, else a v1 data page) declaring
    /// `num_values` and `uncompressed` bytes, then `body` bytes of data.
    fn page(dictionary: bool, num_values: i32, uncompressed: i32, body: usize) -> Vec<u8> {
        let header = PageHeader {
            type_: if dictionary {
                PageType::DICTIONARY_PAGE
            } else {
                PageType::DATA_PAGE
            },
            uncompressed_page_size: uncompressed,
            compressed_page_size: body as i32,
            crc: None,
            data_page_header: (!dictionary).then(|| {
                DataPageHeader::new(
                    num_values,
                    Encoding::PLAIN,
                    Encoding::RLE,
                    Encoding::RLE,
                    None,
                )
            }),
            index_page_header: None,
            dictionary_page_header: dictionary
                .then(|| DictionaryPageHeader::new(num_values, Encoding::PLAIN, None)),
            data_page_header_v2: None,
        };
        let mut bytes = Vec::new();
        header
            .write_to_out_protocol(&mut TCompactOutputProtocol::new(&mut bytes))
            .unwrap();
        bytes.extend(std::iter::repeat_n(0u8, body));
        bytes
    }

    fn check_chunk(chunk: &[u8], total: i64) -> Result<(), String> {
        let mut reader = std::io::Cursor::new(chunk);
        check_pages(&mut reader, chunk.len() as u64, total, BOUNDS, &|| {
            "column x".to_string()
        })
        .map_err(|r| format!("{} {} {}", r.what, r.value, r.unit))
    }

    #[test]
    fn honest_pages_pass() {
        let chunk = [
            page(true, 3, 24, 24),
            page(false, 600, 40, 40),
            page(false, 400, 30, 30),
        ]
        .concat();
        assert_eq!(check_chunk(&chunk, 1_000), Ok(()));
    }

    #[test]
    fn a_negative_or_oversized_count_is_refused_wherever_it_is() {
        let error = check_chunk(&page(false, -1, 8, 8), 5).unwrap_err();
        assert_eq!(error, "the data page at byte 0 of column x -1 values");
        let chunk = [
            page(true, 2, 8, 8),
            page(false, 5, 8, 8),
            page(false, 1_001, 8, 8),
        ]
        .concat();
        let error = check_chunk(&chunk, 2_000).unwrap_err();
        assert!(error.starts_with("the data page at byte") && error.ends_with("1001 values"));
        let error = check_chunk(&page(true, i32::MAX, 8, 8), 5).unwrap_err();
        assert!(error.starts_with("the dictionary page"), "{error}");
        let error = check_chunk(&page(false, 5, (1 << 20) + 1, 8), 5).unwrap_err();
        assert!(error.ends_with("1048577 bytes uncompressed"), "{error}");
    }

    #[test]
    fn the_walk_stops_where_polars_stops() {
        // Values reached: what follows is never read by polars.
        let chunk = [page(false, 5, 8, 8), page(false, -1, 8, 8)].concat();
        assert_eq!(check_chunk(&chunk, 5), Ok(()));
        // No values declared: polars reads only a leading dictionary page.
        assert_eq!(check_chunk(&page(false, -1, 8, 8), 0), Ok(()));
        assert!(check_chunk(&page(true, -1, 8, 8), 0).is_err());
        // A page running past its chunk, or a header that does not parse: polars' own error.
        assert_eq!(check_chunk(&page(false, 5, 8, 8)[..10], 5), Ok(()));
        assert_eq!(check_chunk(&[0xFF; 16], 5), Ok(()));
    }

    /// `frame` written by polars to `path`, and the footer polars reads back.
    fn written(path: &Path, frame: &mut DataFrame) -> FileMetadata {
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(frame)
            .unwrap();
        let mut reader = ParquetReader::new(std::fs::File::open(path).unwrap());
        reader.get_metadata().unwrap().as_ref().clone()
    }

    #[test]
    fn files_polars_writes_pass_and_their_counts_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.parquet");
        let mut frame = df!(
            "case_id" => ["a", "b", "c", "a"],
            "age" => [Some(41i64), None, Some(80), Some(3)],
            "positive" => [true, false, true, true],
        )
        .unwrap();
        let metadata = written(&path, &mut frame);
        assert_eq!(check(&path, &metadata, 4, 1 << 20), Ok(()));
        let error = check(&path, &metadata, 3, 1 << 20).unwrap_err();
        assert!(error.starts_with("row group 0 declares 4 rows"), "{error}");
    }

    #[test]
    fn list_columns_polars_writes_pass_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lists.parquet");
        let tags = Series::new(
            "tags".into(),
            [
                Series::new("".into(), [1i64, 2, 3]),
                Series::new("".into(), [4i64]),
                Series::new("".into(), Vec::<i64>::new()),
            ],
        );
        let mut frame = DataFrame::new_infer_height(vec![
            Series::new("case_id".into(), ["a", "b", "c"]).into(),
            tags.into(),
        ])
        .unwrap();
        let metadata = written(&path, &mut frame);
        // Five leaf values (three, one, an empty list's placeholder) in three rows.
        assert_eq!(check(&path, &metadata, 5, 1 << 20), Ok(()));
        let error = check(&path, &metadata, 4, 1 << 20).unwrap_err();
        assert!(error.contains("(tags.list.element)"), "{error}");
        assert!(error.contains("declares 5 values"), "{error}");
    }

    proptest::proptest! {
        #[test]
        fn the_walk_never_panics(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
            total in -2i64..2_000,
        ) {
            let _ = check_chunk(&bytes, total);
        }
    }
}
