//! A check run before polars reads a Parquet file's footer: no list in the footer's metadata
//! may declare more entries than there are bytes left to hold them.
//!
//! polars-parquet 0.55 decodes the footer (Thrift compact protocol) with a hand-written
//! reader that sizes each list's `Vec` from its declared count before it reads any entry
//! (`handwritten_thrift/file_metadata_thrift.rs`, `read_list`). A 1 KB file whose
//! `key_value_metadata` list declared 2^31 entries asked for 103 GB, and an allocation
//! failure aborts the process — `catch_unwind` cannot turn it into this file's error. Found by
//! the `table` fuzz target (`fuzz/regressions/table/parquet-footer-list-declares-2g-entries.bin`).
//! No option of polars bounds it. (Its generic skipping of unknown fields has the same shape
//! without the allocation: a list of booleans is skipped entry by entry without consuming
//! bytes, so a declared count of 2^31 spins for seconds, and nested, for hours.)
//!
//! The check walks the footer the way that reader does — the same fields of the same structs
//! read as the same kinds of value, whatever type their headers declare, every other field
//! skipped by its declared type — and refuses a list whose declared count exceeds the bytes
//! left after its header (a well-formed entry takes at least one byte, so polars would fail on
//! such a list too, after the allocation) or [`MAX_LIST_ENTRIES`]. Where that reader would fail
//! first (an invalid type, input ending early, nesting too deep), the walk stops and leaves
//! the file to polars, which reports it. Hand-written because the check must follow polars'
//! reader step by step; a general Thrift crate would read it differently.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The most entries one footer list may declare: case tables have tens of columns and a few
/// row groups; a million is far beyond any and bounds the allocation.
const MAX_LIST_ENTRIES: u64 = 1_000_000;

/// polars' limit on the nesting of skipped values.
const SKIP_DEPTH: i8 = 64;

/// Why the walk stopped early.
enum Stop {
    /// The footer declares a list it cannot hold: the file is refused with this reason.
    Refuse(String),
    /// polars' reader fails here before any oversized list: its error stands.
    LeaveToPolars,
}

/// One step of the walk.
type Step<T> = Result<T, Stop>;

/// The footer bytes and the walk's position in them.
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.at
    }

    fn byte(&mut self) -> Step<u8> {
        let b = *self.buf.get(self.at).ok_or(Stop::LeaveToPolars)?;
        self.at += 1;
        Ok(b)
    }

    /// An unsigned LEB128 varint, read as polars does (no length bound, wrapping shifts).
    fn vlq(&mut self) -> Step<u64> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let b = self.byte()?;
            value |= u64::from(b & 0x7F).wrapping_shl(shift);
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift = shift.wrapping_add(7);
        }
    }

    fn skip(&mut self, n: usize) -> Step<()> {
        if n > self.remaining() {
            return Err(Stop::LeaveToPolars);
        }
        self.at += n;
        Ok(())
    }

    /// A Thrift binary or string: a varint length, then the bytes.
    fn binary(&mut self) -> Step<()> {
        let n = self.vlq()? as usize;
        self.skip(n)
    }
}

/// A struct field's header as polars' `read_field_begin` reads it: `(type, id)`, `None` at
/// the struct's end.
fn field(c: &mut Cursor<'_>, last_id: i16) -> Step<Option<(u8, i16)>> {
    let b = c.byte()?;
    let (kind, delta) = (b & 0x0F, b >> 4);
    if kind > 12 {
        return Err(Stop::LeaveToPolars);
    }
    if kind == 0 {
        return Ok(None);
    }
    let id = if delta != 0 {
        last_id
            .checked_add(i16::from(delta))
            .ok_or(Stop::LeaveToPolars)?
    } else {
        let v = c.vlq()?;
        ((v >> 1) as i64 ^ -((v & 1) as i64)) as i16
    };
    Ok(Some((kind, id)))
}

