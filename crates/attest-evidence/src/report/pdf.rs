//! `report.pdf` and `plan.pdf`: the HTML documents typeset by Typst, linked in as a library
//! (no external program, no system fonts, no network). Why Typst rather than printpdf, and
//! what it costs, is in `crates/attest-evidence/PDF-ROUTE.md` and BENCHMARKS.md.
//!
//! Fonts are the ones `typst-assets` bundles (Libertinus Serif for text, DejaVu Sans Mono for
//! hashes and the spec): the output depends on nothing installed on the machine, so the same
//! inputs give the same bytes everywhere. Text is real text with embedded, subset fonts
//! (searchable, extractable); headings become bookmarks; nothing is encrypted.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use super::typst::{document, PageIdentity};

/// The bundled fonts and their index, parsed once per process.
fn fonts() -> &'static (Vec<Font>, LazyHash<FontBook>) {
    static FONTS: OnceLock<(Vec<Font>, LazyHash<FontBook>)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        (fonts, book)
    })
}

/// The standard library, built once per process.
fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::builder().build()))
}

/// A Typst world of one in-memory source: no file, package or clock is reachable from it.
struct OneSource {
    main: Source,
    /// The images the source shows, by virtual path without the leading slash.
    files: std::collections::HashMap<String, Bytes>,
}

impl World for OneSource {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().1
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(id.get().vpath().get_without_slash())
            .cloned()
            .ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().0.get(index).cloned()
    }

    /// No clock: the document must not depend on when it was typeset.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// Typesets `html` (a report or plan page this crate wrote) as a PDF with `identity` in every
/// footer. Errors name what Typst could not lay out.
pub fn html_to_pdf(html: &str, identity: &PageIdentity) -> Result<Vec<u8>, String> {
    let (source, files) = document(html, identity);
    typeset(&source, files)
}

/// Compiles a Typst source showing `files` to PDF bytes.
pub(crate) fn typeset(source: &str, files: super::typst::Files) -> Result<Vec<u8>, String> {
    let world = OneSource {
        main: Source::detached(source),
        files: files
            .into_iter()
            .map(|(path, bytes)| (path, Bytes::new(bytes)))
            .collect(),
    };
    let document = typst::compile(&world).output.map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_every_construct_typesets_and_is_deterministic() {
        let html = r##"<html><head><title>t</title><style>p{}</style></head><body>
<h1>Verification report: demo</h1><p class="overall">Overall verdict: <span class="v FAIL">FAIL</span></p>
<h2>1. Identification</h2><table><tr><th>Run</th><td><code>r-1</code></td></tr></table>
<h3>PERF-001 <span class="v PASS">PASS</span></h3>
<table><tr><th colspan="3">Confusion</th></tr><tr><th></th><th>a</th><th>b</th></tr><tr><th>x</th><td>1</td><td>2</td></tr></table>
<ul><li>a warning with #markup and [brackets] and "quotes" \ backslash</li></ul>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200" width="400" height="200" font-family="Helvetica"><title>ROC</title><line x1="0" y1="0" x2="400" y2="200" stroke="#000"/><text x="20" y="20">AUC axis</text></svg>
<table><tr><td><img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==" width="64"></td></tr></table>
<pre>spec: text
  indented: true</pre><footer>Run r-1</footer></body></html>"##;
        let identity = PageIdentity {
            title: "demo".into(),
            footer: "Run r-1 · spec SHA-256 abc".into(),
        };
        let pdf = html_to_pdf(html, &identity).unwrap_or_else(|e| panic!("{e}"));
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf, html_to_pdf(html, &identity).unwrap_or_default());
        // Headings are in the outline (bookmarks).
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Outlines"), "no bookmarks");
        assert!(!text.contains("/Encrypt"));
    }
}
