//! `schema.graphql` is the server's SDL.

#[test]
fn schema_graphql_matches_the_server() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
            .unwrap_or_default();
    let current = registry_server::schema::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date with the server's schema: run `make schema` and commit the result"
    );
}
