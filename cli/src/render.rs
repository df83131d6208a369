//! Human output: aligned tables, key–value blocks, and JSON printing. Colour only when stdout
//! is a terminal (and `NO_COLOR` is unset).

use std::io::IsTerminal;

/// Text from the registry made safe for a terminal: control characters (ANSI and OSC escape
/// sequences) and the bidi overrides that reorder a line are shown as `\u{…}` escapes; newlines
/// and tabs are kept. A registry is a remote party: what it sends is printed, never obeyed.
pub fn safe(s: &str) -> String {
    registry_core::text::from_untrusted_bytes(s.as_bytes(), true)
}

/// Whether to colour stdout.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn bold(s: &str) -> String {
    if colour() {
        format!("\x1b[1m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// A table printed with its columns aligned (two spaces between columns).
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| safe(c)).collect());
    }

    /// The table as text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |cells: Vec<String>, header: bool| {
            let mut s = String::new();
            let last = cells.len().saturating_sub(1);
            for (i, c) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(c.chars().count());
                if header {
                    s.push_str(&bold(c));
                } else {
                    s.push_str(c);
                }
                if i < last {
                    s.push_str(&" ".repeat(pad + 2));
                }
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(self.headers.iter().map(|h| (*h).to_owned()).collect(), true);
        for r in &self.rows {
            out.push_str(&line(r.clone(), false));
        }
        out
    }
}

/// Key–value lines with the values aligned; `None` values print as `-`.
pub struct Fields {
    rows: Vec<(&'static str, String)>,
}

impl Fields {
    pub fn new() -> Fields {
        Fields { rows: Vec::new() }
    }

    pub fn add(&mut self, key: &'static str, value: impl Into<String>) {
        self.rows.push((key, safe(&value.into())));
    }

    pub fn opt(&mut self, key: &'static str, value: Option<impl Into<String>>) {
        self.add(key, value.map_or_else(|| "-".to_owned(), Into::into));
    }

    pub fn render(&self) -> String {
        let w = self.rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in &self.rows {
            let pad = " ".repeat(w - k.len() + 2);
            out.push_str(&format!("{}{pad}{v}\n", bold(k)));
        }
        out
    }
}

/// `-` for an absent value.
pub fn or_dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_owned()
}
