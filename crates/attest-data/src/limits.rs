//! The bounds a spec's `data.limits` sets on what is read: its values where given, the
//! defaults of [`TableLimits`] and [`ImageLimits`] elsewhere.

use attest_spec::types::Data;

use crate::images::{ImageLimits, ReadOptions};
use crate::table::TableLimits;

/// The case table's limits under `data`.
pub fn table_limits(data: &Data) -> TableLimits {
    let defaults = TableLimits::default();
    let given = data.limits.clone().unwrap_or_default();
    TableLimits {
        max_bytes: given.max_table_bytes.unwrap_or(defaults.max_bytes),
        max_rows: given.max_rows.unwrap_or(defaults.max_rows),
    }
}

/// How the images of `data` are read: within its image limits.
pub fn image_options(data: &Data) -> ReadOptions {
    let defaults = ImageLimits::default();
    let given = data.limits.clone().unwrap_or_default();
    ReadOptions {
        limits: ImageLimits {
            max_file_bytes: given.max_image_bytes.unwrap_or(defaults.max_file_bytes),
            max_pixels: given.max_image_pixels.unwrap_or(defaults.max_pixels),
        },
        ..ReadOptions::default()
    }
}
