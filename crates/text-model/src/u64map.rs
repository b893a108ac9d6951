//! A map from `u64` keys to `u32` values for the vocabulary lookups that scoring makes once or
//! twice per token: open addressing, linear probing, at most half full, key and value side by
//! side, so a lookup is a multiply, a shift and (nearly always) one cache line.

/// The free-slot marker. No key takes this value: packed words are valid UTF-8 (never eight
/// 0xFF bytes) and word-id pairs are below `NONE << 32 | NONE`.
pub(crate) const EMPTY: u64 = u64::MAX;

#[derive(Debug, Clone)]
pub(crate) struct U64Map {
    slots: Box<[(u64, u32)]>,
    /// `64 - log2(slots.len())`: the hash's top bits index the slots.
    shift: u32,
    len: usize,
}

impl Default for U64Map {
    fn default() -> Self {
        U64Map::with_slots(16)
    }
}

impl U64Map {
    fn with_slots(slots: usize) -> U64Map {
        debug_assert!(slots.is_power_of_two() && slots >= 2);
        U64Map {
            slots: vec![(EMPTY, 0); slots].into_boxed_slice(),
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        }
    }

    fn slot_of(&self, key: u64) -> usize {
        // Fibonacci hashing; the xor-shift first lets the high half of a key (the first word
        // of a bigram) move the low bits of the product too.
        ((key ^ (key >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.slot_of(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`, inserting `default` first if the key is new.
    pub(crate) fn get_or_insert(&mut self, key: u64, default: u32) -> &mut u32 {
        assert_ne!(key, EMPTY, "U64Map keys never equal EMPTY");
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot_of(key);
        while self.slots[i].0 != key && self.slots[i].0 != EMPTY {
            i = (i + 1) & mask;
        }
        if self.slots[i].0 == EMPTY {
            self.slots[i] = (key, default);
            self.len += 1;
        }
        &mut self.slots[i].1
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, U64Map::with_slots(self.slots.len() * 2));
        for &(key, value) in old.slots.iter().filter(|(k, _)| *k != EMPTY) {
            *self.get_or_insert(key, value) = value;
        }
    }

    /// Number of keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashMap;

    #[test]
    fn agrees_with_a_hash_map() {
        let mut map = U64Map::default();
        let mut reference = FxHashMap::default();
        // Keys shaped like the real ones: packed short words and (id << 32 | id) pairs,
        // including the zero key and keys that differ only in their high half.
        let mut state = 0x1234_5678_9abc_def0u64;
        for i in 0..50_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let key = match i % 3 {
                0 => state & 0xFFFF_FFFF_FFFF,
                1 => (i % 1000) << 32 | (i / 1000),
                _ => i,
            };
            let value = (state >> 40) as u32;
            let slot = map.get_or_insert(key, value);
            let expected = *reference.entry(key).or_insert(value);
            assert_eq!(*slot, expected, "key {key:#x}");
        }
        assert_eq!(map.len(), reference.len());
        for (&key, &value) in &reference {
            assert_eq!(map.get(key), Some(value));
        }
        for key in [u64::MAX - 1, 1 << 63, 0xdead_beef_0000_0000] {
            assert_eq!(map.get(key), reference.get(&key).copied());
        }
    }

    #[test]
    fn an_empty_map_finds_nothing() {
        let map = U64Map::default();
        assert_eq!(map.get(0), None);
        assert_eq!(map.get(42), None);
    }
}
