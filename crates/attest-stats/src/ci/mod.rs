//! Confidence intervals: proportions (Wilson, Clopper–Pearson, Jeffreys, Agresti–Coull), AUC
//! by DeLong, any statistic by the seeded bootstrap (percentile, BCa), and the difference of
//! two proportions by Newcombe. Every interval carries its method, level and n.

pub mod bootstrap;
pub mod delong;
pub mod distributions;
pub mod interval;
pub mod newcombe;
pub mod proportion;

pub use interval::{Interval, IntervalMethod, Level};
