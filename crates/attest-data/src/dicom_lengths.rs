//! A check run before dicom-rs builds a DICOM object: no data element may declare a value
//! longer than the whole file.
//!
//! dicom-rs 0.10 reserves and zero-fills a value's declared length before reading it
//! (`read_value_ob` and its siblings, and the file meta group reader), so a 10 KB file whose
//! element declares 4 GB cost 4.2 GB of memory and 6 s before failing — found twice by the
//! `image` fuzz target (`fuzz/regressions/image/element-declares-4-gb*.dcm`). No option of
//! dicom-rs bounds it. The check reads the file the way dicom-rs will:
//!
//! 1. the file meta group (explicit VR little endian) by a hand-written header walk that
//!    follows dicom-rs's meta reader (which allocates as it parses) step by step: each
//!    element's value must fit in the bytes left;
//! 2. the data set with dicom-rs's own token reader (`DataSetReader`, the one
//!    `OpenFileOptions::open_file` uses), which hands over each element header before it
//!    reads the value: a header declaring more bytes than the file has stops the read
//!    there; so does the basic offset table (the first item of encapsulated pixel data).
//!    Other items, sequences and fragments are not judged — dicom-rs does not fill their
//!    declared lengths.
//!
//! It answers "damaged" only where dicom-rs would fail too (a value cannot be read past the
//! end of the file), and leaves everything else — unreadable meta groups, deflated data sets,
//! parse errors — for dicom-rs to report as it does.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use dicom_core::header::{HasLength as _, Header as _};
use dicom_core::{Tag, VR};
use dicom_encoding::transfer_syntax::{Codec, TransferSyntaxIndex};
use dicom_object::meta::FileMetaTable;
use dicom_parser::dataset::read::DataSetReaderOptions;
use dicom_parser::dataset::{DataSetReader, DataToken};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

/// A header of the meta group as the walk reads it.
struct Header {
    tag: Tag,
    length: u32,
}

/// The reader over the file, with the file's length and the current position.
struct Walk<R> {
    reader: R,
    length: u64,
    position: u64,
}

impl<R: Read + Seek> Walk<R> {
    fn remaining(&self) -> u64 {
        self.length.saturating_sub(self.position)
    }

    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut buffer = [0u8; N];
        self.reader.read_exact(&mut buffer).ok()?;
        self.position += N as u64;
        Some(buffer)
    }

    fn seek(&mut self, to: u64) -> Option<()> {
        self.reader.seek(SeekFrom::Start(to)).ok()?;
        self.position = to;
        Some(())
    }

    /// Reads one explicit VR little endian header as dicom-rs does: an unknown VR is UN;
    /// only the VRs of PS3.5 table 7.1-2 have a 16-bit length, every other one two reserved
    /// bytes and a 32-bit length. `None` at the end of the file.
    fn header(&mut self) -> Option<Header> {
        let group = u16::from_le_bytes(self.bytes::<2>()?);
        let element = u16::from_le_bytes(self.bytes::<2>()?);
        let vr = VR::from_binary(self.bytes::<2>()?).unwrap_or(VR::UN);
        let short = matches!(
            vr,
            VR::AE
                | VR::AS
                | VR::AT
                | VR::CS
                | VR::DA
                | VR::DS
                | VR::DT
                | VR::FL
                | VR::FD
                | VR::IS
                | VR::LO
                | VR::LT
                | VR::PN
                | VR::SH
                | VR::SL
                | VR::SS
                | VR::ST
                | VR::TM
                | VR::UI
                | VR::UL
                | VR::US
        );
        let length = if short {
            u32::from(u16::from_le_bytes(self.bytes::<2>()?))
        } else {
            self.bytes::<2>()?;
            u32::from_le_bytes(self.bytes::<4>()?)
        };
        Some(Header {
            tag: Tag(group, element),
            length,
        })
    }
}

/// The refusal for an element declaring `length` bytes where `available` are left.
fn too_long(tag: Tag, length: u32, available: u64) -> String {
    format!(
        "element ({:04X},{:04X}) declares a value of {length} bytes, but the file has only {available} bytes there; the file is damaged or truncated",
        tag.group(),
        tag.element(),
    )
}

