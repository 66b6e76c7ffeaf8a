//! Numbered slots whose numbers are reused: where a server keeps its
//! clients. A client's number is its mio token and its chat
//! [`Id`](crate::chat::Id), so numbers stay small and dense, and one number
//! never names two clients at once.

/// Values in numbered slots. [`Slots::remove`] frees a number for the next
/// [`Slots::insert`]; [`Slots::take`] empties a slot but keeps its number
/// out of use until [`Slots::release`] (lesson 13: a client's task may
/// outlive its place in the room).
#[derive(Debug)]
pub struct Slots<T> {
    slots: Vec<Option<T>>,
    /// Numbers free for the next insert.
    free: Vec<usize>,
    /// Slots holding a value.
    filled: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            filled: 0,
        }
    }
}

impl<T> Slots<T> {
    /// The number the next [`Slots::insert`] will use.
    pub fn next(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Stores `value` under [`Slots::next`]; returns that number.
    pub fn insert(&mut self, value: T) -> usize {
        self.filled += 1;
        match self.free.pop() {
            Some(id) => {
                self.slots[id] = Some(value);
                id
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// Empties slot `id` and frees its number.
    pub fn remove(&mut self, id: usize) -> Option<T> {
        let value = self.take(id)?;
        self.free.push(id);
        Some(value)
    }

    /// Empties slot `id`; its number stays in use until [`Slots::release`].
    pub fn take(&mut self, id: usize) -> Option<T> {
        let value = self.slots.get_mut(id)?.take()?;
        self.filled -= 1;
        Some(value)
    }

    /// Frees number `id`, emptied by [`Slots::take`] (call it once).
    pub fn release(&mut self, id: usize) {
        self.take(id);
        self.free.push(id);
    }

    pub fn get_mut(&mut self, id: usize) -> Option<&mut T> {
        self.slots.get_mut(id)?.as_mut()
    }

    /// How many slots hold a value.
    pub fn filled(&self) -> usize {
        self.filled
    }

    /// Every value with its number.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        let slots = self.slots.iter_mut().enumerate();
        slots.filter_map(|(id, slot)| Some((id, slot.as_mut()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_number_is_reused_a_taken_one_only_after_release() {
        let mut s = Slots::default();
        let (a, b) = (s.insert("a"), s.insert("b"));
        assert_eq!((a, b, s.filled()), (0, 1, 2));
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.next(), a);
        assert_eq!(s.insert("c"), a);
        assert_eq!(s.take(b), Some("b"));
        assert_eq!(s.insert("d"), 2, "a taken number is still in use");
        s.release(b);
        assert_eq!(s.insert("e"), b);
        assert_eq!(s.remove(9), None);
        let all: Vec<_> = s.iter_mut().map(|(id, v)| (id, *v)).collect();
        assert_eq!(all, [(0, "c"), (1, "e"), (2, "d")]);
    }
}
