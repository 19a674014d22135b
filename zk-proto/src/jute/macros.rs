//! `record!` and `jute_enum!`: declare a jute record or enumeration once and get its codec, and
//! (for tests) its quickcheck generator, from the declaration.

/// Declares a jute record: a struct whose fields are encoded in declaration order.
///
/// The generated `Jute::read` names each field `Record.field` in errors.
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::jute::Jute for $name {
            const MIN_BYTES: usize = 0 $( + <$ty as $crate::jute::Jute>::MIN_BYTES )*;

            #[allow(unused_variables)]
            fn write<B: ::bytes::BufMut>(&self, out: &mut B) {
                $( $crate::jute::Jute::write(&self.$field, out); )*
            }

            #[allow(unused_variables)]
            fn read(r: &mut $crate::jute::Reader, _field: &'static str) -> $crate::Result<Self> {
                Ok(Self {
                    $( $field: $crate::jute::Jute::read(
                        r,
                        concat!(stringify!($name), ".", stringify!($field)),
                    )?, )*
                })
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl ::quickcheck::Arbitrary for $name {
            #[allow(unused_variables)]
            fn arbitrary(g: &mut ::quickcheck::Gen) -> Self {
                Self {
                    $( $field: $crate::jute::arbitrary::ArbitraryJute::arbitrary_jute(g), )*
                }
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl $crate::jute::arbitrary::ArbitraryJute for $name {
            fn arbitrary_jute(g: &mut ::quickcheck::Gen) -> Self {
                <Self as ::quickcheck::Arbitrary>::arbitrary(g)
            }
        }
    };
}

/// Declares a closed enumeration encoded as a jute `int`; an unknown value is
/// [`Error::InvalidValue`](crate::Error::InvalidValue).
macro_rules! jute_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value, )*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )* ];

            /// The value for a wire code, if there is one.
            pub fn from_code(code: i32) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| *v as i32 == code)
            }

            /// The wire code.
            pub fn code(self) -> i32 {
                self as i32
            }
        }

        impl TryFrom<i32> for $name {
            type Error = i32;
            fn try_from(code: i32) -> Result<Self, i32> {
                Self::from_code(code).ok_or(code)
            }
        }

        impl From<$name> for i32 {
            fn from(v: $name) -> i32 {
                v as i32
            }
        }

        impl $crate::jute::Jute for $name {
            const MIN_BYTES: usize = 4;

            fn write<B: ::bytes::BufMut>(&self, out: &mut B) {
                out.put_i32(*self as i32);
            }

            fn read(r: &mut $crate::jute::Reader, field: &'static str) -> $crate::Result<Self> {
                let offset = r.position();
                let code = r.read_i32(field)?;
                Self::from_code(code).ok_or($crate::Error::InvalidValue {
                    field,
                    offset,
                    value: i64::from(code),
                })
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl ::quickcheck::Arbitrary for $name {
            fn arbitrary(g: &mut ::quickcheck::Gen) -> Self {
                *g.choose(Self::ALL).expect("enumeration has values")
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl $crate::jute::arbitrary::ArbitraryJute for $name {
            fn arbitrary_jute(g: &mut ::quickcheck::Gen) -> Self {
                <Self as ::quickcheck::Arbitrary>::arbitrary(g)
            }
        }
    };
}
