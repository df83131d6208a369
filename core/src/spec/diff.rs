//! What changed between two contract interfaces, and whether the change can break someone who
//! uses the old one.
//!
//! Items are matched by name: functions, user-defined types (structs, unions, enums, error
//! enums) and events. Types are compared structurally, through user-defined types, so a
//! renamed struct with the same fields changes nothing a caller sees, and a field removed
//! from a struct two levels down a parameter's type changes that function.
//!
//! The rule: a change is **breaking** when a caller or an event consumer written against the
//! old interface can fail against the new one; otherwise it is **compatible**.
//!
//! - Functions: adding one is compatible; removing one, changing the number of parameters or
//!   a parameter's type so that a value of the old type is no longer accepted, or changing the
//!   result so that it no longer decodes as the old type, is breaking. Renaming a parameter
//!   is compatible (arguments travel by position). The constructor is the exception: the host
//!   calls it only when a contract is deployed, so any change to it is compatible.
//! - Which way a value travels decides what a type may gain or lose. A value the caller sends
//!   (a parameter) may gain union cases and enum numbers, never lose them; a value the caller
//!   or a consumer receives (a result, an event) may lose them, never gain them. Integer enums
//!   travel as their numbers, so renaming a case changes nothing on the wire. Struct fields
//!   travel as a map with exactly the declared keys, so adding, removing or renaming a field
//!   is breaking either way; tuple structs and case payloads are positional.
//! - Error enums: codes may be added or removed (a caller sees an unknown code as a number);
//!   an error whose number changed, or a number that now names another error, is breaking.
//! - User-defined types on their own: adding or removing one is compatible (what uses it
//!   changes, and is reported); changing one is breaking when some function or event kept by
//!   the new interface reaches it in a direction the change breaks.
//! - Events: adding one is compatible; removing one, or changing its topics, its values'
//!   places or its data format, is breaking; a value's type follows the rule for received
//!   values.
//! - Doc comments are not part of the interface.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::{
    ContractSpec, EnumDef, EventDef, EventParamLocation, Field, StructDef, TypeDef, UnionDef,
};

/// What kind of item a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::Enum),
    graphql(name = "AbiSubject")
)]
pub enum Subject {
    /// An exported function.
    Function,
    /// A struct type.
    Struct,
    /// An enum whose cases may carry values.
    Union,
    /// An integer enum.
    Enum,
    /// An error enum (contract error codes).
    ErrorEnum,
    /// A declared event.
    Event,
}

/// Whether the item was added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::Enum),
    graphql(name = "AbiChangeKind")
)]
pub enum ChangeKind {
    /// Only in the new interface.
    Added,
    /// Only in the old interface.
    Removed,
    /// In both, different.
    Changed,
}

/// Whether a user of the old interface can fail against the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::Enum),
    graphql(name = "AbiSeverity")
)]
pub enum Severity {
    /// Nothing written against the old interface fails.
    Compatible,
    /// A caller or an event consumer of the old interface can fail.
    Breaking,
}

/// One item's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject),
    graphql(name = "AbiChange")
)]
pub struct Change {
    /// What kind of item it is.
    pub subject: Subject,
    /// The function's, type's or event's name.
    pub name: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// Whether it can break a user of the old interface.
    pub severity: Severity,
    /// What changed, one line each (`parameter 2 (amount): i128 became u64`).
    pub details: Vec<String>,
    /// The item as it was, in Rust-like notation (null when added).
    pub before: Option<String>,
    /// The item as it is (null when removed).
    pub after: Option<String>,
}

/// The difference between two interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbiDiff {
    /// Changes, by subject (functions first) and name.
    pub changes: Vec<Change>,
}

impl AbiDiff {
    /// Whether any change is breaking.
    pub fn breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
    }
}

/// The constructor: the host calls it once, when a contract is deployed (never on an upgrade,
/// never from a caller), so no user of a deployed contract's interface depends on it.
const CONSTRUCTOR: &str = "__constructor";
const CONSTRUCTOR_NOTE: &str = "a constructor runs only when a contract is deployed: no caller of a deployed contract calls it";

