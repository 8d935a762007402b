//! Checks that a network takes what the spec's preprocessing makes and gives what its task
//! needs, before any image is read.

use attest_spec::types::{OutputSpec, Task};

use crate::error::ModelError;
use crate::preprocess::Preprocess;

/// Writes a declared dimension (`?` when the model leaves it free).
fn dim(d: Option<usize>) -> String {
    d.map_or_else(|| "?".to_string(), |v| v.to_string())
}

/// Checks a declared `[batch, channels, height, width]` input (free dimensions `None`)
/// against the preprocessing. The batch dimension may be anything (it is set per run).
pub fn check_input(
    model: &str,
    declared: &[Option<usize>],
    pre: &Preprocess,
) -> Result<(), ModelError> {
    let expected = format!("N×{}×{}×{}", pre.channels, pre.height, pre.width);
    let found = declared
        .iter()
        .map(|d| dim(*d))
        .collect::<Vec<_>>()
        .join("×");
    if declared.len() != 4 {
        return Err(ModelError::InputShape {
            model: model.into(),
            expected,
            found: format!("{found} (rank {}, not an image batch)", declared.len()),
            fix: "Attest feeds N×C×H×W image batches; export the model with a 4-D image input"
                .into(),
        });
    }
    let want = [pre.channels, pre.height, pre.width];
    let mismatch = declared[1..]
        .iter()
        .zip(want)
        .any(|(d, w)| d.is_some_and(|d| d != w));
    if !mismatch {
        return Ok(());
    }
    let channels = declared[1].unwrap_or(pre.channels);
    let size = [
        declared[2].unwrap_or(pre.height),
        declared[3].unwrap_or(pre.width),
    ];
    Err(ModelError::InputShape {
        model: model.into(),
        expected,
        found,
        fix: format!(
            "set `model.input` to `size: [{}, {}]` and `channels: {channels}` if that is how the model was trained; otherwise this is not the model the spec describes",
            size[0], size[1]
        ),
    })
}

/// Output values per image that the spec's task accepts: binary 1 (or 2, the second being
/// the positive class), multiclass/multilabel one per class.
pub fn accepted_outputs(output: &OutputSpec) -> Vec<usize> {
    match output.task {
        Task::Binary => vec![1, 2],
        Task::Multiclass | Task::Multilabel => {
            vec![output.classes.as_ref().map_or(0, Vec::len)]
        }
    }
}

/// Checks a declared (or observed) number of outputs per image against the task.
pub fn check_outputs(model: &str, found: usize, output: &OutputSpec) -> Result<(), ModelError> {
    let accepted = accepted_outputs(output);
    if accepted.contains(&found) {
        return Ok(());
    }
    let expected = match output.task {
        Task::Binary => "1 (binary: the positive class's score)".to_string(),
        task => format!("{} ({}: one per class)", accepted[0], task.as_str()),
    };
    Err(ModelError::OutputShape {
        model: model.into(),
        expected,
        found,
    })
}
