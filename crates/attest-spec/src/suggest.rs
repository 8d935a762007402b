//! "Did you mean …?" suggestions for misspelt names.

/// The candidate closest to `typed`, if it is close enough to be a plausible misspelling:
/// an edit distance (with transpositions) of at most a third of the length, or a
/// case-insensitive match.
pub fn did_you_mean<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = typed.to_lowercase();
    let limit = (typed.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != typed)
        .map(|c| (strsim::damerau_levenshtein(&lowered, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Names written as code and joined by commas: `` `a`, `b`, `c` ``.
pub fn quoted_list<I>(names: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A help line offering the closest candidate, or listing the candidates when few.
pub fn help_for<'a, I>(typed: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(best) = did_you_mean(typed, candidates.clone()) {
        return Some(format!("did you mean `{best}`?"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    match all.len() {
        0 => None,
        1..=12 => Some(format!(
            "{what} defined here: {}",
            all.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let names = ["sensitivity", "specificity", "auc"];
        assert_eq!(did_you_mean("sensitivty", names), Some("sensitivity"));
        assert_eq!(did_you_mean("specifity", names), Some("specificity"));
        assert_eq!(did_you_mean("AUC", names), Some("auc"));
        assert_eq!(did_you_mean("kappa_score", names), None);
    }
}
