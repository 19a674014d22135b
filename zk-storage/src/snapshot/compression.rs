//! [`Compression`]: how a snapshot file's bytes are stored, chosen like Apache's
//! `zookeeper.snapshot.compression.method` and recognised by the file-name suffix.

use std::fmt;
use std::io::{self, Read, Write};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::xerial::{XerialSnappyReader, XerialSnappyWriter};

/// How a snapshot file is compressed. The checksummed snapshot stream is the same in all three;
/// only the bytes on disk differ.
///
/// | variant | file name | Apache `snapshot.compression.method` |
/// |---|---|---|
/// | `None` | `snapshot.<zxid>` | `` (default, "CHECKED") |
/// | `Gzip` | `snapshot.<zxid>.gz` | `gz` |
/// | `Snappy` | `snapshot.<zxid>.snappy` | `snappy` (snappy-java's stream format) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Uncompressed.
    #[default]
    None,
    /// GZIP (RFC 1952), as `java.util.zip.GZIPOutputStream` writes it.
    Gzip,
    /// snappy-java's `SnappyOutputStream` format (not the standard Snappy framing format).
    Snappy,
}

impl Compression {
    /// Every method.
    pub const ALL: [Compression; 3] = [Compression::None, Compression::Gzip, Compression::Snappy];

    /// The file-name suffix: `""`, `".gz"` or `".snappy"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Snappy => ".snappy",
        }
    }

    /// The method named as in `zookeeper.snapshot.compression.method` (case-insensitive; the
    /// empty string is uncompressed). Unlike Apache, which silently falls back to uncompressed,
    /// an unknown name is `None` so configuration can reject it.
    pub fn from_config_name(name: &str) -> Option<Compression> {
        Compression::ALL.into_iter().find(|c| {
            c.suffix()
                .trim_start_matches('.')
                .eq_ignore_ascii_case(name.trim())
        })
    }

    /// Wraps the raw bytes of a file in the matching decompressor. Fails if the stream header
    /// is not what this method writes.
    pub fn decoder<'a, R: Read + Send + 'a>(self, raw: R) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::None => Box::new(raw),
            // Java's GZIPInputStream reads concatenated members; so does MultiGzDecoder.
            Compression::Gzip => Box::new(MultiGzDecoder::new(raw)),
            Compression::Snappy => Box::new(XerialSnappyReader::new(raw)?),
        })
    }

    /// Wraps a sink in the matching compressor; [`Encoder::finish`] completes the stream.
    pub fn encoder<W: Write>(self, raw: W) -> io::Result<Encoder<W>> {
        Ok(Encoder(match self {
            Compression::None => EncoderInner::None(raw),
            Compression::Gzip => {
                EncoderInner::Gzip(GzEncoder::new(raw, flate2::Compression::default()))
            }
            Compression::Snappy => EncoderInner::Snappy(Box::new(XerialSnappyWriter::new(raw)?)),
        }))
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "none",
            Compression::Gzip => "gz",
            Compression::Snappy => "snappy",
        })
    }
}

/// A compressing writer for one snapshot file.
pub struct Encoder<W: Write>(EncoderInner<W>);

enum EncoderInner<W: Write> {
    None(W),
    Gzip(GzEncoder<W>),
    // Boxed: the Snappy encoder's hash table would make every variant 2 KiB.
    Snappy(Box<XerialSnappyWriter<W>>),
}

impl<W: Write> Encoder<W> {
    /// Writes the compressed stream's end (gzip trailer, last Snappy block) and returns the sink,
    /// which the caller then syncs.
    pub fn finish(self) -> io::Result<W> {
        match self.0 {
            EncoderInner::None(w) => Ok(w),
            EncoderInner::Gzip(w) => w.finish(),
            EncoderInner::Snappy(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            EncoderInner::None(w) => w.write(data),
            EncoderInner::Gzip(w) => w.write(data),
            EncoderInner::Snappy(w) => w.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            EncoderInner::None(w) => w.flush(),
            EncoderInner::Gzip(w) => w.flush(),
            EncoderInner::Snappy(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_round_trips() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 31) as u8).collect();
        for c in Compression::ALL {
            let mut enc = c.encoder(Vec::new()).unwrap();
            enc.write_all(&data).unwrap();
            let bytes = enc.finish().unwrap();
            let mut out = Vec::new();
            c.decoder(&bytes[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data, "{c}");
        }
    }

    #[test]
    fn config_names_are_apaches() {
        assert_eq!(Compression::from_config_name(""), Some(Compression::None));
        assert_eq!(Compression::from_config_name("GZ"), Some(Compression::Gzip));
        assert_eq!(
            Compression::from_config_name("snappy"),
            Some(Compression::Snappy)
        );
        assert_eq!(Compression::from_config_name("zstd"), None);
    }
}