/// Checks the file at `path`; `Err` names the first element that declares more bytes than
/// the file can hold. Files that do not look like DICOM Part 10 pass (dicom-rs judges them).
pub(crate) fn check(path: &Path) -> Result<(), String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // dicom-rs reports the I/O error
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    check_reader(file, length)
}

/// [`check`] over any seekable reader of `length` bytes.
fn check_reader<R: Read + Seek>(reader: R, length: u64) -> Result<(), String> {
    let mut walk = Walk {
        reader: BufReader::new(reader),
        length,
        position: 0,
    };
    // dicom-rs skips a 128-byte preamble when "DICM" follows it, and also when no "DICM" is
    // at the start either; then "DICM" and the meta group.
    let at_start = walk.bytes::<4>().as_ref() == Some(b"DICM");
    let after_preamble = walk.seek(128).is_some() && walk.bytes::<4>().as_ref() == Some(b"DICM");
    if !at_start && !after_preamble {
        return Ok(()); // not Part 10: dicom-rs refuses it
    }
    let start = if at_start && !after_preamble { 0 } else { 128 };
    if walk.seek(start + 4).is_none() {
        return Ok(());
    }
    if !meta_group(&mut walk)? {
        return Ok(());
    }
    if walk.seek(start).is_none() {
        return Ok(());
    }
    data_set(walk.reader, length)
}

/// Walks the file meta group as dicom-rs's meta reader does — (0002,0000) with a 4-byte value
/// first, then elements *of any group* while the bytes read stay below the group length —
/// checking each value against the bytes left; `false` where it cannot be walked (dicom-rs
/// then reports the problem). Stopping at the first element of another group instead missed
/// a bomb behind such an element (`fuzz/regressions/image/meta-group-off-group-element-then-4-gb.dcm`).
fn meta_group<R: Read + Seek>(walk: &mut Walk<R>) -> Result<bool, String> {
    let Some(first) = walk.header() else {
        return Ok(false);
    };
    if first.tag != Tag(0x0002, 0x0000) || first.length != 4 {
        return Ok(false);
    }
    let Some(value) = walk.bytes::<4>() else {
        return Ok(false);
    };
    let group_length = u32::from_le_bytes(value);
    let mut read: u32 = 0;
    while read < group_length {
        let at = walk.position;
        let Some(header) = walk.header() else {
            return Ok(false);
        };
        if header.length == u32::MAX {
            return Ok(false); // undefined length: dicom-rs refuses it in the meta group
        }
        if u64::from(header.length) > walk.remaining() {
            return Err(too_long(header.tag, header.length, walk.remaining()));
        }
        let header_bytes = u32::try_from(walk.position - at).unwrap_or(u32::MAX);
        if walk
            .seek(walk.position + u64::from(header.length))
            .is_none()
        {
            return Ok(false);
        }
        read = read
            .saturating_add(header_bytes)
            .saturating_add(header.length);
    }
    Ok(true)
}

