//! docker/*.Dockerfile: distroless, non-root, the service port alone exposed, and a health
//! check on a route the binary serves.

use registry_ops_tests::{env_example_vars, read, url_port_path};

use crate::{Binary, Problems};

#[test]
fn images_expose_their_port_and_check_a_served_route() {
    let documented = env_example_vars();
    let mut problems = Problems::default();
    for (file, binary) in [
        ("docker/server.Dockerfile", Binary::Server),
        ("docker/indexer.Dockerfile", Binary::Indexer),
    ] {
        let text = read(file);
        // Continuation lines joined, comments dropped.
        let joined = text.replace("\\\n", " ");
        let lines: Vec<&str> = joined
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        let port = binary.port();
        let exposed: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("EXPOSE "))
            .collect();
        let ports: Vec<String> = binary.ports().iter().map(|(_, p)| p.to_string()).collect();
        problems.check(exposed == [ports.join(" ")], || {
            format!("{file}: EXPOSE {exposed:?}, {} expected", ports.join(" "))
        });
        let last_from = lines
            .iter()
            .rfind(|l| l.starts_with("FROM "))
            .copied()
            .unwrap_or_default();
        problems.check(
            last_from.contains("gcr.io/distroless/cc-debian12:nonroot"),
            || format!("{file}: the runtime stage is {last_from:?}"),
        );
        problems.check(lines.contains(&"USER nonroot"), || {
            format!("{file}: USER nonroot missing")
        });
        problems.check(joined.contains("SQLX_OFFLINE=true"), || {
            format!("{file}: the builder must set SQLX_OFFLINE=true")
        });
        match lines
            .iter()
            .find(|l| l.starts_with("HEALTHCHECK"))
            .and_then(|l| l.split('"').find(|w| w.starts_with("http://")))
            .and_then(url_port_path)
        {
            Some((p, path)) => {
                problems.check(p == port, || format!("{file}: health check on port {p}"));
                problems.check(binary.routes().contains(&path), || {
                    format!("{file}: health check on {path}, which is not served")
                });
            }
            None => problems.push(format!("{file}: no HTTP HEALTHCHECK")),
        }
        // ENV lines after the last FROM are the runtime's configuration.
        let runtime = lines
            .iter()
            .rposition(|l| l.starts_with("FROM "))
            .unwrap_or(0);
        for line in &lines[runtime..] {
            let Some(assignments) = line.strip_prefix("ENV ") else {
                continue;
            };
            for a in assignments.split_whitespace() {
                let Some((var, value)) = a.split_once('=') else {
                    continue;
                };
                problems.check(
                    documented.contains(var) && binary.vars().contains(var),
                    || format!("{file}: ENV {var} is not a documented variable of {binary:?}"),
                );
                if let Some((_, default)) = binary.ports().into_iter().find(|(v, _)| *v == var) {
                    problems.check(value == default.to_string(), || {
                        format!("{file}: {var}={value}, the code's default is {default}")
                    });
                }
            }
        }
    }
    problems.assert_none();
}

#[test]
fn the_server_image_carries_the_web_explorer_where_web_dir_points() {
    let text = read("docker/server.Dockerfile");
    assert!(
        text.contains("npm run build"),
        "the web explorer is not built"
    );
    assert!(text.contains("COPY --from=web /src/web/dist /app/web"));
    assert!(text.contains("WEB_DIR=/app/web"));
}

/// The images build offline: the checked queries' metadata is committed and reaches the build
/// context, one file per query.
#[test]
fn the_build_context_carries_the_checked_queries_metadata() {
    let ignored = read(".dockerignore");
    assert!(
        !ignored
            .lines()
            .any(|l| l.trim().trim_start_matches('/').starts_with(".sqlx")),
        ".dockerignore must not leave .sqlx/ out of the build context"
    );
    let files = std::fs::read_dir(registry_ops_tests::root().join(".sqlx"))
        .expect(".sqlx/ exists (make sqlx-prepare writes it)")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("query-"))
        .count();
    assert!(files > 0, ".sqlx/ holds no query metadata");
}
