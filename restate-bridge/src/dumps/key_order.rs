//! Test support: the keys of every JSON object of a document, in the order the text lists them
//! (a `serde_json::Value` forgets that order).

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Every object's keys, in document order (an object's list comes before its children's).
pub(crate) fn key_orders(text: &str) -> Vec<Vec<String>> {
    let mut orders = Vec::new();
    let mut json = serde_json::Deserializer::from_str(text);
    let walk = Walk {
        orders: &mut orders,
    };
    serde::de::DeserializeSeed::deserialize(walk, &mut json).expect("valid JSON");
    orders
}

struct Walk<'a> {
    orders: &'a mut Vec<Vec<String>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let slot = self.orders.len();
        self.orders.push(Vec::new());
        while let Some(key) = map.next_key::<String>()? {
            self.orders[slot].push(key);
            map.next_value_seed(Walk {
                orders: self.orders,
            })?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Walk {
                orders: self.orders,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Whether `text` parses as JSON at all.
pub(crate) fn is_json(text: &str) -> bool {
    IgnoredAny::deserialize(&mut serde_json::Deserializer::from_str(text)).is_ok()
}
