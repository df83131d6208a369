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

/// The text of section 8 of docs/OPERATIONS.md, the deployment guide's section map.
fn section_map() -> String {
    let guide = read("docs/OPERATIONS.md");
    let start = guide
        .find("## 8. The deployment guide, section by section")
        .expect("docs/OPERATIONS.md has the section map (section 8)");
    let rest = &guide[start + 3..];
    let end = rest.find("\n## ").map_or(rest.len(), |i| i);
    rest[..end].to_owned()
}

#[test]
fn the_section_map_answers_each_of_the_guides_eleven_sections() {
    let map = section_map();
    let mut problems = Problems::default();
    for (n, title) in [
        (1, "Prerequisites"),
        (2, "Environment variables"),
        (3, "Local development"),
        (4, "Docker Compose"),
        (5, "Container architecture"),
        (6, "Production checklist"),
        (7, "Kubernetes"),
        (8, "Database migrations"),
        (9, "Observability"),
        (10, "Scaling"),
        (11, "Disaster recovery"),
    ] {
        problems.check(map.contains(&format!("\n| {n}. {title} |")), || {
            format!("the section map has no row for the guide's section {n} ({title})")
        });
    }
    problems.assert_none();
}

#[test]
fn every_file_make_target_and_script_the_section_map_names_exists() {
    let map = section_map();
    let makefile = read("Makefile");
    let mut problems = Problems::default();
    let mut named = 0;
    for quoted in map.split('`').skip(1).step_by(2) {
        let first = quoted.split_whitespace().next().unwrap_or("");
        if let Some(target) = quoted.strip_prefix("make ") {
            let target = target.split_whitespace().next().unwrap_or("");
            named += 1;
            problems.check(makefile.contains(&format!("\n{target}:")), || {
                format!("the section map names `make {target}`, which the Makefile lacks")
            });
        } else if (first.starts_with("docker/")
            || first.starts_with("scripts/")
            || first.starts_with("benches/")
            || first.starts_with("web/")
            || first == ".env.example")
            && !first.contains('*')
            // written by the operator, from .env.example
            && first != "docker/.env"
        {
            named += 1;
            let path = first.trim_end_matches('/');
            problems.check(registry_ops_tests::root().join(path).exists(), || {
                format!("the section map names `{path}`, which does not exist")
            });
        }
    }
    assert!(
        named > 10,
        "the section map names files and targets ({named})"
    );
    problems.assert_none();
}
