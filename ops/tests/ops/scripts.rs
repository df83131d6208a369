//! The scripts `make run` and `make demo` use, run for real with stand-in binaries.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A stand-in for one of the binaries that records how it was called. The server's waits
/// (up to 5 s) until the processes started before it have recorded theirs: run-stack stops
/// everything once the server exits.
fn stand_in(dir: &Path, name: &str, log: &Path) {
    let path = dir.join(name);
    let wait = if name == "registry-server" {
        format!(
            "for _ in $(seq 100); do grep -q 'registry-indexer run' '{0}' && \
             grep -q 'registry-verifier' '{0}' && {{ [[ -z \"$DEMO\" ]] || grep -q 'registry-sim' '{0}'; }} && break; sleep 0.05; done\n",
            log.display()
        )
    } else {
        String::new()
    };
    std::fs::write(
        &path,
        format!(
            "#!/usr/bin/env bash\n{wait}echo \"{name} $*\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn run_stack_runs_the_binaries_where_cargo_target_dir_puts_them() {
    let target = std::env::temp_dir().join(format!("run-stack-{}", std::process::id()));
    let release = target.join("release");
    std::fs::create_dir_all(&release).unwrap();
    let log = target.join("calls.log");
    stand_in(&release, "registry-indexer", &log);
    stand_in(&release, "registry-verifier", &log);
    stand_in(&release, "registry-server", &log);
    let out = Command::new(root().join("scripts/run-stack"))
        .env("CARGO_TARGET_DIR", &target)
        .env("DATABASE_URL", "postgres://unused@127.0.0.1:1/x")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("registry-indexer migrate"), "{calls}");
    assert!(calls.contains("registry-indexer run"), "{calls}");
    assert!(calls.contains("registry-verifier"), "{calls}");
    assert!(calls.contains("registry-server"), "{calls}");
    // The demo runs the simulated network from the same place.
    stand_in(&release, "registry-sim", &log);
    let out = Command::new(root().join("scripts/run-stack"))
        .arg("demo")
        .env("DEMO", "1")
        .env("CARGO_TARGET_DIR", &target)
        .env("DATABASE_URL", "postgres://unused@127.0.0.1:1/x")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("registry-sim --port"), "{calls}");
    std::fs::remove_dir_all(&target).unwrap();
}

#[test]
fn run_stack_without_built_binaries_says_how_to_build_them() {
    let target = std::env::temp_dir().join(format!("run-stack-empty-{}", std::process::id()));
    std::fs::create_dir_all(&target).unwrap();
    let out = Command::new(root().join("scripts/run-stack"))
        .env("CARGO_TARGET_DIR", &target)
        .env("DATABASE_URL", "postgres://unused@127.0.0.1:1/x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}/release/registry-indexer not found",
            target.display()
        )) && err.contains("make release"),
        "{err}"
    );
    std::fs::remove_dir_all(&target).unwrap();
}
