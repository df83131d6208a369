//! A contract's interface as Rust-like source: functions, structs, unions, enums, error enums
//! and events, each with its doc comment.

use crate::api::contract_abi::{
    AbiEventDataFormat, AbiEventParamLocation, ContractAbiContractAbi as Abi,
};

fn doc(out: &mut String, indent: &str, doc: &str) {
    for line in doc.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(&format!("{indent}///\n"));
        } else {
            out.push_str(&format!("{indent}/// {line}\n"));
        }
    }
}

fn lib(out: &mut String, lib: &str) {
    if !lib.is_empty() {
        out.push_str(&format!("// from {lib}\n"));
    }
}

/// Whether fields named `0`, `1`, … make a tuple struct.
fn is_tuple(names: &[&str]) -> bool {
    !names.is_empty() && names.iter().all(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// The interface as Rust-like declarations, items separated by blank lines.
pub fn rust(abi: &Abi) -> String {
    let mut items: Vec<String> = Vec::new();
    for f in &abi.functions {
        let mut s = String::new();
        doc(&mut s, "", &f.doc);
        s.push_str(&f.signature);
        s.push_str(";\n");
        items.push(s);
    }
    for st in &abi.structs {
        let mut s = String::new();
        lib(&mut s, &st.lib);
        doc(&mut s, "", &st.doc);
        let names: Vec<&str> = st.fields.iter().map(|f| f.name.as_str()).collect();
        if is_tuple(&names) {
            let types: Vec<&str> = st.fields.iter().map(|f| f.type_.display.as_str()).collect();
            s.push_str(&format!("struct {}({});\n", st.name, types.join(", ")));
        } else if st.fields.is_empty() {
            s.push_str(&format!("struct {} {{}}\n", st.name));
        } else {
            s.push_str(&format!("struct {} {{\n", st.name));
            for f in &st.fields {
                doc(&mut s, "    ", &f.doc);
                s.push_str(&format!("    {}: {},\n", f.name, f.type_.display));
            }
            s.push_str("}\n");
        }
        items.push(s);
    }
    for u in &abi.unions {
        let mut s = String::new();
        lib(&mut s, &u.lib);
        doc(&mut s, "", &u.doc);
        s.push_str(&format!("enum {} {{\n", u.name));
        for c in &u.cases {
            doc(&mut s, "    ", &c.doc);
            if c.types.is_empty() {
                s.push_str(&format!("    {},\n", c.name));
            } else {
                let types: Vec<&str> = c.types.iter().map(|t| t.display.as_str()).collect();
                s.push_str(&format!("    {}({}),\n", c.name, types.join(", ")));
            }
        }
        s.push_str("}\n");
        items.push(s);
    }
    type Case<'a> = (&'a str, &'a str, i64);
    let mut enums: Vec<(&str, &str, &str, Vec<Case>, &str)> = Vec::new();
    for e in &abi.enums {
        let cases = e
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.doc.as_str(), c.value))
            .collect();
        enums.push((&e.name, &e.doc, &e.lib, cases, "#[repr(u32)]"));
    }
    for e in &abi.error_enums {
        let cases = e
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.doc.as_str(), c.value))
            .collect();
        enums.push((&e.name, &e.doc, &e.lib, cases, "#[contracterror]"));
    }
    for (name, d, l, cases, attr) in enums {
        let mut s = String::new();
        lib(&mut s, l);
        doc(&mut s, "", d);
        s.push_str(&format!("{attr}\nenum {name} {{\n"));
        for (case, d, value) in cases {
            doc(&mut s, "    ", d);
            s.push_str(&format!("    {case} = {value},\n"));
        }
        s.push_str("}\n");
        items.push(s);
    }
    for ev in &abi.events {
        let mut s = String::new();
        lib(&mut s, &ev.lib);
        doc(&mut s, "", &ev.doc);
        let topics: Vec<String> = ev.prefix_topics.iter().map(|t| format!("{t:?}")).collect();
        let format = match ev.data_format {
            AbiEventDataFormat::SINGLE_VALUE => "single-value",
            AbiEventDataFormat::VEC => "vec",
            AbiEventDataFormat::MAP => "map",
            AbiEventDataFormat::Other(_) => "?",
        };
        s.push_str(&format!(
            "#[contractevent(topics = [{}], data_format = \"{format}\")]\n",
            topics.join(", ")
        ));
        if ev.params.is_empty() {
            s.push_str(&format!("struct {} {{}}\n", ev.name));
        } else {
            s.push_str(&format!("struct {} {{\n", ev.name));
            for p in &ev.params {
                doc(&mut s, "    ", &p.doc);
                if matches!(p.location, AbiEventParamLocation::TOPIC_LIST) {
                    s.push_str("    #[topic]\n");
                }
                s.push_str(&format!("    {}: {},\n", p.name, p.type_.display));
            }
            s.push_str("}\n");
        }
        items.push(s);
    }
    items.join("\n")
}