/// Reads the meta group and data set (from `source`, positioned at the magic, as dicom-rs
/// reads them) with dicom-rs's token reader, stopping at the first element header that
/// declares more bytes than the file has.
fn data_set<R: Read>(mut source: R, length: u64) -> Result<(), String> {
    let Ok(meta) = FileMetaTable::from_reader(&mut source) else {
        return Ok(());
    };
    let Some(syntax) = TransferSyntaxRegistry.get(meta.transfer_syntax()) else {
        return Ok(());
    };
    // Deflated data sets are read through an adapter dicom-rs does not offer here (and this
    // build has no deflate support): left to dicom-rs.
    if matches!(syntax.codec(), Codec::Dataset(_)) {
        return Ok(());
    }
    let Ok(tokens) =
        DataSetReader::new_with_ts_options(source, syntax, DataSetReaderOptions::default())
    else {
        return Ok(());
    };
    // The first item of encapsulated pixel data is the basic offset table, which dicom-rs
    // also fills at its declared length before reading (found by the fuzzer after the rest).
    let mut offset_table_next = false;
    for token in tokens {
        match token {
            Ok(DataToken::PixelSequenceStart) => offset_table_next = true,
            Ok(DataToken::ItemStart { len }) => {
                if std::mem::take(&mut offset_table_next) {
                    if let Some(declared) = len.get() {
                        if u64::from(declared) > length {
                            return Err(too_long(Tag(0xFFFE, 0xE000), declared, length));
                        }
                    }
                }
            }
            Ok(DataToken::ElementHeader(header)) => {
                if let Some(declared) = header.length().get() {
                    if header.vr() != VR::SQ && u64::from(declared) > length {
                        return Err(too_long(header.tag(), declared, length));
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A Part 10 file: preamble, magic, a complete meta group naming `syntax`, then `body`.
    fn file(syntax: &str, body: &[u8]) -> Vec<u8> {
        let uid = |text: &str| {
            let mut bytes = text.as_bytes().to_vec();
            if bytes.len() % 2 == 1 {
                bytes.push(0);
            }
            bytes
        };
        let mut meta = explicit(0x0002, 0x0001, b"OB", &[0, 1]);
        meta.extend(explicit(
            0x0002,
            0x0002,
            b"UI",
            &uid("1.2.840.10008.5.1.4.1.1.7"),
        ));
        meta.extend(explicit(0x0002, 0x0003, b"UI", &uid("1.2.3.4")));
        meta.extend(explicit(0x0002, 0x0010, b"UI", &uid(syntax)));
        meta.extend(explicit(0x0002, 0x0012, b"UI", &uid("1.2.3.4.5")));
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        out.extend(explicit(
            0x0002,
            0x0000,
            b"UL",
            &(meta.len() as u32).to_le_bytes(),
        ));
        out.extend(meta);
        out.extend_from_slice(body);
        out
    }

    fn explicit(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&group.to_le_bytes());
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT") {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            out.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        out.extend_from_slice(value);
        out
    }

    fn run(bytes: &[u8]) -> Result<(), String> {
        check_reader(Cursor::new(bytes), bytes.len() as u64)
    }

    const EXPLICIT: &str = "1.2.840.10008.1.2.1";

    #[test]
    fn a_well_formed_file_passes() {
        let mut body = explicit(0x0028, 0x0010, b"US", &2u16.to_le_bytes());
        body.extend(explicit(0x0028, 0x0011, b"US", &2u16.to_le_bytes()));
        body.extend(explicit(0x7FE0, 0x0010, b"OW", &[1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(run(&file(EXPLICIT, &body)), Ok(()));
    }

    #[test]
    fn a_value_longer_than_the_file_is_refused_without_reading_it() {
        let mut body = explicit(0x0028, 0x0010, b"US", &2u16.to_le_bytes());
        // Pixel data declaring 4 GB with 8 bytes behind it.
        body.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0]);
        body.extend_from_slice(&0xFFFF_FFF7u32.to_le_bytes());
        body.extend_from_slice(&[0; 8]);
        let error = run(&file(EXPLICIT, &body)).unwrap_err();
        assert!(error.contains("(7FE0,0010)"), "{error}");
        assert!(error.contains("4294967287 bytes"), "{error}");
    }

    #[test]
    fn lengths_inside_sequence_items_are_checked() {
        // An undefined-length sequence whose item holds an element declaring 1 MB.
        let mut body = vec![
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        body.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, b'U', b'T', 0, 0]);
        body.extend_from_slice(&(1u32 << 20).to_le_bytes());
        body.extend_from_slice(b"short");
        assert!(run(&file(EXPLICIT, &body)).is_err());
        // The same sequence, well formed.
        let mut body = vec![
            0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        body.extend(explicit(0x0008, 0x1150, b"UI", b"1.2.3\0"));
        body.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        body.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        body.extend(explicit(0x0028, 0x0010, b"US", &2u16.to_le_bytes()));
        assert_eq!(run(&file(EXPLICIT, &body)), Ok(()));
    }

    #[test]
    fn encapsulated_fragments_are_skipped() {
        let mut body = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]); // empty offset table
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0]);
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]); // fragment bytes that look like a tag
        body.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        assert_eq!(run(&file("1.2.840.10008.1.2.4.50", &body)), Ok(()));
        // A fragment longer than the file: dicom-rs reads what is there, without allocating.
        let mut short = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        short.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]); // empty offset table
        short.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0x10]);
        assert_eq!(run(&file("1.2.840.10008.1.2.4.50", &short)), Ok(()));
    }

    #[test]
    fn an_offset_table_longer_than_the_file_is_refused() {
        // dicom-rs fills the basic offset table at its declared length before reading it.
        let mut body = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0x10]);
        let error = run(&file("1.2.840.10008.1.2.4.50", &body)).unwrap_err();
        assert!(error.contains("(FFFE,E000)"), "{error}");
    }

    #[test]
    fn defined_length_sequences_are_walked_into() {
        let item = explicit(0x0008, 0x1150, b"UI", b"1.2.3\0");
        let mut sequence = vec![0xFE, 0xFF, 0x00, 0xE0];
        sequence.extend_from_slice(&(item.len() as u32).to_le_bytes());
        sequence.extend_from_slice(&item);
        let mut body = explicit(0x0008, 0x1115, b"SQ", &sequence);
        body.extend(explicit(0x0028, 0x0010, b"US", &2u16.to_le_bytes()));
        assert_eq!(run(&file(EXPLICIT, &body)), Ok(()));
    }

    #[test]
    fn implicit_vr_sequences_are_walked_into() {
        // (0008,1115) is SQ in the dictionary: its defined-length item's element is checked.
        let mut body = vec![0x08, 0x00, 0x15, 0x11, 24, 0, 0, 0];
        body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 16, 0, 0, 0]);
        body.extend_from_slice(&[0x08, 0x00, 0x50, 0x11, 0xFF, 0xFF, 0xFF, 0x0F]);
        body.extend_from_slice(&[0; 8]);
        assert!(run(&file("1.2.840.10008.1.2", &body)).is_err());
    }

    #[test]
    fn a_meta_group_value_longer_than_the_file_is_refused() {
        let mut bytes = file(EXPLICIT, &[]);
        // Replace the implementation class UID's value with a declared 2 GB.
        let at = bytes.len() - 8 - 10;
        bytes.truncate(at);
        bytes.extend_from_slice(&[0x02, 0x00, 0x13, 0x00, b'O', b'B', 0, 0]);
        bytes.extend_from_slice(&0x8000_0000u32.to_le_bytes());
        let error = run(&bytes).unwrap_err();
        assert!(error.contains("(0002,0013)"), "{error}");
    }

    #[test]
    fn a_meta_group_bomb_behind_an_element_of_another_group_is_refused() {
        // dicom-rs reads the meta group by its length, whatever the groups inside: an
        // element of group 4002, then (0002,0003) declaring 3.7 GB as UC (a 32-bit length).
        let mut meta = explicit(0x0002, 0x0001, b"OB", &[0, 1]);
        meta.extend(explicit(0x4002, 0x0002, b"UI", b"1.2.3.4\0"));
        meta.extend_from_slice(&[0x02, 0x00, 0x03, 0x00, b'U', b'C', 0, 0]);
        meta.extend_from_slice(&0xE0FF_D8FFu32.to_le_bytes());
        meta.extend_from_slice(&[0; 16]);
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        bytes.extend(explicit(0x0002, 0x0000, b"UL", &200u32.to_le_bytes()));
        bytes.extend(meta);
        let error = run(&bytes).unwrap_err();
        assert!(error.contains("(0002,0003)"), "{error}");
        assert!(error.contains("3774863615 bytes"), "{error}");
    }

    #[test]
    fn files_it_cannot_follow_are_left_to_dicom_rs() {
        assert_eq!(run(b"not a dicom file at all"), Ok(()));
        assert_eq!(run(&[]), Ok(()));
        // Deflated: lengths are inside the compressed stream.
        let body = [
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0x0F,
        ];
        assert_eq!(run(&file("1.2.840.10008.1.2.1.99", &body)), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = run(&bytes);
            let _ = run(&file(EXPLICIT, &bytes));
            let _ = run(&file("1.2.840.10008.1.2", &bytes));
            let _ = run(&file("1.2.840.10008.1.2.2", &bytes));
        }
    }
}
