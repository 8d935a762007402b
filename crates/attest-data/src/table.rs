//! Reading a case table (CSV, gzip-compressed CSV, Parquet) with polars, and taking typed
//! columns out of it with errors that name the file, the column and the rows.

use std::path::{Path, PathBuf};

use polars::prelude::*;

/// Why a table or a column could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file's extension is not one Attest reads.
    #[error("`{path}`: unsupported table format; use .csv, .csv.gz or .parquet")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be opened.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The table is larger than Attest reads (a decompression bomb, or a file that is not a
    /// case table); checked before the rows are parsed.
    #[error("`{path}`: {what} is {value}, over the limit of {limit}; a case table this large is refused before parsing (check that the file is the case table; for a table known to be this large, raise `data.limits` in the spec)")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What was measured, e.g. "the decompressed size in bytes".
        what: &'static str,
        /// The measured value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// polars could not parse the file.
    #[error("cannot parse `{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// polars' message.
        message: String,
    },
    /// A column the caller needs is not in the table.
    #[error("`{path}` has no column `{column}`{hint}; its columns are: {available}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// A "did you mean" suffix, or empty.
        hint: String,
        /// The columns the table has.
        available: String,
    },
    /// A column has values that cannot be used (missing, not numbers, not finite).
    #[error("`{path}`, column `{column}`: {problem} in {count} row(s), first at row(s) {rows} (rows count from 1 after the header)")]
    BadValues {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What is wrong, e.g. "missing value".
        problem: String,
        /// How many rows.
        count: usize,
        /// The first few row numbers.
        rows: String,
    },
}

/// A case table read into memory, remembering where it came from for error messages.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    frame: DataFrame,
}

/// Table formats Attest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row (optionally gzip-compressed).
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format named by a file's extension.
    pub fn of(path: &Path) -> Option<TableFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".csv") || name.ends_with(".csv.gz") {
            Some(TableFormat::Csv)
        } else if name.ends_with(".parquet") || name.ends_with(".pq") {
            Some(TableFormat::Parquet)
        } else {
            None
        }
    }
}

/// The largest case table Attest reads. A table is held in memory whole, so these bound the
/// memory a crafted or mistaken file can take: a gzip or Parquet bomb is stopped by its
/// decompressed size before its rows are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLimits {
    /// Largest table in bytes: the file, and for CSV.GZ and Parquet also its decompressed
    /// size.
    pub max_bytes: u64,
    /// Largest number of rows.
    pub max_rows: u64,
}

impl Default for TableLimits {
    /// 2 GiB and 10 million rows: the NIH ChestX-ray14 table (112,120 rows) is 7.5 MB, so
    /// the largest public imaging cohorts fit a hundred times over.
    fn default() -> Self {
        TableLimits {
            max_bytes: 2 << 30,
            max_rows: 10_000_000,
        }
    }
}

impl Table {
    /// Reads the whole table at `path` within the default [`TableLimits`].
    pub fn read(path: &Path) -> Result<Table, TableError> {
        Table::read_with_limits(path, &TableLimits::default())
    }

