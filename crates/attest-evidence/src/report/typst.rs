//! The PDF's source: Typst markup made from the report's (or the plan's) own HTML, so that
//! the two documents carry the same content by construction — one renderer writes the page,
//! and this module only changes its dress.
//!
//! It reads the small, well-formed HTML subset that [`super::render_html`] and
//! [`crate::plan::render_plan`] write (headings, paragraphs, tables, lists, badges, `pre`,
//! `code`, inline SVG) — not arbitrary HTML. Every piece of text becomes a Typst *string
//! literal*, never markup, so nothing in a spec or a results record can inject Typst code.
//! Written by hand: an HTML5 parser crate would be larger than this whole module, and the
//! input is our own output.

use std::fmt::Write as _;

/// A parsed element or a run of text.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Text with entities decoded.
    Text(String),
    /// An element: tag name (lower case), attributes, children.
    Element {
        tag: String,
        attrs: Vec<(String, String)>,
        children: Vec<Node>,
    },
    /// An inline `<svg>` element, kept verbatim.
    Svg { markup: String, width: Option<f64> },
}

/// Elements that never have content or a closing tag.
const VOID: &[&str] = &["meta", "br", "hr", "img", "link", "input", "col"];

/// Decodes the entities [`super::esc`] writes, plus `&nbsp;` and numeric references.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Attributes of a start tag's inside (`name a="b" c='d' e`).
fn parse_attrs(inside: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut chars = inside.char_indices().peekable();
    // Skip the tag name.
    while chars.next_if(|(_, c)| !c.is_whitespace()).is_some() {}
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        while chars
            .next_if(|(_, c)| !c.is_whitespace() && *c != '=')
            .is_some()
        {}
        let end = chars.peek().map_or(inside.len(), |&(i, _)| i);
        let name = inside[start..end].to_ascii_lowercase();
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            if !name.is_empty() && name != "/" {
                attrs.push((name, String::new()));
            }
            continue;
        }
        let value = match chars.peek().map(|&(_, c)| c) {
            Some(quote @ ('"' | '\'')) => {
                let (open, _) = chars.next().unwrap_or((end, quote));
                let mut close = inside.len();
                for (i, c) in chars.by_ref() {
                    if c == quote {
                        close = i;
                        break;
                    }
                }
                &inside[open + 1..close]
            }
            _ => {
                let from = chars.peek().map_or(inside.len(), |&(i, _)| i);
                while chars.next_if(|(_, c)| !c.is_whitespace()).is_some() {}
                let to = chars.peek().map_or(inside.len(), |&(i, _)| i);
                &inside[from..to]
            }
        };
        attrs.push((name, decode_entities(value)));
    }
    attrs
}

/// An element being parsed: tag, attributes, children so far.
type Open = (String, Vec<(String, String)>, Vec<Node>);

