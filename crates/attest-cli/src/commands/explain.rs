//! `attest explain`: the spec language's vocabulary, from the same catalog validation uses.

use attest_spec::catalog::{self, MetricFamily, MetricInfo};
use attest_spec::types::TestKind;

use crate::cli::ExplainArgs;
use crate::commands::CommandError;
use crate::exit::{ExitStatus, EXIT_CODES_HELP};

const TOPICS: &[(&str, &str)] = &[
    ("tests", "the test kinds and what each one checks"),
    ("metrics", "every metric, with its definition"),
    ("ci", "confidence-interval methods"),
    ("perturbations", "perturbation kinds and their families"),
    ("exit-codes", "what each exit code means"),
];

/// Prints a topic list, a topic, or one entry; an unknown name is a usage error.
pub fn run(args: &ExplainArgs) -> Result<ExitStatus, CommandError> {
    let Some(name) = args.name.as_deref() else {
        println!("Topics (attest explain TOPIC):");
        for (topic, what) in TOPICS {
            println!("  {topic:<14} {what}");
        }
        println!("\nOr a name, e.g. `attest explain sensitivity`, `attest explain wilson`.");
        return Ok(ExitStatus::Success);
    };
    match name {
        "tests" | "test-kinds" | "kinds" => {
            for kind in TestKind::ALL {
                println!(
                    "{:<12} {}",
                    kind.as_str(),
                    catalog::test_kind_definition(kind)
                );
            }
        }
        "metrics" => {
            for m in catalog::METRICS {
                println!("{:<22} {}", m.name, first_sentence(m.definition));
            }
        }
        "ci" | "ci-methods" | "intervals" => {
            for c in catalog::CI_METHODS {
                println!("{:<22} {}", c.name, first_sentence(c.definition));
            }
        }
        "perturbations" => {
            let mut family = "";
            for k in catalog::PERTURBATION_KINDS {
                if k.family != family {
                    family = k.family;
                    println!("{family}:");
                }
                println!("  {:<22} {}", k.name, k.definition);
            }
        }
        "exit-codes" => println!("{EXIT_CODES_HELP}"),
        _ => return explain_name(name),
    }
    Ok(ExitStatus::Success)
}

fn first_sentence(text: &str) -> &str {
    text.split_once(". ").map_or(text, |(first, _)| first)
}

fn explain_name(name: &str) -> Result<ExitStatus, CommandError> {
    if let Some(m) = catalog::metric_info(name) {
        print_metric(m);
    } else if let Some(c) = catalog::CI_METHODS.iter().find(|c| c.name == name) {
        println!(
            "{} (confidence-interval method)\n\n{}",
            c.name, c.definition
        );
        let families: Vec<&str> = c.families.iter().map(|f| family_word(*f)).collect();
        println!("\napplies to: {}", families.join(", "));
    } else if let Some(k) = catalog::perturbation_kind(name) {
        println!(
            "{} (perturbation, {})\n\n{}",
            k.name, k.family, k.definition
        );
        println!("\nseverities: 1 to {}", k.max_severity);
    } else if let Some(kind) = TestKind::ALL.iter().find(|k| k.as_str() == name) {
        println!(
            "{kind} (test kind)\n\n{}",
            catalog::test_kind_definition(*kind)
        );
        let criteria = kind.criteria();
        if !criteria.is_empty() {
            println!("\ncriteria: {}", criteria.join(", "));
        }
    } else {
        let names = TOPICS
            .iter()
            .map(|(t, _)| *t)
            .chain(catalog::metric_names())
            .chain(catalog::CI_METHODS.iter().map(|c| c.name))
            .chain(catalog::PERTURBATION_KINDS.iter().map(|k| k.name))
            .chain(TestKind::ALL.iter().map(|k| k.as_str()));
        let hint = attest_spec::did_you_mean(name, names)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| "; run `attest explain` for the topics".to_string());
        return Err(CommandError::Usage(format!(
            "nothing is called `{name}`{hint}"
        )));
    }
    Ok(ExitStatus::Success)
}

fn family_word(f: MetricFamily) -> &'static str {
    match f {
        MetricFamily::Proportion => "proportions",
        MetricFamily::Auc => "AUC",
        MetricFamily::Other => "other metrics",
        MetricFamily::Count => "counts",
    }
}

fn print_metric(m: &MetricInfo) {
    println!("{} (metric)\n\n{}\n", m.name, m.definition);
    if !m.aliases.is_empty() {
        println!("also written: {}", m.aliases.join(", "));
    }
    let bound = |b: Option<f64>, inf: &str| b.map_or(inf.to_string(), |v| v.to_string());
    println!(
        "range: [{}, {}]",
        bound(m.range.0, "-inf"),
        bound(m.range.1, "inf")
    );
    println!(
        "better: {}",
        if m.higher_is_better {
            "higher"
        } else {
            "lower"
        }
    );
    println!(
        "needs an operating point (`at:`): {}",
        if m.needs_threshold { "yes" } else { "no" }
    );
    let tasks: Vec<&str> = m.tasks.iter().map(|t| t.as_str()).collect();
    println!("tasks: {}", tasks.join(", "));
    let methods: Vec<&str> = catalog::CI_METHODS
        .iter()
        .filter(|c| c.families.contains(&m.family))
        .map(|c| c.name)
        .collect();
    println!("interval methods: {}", methods.join(", "));
}
