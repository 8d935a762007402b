//! A check run before dicom-rs parses a file: no data element may declare a value longer
//! than the bytes left in the file.
//!
//! dicom-rs 0.10 reserves and zero-fills a value's declared length before reading it
//! (`read_value_ob` and its siblings), so a 10 KB file whose element declares 4 GB cost
//! 4.2 GB of memory and 6 s before failing — found by the `image` fuzz target
//! (`fuzz/regressions/image/element-declares-4-gb.dcm`). No option of dicom-rs bounds it,
//! hence this hand-written walk: it reads only element and item headers, skips every value,
//! and answers "damaged" only where dicom-rs would also fail (an element's value cannot be
//! read past the end of the file). Item and sequence lengths are not judged: dicom-rs does
//! not allocate them, and reads a short last fragment of encapsulated pixel data as it is.
//! Headers are read exactly as dicom-rs reads them (an unknown VR is UN, with a 32-bit
//! length). Where the walk cannot follow the encoding (a deflated data set, an item outside
//! any sequence) it stops and leaves the file to dicom-rs.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// A declared length that marks an undefined-length sequence, item or pixel data.
const UNDEFINED: u32 = u32::MAX;

/// How the data set after the file meta group is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Explicit VR, little endian (the meta group and most transfer syntaxes).
    ExplicitLittle,
    /// Implicit VR, little endian (`1.2.840.10008.1.2`).
    ImplicitLittle,
    /// Explicit VR, big endian (`1.2.840.10008.1.2.2`, retired).
    ExplicitBig,
}

/// What the items being read hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// Items of a sequence: each holds data elements.
    Sequence,
    /// Fragments of encapsulated pixel data: each holds raw bytes.
    Fragments,
}

/// A header as the walk reads it.
struct Header {
    tag: Tag,
    /// `None` for items and delimiters, and in implicit VR.
    vr: Option<VR>,
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

    fn skip(&mut self, n: u64) -> Option<()> {
        let offset = i64::try_from(n).ok()?;
        self.reader.seek(SeekFrom::Current(offset)).ok()?;
        self.position += n;
        Some(())
    }