/// Parses our HTML into a forest. Unknown or unbalanced end tags are ignored; an element left
/// open at the end is closed there.
fn parse(html: &str) -> Vec<Node> {
    // Stack of open elements: (tag, attrs, children).
    let mut stack: Vec<Open> = vec![(String::new(), Vec::new(), Vec::new())];
    let mut rest = html;
    let push = |stack: &mut Vec<Open>, node: Node| {
        if let Some(top) = stack.last_mut() {
            top.2.push(node);
        }
    };
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push(&mut stack, Node::Text(decode_entities(rest)));
            break;
        };
        if lt > 0 {
            push(&mut stack, Node::Text(decode_entities(&rest[..lt])));
        }
        let tail = &rest[lt..];
        if let Some(comment) = tail.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |e| &comment[e + 3..]);
            continue;
        }
        let Some(gt) = tail.find('>') else {
            push(&mut stack, Node::Text(decode_entities(tail)));
            break;
        };
        let inside = &tail[1..gt];
        rest = &tail[gt + 1..];
        if inside.starts_with('!') || inside.starts_with('?') {
            continue;
        }
        if let Some(name) = inside.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(depth) = stack.iter().rposition(|(t, _, _)| *t == name) {
                close_down_to(&mut stack, depth.max(1));
            }
            continue;
        }
        let name: String = inside
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == "svg" {
            // Keep the whole element verbatim, up to its matching end tag.
            let start = html.len() - tail.len();
            let end = matching_svg_end(&html[start..]).map_or(html.len(), |e| start + e);
            let markup = html[start..end].to_string();
            let width = parse_attrs(inside)
                .into_iter()
                .find(|(k, _)| k == "width")
                .and_then(|(_, v)| v.trim_end_matches("px").parse().ok());
            push(&mut stack, Node::Svg { markup, width });
            rest = &html[end..];
            continue;
        }
        let attrs = parse_attrs(inside);
        if VOID.contains(&name.as_str()) || inside.ends_with('/') {
            push(
                &mut stack,
                Node::Element {
                    tag: name,
                    attrs,
                    children: Vec::new(),
                },
            );
        } else if matches!(name.as_str(), "style" | "script" | "title") {
            // Raw text elements: their content is not markup.
            let close = format!("</{name}");
            let end = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            let text = decode_entities(&rest[..end]);
            rest = rest[end..].find('>').map_or("", |g| &rest[end + g + 1..]);
            push(
                &mut stack,
                Node::Element {
                    tag: name,
                    attrs,
                    children: vec![Node::Text(text)],
                },
            );
        } else {
            stack.push((name, attrs, Vec::new()));
        }
    }
    close_down_to(&mut stack, 1);
    stack.pop().map(|(_, _, c)| c).unwrap_or_default()
}

/// Closes the open elements above `depth` into their parents.
fn close_down_to(stack: &mut Vec<Open>, depth: usize) {
    while stack.len() > depth {
        let Some((tag, attrs, children)) = stack.pop() else {
            break;
        };
        if let Some(parent) = stack.last_mut() {
            parent.2.push(Node::Element {
                tag,
                attrs,
                children,
            });
        }
    }
}

/// Byte offset just past the `</svg>` that closes the `<svg` at the start of `text`.
fn matching_svg_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(i) = text[at..].find('<') {
        let pos = at + i;
        let tail = &text[pos..];
        if tail.starts_with("</svg") {
            depth = depth.saturating_sub(1);
            let end = pos + tail.find('>')? + 1;
            if depth == 0 {
                return Some(end);
            }
            at = end;
        } else if tail.starts_with("<svg") {
            let gt = tail.find('>')?;
            if !tail[..gt].ends_with('/') {
                depth += 1;
            }
            at = pos + gt + 1;
        } else {
            at = pos + 1;
        }
    }
    None
}

/// A Typst string literal of `text` (escaped: no markup is ever interpreted).
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Collapses whitespace runs as an HTML renderer does (keeping non-breaking spaces).
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

/// The text of a subtree, as written (for `pre` and `code`).
fn text_of(nodes: &[Node], out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Element { children, .. } => text_of(children, out),
            Node::Svg { .. } => {}
        }
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn has_class(attrs: &[(String, String)], class: &str) -> bool {
    attr(attrs, "class").is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

/// Fill colour of a verdict badge (the report's CSS colours).
fn badge_colour(attrs: &[(String, String)]) -> &'static str {
    const COLOURS: [(&str, &str); 5] = [
        ("PASS", "#1E8449"),
        ("FAIL", "#C0392B"),
        ("INCONCLUSIVE", "#B9770E"),
        ("ERROR", "#6C3483"),
        ("NOT", "#7F8C8D"),
    ];
    COLOURS
        .iter()
        .find(|(class, _)| has_class(attrs, class))
        .map_or("#555555", |(_, colour)| colour)
}

/// Images the document shows, by virtual path (`img/N.png`): served to Typst as files.
pub type Files = Vec<(String, Vec<u8>)>;

/// Typst code (an expression) for a sequence of nodes.
fn seq(nodes: &[Node], files: &mut Files) -> String {
    let parts: Vec<String> = nodes.iter().filter_map(|n| expr(n, files)).collect();
    match parts.len() {
        0 => "[]".to_string(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => format!("{{ {} }}", parts.join("; ")),
    }
}

/// Rows of a table element: each row's cells as (is header, colspan, children).
type Cells<'a> = Vec<(bool, usize, &'a [Node])>;

