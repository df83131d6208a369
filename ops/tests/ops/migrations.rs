//! migrations/: every file is a migration sqlx runs, named `<YYYYMMDDHHMMSS>_<snake_case>.sql`
//! (a `.up.sql`/`.down.sql` pair counts as one version), no two share a version, and the
//! embedded migrator (`registry_core::db::MIGRATOR`) holds exactly these files.

use std::collections::BTreeMap;

use regex::Regex;
use registry_ops_tests::root;

/// One version's files, as sqlx reads their names.
#[derive(Debug, Default)]
struct Version {
    /// `(description, kind)` per file: kind is "", "up" or "down".
    files: Vec<(String, String)>,
}

/// The problems with a folder of migration file names, and the versions found (by version:
/// description with `_` read as a space, what sqlx shows).
fn check(names: &[String]) -> (Vec<String>, BTreeMap<i64, String>) {
    let re = Regex::new(r"^(\d{14})_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)(?:\.(up|down))?\.sql$")
        .expect("static regex");
    let mut problems = Vec::new();
    let mut versions: BTreeMap<i64, Version> = BTreeMap::new();
    for name in names {
        let Some(c) = re.captures(name) else {
            problems.push(format!(
                "{name}: expected <YYYYMMDDHHMMSS>_<snake_case_description>.sql"
            ));
            continue;
        };
        if chrono::NaiveDateTime::parse_from_str(&c[1], "%Y%m%d%H%M%S").is_err() {
            problems.push(format!("{name}: {} is not a valid date and time", &c[1]));
        }
        let version: i64 = c[1].parse().expect("14 digits fit an i64");
        let kind = c.get(3).map_or("", |k| k.as_str()).to_owned();
        versions
            .entry(version)
            .or_default()
            .files
            .push((c[2].to_owned(), kind));
    }
    let mut out = BTreeMap::new();
    for (version, v) in versions {
        let mut kinds: Vec<&str> = v.files.iter().map(|(_, k)| k.as_str()).collect();
        kinds.sort_unstable();
        let pair = kinds == ["down", "up"] && v.files[0].0 == v.files[1].0;
        if kinds != [""] && !pair {
            let files: Vec<String> = v
                .files
                .iter()
                .map(|(d, k)| match k.as_str() {
                    "" => format!("{version}_{d}.sql"),
                    k => format!("{version}_{d}.{k}.sql"),
                })
                .collect();
            problems.push(format!(
                "version {version} has {}: expected one .sql file, or one .up.sql/.down.sql \
                 pair with the same description",
                files.join(", ")
            ));
        }
        out.insert(version, v.files[0].0.replace('_', " "));
    }
    (problems, out)
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_migration_is_named_by_its_timestamp_and_is_what_sqlx_embeds() {
    let dir = root().join("migrations");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("migrations/ exists") {
        let entry = entry.expect("readable entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            entry.path().is_file(),
            "migrations/{name} is not a file: sqlx reads files only"
        );
        files.push(name);
    }
    files.sort();
    let (problems, versions) = check(&files);
    assert!(
        problems.is_empty(),
        "migrations/:\n  {}",
        problems.join("\n  ")
    );
    assert!(!versions.is_empty(), "no migration found in migrations/");

    // What the binaries embed: the same versions, descriptions and SQL.
    let embedded: BTreeMap<i64, String> = registry_core::db::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    assert_eq!(
        embedded, versions,
        "the embedded migrator differs from migrations/ (a stale build?)"
    );
    for m in registry_core::db::MIGRATOR.iter() {
        let suffix = m.migration_type.suffix();
        let file = dir.join(format!(
            "{}_{}{suffix}",
            m.version,
            m.description.replace(' ', "_")
        ));
        let sql =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            sql == m.sql,
            "{} differs from the embedded migration",
            file.display()
        );
    }
}

#[test]
fn the_naming_check_catches_bad_names_dates_and_shared_versions() {
    let (problems, versions) = check(&names(&[
        "20261127000001_create_registry.sql",
        "20261201000000_add_thing.up.sql",
        "20261201000000_add_thing.down.sql",
    ]));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        versions.into_iter().collect::<Vec<_>>(),
        [
            (20261127000001, "create registry".to_owned()),
            (20261201000000, "add thing".to_owned())
        ]
    );
    for (bad, why) in [
        ("001_initial.sql", "expected <YYYYMMDDHHMMSS>"),
        ("2026112700000_short.sql", "expected <YYYYMMDDHHMMSS>"),
        (
            "20261127000001_CreateRegistry.sql",
            "expected <YYYYMMDDHHMMSS>",
        ),
        (
            "20261127000001_create-registry.sql",
            "expected <YYYYMMDDHHMMSS>",
        ),
        (
            "20261127000001_create_registry.SQL",
            "expected <YYYYMMDDHHMMSS>",
        ),
        ("20261127000001_.sql", "expected <YYYYMMDDHHMMSS>"),
        ("README.md", "expected <YYYYMMDDHHMMSS>"),
        ("20261332000000_bad_month.sql", "not a valid date"),
        ("20261130250000_bad_hour.sql", "not a valid date"),
    ] {
        let (problems, _) = check(&names(&[bad]));
        assert!(
            problems.len() == 1 && problems[0].contains(why),
            "{bad}: {problems:?}"
        );
    }
    for shared in [
        &["20261127000001_a.sql", "20261127000001_b.sql"][..],
        &["20261127000001_a.sql", "20261127000001_a.up.sql"],
        &["20261127000001_a.up.sql"],
        &["20261127000001_a.up.sql", "20261127000001_b.down.sql"],
    ] {
        let (problems, _) = check(&names(shared));
        assert!(
            problems.len() == 1 && problems[0].contains("version 20261127000001 has"),
            "{shared:?}: {problems:?}"
        );
    }
}