/// A list header as polars' `read_list_begin` reads it — `(element type, count)`, the count
/// truncated to `i32` as there — refused when the count cannot fit in what follows.
fn list_header(c: &mut Cursor<'_>) -> Step<(u8, i32)> {
    let at = c.at;
    let h = c.byte()?;
    let (count_nibble, kind) = (h >> 4, h & 0x0F);
    let kind = match kind {
        0 if count_nibble == 0 => 3,
        1 | 2 => 2,
        3..=12 => kind,
        _ => return Err(Stop::LeaveToPolars),
    };
    let count = if count_nibble != 15 {
        i32::from(count_nibble)
    } else {
        c.vlq()? as i32
    };
    let declared = u64::try_from(count).unwrap_or(0);
    let left = c.remaining() as u64;
    if declared > left || declared > MAX_LIST_ENTRIES {
        let limit = if declared > left {
            format!("but only {left} bytes follow")
        } else {
            format!("more than the {MAX_LIST_ENTRIES} Attest accepts")
        };
        return Err(Stop::Refuse(format!(
            "its footer (the file metadata) declares a list of {declared} entries at byte {at} of the footer, {limit}; the file is damaged or was made to exhaust memory"
        )));
    }
    Ok((kind, count))
}

/// polars' generic skip (`skip_till_depth`) of a value of Thrift type `kind`.
fn skip_value(c: &mut Cursor<'_>, kind: u8, depth: i8) -> Step<()> {
    if depth == 0 {
        return Err(Stop::LeaveToPolars);
    }
    match kind {
        1 | 2 => Ok(()),
        3 => c.byte().map(drop),
        4..=6 => c.vlq().map(drop),
        7 => c.skip(8),
        8 => c.binary(),
        9 => {
            let (element, count) = list_header(c)?;
            for _ in 0..count.max(0) {
                skip_value(c, element, depth - 1)?;
            }
            Ok(())
        }
        12 => {
            let mut last = 0;
            while let Some((kind, id)) = field(c, last)? {
                skip_value(c, kind, depth - 1)?;
                last = id;
            }
            Ok(())
        }
        _ => Err(Stop::LeaveToPolars), // sets and maps: polars cannot skip them
    }
}

/// What one of polars' struct readers does with a field it knows.
#[derive(Clone, Copy)]
enum FieldRead {
    /// `read_i32`/`read_i64`/`skip_vlq`.
    Varint,
    /// `read_i8`.
    Byte,
    /// `read_string`/`skip_binary`.
    Binary,
    /// Statistics' min/max: a varint length truncated to `u32`, then the bytes.
    StatBinary,
    /// `f.bool_val.expect(..)`: polars panics unless the header is a boolean.
    Bool,
    /// A list of entries read by the struct reader `of` (`read_list`: the `Vec` is sized
    /// from the declared count first).
    List(Struct),
    /// `skip_list_of_varint`.
    VarintList,
    /// `skip_list_of_binary`.
    BinaryList,
    /// A nested struct read by its own reader.
    Nested(Struct),
}

/// The structs polars' footer reader knows, each with its known fields.
#[derive(Clone, Copy)]
enum Struct {
    FileMetaData,
    SchemaElement,
    RowGroup,
    ColumnChunk,
    ColumnMetaData,
    Statistics,
    KeyValue,
    SortingColumn,
    ColumnOrder,
    LogicalType,
    Decimal,
    TimeUnit,
    Time,
    Int,
    Empty,
}