    /// Reads one header; `None` at the end of the file or on bytes the walk cannot follow.
    fn header(&mut self, encoding: Encoding) -> Option<Header> {
        let big = encoding == Encoding::ExplicitBig;
        let u16_of = |b: [u8; 2]| {
            if big {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_of = |b: [u8; 4]| {
            if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let group = u16_of(self.bytes::<2>()?);
        let element = u16_of(self.bytes::<2>()?);
        let tag = Tag(group, element);
        if group == 0xFFFE || encoding == Encoding::ImplicitLittle {
            let length = u32_of(self.bytes::<4>()?);
            return Some(Header {
                tag,
                vr: None,
                length,
            });
        }
        // As dicom-rs reads it: an unknown VR is UN; only the VRs of PS3.5 table 7.1-2 have a
        // 16-bit length, every other one two reserved bytes and a 32-bit length.
        let vr = VR::from_binary(self.bytes::<2>()?).unwrap_or(VR::UN);
        let long = !matches!(
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
        let length = if long {
            self.skip(2)?;
            u32_of(self.bytes::<4>()?)
        } else {
            u32::from(u16_of(self.bytes::<2>()?))
        };
        Some(Header {
            tag,
            vr: Some(vr),
            length,
        })
    }
}

/// Whether an element holds a sequence: by its VR, or in implicit VR by the dictionary.
fn is_sequence(header: &Header) -> bool {
    match header.vr {
        Some(vr) => vr == VR::SQ,
        None => StandardDataDictionary
            .by_tag(header.tag)
            .is_some_and(|entry| entry.vr() == VirtualVr::Exact(VR::SQ)),
    }
}

/// Checks the file at `path`; `Err` names the first element that declares more bytes than
/// the file has left. Files that do not look like DICOM Part 10 pass (dicom-rs judges them).
pub(crate) fn check(path: &Path) -> Result<(), String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // dicom-rs reports the I/O error
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    check_reader(BufReader::new(file), length)
}

/// [`check`] over any seekable reader of `length` bytes.
fn check_reader<R: Read + Seek>(reader: R, length: u64) -> Result<(), String> {
    let mut walk = Walk {
        reader,
        length,
        position: 0,
    };
    // Preamble and magic: "DICM" first, or 128 bytes then "DICM" (dicom-rs accepts both).
    if walk.bytes::<4>().as_ref() != Some(b"DICM") {
        walk.position = 128;
        if walk.reader.seek(SeekFrom::Start(128)).is_err()
            || walk.bytes::<4>().as_ref() != Some(b"DICM")
        {
            return Ok(());
        }
    }
    let Some(encoding) = meta_group(&mut walk)? else {
        return Ok(());
    };
    data_set(&mut walk, encoding)
}

/// Walks the file meta group (explicit VR little endian), checking its lengths; returns the
/// data set's encoding, `None` where it cannot be walked (deflated, unreadable).
fn meta_group<R: Read + Seek>(walk: &mut Walk<R>) -> Result<Option<Encoding>, String> {
    let mut syntax = String::new();
    loop {
        // The group decides whether the data set starts here (its encoding may differ).
        let at = walk.position;
        let Some(group) = walk.bytes::<2>() else {
            return Ok(None);
        };
        walk.position = at;
        if walk.reader.seek(SeekFrom::Start(at)).is_err() {
            return Ok(None);
        }
        if u16::from_le_bytes(group) != 0x0002 {
            break;
        }
        let Some(header) = walk.header(Encoding::ExplicitLittle) else {
            return Ok(None);
        };
        if header.length == UNDEFINED {
            return Ok(None);
        }
        too_long(walk, &header)?;
        if header.tag == Tag(0x0002, 0x0010) && header.length <= 128 {
            let mut value = vec![0u8; header.length as usize];
            if walk.reader.read_exact(&mut value).is_err() {
                return Ok(None);
            }
            walk.position += u64::from(header.length);
            syntax = String::from_utf8_lossy(&value)
                .trim_end_matches(['\0', ' '])
                .to_string();
        } else if walk.skip(u64::from(header.length)).is_none() {
            return Ok(None);
        }
    }
    Ok(match syntax.as_str() {
        "1.2.840.10008.1.2" => Some(Encoding::ImplicitLittle),
        "1.2.840.10008.1.2.2" => Some(Encoding::ExplicitBig),
        // Deflated data sets: their lengths are inside the compressed stream.
        "1.2.840.10008.1.2.1.99" | "1.2.840.10008.1.2.4.95" => None,
        _ => Some(Encoding::ExplicitLittle),
    })
}

/// `Err` when `header` declares more bytes than the file has left.
fn too_long<R>(walk: &Walk<R>, header: &Header) -> Result<(), String>
where
    R: Read + Seek,
{
    let remaining = walk.remaining();
    if header.length != UNDEFINED && u64::from(header.length) > remaining {
        return Err(format!(
            "element ({:04X},{:04X}) declares a value of {} bytes, but only {} bytes of the file are left; the file is damaged or truncated",
            header.tag.group(),
            header.tag.element(),
            header.length,
            remaining
        ));
    }
    Ok(())
}

/// Walks the data set's headers to the end of the file.
fn data_set<R: Read + Seek>(walk: &mut Walk<R>, encoding: Encoding) -> Result<(), String> {
    // Open containers, innermost last, with the position where a defined-length one ends.
    let mut containers: Vec<(Container, Option<u64>)> = Vec::new();
    while walk.remaining() > 0 {
        while containers
            .last()
            .is_some_and(|(_, end)| end.is_some_and(|end| walk.position >= end))
        {
            containers.pop();
        }
        let Some(header) = walk.header(encoding) else {
            return Ok(());
        };
        let defined = header.length != UNDEFINED;
        let end = defined.then(|| walk.position + u64::from(header.length));
        match (header.tag.group(), header.tag.element()) {
            // Item: fragments are raw bytes; sequence items hold elements (walk into them).
            (0xFFFE, 0xE000) => match containers.last() {
                // dicom-rs copies a fragment's bytes as they come (a short last fragment
                // is read as it is), so a long one is no memory risk: stop walking there.
                Some((Container::Fragments, _)) if defined => {
                    if u64::from(header.length) > walk.remaining()
                        || walk.skip(u64::from(header.length)).is_none()
                    {
                        return Ok(());
                    }
                }
                Some((Container::Sequence, _)) => {}
                // An item outside any sequence, or a fragment of undefined length.
                _ => return Ok(()),
            },
            // Item delimiter: nothing to do.
            (0xFFFE, 0xE00D) => {}
            // Sequence delimiter: the innermost undefined-length container ends.
            (0xFFFE, 0xE0DD) => {
                if !matches!(containers.pop(), Some((_, None))) {
                    return Ok(());
                }
            }
            (0xFFFE, _) => return Ok(()),
            _ if !defined => {
                let pixels = header.tag == Tag(0x7FE0, 0x0010) && !is_sequence(&header);
                let container = if pixels {
                    Container::Fragments
                } else {
                    Container::Sequence
                };
                containers.push((container, None));
            }
            // A defined-length sequence: its items follow (and are walked into).
            _ if is_sequence(&header) => containers.push((Container::Sequence, end)),
            // A value: the one place dicom-rs allocates the declared length.
            _ => {
                too_long(walk, &header)?;
                if walk.skip(u64::from(header.length)).is_none() {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A Part 10 file: preamble, magic, a meta group naming `syntax`, then `body`.
    fn file(syntax: &str, body: &[u8]) -> Vec<u8> {
        let mut uid = syntax.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        out.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        out.extend_from_slice(&(uid.len() as u16).to_le_bytes());
        out.extend_from_slice(&uid);
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
        short.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0x10]);
        assert_eq!(run(&file("1.2.840.10008.1.2.4.50", &short)), Ok(()));
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
