//! Documents an attacker sends to make a GraphQL server work, shared by the server's tests
//! and the attack benchmark (`attack-load`).

/// 1.5 KB of nested fragment spreads (`fragment F24 on Query { ...F23 ...F23 }` down to `F0`)
/// that expands to 2^24 copies of a list field.
pub fn fragment_fan_out() -> String {
    let mut q = String::from("query { ...F24 } fragment F0 on Query { contracts { totalCount } }");
    for i in 1..=24 {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{p} ...F{p} }}",
            p = i - 1
        ));
    }
    q
}

/// One list field repeated 6,000 times through a fragment (no aliases): 30 KB.
pub fn repetition() -> String {
    format!(
        "query {{ {} }} fragment T on Query {{ tags {{ name }} }}",
        "...T ".repeat(6000)
    )
}
