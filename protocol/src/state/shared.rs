//! A copy-on-write handle for the parts of the registry that are large or
//! change often.
//!
//! The node publishes the registry as an immutable snapshot after each
//! commit and applies the next records to a clone of it. Cloning a
//! [`Shared`] only counts a reference; the first write through it copies the
//! value if a snapshot still shares it (`Arc::make_mut`), so a commit copies
//! what it changes and nothing else.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A value shared between registry versions until one of them writes to it.
#[derive(Debug, Default)]
pub(crate) struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    /// Wraps a value.
    pub(crate) fn new(value: T) -> Self {
        Shared(Arc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    /// Copies the value first if another registry version still holds it.
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_leaves_other_versions_alone() {
        let a = Shared::new(vec![1, 2]);
        let mut b = a.clone();
        b.push(3);
        assert_eq!(*a, vec![1, 2]);
        assert_eq!(*b, vec![1, 2, 3]);
    }
}
