//! Failure analysis: where in the data does the model do worst?
//!
//! [`segments::discover`] searches metadata segments — every value of a categorical column,
//! quantile bins of a numeric one, and the intersections of two such conditions — for those
//! whose AUC falls below the rest of the cases, and ranks them with honest statistics: each
//! segment's AUC has its DeLong interval, segments below a minimum size (or with too few
//! cases of a class) are not tried, and every p-value is adjusted for the number of segments
//! tried (Benjamini–Hochberg), so "flagged" means a controlled false-discovery rate, not the
//! best-looking of hundreds of slices. What it finds is **exploratory**: it is never a
//! pre-specified verdict.

pub mod segments;

pub use segments::{discover, Column, Condition, Exploration, Options, Segment};