/// Which way a value travels: sent by the caller, received by the caller or a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Way {
    Sent,
    Received,
}

/// The difference from `old` to `new`.
pub fn diff(old: &ContractSpec, new: &ContractSpec) -> AbiDiff {
    let cx = Cx { old, new };
    let mut changes = Vec::new();
    changes.extend(cx.functions());
    changes.extend(cx.types());
    changes.extend(cx.events());
    changes.sort_by(|a, b| (a.subject, &a.name).cmp(&(b.subject, &b.name)));
    AbiDiff { changes }
}

struct Cx<'a> {
    old: &'a ContractSpec,
    new: &'a ContractSpec,
}

/// A user-defined type of either kind.
#[derive(Clone, Copy)]
enum Udt<'a> {
    Struct(&'a StructDef),
    Union(&'a UnionDef),
    Enum(&'a EnumDef),
    Error(&'a EnumDef),
}

impl<'a> Udt<'a> {
    fn find(spec: &'a ContractSpec, name: &str) -> Option<Udt<'a>> {
        spec.structs
            .iter()
            .find(|s| s.name == name)
            .map(Udt::Struct)
            .or_else(|| spec.unions.iter().find(|u| u.name == name).map(Udt::Union))
            .or_else(|| spec.enums.iter().find(|e| e.name == name).map(Udt::Enum))
            .or_else(|| {
                spec.error_enums
                    .iter()
                    .find(|e| e.name == name)
                    .map(Udt::Error)
            })
    }

    fn all(spec: &'a ContractSpec) -> impl Iterator<Item = Udt<'a>> {
        spec.structs
            .iter()
            .map(Udt::Struct)
            .chain(spec.unions.iter().map(Udt::Union))
            .chain(spec.enums.iter().map(Udt::Enum))
            .chain(spec.error_enums.iter().map(Udt::Error))
    }

    fn name(&self) -> &'a str {
        match self {
            Udt::Struct(s) => &s.name,
            Udt::Union(u) => &u.name,
            Udt::Enum(e) | Udt::Error(e) => &e.name,
        }
    }

    fn subject(&self) -> Subject {
        match self {
            Udt::Struct(_) => Subject::Struct,
            Udt::Union(_) => Subject::Union,
            Udt::Enum(_) => Subject::Enum,
            Udt::Error(_) => Subject::ErrorEnum,
        }
    }

    /// The types it contains.
    fn parts(&self) -> Vec<&'a TypeDef> {
        match self {
            Udt::Struct(s) => s.fields.iter().map(|f| &f.type_).collect(),
            Udt::Union(u) => u.cases.iter().flat_map(|c| c.types.iter()).collect(),
            Udt::Enum(_) | Udt::Error(_) => Vec::new(),
        }
    }

    fn render(&self) -> String {
        match self {
            Udt::Struct(s) => render_struct(s),
            Udt::Union(u) => render_union(u),
            Udt::Enum(e) => render_enum("enum", e),
            Udt::Error(e) => render_enum("error", e),
        }
    }
}

impl Cx<'_> {
    fn functions(&self) -> Vec<Change> {
        let mut out = Vec::new();
        for f in &self.old.functions {
            let Some(g) = self.new.function(&f.name) else {
                let (severity, why) = if f.name == CONSTRUCTOR {
                    (Severity::Compatible, CONSTRUCTOR_NOTE)
                } else {
                    (Severity::Breaking, "removed: callers of it fail")
                };
                out.push(change(
                    Subject::Function,
                    &f.name,
                    ChangeKind::Removed,
                    severity,
                    vec![why.into()],
                    Some(f.signature()),
                    None,
                ));
                continue;
            };
            let mut details = Vec::new();
            let mut severity = Severity::Compatible;
            if f.inputs.len() != g.inputs.len() {
                severity = Severity::Breaking;
                details.push(format!(
                    "takes {} parameters instead of {}",
                    g.inputs.len(),
                    f.inputs.len()
                ));
            }
            for (i, (a, b)) in f.inputs.iter().zip(&g.inputs).enumerate() {
                let at = format!("parameter {} ({})", i + 1, a.name);
                if a.name != b.name {
                    details.push(format!("{at} is now named {}", b.name));
                }
                self.compare_value(
                    &at,
                    &a.type_,
                    &b.type_,
                    Way::Sent,
                    &mut details,
                    &mut severity,
                );
            }
            let void = TypeDef::Void;
            let (a, b) = (
                f.outputs.first().unwrap_or(&void),
                g.outputs.first().unwrap_or(&void),
            );
            self.compare_value(
                "the result",
                a,
                b,
                Way::Received,
                &mut details,
                &mut severity,
            );
            if !details.is_empty() && f.name == CONSTRUCTOR {
                severity = Severity::Compatible;
                details.push(CONSTRUCTOR_NOTE.into());
            }
            if !details.is_empty() {
                out.push(change(
                    Subject::Function,
                    &f.name,
                    ChangeKind::Changed,
                    severity,
                    details,
                    Some(f.signature()),
                    Some(g.signature()),
                ));
            }
        }
        for g in &self.new.functions {
            if self.old.function(&g.name).is_none() {
                out.push(change(
                    Subject::Function,
                    &g.name,
                    ChangeKind::Added,
                    Severity::Compatible,
                    vec!["added".into()],
                    None,
                    Some(g.signature()),
                ));
            }
        }
        out
    }

    /// Compares a value's old and new type: a detail when they differ, breaking when the
    /// new one does not serve users of the old one in that direction.
    fn compare_value(
        &self,
        at: &str,
        a: &TypeDef,
        b: &TypeDef,
        way: Way,
        details: &mut Vec<String>,
        severity: &mut Severity,
    ) {
        if self.same(a, b, &mut HashSet::new()) {
            return;
        }
        let fits = self.fits(a, b, way, &mut HashSet::new());
        if !fits {
            *severity = Severity::Breaking;
        }
        let what = if a.to_string() == b.to_string() {
            format!("{at}: type {a} changed")
        } else {
            format!("{at}: {a} became {b}")
        };
        details.push(if fits {
            format!(
                "{what} (values {} still fit)",
                match way {
                    Way::Sent => "old callers send",
                    Way::Received => "the new code returns",
                }
            )
        } else {
            what
        });
    }

    /// Whether `a` (old) and `b` (new) are the same type structurally.
    fn same<'s>(
        &'s self,
        a: &'s TypeDef,
        b: &'s TypeDef,
        seen: &mut HashSet<(&'s str, &'s str)>,
    ) -> bool {
        self.relate(a, b, None, seen)
    }

    /// Whether `b` serves users of `a` for values travelling `way`.
    fn fits<'s>(
        &'s self,
        a: &'s TypeDef,
        b: &'s TypeDef,
        way: Way,
        seen: &mut HashSet<(&'s str, &'s str)>,
    ) -> bool {
        self.relate(a, b, Some(way), seen)
    }

    /// Equality (`way` None) or fitness in a direction, through user-defined types. Pairs of
    /// types already being compared are assumed to relate (recursive types).
    fn relate<'s>(
        &'s self,
        a: &'s TypeDef,
        b: &'s TypeDef,
        way: Option<Way>,
        seen: &mut HashSet<(&'s str, &'s str)>,
    ) -> bool {
        use TypeDef as T;
        match (a, b) {
            (T::Option(x), T::Option(y)) | (T::Vec(x), T::Vec(y)) => self.relate(x, y, way, seen),
            (T::Result { ok: o1, error: e1 }, T::Result { ok: o2, error: e2 }) => {
                self.relate(o1, o2, way, seen) && self.relate(e1, e2, way, seen)
            }
            (T::Map { key: k1, value: v1 }, T::Map { key: k2, value: v2 }) => {
                self.relate(k1, k2, way, seen) && self.relate(v1, v2, way, seen)
            }
            (T::Tuple(xs), T::Tuple(ys)) => {
                xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.relate(x, y, way, seen))
            }
            (T::Udt(x), T::Udt(y)) => {
                if !seen.insert((x.as_str(), y.as_str())) {
                    return true;
                }
                match (Udt::find(self.old, x), Udt::find(self.new, y)) {
                    (Some(p), Some(q)) => self.relate_udt(p, q, way, seen),
                    // A name the spec does not define (a malformed spec): by name.
                    (None, None) => x == y,
                    _ => false,
                }
            }
            _ => a == b,
        }
    }

    fn relate_udt<'s>(
        &'s self,
        p: Udt<'s>,
        q: Udt<'s>,
        way: Option<Way>,
        seen: &mut HashSet<(&'s str, &'s str)>,
    ) -> bool {
        match (p, q) {
            (Udt::Struct(s), Udt::Struct(t)) => {
                s.fields.len() == t.fields.len()
                    && s.fields.iter().all(|f| {
                        t.fields
                            .iter()
                            .find(|g| g.name == f.name)
                            .is_some_and(|g| self.relate(&f.type_, &g.type_, way, seen))
                    })
            }
            (Udt::Union(u), Udt::Union(v)) => {
                let cases_fit = |from: &'s UnionDef, to: &'s UnionDef| {
                    from.cases
                        .iter()
                        .all(|c| to.cases.iter().any(|d| d.name == c.name))
                };
                let kept = u.cases.iter().all(|c| {
                    v.cases.iter().find(|d| d.name == c.name).is_none_or(|d| {
                        c.types.len() == d.types.len()
                            && c.types
                                .iter()
                                .zip(&d.types)
                                .all(|(x, y)| self.relate(x, y, way, seen))
                    })
                });
                kept && match way {
                    None => cases_fit(u, v) && cases_fit(v, u),
                    Some(Way::Sent) => cases_fit(u, v),
                    Some(Way::Received) => cases_fit(v, u),
                }
            }
            (Udt::Enum(e), Udt::Enum(f)) => {
                // Integer enums travel as their numbers: names do not matter on the wire.
                let numbers = |d: &EnumDef| d.cases.iter().map(|c| c.value).collect::<HashSet<_>>();
                let (a, b) = (numbers(e), numbers(f));
                match way {
                    None => cases_of(e) == cases_of(f),
                    Some(Way::Sent) => a.is_subset(&b),
                    Some(Way::Received) => b.is_subset(&a),
                }
            }
            (Udt::Error(e), Udt::Error(f)) => match way {
                None => cases_of(e) == cases_of(f),
                // A code may come or go; an error whose number changed, or a number that now
                // names another error, misleads whoever handles it.
                Some(_) => !e.cases.iter().any(|c| {
                    f.cases
                        .iter()
                        .any(|d| (d.name == c.name) != (d.value == c.value))
                }),
            },
            _ => false,
        }
    }

    /// The user-defined types of the old interface that functions and events kept by the new
    /// one reach, with the ways their values travel.
    fn reached(&self) -> BTreeMap<&str, HashSet<Way>> {
        let mut roots: Vec<(&TypeDef, Way)> = Vec::new();
        for f in &self.old.functions {
            if f.name == CONSTRUCTOR || self.new.function(&f.name).is_none() {
                continue;
            }
            roots.extend(f.inputs.iter().map(|i| (&i.type_, Way::Sent)));
            roots.extend(f.outputs.iter().map(|o| (o, Way::Received)));
        }
        for e in &self.old.events {
            if self.new.events.iter().any(|n| n.name == e.name) {
                roots.extend(e.params.iter().map(|p| (&p.type_, Way::Received)));
            }
        }
        let mut reached: BTreeMap<&str, HashSet<Way>> = BTreeMap::new();
        let mut stack = roots;
        while let Some((t, way)) = stack.pop() {
            for name in t.udt_names() {
                if reached.entry(name).or_default().insert(way) {
                    if let Some(u) = Udt::find(self.old, name) {
                        stack.extend(u.parts().into_iter().map(|p| (p, way)));
                    }
                }
            }
        }
        reached
    }

    fn types(&self) -> Vec<Change> {
        let reached = self.reached();
        let mut out = Vec::new();
        for p in Udt::all(self.old) {
            let name = p.name();
            let Some(q) = Udt::find(self.new, name) else {
                out.push(change(
                    p.subject(),
                    name,
                    ChangeKind::Removed,
                    Severity::Compatible,
                    vec!["no longer declared".into()],
                    Some(p.render()),
                    None,
                ));
                continue;
            };
            // A type whose declaration is the same is not reported for what changed inside
            // the types it names: those are reported themselves.
            if declared_same(p, q) {
                continue;
            }
            let ways = reached.get(name).cloned().unwrap_or_default();
            let broken: Vec<Way> = [Way::Sent, Way::Received]
                .into_iter()
                .filter(|w| {
                    ways.contains(w) && !self.relate_udt(p, q, Some(*w), &mut HashSet::new())
                })
                .collect();
            let mut details = udt_details(self, p, q);
            for w in &broken {
                details.push(match w {
                    Way::Sent => "breaks callers that send it".to_owned(),
                    Way::Received => "breaks callers and consumers that receive it".to_owned(),
                });
            }
            out.push(change(
                p.subject(),
                name,
                ChangeKind::Changed,
                if broken.is_empty() {
                    Severity::Compatible
                } else {
                    Severity::Breaking
                },
                details,
                Some(p.render()),
                Some(q.render()),
            ));
        }
        for q in Udt::all(self.new) {
            if Udt::find(self.old, q.name()).is_none() {
                out.push(change(
                    q.subject(),
                    q.name(),
                    ChangeKind::Added,
                    Severity::Compatible,
                    vec!["added".into()],
                    None,
                    Some(q.render()),
                ));
            }
        }
        out
    }

    fn events(&self) -> Vec<Change> {
        let mut out = Vec::new();
        for e in &self.old.events {
            let Some(f) = self.new.events.iter().find(|n| n.name == e.name) else {
                out.push(change(
                    Subject::Event,
                    &e.name,
                    ChangeKind::Removed,
                    Severity::Breaking,
                    vec!["removed: consumers waiting for it get nothing".into()],
                    Some(render_event(e)),
                    None,
                ));
                continue;
            };
            let mut details = Vec::new();
            let mut severity = Severity::Compatible;
            if e.prefix_topics != f.prefix_topics {
                severity = Severity::Breaking;
                details.push(format!(
                    "topics {:?} became {:?}",
                    e.prefix_topics, f.prefix_topics
                ));
            }
            if e.data_format != f.data_format {
                severity = Severity::Breaking;
                details.push(format!(
                    "data format {:?} became {:?}",
                    e.data_format, f.data_format
                ));
            }
            let places = |d: &EventDef| {
                d.params
                    .iter()
                    .map(|p| (p.name.clone(), p.location))
                    .collect::<Vec<_>>()
            };
            if places(e) != places(f) {
                severity = Severity::Breaking;
                details.push(format!(
                    "values {} became {}",
                    param_places(e),
                    param_places(f)
                ));
            } else {
                for (a, b) in e.params.iter().zip(&f.params) {
                    self.compare_value(
                        &format!("value {}", a.name),
                        &a.type_,
                        &b.type_,
                        Way::Received,
                        &mut details,
                        &mut severity,
                    );
                }
            }
            if !details.is_empty() {
                out.push(change(
                    Subject::Event,
                    &e.name,
                    ChangeKind::Changed,
                    severity,
                    details,
                    Some(render_event(e)),
                    Some(render_event(f)),
                ));
            }
        }
        for f in &self.new.events {
            if !self.old.events.iter().any(|e| e.name == f.name) {
                out.push(change(
                    Subject::Event,
                    &f.name,
                    ChangeKind::Added,
                    Severity::Compatible,
                    vec!["added".into()],
                    None,
                    Some(render_event(f)),
                ));
            }
        }
        out
    }
}

