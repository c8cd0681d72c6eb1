//! Shape checks shared by the record kinds: text lengths and list sizes.

use crate::limits::{MAX_LIST, MAX_LONG_TEXT, MAX_SHORT_TEXT, MAX_URL};

pub(crate) fn short_text(field: &str, s: &str) -> Result<(), String> {
    bounded(field, s, MAX_SHORT_TEXT)?;
    if s.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    Ok(())
}

pub(crate) fn opt_short_text(field: &str, s: &Option<String>) -> Result<(), String> {
    s.as_deref()
        .map_or(Ok(()), |s| bounded(field, s, MAX_SHORT_TEXT))
}

pub(crate) fn long_text(field: &str, s: &str) -> Result<(), String> {
    bounded(field, s, MAX_LONG_TEXT)
}

pub(crate) fn opt_long_text(field: &str, s: &Option<String>) -> Result<(), String> {
    s.as_deref().map_or(Ok(()), |s| long_text(field, s))
}

pub(crate) fn opt_url(field: &str, s: &Option<String>) -> Result<(), String> {
    s.as_deref().map_or(Ok(()), |s| bounded(field, s, MAX_URL))
}

/// The chaining rule of numbered updates: 1, 2, 3, ..., each after the first
/// naming its predecessor.
pub(crate) fn chained<T>(what: &str, seq: u64, prev: Option<T>) -> Result<(), String> {
    match (seq, prev.is_some()) {
        (0, _) => Err(format!("{what} sequence starts at 1")),
        (1, true) => Err(format!("the first {what} update has no predecessor")),
        (n, false) if n > 1 => Err("update must name its predecessor".into()),
        _ => Ok(()),
    }
}

pub(crate) fn list<T>(field: &str, items: &[T]) -> Result<(), String> {
    if items.len() > MAX_LIST {
        return Err(format!(
            "{field} has {} entries, at most {MAX_LIST} allowed",
            items.len()
        ));
    }
    Ok(())
}

fn bounded(field: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        return Err(format!(
            "{field} is {} bytes, at most {max} allowed",
            s.len()
        ));
    }
    Ok(())
}