fn table_rows(children: &[Node]) -> Vec<Cells<'_>> {
    let mut rows = Vec::new();
    for child in children {
        if let Node::Element { tag, children, .. } = child {
            match tag.as_str() {
                "tr" => {
                    let cells = children
                        .iter()
                        .filter_map(|c| match c {
                            Node::Element {
                                tag,
                                attrs,
                                children,
                            } if tag == "td" || tag == "th" => Some((
                                tag == "th",
                                attr(attrs, "colspan")
                                    .and_then(|s| s.parse().ok())
                                    .unwrap_or(1usize)
                                    .max(1),
                                children.as_slice(),
                            )),
                            _ => None,
                        })
                        .collect();
                    rows.push(cells);
                }
                "thead" | "tbody" | "tfoot" => rows.extend(table_rows(children)),
                _ => {}
            }
        }
    }
    rows
}

fn table(children: &[Node], files: &mut Files) -> Option<String> {
    let rows = table_rows(children);
    let columns = rows
        .iter()
        .map(|r| r.iter().map(|(_, span, _)| span).sum::<usize>())
        .max()
        .filter(|&c| c > 0)?;
    let mut cell = |(header, span, children): &(bool, usize, &[Node])| {
        let body = seq(children, files);
        let body = if *header {
            format!("strong({body})")
        } else {
            body
        };
        let fill = if *header { ", fill: luma(238)" } else { "" };
        let span = if *span > 1 {
            format!(", colspan: {}", span.min(&columns))
        } else {
            String::new()
        };
        format!("table.cell({body}{fill}{span})")
    };
    let mut parts = Vec::new();
    let mut rest = rows.as_slice();
    // A first row of header cells repeats on every page the table spans.
    if let Some((first, tail)) = rows.split_first() {
        if first.iter().all(|(h, _, _)| *h) && !tail.is_empty() {
            let cells: Vec<String> = first.iter().map(&mut cell).collect();
            parts.push(format!("table.header({})", cells.join(", ")));
            rest = tail;
        }
    }
    for row in rest {
        let used: usize = row.iter().map(|(_, s, _)| s).sum();
        parts.extend(row.iter().map(&mut cell));
        // Short rows are padded so that the next row starts on its own line.
        parts.extend((used..columns).map(|_| "[]".to_string()));
    }
    Some(format!("table(columns: {columns}, {})", parts.join(", ")))
}

/// An `<img>` with an inline PNG or JPEG (`data:` URI, base64): registered as a file of the
/// document and shown at its `width` (CSS pixels). Other sources are not shown: the pages
/// this crate writes embed every image.
fn image(attrs: &[(String, String)], files: &mut Files) -> Option<String> {
    use base64::Engine as _;
    let src = attr(attrs, "src")?;
    let (kind, data) = src
        .strip_prefix("data:image/png;base64,")
        .map(|d| ("png", d))
        .or_else(|| {
            src.strip_prefix("data:image/jpeg;base64,")
                .map(|d| ("jpg", d))
        })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let path = format!("img/{}.{kind}", files.len());
    files.push((path.clone(), bytes));
    let width = attr(attrs, "width")
        .and_then(|w| w.trim_end_matches("px").parse::<f64>().ok())
        .map_or_else(String::new, |w| format!(", width: {:.1}pt", w * 0.75));
    Some(format!(
        "image({}{width})",
        string_literal(&format!("/{path}"))
    ))
}

