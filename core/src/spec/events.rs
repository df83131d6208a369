//! Reading a contract event through the contract's own event specs (SEP-48 `EVENT_V0`): which
//! declared event it is, and the value of each named param. Without a spec, events written the
//! SDK's default way (symbol topics, a map of symbol keys as data) are read by their keys.

use std::collections::BTreeMap;

use stellar_xdr::ScVal;

use super::model::{ContractSpec, EventDataFormat, EventDef, EventParamLocation};

/// A decoded event: its name (the declared event's, or its first topic) and its values by
/// param name.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedEvent {
    /// The event's name (`publish`, `transfer`, …): its first prefix topic.
    pub name: String,
    /// The values by param name.
    pub fields: BTreeMap<String, ScVal>,
}

fn symbol_text(v: &ScVal) -> Option<&[u8]> {
    match v {
        ScVal::Symbol(s) => Some(s.0.as_slice()),
        ScVal::String(s) => Some(s.0.as_slice()),
        _ => None,
    }
}

/// Decodes an event through a spec's event declarations: the first declaration whose prefix
/// topics match (as symbols or strings, SEP-48) and whose params fit the topics and data.
pub fn decode_with_spec(
    spec: &ContractSpec,
    topics: &[ScVal],
    data: &ScVal,
) -> Option<DecodedEvent> {
    spec.events.iter().find_map(|e| decode_one(e, topics, data))
}

fn decode_one(def: &EventDef, topics: &[ScVal], data: &ScVal) -> Option<DecodedEvent> {
    let prefix = def.prefix_topics.len();
    if topics.len() < prefix
        || !def
            .prefix_topics
            .iter()
            .zip(topics)
            .all(|(p, t)| symbol_text(t) == Some(p.as_bytes()))
    {
        return None;
    }
    let mut fields = BTreeMap::new();
    let topic_params: Vec<_> = def
        .params
        .iter()
        .filter(|p| p.location == EventParamLocation::TopicList)
        .collect();
    if topics.len() != prefix + topic_params.len() {
        return None;
    }
    for (p, t) in topic_params.iter().zip(&topics[prefix..]) {
        fields.insert(p.name.clone(), t.clone());
    }
    let data_params: Vec<_> = def
        .params
        .iter()
        .filter(|p| p.location == EventParamLocation::Data)
        .collect();
    match def.data_format {
        EventDataFormat::SingleValue => match data_params.as_slice() {
            [] => {}
            [one] => {
                fields.insert(one.name.clone(), data.clone());
            }
            _ => return None,
        },
        EventDataFormat::Vec => {
            let ScVal::Vec(Some(v)) = data else {
                return None;
            };
            if v.0.len() != data_params.len() {
                return None;
            }
            for (p, val) in data_params.iter().zip(v.0.iter()) {
                fields.insert(p.name.clone(), val.clone());
            }
        }
        EventDataFormat::Map => {
            let ScVal::Map(Some(m)) = data else {
                return None;
            };
            for p in &data_params {
                let val =
                    m.0.iter()
                        .find(|e| symbol_text(&e.key) == Some(p.name.as_bytes()))?;
                fields.insert(p.name.clone(), val.val.clone());
            }
        }
    }
    Some(DecodedEvent {
        name: def
            .prefix_topics
            .first()
            .cloned()
            .unwrap_or_else(|| def.name.clone()),
        fields,
    })
}

/// Decodes an event written the SDK's default way when no spec says otherwise: the first
/// topic (a symbol) names it, and a map of symbol keys holds its values.
pub fn decode_default(topics: &[ScVal], data: &ScVal) -> Option<DecodedEvent> {
    let name = symbol_text(topics.first()?)?;
    let ScVal::Map(Some(m)) = data else {
        return None;
    };
    let mut fields = BTreeMap::new();
    for e in m.0.iter() {
        let key = symbol_text(&e.key)?;
        fields.insert(crate::text::from_untrusted_bytes(key, false), e.val.clone());
    }
    Some(DecodedEvent {
        name: crate::text::from_untrusted_bytes(name, false),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::{EventParam, TypeDef};
    use stellar_xdr::{ScMap, ScMapEntry, ScVec};

    fn sym(s: &str) -> ScVal {
        ScVal::Symbol(s.try_into().unwrap())
    }

    fn map(pairs: Vec<(&str, ScVal)>) -> ScVal {
        ScVal::Map(Some(ScMap(
            pairs
                .into_iter()
                .map(|(k, v)| ScMapEntry {
                    key: sym(k),
                    val: v,
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )))
    }

    fn param(name: &str, location: EventParamLocation) -> EventParam {
        EventParam {
            name: name.into(),
            doc: String::new(),
            type_: TypeDef::Val,
            location,
        }
    }

    fn spec(format: EventDataFormat) -> ContractSpec {
        ContractSpec {
            events: vec![EventDef {
                name: "Transfer".into(),
                doc: String::new(),
                lib: String::new(),
                prefix_topics: vec!["transfer".into()],
                params: vec![
                    param("from", EventParamLocation::TopicList),
                    param("amount", EventParamLocation::Data),
                    param("memo", EventParamLocation::Data),
                ],
                data_format: format,
            }],
            ..ContractSpec::default()
        }
    }

    #[test]
    fn topic_and_map_params_are_read_by_name() {
        let topics = [sym("transfer"), ScVal::U32(7)];
        let data = map(vec![("amount", ScVal::U32(5)), ("memo", ScVal::Void)]);
        let e = decode_with_spec(&spec(EventDataFormat::Map), &topics, &data).unwrap();
        assert_eq!(e.name, "transfer");
        assert_eq!(e.fields["from"], ScVal::U32(7));
        assert_eq!(e.fields["amount"], ScVal::U32(5));
        // A missing key, an extra topic or another prefix is not this event.
        let partial = map(vec![("amount", ScVal::U32(5))]);
        assert!(decode_with_spec(&spec(EventDataFormat::Map), &topics, &partial).is_none());
        let extra = [sym("transfer"), ScVal::U32(7), ScVal::U32(8)];
        assert!(decode_with_spec(&spec(EventDataFormat::Map), &extra, &data).is_none());
        assert!(decode_with_spec(&spec(EventDataFormat::Map), &[sym("mint")], &data).is_none());
    }

    #[test]
    fn vec_data_is_read_in_param_order_and_strings_match_prefixes() {
        let topics = [
            ScVal::String(stellar_xdr::ScString("transfer".try_into().unwrap())),
            ScVal::U32(1),
        ];
        let data = ScVal::Vec(Some(ScVec(
            vec![ScVal::U32(5), ScVal::Bool(true)].try_into().unwrap(),
        )));
        let e = decode_with_spec(&spec(EventDataFormat::Vec), &topics, &data).unwrap();
        assert_eq!(e.fields["memo"], ScVal::Bool(true));
    }

    #[test]
    fn default_events_are_read_by_their_map_keys() {
        let e = decode_default(&[sym("rename")], &map(vec![("new_name", ScVal::U32(1))])).unwrap();
        assert_eq!(e.name, "rename");
        assert_eq!(e.fields["new_name"], ScVal::U32(1));
        assert!(decode_default(&[ScVal::U32(1)], &ScVal::Void).is_none());
    }
}
