//! The book's integrity, checked on every `cargo test` (CI also builds it with mdBook and runs
//! `mdbook test`): every chapter is in the summary, every relative link and anchor resolves
//! inside the book, every `{{#include}}` names an existing file, and the getting-started
//! chapter includes exactly the README's two commands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use attest_integration_tests::workspace_root;

fn book_src() -> PathBuf {
    workspace_root().join("book").join("src")
}

fn chapters() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(book_src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    out.sort();
    out
}

/// The text of a chapter with its `{{#include}}`s expanded (as mdBook does), so that links
/// in included files are checked where they end up.
fn expanded(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{#include ") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").map(|e| start + e).unwrap();
        let spec = rest[start + "{{#include ".len()..end].trim();
        let (file, range) = spec.split_once(':').unwrap_or((spec, ""));
        let target = path.parent().unwrap().join(file);
        let included = std::fs::read_to_string(&target).unwrap_or_else(|e| {
            panic!(
                "{}: include `{file}` ({}): {e}",
                path.display(),
                target.display()
            )
        });
        let lines: Vec<&str> = included.lines().collect();
        let bound = |s: Option<&str>, default: usize| {
            s.filter(|s| !s.is_empty())
                .map_or(default, |s| s.parse::<usize>().unwrap())
        };
        let mut parts = range.split(':');
        let from = bound(parts.next(), 1).max(1);
        let to = bound(parts.next(), lines.len()).min(lines.len());
        // Links of files outside the book are the including chapter's business only if the
        // included part is Markdown meant for it; mdBook resolves them from the chapter.
        out.push_str(&lines[from - 1..to].join("\n"));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// mdBook's heading ids: lower case, spaces to dashes, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `(target, line)` of every Markdown link `](target)` outside code blocks.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut in_code = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            out.push((after[..end].to_string(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_chapter_is_in_the_summary() {
    let summary = std::fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    for chapter in chapters() {
        let name = chapter.file_name().unwrap().to_str().unwrap();
        if name != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("({name})")),
                "book/src/{name} is not in SUMMARY.md"
            );
        }
    }
}

#[test]
fn every_link_and_anchor_resolves_inside_the_book() {
    let src = book_src();
    let mut checked = 0;
    for chapter in chapters() {
        let text = expanded(&chapter);
        for (link, line) in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let where_ = format!("{}:{line}: `{link}`", chapter.display());
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                chapter.clone()
            } else {
                chapter.parent().unwrap().join(file)
            };
            let target = target
                .canonicalize()
                .unwrap_or_else(|_| panic!("{where_}: no such file"));
            assert!(
                target.starts_with(src.canonicalize().unwrap()),
                "{where_}: points outside book/src (the built book would not have it)"
            );
            if !anchor.is_empty() && target.extension().is_some_and(|e| e == "md") {
                let headings = anchors(&expanded(&target));
                assert!(
                    headings.contains(anchor),
                    "{where_}: no heading `#{anchor}` there"
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked > 10,
        "only {checked} links found: is the parser broken?"
    );
}

#[test]
fn getting_started_shows_exactly_the_readmes_two_commands() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let block = lines.iter().position(|l| l.starts_with("```sh")).unwrap();
    // getting-started.md includes README lines 7–8: they must be the first code block's two
    // commands (the lines right after the README's first ```sh).
    assert_eq!(
        block + 2,
        7,
        "the README's first ```sh block moved: update getting-started.md's include"
    );
    assert!(
        lines[block + 3].starts_with("```"),
        "the README's first block holds more than two lines"
    );
    let chapter = expanded(&book_src().join("getting-started.md"));
    assert!(chapter.contains(lines[6]) && chapter.contains(lines[7]));
    assert!(
        lines[6].contains("run examples/chest-xray/attest.yaml") && lines[7].contains("cargo test")
    );
}