fn change(
    subject: Subject,
    name: &str,
    kind: ChangeKind,
    severity: Severity,
    details: Vec<String>,
    before: Option<String>,
    after: Option<String>,
) -> Change {
    Change {
        subject,
        name: name.to_owned(),
        kind,
        severity,
        details,
        before,
        after,
    }
}

/// An enum's cases as (name, number) pairs.
fn cases_of(d: &EnumDef) -> HashSet<(String, u32)> {
    d.cases.iter().map(|c| (c.name.clone(), c.value)).collect()
}

/// Whether two declarations say the same, docs aside (types they name compared by name).
/// Order does not matter: struct fields travel as a map, union cases by name, enum cases by
/// value.
fn declared_same(p: Udt<'_>, q: Udt<'_>) -> bool {
    fn set<T: std::hash::Hash + Eq>(it: impl Iterator<Item = T>) -> HashSet<T> {
        it.collect()
    }
    match (p, q) {
        (Udt::Struct(s), Udt::Struct(t)) => {
            let fields = |d: &StructDef| {
                d.fields
                    .iter()
                    .map(|f| (f.name.clone(), f.type_.to_string()))
                    .collect::<Vec<_>>()
            };
            let positional = |d: &StructDef| {
                d.fields
                    .iter()
                    .enumerate()
                    .all(|(i, f)| f.name == i.to_string())
            };
            if positional(s) || positional(t) {
                fields(s) == fields(t)
            } else {
                set(fields(s).into_iter()) == set(fields(t).into_iter())
            }
        }
        (Udt::Union(u), Udt::Union(v)) => {
            let cases =
                |d: &UnionDef| set(d.cases.iter().map(|c| (c.name.clone(), tuple(&c.types))));
            cases(u) == cases(v)
        }
        (Udt::Enum(e), Udt::Enum(f)) | (Udt::Error(e), Udt::Error(f)) => {
            let cases = |d: &EnumDef| set(d.cases.iter().map(|c| (c.name.clone(), c.value)));
            cases(e) == cases(f)
        }
        _ => false,
    }
}

