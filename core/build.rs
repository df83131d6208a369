//! Rebuilds the crate when `migrations/` changes: `sqlx::migrate!` embeds the migrations at
//! compile time, and cargo does not otherwise notice a new file in that folder.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
