//! Dotted paths into a spec (`tests[3].require.lower`), the common address of every diagnostic.

use std::fmt;

/// One step of a [`SpecPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index, from zero.
    Index(usize),
}

/// A location in the spec's structure, independent of the text layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct SpecPath(Vec<Segment>);

impl SpecPath {
    /// The document root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a mapping key.
    #[must_use]
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.into()));
        next
    }

    /// This path extended by a sequence index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// The steps from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the root.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parent path and the last step, unless this is the root.
    pub fn split_last(&self) -> Option<(SpecPath, &Segment)> {
        let (last, rest) = self.0.split_last()?;
        Some((SpecPath(rest.to_vec()), last))
    }

    /// Parses a JSON Pointer (RFC 6901) such as `/tests/3/metric`. Numeric tokens become
    /// indices, since a spec never has numeric mapping keys where a pointer is produced.
    pub fn from_json_pointer(pointer: &str) -> Self {
        let mut path = Self::root();
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            path = match token.parse::<usize>() {
                Ok(i) => path.index(i),
                Err(_) => path.key(token),
            };
        }
        path
    }
}

impl SpecPath {
    /// The path as a JSON Pointer (RFC 6901), e.g. `/tests/3/metric`.
    pub fn to_json_pointer(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => format!("/{i}"),
            })
            .collect()
    }
}

impl fmt::Display for SpecPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl From<&serde_path_to_error::Path> for SpecPath {
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        let mut out = SpecPath::root();
        for segment in path.iter() {
            out = match segment {
                S::Seq { index } => out.index(*index),
                S::Map { key } => out.key(key.clone()),
                S::Enum { variant } => out.key(variant.clone()),
                S::Unknown => out,
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_reader_writes_it() {
        let path = SpecPath::root()
            .key("tests")
            .index(3)
            .key("require")
            .key("lower");
        assert_eq!(path.to_string(), "tests[3].require.lower");
        assert_eq!(SpecPath::from_json_pointer("/tests/3/require/lower"), path);
        assert_eq!(
            SpecPath::from_json_pointer("/a~1b/c~0d").to_string(),
            "a/b.c~d"
        );
    }
}