impl Struct {
    /// How polars' reader of this struct reads field `id` (`None`: skipped by its type).
    fn reads(self, id: i16) -> Option<FieldRead> {
        use FieldRead::*;
        match (self, id) {
            (Struct::FileMetaData, 1 | 3) => Some(Varint),
            (Struct::FileMetaData, 2) => Some(List(Struct::SchemaElement)),
            (Struct::FileMetaData, 4) => Some(List(Struct::RowGroup)),
            (Struct::FileMetaData, 5) => Some(List(Struct::KeyValue)),
            (Struct::FileMetaData, 6) => Some(Binary),
            (Struct::FileMetaData, 7) => Some(List(Struct::ColumnOrder)),
            (Struct::SchemaElement, 1 | 2 | 3 | 5..=9) => Some(Varint),
            (Struct::SchemaElement, 4) => Some(Binary),
            (Struct::SchemaElement, 10) => Some(Nested(Struct::LogicalType)),
            (Struct::RowGroup, 1) => Some(List(Struct::ColumnChunk)),
            (Struct::RowGroup, 2 | 3 | 5..=7) => Some(Varint),
            (Struct::RowGroup, 4) => Some(List(Struct::SortingColumn)),
            (Struct::ColumnChunk, 1) => Some(Binary),
            (Struct::ColumnChunk, 2 | 4..=7) => Some(Varint),
            (Struct::ColumnChunk, 3) => Some(Nested(Struct::ColumnMetaData)),
            (Struct::ColumnMetaData, 1 | 4..=7 | 9..=11 | 14 | 15) => Some(Varint),
            (Struct::ColumnMetaData, 2) => Some(VarintList),
            (Struct::ColumnMetaData, 3) => Some(BinaryList),
            (Struct::ColumnMetaData, 12) => Some(Nested(Struct::Statistics)),
            (Struct::Statistics, 1 | 2) => Some(Binary),
            (Struct::Statistics, 3 | 4) => Some(Varint),
            (Struct::Statistics, 5 | 6) => Some(StatBinary),
            (Struct::Statistics, 7 | 8) => Some(Bool),
            (Struct::KeyValue, 1 | 2) => Some(Binary),
            (Struct::SortingColumn, 1) => Some(Varint),
            (Struct::SortingColumn, 2 | 3) => Some(Bool),
            (Struct::ColumnOrder, 1 | 2) => Some(Nested(Struct::Empty)),
            (Struct::LogicalType, 1..=4 | 6 | 11..=15) => Some(Nested(Struct::Empty)),
            (Struct::LogicalType, 5) => Some(Nested(Struct::Decimal)),
            (Struct::LogicalType, 7 | 8) => Some(Nested(Struct::Time)),
            (Struct::LogicalType, 10) => Some(Nested(Struct::Int)),
            (Struct::Decimal, 1 | 2) => Some(Varint),
            (Struct::TimeUnit, 1..=3) => Some(Nested(Struct::Empty)),
            (Struct::Time, 1) => Some(Bool),
            (Struct::Time, 2) => Some(Nested(Struct::TimeUnit)),
            (Struct::Int, 1) => Some(Byte),
            (Struct::Int, 2) => Some(Bool),
            _ => None,
        }
    }
}

/// Walks one struct as polars' reader of `kind` does (its `read_struct_fields!`).
fn walk_struct(c: &mut Cursor<'_>, kind: Struct) -> Step<()> {
    let mut last = 0;
    while let Some((field_type, id)) = field(c, last)? {
        match kind.reads(id) {
            None => skip_value(c, field_type, SKIP_DEPTH)?,
            Some(read) => walk_read(c, read, field_type)?,
        }
        last = id;
    }
    Ok(())
}

/// Walks one known field's value as polars reads it.
fn walk_read(c: &mut Cursor<'_>, read: FieldRead, field_type: u8) -> Step<()> {
    match read {
        FieldRead::Varint => c.vlq().map(drop),
        FieldRead::Byte => c.byte().map(drop),
        FieldRead::Binary => c.binary(),
        FieldRead::StatBinary => {
            let n = c.vlq()? as u32;
            c.skip(n as usize)
        }
        FieldRead::Bool if matches!(field_type, 1 | 2) => Ok(()),
        FieldRead::Bool => Err(Stop::LeaveToPolars),
        FieldRead::List(of) => {
            let (_, count) = list_header(c)?;
            for _ in 0..count.max(0) {
                walk_struct(c, of)?;
            }
            Ok(())
        }
        FieldRead::VarintList | FieldRead::BinaryList => {
            let (_, count) = list_header(c)?;
            for _ in 0..count.max(0) {
                if matches!(read, FieldRead::VarintList) {
                    c.vlq()?;
                } else {
                    c.binary()?;
                }
            }
            Ok(())
        }
        FieldRead::Nested(of) => walk_struct(c, of),
    }
}

