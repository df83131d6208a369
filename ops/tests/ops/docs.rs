//! docs/OPERATIONS.md covers every variable and every alert.

use registry_ops_tests::{env_example_vars, read, yaml};

use crate::{Binary, Problems};

#[test]
fn every_variable_a_binary_reads_is_in_env_example() {
    let documented = env_example_vars();
    let mut problems = Problems::default();
    for binary in Binary::ALL {
        for var in binary.vars() {
            problems.check(documented.contains(&var), || {
                format!("{var} (read by {binary:?}) is missing from .env.example")
            });
        }
    }
    problems.assert_none();
}

#[test]
fn the_operations_guide_covers_every_variable_and_every_alert() {
    let guide = read("docs/OPERATIONS.md");
    let mut problems = Problems::default();
    for var in env_example_vars() {
        problems.check(guide.contains(&format!("| `{var}` |")), || {
            format!("docs/OPERATIONS.md has no row for {var}")
        });
    }
    let rules = yaml("docker/observability/prometheus/rules/registry.yml");
    for group in rules["groups"].as_sequence().into_iter().flatten() {
        for rule in group["rules"].as_sequence().into_iter().flatten() {
            if let Some(alert) = rule["alert"].as_str() {
                problems.check(guide.contains(&format!("| `{alert}` |")), || {
                    format!("docs/OPERATIONS.md does not say what to do about {alert}")
                });
            }
        }
    }
    problems.assert_none();
}
