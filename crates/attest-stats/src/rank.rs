//! Cases sorted once by score, with ties grouped.
//!
//! Every threshold-free statistic (AUC, ROC, DeLong, operating points) and every bootstrap
//! replicate works on this order, so sorting happens once per sample rather than once per
//! replicate: a replicate only changes how many times each case counts.

/// Cases in ascending score order with runs of equal scores grouped.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Original index of the case at each sorted position.
    order: Vec<usize>,
    /// Label at each sorted position.
    labels: Vec<bool>,
    /// Score at each sorted position.
    scores: Vec<f64>,
    /// Exclusive end position of each tie group, ascending.
    group_ends: Vec<usize>,
    positives: usize,
}

impl Ranked {
    /// Sorts the cases. Scores must be finite (guaranteed by [`crate::Sample`]).
    pub(crate) fn new(labels: &[bool], scores: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        // Stable sort by score, then index: the order is a pure function of the input.
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        let sorted_labels: Vec<bool> = order.iter().map(|&i| labels[i]).collect();
        let sorted_scores: Vec<f64> = order.iter().map(|&i| scores[i]).collect();
        let mut group_ends = Vec::new();
        for position in 1..=sorted_scores.len() {
            if position == sorted_scores.len()
                || sorted_scores[position] != sorted_scores[position - 1]
            {
                group_ends.push(position);
            }
        }
        let positives = sorted_labels.iter().filter(|&&l| l).count();
        Ranked {
            order,
            labels: sorted_labels,
            scores: sorted_scores,
            group_ends,
            positives,
        }
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no cases.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of positive cases (each counted once).
    pub fn positives(&self) -> usize {
        self.positives
    }

    /// Number of negative cases (each counted once).
    pub fn negatives(&self) -> usize {
        self.labels.len() - self.positives
    }

    /// Original index of the case at each sorted position.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Labels in sorted order.
    pub fn labels(&self) -> &[bool] {
        &self.labels
    }

    /// Scores in ascending order.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// Tie groups as ranges of sorted positions, ascending by score.
    pub fn groups(&self) -> impl DoubleEndedIterator<Item = std::ops::Range<usize>> + '_ {
        (0..self.group_ends.len()).map(move |g| {
            let start = if g == 0 { 0 } else { self.group_ends[g - 1] };
            start..self.group_ends[g]
        })
    }

    /// Number of distinct scores.
    pub fn distinct_scores(&self) -> usize {
        self.group_ends.len()
    }

    /// Per tie group (ascending), the weighted (positives, negatives), where `weights` gives
    /// how often each case counts, in **sorted** order. `None` means every case counts once.
    pub(crate) fn group_counts(&self, weights: Option<&[u32]>) -> Vec<(u64, u64)> {
        self.groups()
            .map(|range| {
                let mut pos = 0u64;
                let mut neg = 0u64;
                for p in range {
                    let w = weights.map_or(1, |w| u64::from(w[p]));
                    if self.labels[p] {
                        pos += w;
                    } else {
                        neg += w;
                    }
                }
                (pos, neg)
            })
            .collect()
    }
}