/// Typst code for one node, or `None` for nothing to show.
fn expr(node: &Node, files: &mut Files) -> Option<String> {
    match node {
        Node::Text(t) => {
            let t = collapse(t);
            (!t.is_empty()).then(|| string_literal(&t))
        }
        Node::Svg { markup, width } => {
            // CSS pixels are 0.75 pt; never wider than the text column.
            let limit = width.map_or_else(
                || "size.width".to_string(),
                |w| format!("calc.min({:.1}pt, size.width)", w * 0.75),
            );
            Some(format!(
                "block(breakable: false, layout(size => image(bytes({}), format: \"svg\", width: {limit})))",
                string_literal(markup)
            ))
        }
        Node::Element {
            tag,
            attrs,
            children,
        } => match tag.as_str() {
            "head" | "style" | "script" | "title" | "meta" | "link" => None,
            "br" => Some("linebreak()".into()),
            "img" => image(attrs, files),
            "h1" => Some(format!(
                "block(below: 1em, text(size: 17pt, weight: \"bold\", {}))",
                seq(children, files)
            )),
            "h2" => Some(format!("heading(level: 1, {})", seq(children, files))),
            "h3" => Some(format!("heading(level: 2, {})", seq(children, files))),
            "h4" | "h5" | "h6" => Some(format!("heading(level: 3, {})", seq(children, files))),
            "p" => Some(format!("block(spacing: 0.9em, {})", seq(children, files))),
            "b" | "strong" | "th" => Some(format!("strong({})", seq(children, files))),
            "i" | "em" => Some(format!("emph({})", seq(children, files))),
            "span" if has_class(attrs, "v") => Some(format!(
                "box(fill: rgb(\"{}\"), inset: (x: 3pt, y: 1.5pt), outset: (y: 1pt), radius: 2pt, text(fill: white, weight: \"bold\", {}))",
                badge_colour(attrs),
                seq(children, files)
            )),
            "span" if has_class(attrs, "muted") => {
                Some(format!("text(fill: luma(90), {})", seq(children, files)))
            }
            "span" if has_class(attrs, "reason") => {
                Some(format!("emph({})", seq(children, files)))
            }
            "pre" => {
                let mut text = String::new();
                text_of(children, &mut text);
                Some(format!(
                    "block(width: 100%, fill: luma(247), stroke: 0.5pt + luma(200), inset: 6pt, text(size: 7pt, raw(block: true, {})))",
                    string_literal(&text)
                ))
            }
            "code" => {
                let mut text = String::new();
                text_of(children, &mut text);
                Some(format!("raw({})", string_literal(&collapse(&text))))
            }
            "table" => table(children, files),
            "ul" | "ol" => {
                let items: Vec<String> = children
                    .iter()
                    .filter_map(|c| match c {
                        Node::Element { tag, children, .. } if tag == "li" => Some(seq(children, files)),
                        _ => None,
                    })
                    .collect();
                let func = if tag == "ol" { "enum" } else { "list" };
                Some(format!("{func}({})", items.join(", ")))
            }
            "footer" => Some(format!(
                "block(above: 2em, text(size: 7.5pt, fill: luma(90), {}))",
                seq(children, files)
            )),
            "div" | "section" | "body" | "html" | "main" | "article" | "li" => {
                let inner = seq(children, files);
                Some(format!("block(width: 100%, {inner})"))
            }
            // Links, and anything else inline: the content alone.
            _ => {
                let inner = seq(children, files);
                (inner != "[]").then_some(inner)
            }
        },
    }
}

/// What every page's footer names, and the document's title.
#[derive(Debug, Clone)]
pub struct PageIdentity {
    /// The document's title (PDF metadata).
    pub title: String,
    /// The left part of every footer (e.g. "Run … · spec SHA-256 …").
    pub footer: String,
}

