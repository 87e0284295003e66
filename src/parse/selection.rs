//! Which records a run keeps and what weight each carries: the record
//! filters ([`RecordFilter`]) and the one field a weighted measure sums
//! (`connspy-stream --by bytes|packets`), applied while a block of lines
//! is parsed (`parse/batch.rs`).
//!
//! A record a filter leaves out counts toward nothing but still moves
//! the clock that closes windows (`docs/behaviour.md#filters`): the parse
//! marks it `Item::Filtered` rather than dropping it. The fields are read
//! through [`FormatState::detail`], only when a selection asks for them,
//! so a run without filters or weights parses as it always did.

use crate::parse::detail::{Detail, DetailField, Wanted};
use crate::parse::filter::{RecordFilter, Unfilterable};
use crate::parse::format::FormatState;

/// The filters of a run, and the field whose value weighs each record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--dport`, `--sport`, `--proto`, `--action`.
    pub filter: RecordFilter,
    /// The field each record's weight is read from (`Bytes` or
    /// `Packets`), and the option that asks for it (`--by bytes`), which
    /// messages name; `None`: records are not weighed.
    pub weight: Option<(DetailField, &'static str)>,
}

impl Selection {
    /// Whether the selection keeps every record and weighs none: then
    /// lines are parsed without reading any field beyond time and hosts.
    #[inline]
    pub fn is_everything(&self) -> bool {
        self.weight.is_none() && self.filter.is_empty()
    }

    /// The fields to read from each record.
    pub(crate) fn wanted(&self) -> Wanted {
        let wanted = self.filter.wanted();
        match self.weight {
            Some((field, _)) => wanted.with(field),
            None => wanted,
        }
    }

    /// The first option that an input read in `state` cannot serve.
    pub fn lacking_in(&self, state: &FormatState) -> Option<Unfilterable> {
        self.filter.lacking_in(state).or_else(|| {
            let (field, option) = self.weight?;
            state
                .lacking(field)
                .map(|lacking| Unfilterable { option, lacking })
        })
    }

    /// The weight of a record with `detail`, `None` when the filters drop
    /// it. A weight the record leaves unset (`-`) is 0: it adds to no sum.
    #[inline]
    pub(crate) fn weigh(&self, detail: &Detail) -> Option<u64> {
        if !self.filter.passes(detail) {
            return None;
        }
        Some(match self.weight {
            Some((DetailField::Bytes, _)) => detail.bytes.unwrap_or(0),
            Some((DetailField::Packets, _)) => detail.packets.unwrap_or(0),
            _ => 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::filter::PortSet;
    use crate::parse::format::InputFormat;

    #[test]
    fn weights_come_from_the_field_asked_and_filters_drop_records() {
        let bytes = Selection {
            weight: Some((DetailField::Bytes, "--by bytes")),
            ..Selection::default()
        };
        let detail = Detail {
            bytes: Some(1500),
            packets: Some(3),
            dport: Some(22),
            ..Detail::default()
        };
        assert_eq!(bytes.weigh(&detail), Some(1500));
        assert_eq!(bytes.weigh(&Detail::default()), Some(0));
        assert!(bytes.wanted().contains(DetailField::Bytes));
        let ssh = Selection {
            filter: RecordFilter {
                dport: Some(PortSet::parse("22").unwrap()),
                ..RecordFilter::default()
            },
            weight: Some((DetailField::Packets, "--by packets")),
        };
        assert_eq!(ssh.weigh(&detail), Some(3));
        assert_eq!(
            ssh.weigh(&Detail {
                dport: Some(80),
                ..detail
            }),
            None
        );
        assert!(Selection::default().is_everything() && !ssh.is_everything());
    }

    #[test]
    fn a_weight_the_format_lacks_names_the_option() {
        let bytes = Selection {
            weight: Some((DetailField::Bytes, "--by bytes")),
            ..Selection::default()
        };
        let plain = FormatState::new(InputFormat::Plain);
        assert_eq!(
            bytes.lacking_in(&plain).unwrap().to_string(),
            "--by bytes cannot be applied: plain logs have no byte count \
             (zeek, zeek-json and vpc logs have one)"
        );
        assert_eq!(bytes.lacking_in(&FormatState::ZeekJson), None);
    }
}