/// What changed inside a user-defined type, one line each (`cx` compares the types its
/// fields and cases carry).
fn udt_details(cx: &Cx<'_>, p: Udt<'_>, q: Udt<'_>) -> Vec<String> {
    let mut out = Vec::new();
    match (p, q) {
        (Udt::Struct(s), Udt::Struct(t)) => {
            for f in &s.fields {
                match t.fields.iter().find(|g| g.name == f.name) {
                    None => out.push(format!("field {} removed", f.name)),
                    Some(g) if g.type_ != f.type_ => {
                        out.push(format!("field {}: {} became {}", f.name, f.type_, g.type_))
                    }
                    Some(g) if !cx.same(&f.type_, &g.type_, &mut HashSet::new()) => {
                        out.push(format!("field {}: type {} changed", f.name, f.type_))
                    }
                    Some(_) => {}
                }
            }
            for g in &t.fields {
                if !s.fields.iter().any(|f| f.name == g.name) {
                    out.push(format!("field {} added", g.name));
                }
            }
        }
        (Udt::Union(u), Udt::Union(v)) => {
            for c in &u.cases {
                match v.cases.iter().find(|d| d.name == c.name) {
                    None => out.push(format!("case {} removed", c.name)),
                    Some(d) if d.types != c.types => out.push(format!(
                        "case {}: {} became {}",
                        c.name,
                        tuple(&c.types),
                        tuple(&d.types)
                    )),
                    Some(d)
                        if c.types
                            .iter()
                            .zip(&d.types)
                            .any(|(x, y)| !cx.same(x, y, &mut HashSet::new())) =>
                    {
                        out.push(format!("case {}: a type it carries changed", c.name))
                    }
                    Some(_) => {}
                }
            }
            for d in &v.cases {
                if !u.cases.iter().any(|c| c.name == d.name) {
                    out.push(format!("case {} added", d.name));
                }
            }
        }
        (Udt::Enum(e), Udt::Enum(f)) | (Udt::Error(e), Udt::Error(f)) => {
            let what = if matches!(p, Udt::Error(_)) {
                "code"
            } else {
                "value"
            };
            for c in &e.cases {
                match f.cases.iter().find(|d| d.name == c.name) {
                    None => out.push(format!("{what} {} = {} removed", c.name, c.value)),
                    Some(d) if d.value != c.value => out.push(format!(
                        "{what} {} is {} instead of {}",
                        c.name, d.value, c.value
                    )),
                    Some(_) => {}
                }
            }
            for d in &f.cases {
                if !e.cases.iter().any(|c| c.name == d.name) {
                    out.push(format!("{what} {} = {} added", d.name, d.value));
                }
            }
        }
        _ => out.push(format!(
            "was {}, is {}",
            kind_word(p.subject()),
            kind_word(q.subject())
        )),
    }
    out
}

