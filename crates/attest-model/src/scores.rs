//! Precomputed scores: a table with one row per case, for teams whose inference runs
//! elsewhere. Such a model cannot see perturbed images, so robustness tests refuse it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use attest_data::table::Table;
use attest_spec::types::{OutputSpec, ScoresSource, Task};

use crate::error::ModelError;

/// Scores read from a table, by case id.
#[derive(Debug, Clone)]
pub struct ScoreTable {
    path: PathBuf,
    /// Columns read, in output order.
    pub columns: Vec<String>,
    by_id: HashMap<String, Vec<f32>>,
    sha256: String,
}

impl ScoreTable {
    /// Reads the spec's `model.scores` table (path relative to `base`); `data_id` is the
    /// data's id column, the default id column here.
    pub fn load(
        source: &ScoresSource,
        output: &OutputSpec,
        data_id: &str,
        base: &Path,
    ) -> Result<ScoreTable, ModelError> {
        let path = base.join(source.table());
        let bad = |message: String| ModelError::Scores {
            path: path.clone(),
            message,
        };
        let (id_column, score_column) = match source {
            ScoresSource::Path(_) => (data_id.to_string(), "score".to_string()),
            ScoresSource::Table(t) => (
                t.id.clone().unwrap_or_else(|| data_id.to_string()),
                t.score.clone().unwrap_or_else(|| "score".to_string()),
            ),
        };
        let columns = match output.task {
            Task::Binary => vec![score_column],
            Task::Multiclass | Task::Multilabel => output.classes.clone().unwrap_or_default(),
        };
        let table = Table::read(&path).map_err(|e| bad(e.to_string()))?;
        let ids = table
            .string_column(&id_column)
            .map_err(|e| bad(e.to_string()))?;
        let mut values = Vec::with_capacity(columns.len());
        for c in &columns {
            // Missing, non-numeric and non-finite values are refused with their rows.
            let column = table.f64_column(c).map_err(|e| bad(e.to_string()))?;
            values.push(column);
        }
        let mut by_id = HashMap::with_capacity(ids.len());
        for (row, id) in ids.into_iter().enumerate() {
            let scores = values.iter().map(|col| col[row] as f32).collect();
            if by_id.insert(id.clone(), scores).is_some() {
                return Err(bad(format!(
                    "case id `{id}` appears twice (second in data row {})",
                    row + 1
                )));
            }
        }
        let sha256 = attest_data::hash::sha256_file(&path).map_err(|e| bad(e.to_string()))?;
        Ok(ScoreTable {
            path,
            columns,
            by_id,
            sha256,
        })
    }

    /// The table file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the table file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Raw values of case `id`, `None` when the table has no row for it.
    pub fn get(&self, id: &str) -> Option<&[f32]> {
        self.by_id.get(id).map(Vec::as_slice)
    }

    /// Number of cases in the table.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