/// Checks a footer as polars reads it: the metadata bytes, then (as polars has them in its
/// buffer) the 4-byte length and the magic. `Err` says which list cannot be held.
pub(crate) fn check_footer(footer: &[u8]) -> Result<(), String> {
    let mut c = Cursor { buf: footer, at: 0 };
    match walk_struct(&mut c, Struct::FileMetaData) {
        Ok(()) | Err(Stop::LeaveToPolars) => Ok(()),
        Err(Stop::Refuse(reason)) => Err(reason),
    }
}

/// Checks the footer of the Parquet file at `path`; files whose footer polars would refuse
/// on its own (too short, no magic, a length past the start) pass, for polars to report.
pub(crate) fn check(path: &Path) -> Result<(), String> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let length = file.metadata().map_or(0, |m| m.len());
    if length < 12 {
        return Ok(());
    }
    let mut tail = [0u8; 8];
    if file.seek(SeekFrom::Start(length - 8)).is_err() || file.read_exact(&mut tail).is_err() {
        return Ok(());
    }
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let metadata = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let footer_length = metadata + 8;
    if footer_length > length {
        return Ok(());
    }
    let mut footer = Vec::new();
    if file.seek(SeekFrom::Start(length - footer_length)).is_err()
        || file.take(footer_length).read_to_end(&mut footer).is_err()
    {
        return Ok(());
    }
    check_footer(&footer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn footers_polars_writes_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.parquet");
        let mut frame = df!(
            "case_id" => ["a", "b", "c"],
            "age" => [41i64, 67, 80],
            "score" => [0.1f64, 0.9, -1.0],
            "positive" => [true, false, true],
        )
        .unwrap();
        let file = std::fs::File::create(&path).unwrap();
        ParquetWriter::new(file)
            .with_statistics(StatisticsOptions::full())
            .finish(&mut frame)
            .unwrap();
        assert_eq!(check(&path), Ok(()));
    }

    /// A footer whose `key_value_metadata` (field 5, a list) declares `count` struct entries,
    /// with `tail` bytes behind the header.
    fn footer_declaring(count: u32, tail: usize) -> Vec<u8> {
        let mut bytes = vec![0x59, 0xFC]; // field 5 (delta 5) of type list; count 15+, structs
        let mut v = count;
        while v >= 0x80 {
            bytes.push((v as u8 & 0x7F) | 0x80);
            v >>= 7;
        }
        bytes.push(v as u8);
        bytes.extend(std::iter::repeat_n(0u8, tail));
        bytes
    }

    #[test]
    fn a_list_declaring_more_entries_than_bytes_is_refused() {
        let error = check_footer(&footer_declaring(0x7FFF_FFF7, 100)).unwrap_err();
        assert!(error.contains("list of 2147483639 entries"), "{error}");
        assert!(error.contains("only 100 bytes follow"), "{error}");
        // As many entries as bytes: each an empty struct (one stop byte); polars reads on.
        assert_eq!(check_footer(&footer_declaring(100, 101)), Ok(()));
    }

    #[test]
    fn a_list_over_the_entry_limit_is_refused_even_with_the_bytes() {
        let error = check_footer(&footer_declaring(1_000_001, 1_000_002)).unwrap_err();
        assert!(error.contains("more than the 1000000"), "{error}");
    }

    #[test]
    fn lists_skipped_by_type_are_bounded_too() {
        // An unknown field (id 9) holding a list of 2^31 booleans, which polars would skip
        // entry by entry without consuming a byte.
        let bytes = [0x99, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, 0];
        assert!(check_footer(&bytes).is_err());
    }

    #[test]
    fn what_polars_fails_on_first_is_left_to_it() {
        assert_eq!(check_footer(&[]), Ok(()));
        assert_eq!(check_footer(&[0x0D]), Ok(())); // field type 13 does not exist
                                                   // A varint cut off by the end of the footer.
        assert_eq!(check_footer(&[0x15, 0x80]), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn the_walk_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = check_footer(&bytes);
        }
    }
}
