//! Radix sorts of integer keys. An answer of thousands of hits is sorted
//! twice (by id, then by where each feature lies in memory), and a
//! comparison sort of them was a sixth of answering "points within"
//! (callgrind); a dense tile's features are sorted by rank, and a
//! comparison sort of them was 6 % of a cold tile. A radix sort over the
//! keys' significant bits takes a fraction of that.

/// Digits of this many bits per pass.
const DIGIT: u32 = 10;

/// Below this many keys a comparison sort is as quick.
const SHORT: usize = 256;

/// Sorts `keys` ascending, as `sort_unstable` would (equal keys are
/// indistinguishable). Least significant digit first, as many passes as
/// the largest key needs; a comparison sort for few keys or wide ones.
pub fn sort(keys: &mut Vec<u64>) {
    let Some(&max) = keys.iter().max() else {
        return;
    };
    let bits = u64::BITS - max.leading_zeros();
    let passes = bits.div_ceil(DIGIT);
    if keys.len() < SHORT || passes > 4 {
        keys.sort_unstable();
        return;
    }
    let mask = (1u64 << DIGIT) - 1;
    let mut from = std::mem::take(keys);
    let mut to = vec![0u64; from.len()];
    let mut counts = vec![0usize; 1 << DIGIT];
    for pass in 0..passes {
        let shift = pass * DIGIT;
        counts.fill(0);
        for &k in &from {
            counts[((k >> shift) & mask) as usize] += 1;
        }
        let mut start = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = start;
            start += n;
        }
        for &k in &from {
            let d = ((k >> shift) & mask) as usize;
            to[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *keys = from;
}

/// Digits of this many bits per pass of [`sort_by_key`].
const ITEM_DIGIT: u32 = 11;

/// Sorts `items` by `key` ascending, keeping items of equal keys in the
/// order they came, as the standard library's stable `sort_by_key` would.
/// Least significant digit first, as many passes as the largest key needs;
/// the standard sort for few items.
pub fn sort_by_key<T: Copy>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let Some(max) = items.iter().map(&key).max() else {
        return;
    };
    if items.len() < SHORT {
        items.sort_by_key(key);
        return;
    }
    let passes = bits(max).div_ceil(ITEM_DIGIT);
    let mask = (1u64 << ITEM_DIGIT) - 1;
    let mut from = std::mem::take(items);
    let mut to = from.clone();
    let mut counts = vec![0usize; 1 << ITEM_DIGIT];
    for pass in 0..passes {
        let shift = pass * ITEM_DIGIT;
        counts.fill(0);
        for item in &from {
            counts[((key(item) >> shift) & mask) as usize] += 1;
        }
        let mut start = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = start;
            start += n;
        }
        for item in &from {
            let d = ((key(item) >> shift) & mask) as usize;
            to[counts[d]] = *item;
            counts[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *items = from;
}

/// How many bits `n` takes (0 for 0).
pub fn bits(n: u64) -> u32 {
    u64::BITS - n.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any keys, of any width and count, come out as a comparison sort
        /// leaves them.
        #[test]
        fn sorts_as_sort_unstable(
            width in 0u32..64,
            keys in proptest::collection::vec(any::<u64>(), 0..3000),
        ) {
            let mut keys: Vec<u64> = keys.into_iter().map(|k| if width == 0 { 0 } else { k >> (64 - width) }).collect();
            let mut expected = keys.clone();
            expected.sort_unstable();
            sort(&mut keys);
            prop_assert_eq!(keys, expected);
        }
    }

    proptest! {
        /// Items of any key width, count and run of equal keys come out as
        /// the standard stable sort leaves them.
        #[test]
        fn sorts_by_key_as_the_stable_sort(
            width in 0u32..64,
            repeats in 1usize..4,
            keys in proptest::collection::vec(any::<u64>(), 0..3000),
        ) {
            let items: Vec<(u64, usize)> = keys
                .iter()
                .flat_map(|&k| std::iter::repeat_n(if width == 0 { 0 } else { k >> (64 - width) }, repeats))
                .enumerate()
                .map(|(place, k)| (k, place))
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(k, _)| k);
            let mut sorted = items;
            sort_by_key(&mut sorted, |&(k, _)| k);
            prop_assert_eq!(sorted, expected);
        }
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bits(0), 0);
        assert_eq!(bits(1), 1);
        assert_eq!(bits(1023), 10);
        assert_eq!(bits(1024), 11);
        assert_eq!(bits(u64::MAX), 64);
    }
}