    /// Reads the whole table at `path`, refusing one over `limits` before parsing its rows.
    pub fn read_with_limits(path: &Path, limits: &TableLimits) -> Result<Table, TableError> {
        let format = TableFormat::of(path).ok_or_else(|| TableError::UnsupportedFormat {
            path: path.to_path_buf(),
        })?;
        let io = |source| TableError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Open first so a missing file is an I/O error with its OS reason, not a polars one.
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        within_limit(path, "the file size in bytes", size, limits.max_bytes)?;
        let parse_error = |e: PolarsError| TableError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let gzip = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
        let frame = match format {
            TableFormat::Csv if gzip => {
                // Decompress here, counting, so a gzip bomb stops at the limit instead of
                // filling memory inside the CSV reader.
                let mut text = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(
                        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)),
                        limits.max_bytes + 1,
                    ),
                    &mut text,
                )
                .map_err(|e| TableError::Parse {
                    path: path.to_path_buf(),
                    message: format!("not a readable gzip file: {e}"),
                })?;
                within_limit(
                    path,
                    "the decompressed size in bytes",
                    text.len() as u64,
                    limits.max_bytes,
                )?;
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(10_000))
                    .into_reader_with_file_handle(std::io::Cursor::new(text))
                    .finish()
                    .map_err(parse_error)?
            }
            TableFormat::Csv => {
                drop(file);
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(10_000))
                    .try_into_reader_with_file_path(Some(path.to_path_buf()))
                    .and_then(|reader| reader.finish())
                    .map_err(parse_error)?
            }
            TableFormat::Parquet => {
                // polars-parquet 0.55 asserts (panics) on some malformed files instead of
                // returning an error (found by the `table` fuzz target,
                // fuzz/regressions/table/); a damaged file is this table's parse error, not a
                // crash of the whole run.
                return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    read_parquet(path, file, limits)
                }))
                .unwrap_or_else(|panic| {
                    let what = crate::panic_message(panic.as_ref());
                    Err(TableError::Parse {
                        path: path.to_path_buf(),
                        message: format!(
                            "the Parquet reader failed on it ({what}); the file is probably damaged"
                        ),
                    })
                });
            }
        };
        with_row_limit(path, frame, limits)
    }

    /// Wraps an in-memory frame (tests, tables built by other code).
    pub fn from_frame(path: impl Into<PathBuf>, frame: DataFrame) -> Table {
        Table {
            path: path.into(),
            frame,
        }
    }

    /// Where the table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }

    /// Column names in order.
    pub fn column_names(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The polars frame.
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    fn column(&self, name: &str) -> Result<&Column, TableError> {
        self.frame.column(name).map_err(|_| {
            let names = self.column_names();
            let hint = names
                .iter()
                .filter(|n| n.eq_ignore_ascii_case(name) || strsim::jaro_winkler(n, name) > 0.85)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .next()
                .unwrap_or_default();
            TableError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
                hint,
                available: names.join(", "),
            }
        })
    }

    fn bad_values(&self, column: &str, problem: &str, rows: &[usize]) -> TableError {
        let shown: Vec<String> = rows.iter().take(5).map(|r| (r + 1).to_string()).collect();
        TableError::BadValues {
            path: self.path.clone(),
            column: column.to_string(),
            problem: problem.to_string(),
            count: rows.len(),
            rows: if rows.len() > 5 {
                format!("{}, …", shown.join(", "))
            } else {
                shown.join(", ")
            },
        }
    }

    /// A column cast to text (numbers written as polars writes them), with its gaps.
    fn text_cells(&self, name: &str) -> Result<StringChunked, TableError> {
        let parse = |e: PolarsError| TableError::Parse {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let cast = self.column(name)?.cast(&DataType::String).map_err(parse)?;
        cast.str().cloned().map_err(parse)
    }

    /// Whether a column holds numbers (integers or floats).
    pub fn is_numeric(&self, name: &str) -> Result<bool, TableError> {
        Ok(self.column(name)?.dtype().is_primitive_numeric())
    }

    /// A column of finite numbers; missing, non-numeric or non-finite values are an error
    /// listing the rows. A text column is accepted when every value parses as a number (so
    /// one stray "nan" is reported at its row, not as "the column is text").
    pub fn f64_column(&self, name: &str) -> Result<Vec<f64>, TableError> {
        let column = self.column(name)?;
        let parsed: Vec<Option<Result<f64, ()>>> = if column.dtype().is_primitive_numeric() {
            let cast = column
                .cast(&DataType::Float64)
                .and_then(|c| c.f64().cloned())
                .map_err(|e| TableError::Parse {
                    path: self.path.clone(),
                    message: e.to_string(),
                })?;
            cast.iter().map(|v| v.map(Ok)).collect()
        } else if column.dtype() == &DataType::String {
            let strings = column.str().map_err(|e| TableError::Parse {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
            strings
                .iter()
                .map(|v| v.map(|text| text.trim().parse::<f64>().map_err(|_| ())))
                .collect()
        } else {
            return Err(self.bad_values(
                name,
                &format!("values are {} rather than numbers", column.dtype()),
                &(0..self.len()).collect::<Vec<_>>(),
            ));
        };
        let mut values = Vec::with_capacity(self.len());
        let (mut missing, mut not_numbers, mut non_finite) = (Vec::new(), Vec::new(), Vec::new());
        for (row, value) in parsed.into_iter().enumerate() {
            match value {
                None => missing.push(row),
                Some(Err(())) => not_numbers.push(row),
                Some(Ok(v)) if !v.is_finite() => non_finite.push(row),
                Some(Ok(v)) => values.push(v),
            }
        }
        if !missing.is_empty() {
            return Err(self.bad_values(name, "missing value", &missing));
        }
        if !not_numbers.is_empty() {
            return Err(self.bad_values(name, "value that is not a number", &not_numbers));
        }
        if !non_finite.is_empty() {
            return Err(self.bad_values(name, "NaN or infinite value", &non_finite));
        }
        Ok(values)
    }

    /// A column as text (numbers written as polars writes them); missing values are an
    /// error listing the rows.
    pub fn string_column(&self, name: &str) -> Result<Vec<String>, TableError> {
        let strings = self.text_cells(name)?;
        let mut values = Vec::with_capacity(self.len());
        let mut missing = Vec::new();
        for (row, value) in strings.iter().enumerate() {
            match value {
                Some(v) => values.push(v.to_string()),
                None => missing.push(row),
            }
        }
        if !missing.is_empty() {
            return Err(self.bad_values(name, "missing value", &missing));
        }
        Ok(values)
    }

    /// A numeric column where missing or non-finite cells are `None` (metadata, not
    /// required data); a non-numeric column is an error.
    pub fn optional_f64_column(&self, name: &str) -> Result<Vec<Option<f64>>, TableError> {
        let column = self.column(name)?;
        if !column.dtype().is_primitive_numeric() {
            return Err(self.bad_values(
                name,
                &format!("values are {} rather than numbers", column.dtype()),
                &(0..self.len()).collect::<Vec<_>>(),
            ));
        }
        let cast = column
            .cast(&DataType::Float64)
            .and_then(|c| c.f64().cloned())
            .map_err(|e| TableError::Parse {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        Ok(cast.iter().map(|v| v.filter(|x| x.is_finite())).collect())
    }

    /// A column as text with gaps: `None` where the cell is missing or blank. Numbers are
    /// written as polars writes them (an integer column gives `"1"`, not `"1.0"`).
    pub fn optional_text_column(&self, name: &str) -> Result<Vec<Option<String>>, TableError> {
        let strings = self.text_cells(name)?;
        Ok(strings
            .iter()
            .map(|v| v.filter(|s| !s.trim().is_empty()).map(str::to_string))
            .collect())
    }

    /// Binary labels: `true` where the column equals `positive`. Numeric columns compare as
    /// numbers (so `--positive 1` matches 1 and 1.0); others as text.
    pub fn binary_labels(&self, name: &str, positive: &str) -> Result<Vec<bool>, TableError> {
        if self.is_numeric(name)? {
            let wanted: f64 = positive.trim().parse().map_err(|_| TableError::BadValues {
                path: self.path.clone(),
                column: name.to_string(),
                problem: format!(
                    "the column is numeric but the positive value `{positive}` is not a number"
                ),
                count: 0,
                rows: "-".to_string(),
            })?;
            Ok(self
                .f64_column(name)?
                .into_iter()
                .map(|v| v == wanted)
                .collect())
        } else {
            Ok(self
                .string_column(name)?
                .into_iter()
                .map(|v| v == positive)
                .collect())
        }
    }
}

/// Reads a Parquet table within `limits`: the row count and decompressed size are checked
/// from the file's metadata before any row is read.
fn read_parquet(
    path: &Path,
    file: std::fs::File,
    limits: &TableLimits,
) -> Result<Table, TableError> {
    let parse_error = |e: PolarsError| TableError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // polars sizes the footer's lists from their declared counts before reading them, and a
    // failed allocation aborts the process: the footer is checked first (`parquet_footer`).
    crate::parquet_footer::check(path).map_err(|message| TableError::Parse {
        path: path.to_path_buf(),
        message,
    })?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().map_err(parse_error)?;
    within_limit(
        path,
        "the row count",
        metadata.num_rows as u64,
        limits.max_rows,
    )?;
    let decompressed: u64 = metadata
        .row_groups
        .iter()
        .map(|g| g.total_byte_size() as u64)
        .sum();
    within_limit(
        path,
        "the decompressed size in bytes",
        decompressed,
        limits.max_bytes,
    )?;
    // polars sizes buffers from the counts page headers declare (`parquet_pages`).
    crate::parquet_pages::check(path, metadata, limits.max_rows, limits.max_bytes).map_err(
        |message| TableError::Parse {
            path: path.to_path_buf(),
            message,
        },
    )?;
    let frame = reader.finish().map_err(parse_error)?;
    with_row_limit(path, frame, limits)
}

/// The table read from `path`, once its row count is within `limits` (checked after
/// reading too: a Parquet file's metadata can understate it).
fn with_row_limit(
    path: &Path,
    frame: DataFrame,
    limits: &TableLimits,
) -> Result<Table, TableError> {
    within_limit(
        path,
        "the row count",
        frame.height() as u64,
        limits.max_rows,
    )?;
    Ok(Table {
        path: path.to_path_buf(),
        frame,
    })
}

/// `Err(TooLarge)` when `value` exceeds `limit`.
fn within_limit(path: &Path, what: &'static str, value: u64, limit: u64) -> Result<(), TableError> {
    if value > limit {
        return Err(TableError::TooLarge {
            path: path.to_path_buf(),
            what,
            value,
            limit,
        });
    }
    Ok(())
}