/// The whole Typst document for `html`: A4 pages, the footer on every page with "page n of
/// N", headings (`h2`, `h3`) as numbered-as-written PDF bookmarks.
pub fn document(html: &str, identity: &PageIdentity) -> (String, Files) {
    let nodes = parse(html);
    let mut files = Files::new();
    // Only the body is content; a bare fragment is all content.
    let body = find_body(&nodes).unwrap_or(&nodes);
    let source = format!(
        r#"#set document(title: {title}, date: none)
#set text(font: ("Libertinus Serif", "DejaVu Sans Mono"), size: 9pt, lang: "en")
#set par(justify: false)
#set page(paper: "a4", margin: (x: 16mm, top: 16mm, bottom: 20mm), footer: context [
  #set text(size: 7pt, fill: luma(80))
  #grid(columns: (1fr, auto), column-gutter: 10pt, align: (left + bottom, right + bottom),
    text(font: "DejaVu Sans Mono", size: 6pt, {footer}),
    [page #counter(page).display("1 of 1", both: true)])
])
#set block(spacing: 0.9em)
#set table(stroke: 0.4pt + luma(170), inset: (x: 3pt, y: 2.5pt), align: left + top)
#show table: set text(size: 7.5pt)
#show table: set par(justify: false)
#show heading.where(level: 1): set text(size: 13pt)
#show heading.where(level: 1): it => block(above: 1.6em, below: 0.8em, it)
#show heading.where(level: 2): set text(size: 10.5pt)
#show raw: set text(font: "DejaVu Sans Mono")
#{{ {content} }}
"#,
        title = string_literal(&identity.title),
        footer = string_literal(&identity.footer),
        content = seq(body, &mut files),
    );
    (source, files)
}

fn find_body(nodes: &[Node]) -> Option<&[Node]> {
    for node in nodes {
        if let Node::Element { tag, children, .. } = node {
            if tag == "body" {
                return Some(children);
            }
            if let Some(found) = find_body(children) {
                return Some(found);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_string_literals_never_markup() {
        let html = "<p>#set page(width: 1pt) [x] *bold* \"q\" \\ &lt;tag&gt; &amp;&#39;</p>";
        let code = seq(&parse(html), &mut Files::new());
        assert_eq!(
            code,
            "block(spacing: 0.9em, \"#set page(width: 1pt) [x] *bold* \\\"q\\\" \\\\ <tag> &'\")"
        );
    }

    #[test]
    fn tables_keep_their_columns_headers_and_spans() {
        let html = "<table><tr><th colspan=\"3\">Title</th></tr><tr><th>a</th><th>b</th><th>c</th></tr><tr><td>1</td><td>2</td></tr></table>";
        let code = seq(&parse(html), &mut Files::new());
        assert!(code.starts_with("table(columns: 3, table.header(table.cell(strong(\"Title\"), fill: luma(238), colspan: 3)),"), "{code}");
        // The short last row is padded to three cells.
        assert!(
            code.ends_with("table.cell(\"1\"), table.cell(\"2\"), [])"),
            "{code}"
        );
    }

    #[test]
    fn svg_is_kept_verbatim_with_nested_elements() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="10"><title>t</title><text>a &lt; b</text></svg>"#;
        let html = format!("<div>{svg}<p>after</p></div>");
        let nodes = parse(&html);
        let Node::Element { children, .. } = &nodes[0] else {
            panic!("{nodes:?}")
        };
        assert_eq!(
            children[0],
            Node::Svg {
                markup: svg.to_string(),
                width: Some(400.0)
            }
        );
        assert_eq!(children.len(), 2);
    }

    #[test]
    fn badges_lists_pre_and_entities() {
        let html = "<ul><li><span class=\"v FAIL\">FAIL</span> x&nbsp;y</li></ul><pre>a\n  b</pre>";
        let code = seq(&parse(html), &mut Files::new());
        assert!(code.contains("rgb(\"#C0392B\")"), "{code}");
        assert!(code.contains("\" x\u{a0}y\""), "{code}");
        assert!(code.contains("raw(block: true, \"a\\n  b\")"), "{code}");
    }

    #[test]
    fn the_parser_never_panics_on_broken_markup() {
        for html in [
            "<",
            "</p>",
            "<p",
            "<p>text",
            "&",
            "&#xZZ;",
            "<svg><svg>",
            "<table><tr></tr></table>",
            "<a href='x>y",
            "<!-- open",
            "</>",
        ] {
            let _ = document(
                html,
                &PageIdentity {
                    title: "t".into(),
                    footer: "f".into(),
                },
            );
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(string_literal("a\u{1}b\tc"), "\"a\\u{1}b\\tc\"");
    }
}
