//! Rebuilds the crate when the schema or a query changes: the queries are typed against
//! `../schema.graphql` by `graphql_client`'s derive, so a schema change that breaks one fails
//! the build.

fn main() {
    println!("cargo:rerun-if-changed=../schema.graphql");
    println!("cargo:rerun-if-changed=graphql");
}
