//! Untrusted text. Names and docs in a contract spec are bytes chosen by whoever uploaded the
//! WASM: they may be invalid UTF-8 or hold control characters (ANSI escapes that rewrite a
//! terminal, bidi overrides that hide text on a page). Every such string passes through here
//! before it is stored for the API, so nothing downstream has to remember to escape it.

/// Decodes bytes as UTF-8 (invalid sequences become U+FFFD) and escapes control characters.
/// Newlines and tabs are kept only when `multiline` is set (doc strings).
pub fn from_untrusted_bytes(bytes: &[u8], multiline: bool) -> String {
    escape(&String::from_utf8_lossy(bytes), multiline)
}

/// Escapes every control character of a single-line string as `\u{XX}`.
pub fn escape_untrusted(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, multiline: bool) -> String {
    if !s.chars().any(|c| needs_escape(c, multiline)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c, multiline) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char, multiline: bool) -> bool {
    if multiline && (c == '\n' || c == '\t') {
        return false;
    }
    // C0/C1 controls, DEL, and the bidirectional overrides and isolates that reorder text.
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_escapes_are_made_visible() {
        assert_eq!(escape_untrusted("\u{1b}[2Jhi"), "\\u{1b}[2Jhi");
    }

    #[test]
    fn docs_keep_newlines_but_names_do_not() {
        assert_eq!(from_untrusted_bytes(b"a\nb", true), "a\nb");
        assert_eq!(from_untrusted_bytes(b"a\nb", false), "a\\u{a}b");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(from_untrusted_bytes(b"ok\xff", false), "ok\u{fffd}");
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(escape_untrusted("a\u{202e}b"), "a\\u{202e}b");
    }
}
