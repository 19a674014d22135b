//! Quickcheck generators for jute field types (behind the `arbitrary` feature, and in tests).
//!
//! Quickcheck's `Arbitrary` cannot be implemented here for foreign types such as [`Bytes`], so
//! records generate their fields through [`ArbitraryJute`], which this module implements for
//! every primitive and which `record!` implements for every record.

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen};

/// A generator for one jute field type.
pub trait ArbitraryJute: Sized {
    /// A random value.
    fn arbitrary_jute(g: &mut Gen) -> Self;
}

macro_rules! via_arbitrary {
    ($($ty:ty),*) => {$(
        impl ArbitraryJute for $ty {
            fn arbitrary_jute(g: &mut Gen) -> Self {
                <$ty as Arbitrary>::arbitrary(g)
            }
        }
    )*};
}
via_arbitrary!(bool, i32, i64, String, Option<String>);

impl ArbitraryJute for Bytes {
    fn arbitrary_jute(g: &mut Gen) -> Self {
        Bytes::from(Vec::<u8>::arbitrary(g))
    }
}

impl ArbitraryJute for Option<Bytes> {
    fn arbitrary_jute(g: &mut Gen) -> Self {
        bool::arbitrary(g).then(|| Bytes::arbitrary_jute(g))
    }
}

impl<T: ArbitraryJute> ArbitraryJute for Vec<T> {
    fn arbitrary_jute(g: &mut Gen) -> Self {
        // Records nest vectors of records; keep them short so generated values stay small.
        let len = usize::arbitrary(g) % 6;
        (0..len).map(|_| T::arbitrary_jute(g)).collect()
    }
}