fn kind_word(s: Subject) -> &'static str {
    match s {
        Subject::Struct => "a struct",
        Subject::Union => "an enum with data",
        Subject::Enum => "an enum",
        Subject::ErrorEnum => "an error enum",
        Subject::Function => "a function",
        Subject::Event => "an event",
    }
}

fn tuple(ts: &[TypeDef]) -> String {
    if ts.is_empty() {
        "no value".into()
    } else {
        let parts: Vec<String> = ts.iter().map(ToString::to_string).collect();
        format!("({})", parts.join(", "))
    }
}

fn fields(fs: &[Field]) -> String {
    fs.iter()
        .map(|f| format!("{}: {}", f.name, f.type_))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_struct(s: &StructDef) -> String {
    let positional = s
        .fields
        .iter()
        .enumerate()
        .all(|(i, f)| f.name == i.to_string());
    if positional && !s.fields.is_empty() {
        let types: Vec<TypeDef> = s.fields.iter().map(|f| f.type_.clone()).collect();
        format!("struct {}{};", s.name, tuple(&types))
    } else {
        format!("struct {} {{ {} }}", s.name, fields(&s.fields))
    }
}

fn render_union(u: &UnionDef) -> String {
    let cases: Vec<String> = u
        .cases
        .iter()
        .map(|c| {
            if c.types.is_empty() {
                c.name.clone()
            } else {
                format!("{}{}", c.name, tuple(&c.types))
            }
        })
        .collect();
    format!("enum {} {{ {} }}", u.name, cases.join(", "))
}

fn render_enum(word: &str, e: &EnumDef) -> String {
    let cases: Vec<String> = e
        .cases
        .iter()
        .map(|c| format!("{} = {}", c.name, c.value))
        .collect();
    format!("{word} {} {{ {} }}", e.name, cases.join(", "))
}

fn param_places(e: &EventDef) -> String {
    let parts: Vec<String> = e
        .params
        .iter()
        .map(|p| {
            format!(
                "{}{}",
                p.name,
                match p.location {
                    EventParamLocation::TopicList => " (topic)",
                    EventParamLocation::Data => "",
                }
            )
        })
        .collect();
    format!("({})", parts.join(", "))
}

fn render_event(e: &EventDef) -> String {
    let params: Vec<String> = e
        .params
        .iter()
        .map(|p| {
            format!(
                "{}{}: {}",
                match p.location {
                    EventParamLocation::TopicList => "#[topic] ",
                    EventParamLocation::Data => "",
                },
                p.name,
                p.type_
            )
        })
        .collect();
    let topics = if e.prefix_topics.is_empty() {
        String::new()
    } else {
        format!(" [{}]", e.prefix_topics.join(", "))
    };
    format!("event {}{topics} {{ {} }}", e.name, params.join(", "))
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        })
    }
}

#[cfg(test)]
mod tests;
