//! The errors of baking and unbaking. A badge that merely fails verification
//! is not an error here: these say that an image could not be written or
//! read.

/// Why a badge could not be baked into an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BakeError {
    /// The image is larger than the input limit.
    #[error("image is {len} bytes, more than the limit of {max}")]
    ImageTooLarge {
        /// Size of the image.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is larger than the text limit.
    #[error("payload is {len} bytes, more than the limit of {max}")]
    PayloadTooLarge {
        /// Size of the payload.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is neither a JSON object nor a compact JWS.
    #[error("payload is neither a JSON object nor a compact JWS")]
    InvalidPayload,
    /// An OB 2.0 JSON assertion baked into SVG needs its `id` (the hosted
    /// URL) for the `verify` attribute.
    #[error("an OB 2.0 JSON assertion needs a string `id` to fill the SVG `verify` attribute")]
    MissingAssertionId,
    /// The image does not start with the PNG signature.
    #[error("not a PNG image (bad signature)")]
    NotPng,
    /// The PNG is damaged.
    #[error("damaged PNG: {0}")]
    InvalidPng(&'static str),
    /// The image already carries a badge.
    #[error("the image already carries a badge; refusing to add a second one")]
    AlreadyBaked,
    /// The SVG is not well-formed XML, or has no `<svg>` root.
    #[error("invalid SVG: {0}")]
    InvalidSvg(String),
    /// The SVG root binds the `openbadges` prefix to another namespace.
    #[error("the SVG root binds the `openbadges` prefix to another namespace")]
    PrefixTaken,
}

/// Why no badge could be read from a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnbakeError {
    /// The input is larger than the input limit.
    #[error("input is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not a PNG, SVG, JSON, JWS or native record.
    #[error("unrecognised file format")]
    UnknownFormat,
    /// The image is well-formed but carries no badge.
    #[error("the image carries no badge")]
    NotBaked,
    /// The input does not start with the PNG signature.
    #[error("not a PNG image (bad signature)")]
    NotPng,
    /// The PNG is damaged (bad CRC, truncated chunk, no IHDR or IEND).
    #[error("damaged PNG: {0}")]
    InvalidPng(&'static str),
    /// The PNG has more chunks than the limit.
    #[error("PNG has more than {max} chunks")]
    TooManyChunks {
        /// The limit.
        max: usize,
    },
    /// A badge chunk is malformed.
    #[error("malformed badge chunk: {0}")]
    MalformedChunk(&'static str),
    /// A compressed `iTXt` uses a compression method other than zlib.
    #[error("unsupported iTXt compression method {0}")]
    UnsupportedCompression(u8),
    /// A compressed `iTXt` inflates to more than the limit (a zlib bomb, or
    /// just too big).
    #[error("compressed badge chunk inflates to more than {max} bytes; refused (zlib bomb guard)")]
    InflateLimit {
        /// The limit.
        max: usize,
    },
    /// A compressed `iTXt` is not valid zlib data.
    #[error("compressed badge chunk is not valid zlib data")]
    CorruptCompression,
    /// The badge text is larger than the text limit.
    #[error("badge text is {len} bytes, more than the limit of {max}")]
    TextTooLarge {
        /// Size of the text.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The badge text (or the SVG document) is not UTF-8.
    #[error("badge text is not valid UTF-8")]
    NotUtf8,
    /// The SVG is not well-formed XML.
    #[error("invalid SVG at byte {position}: {message}")]
    InvalidSvg {
        /// Byte offset where the XML parser stopped.
        position: u64,
        /// The parser's message.
        message: String,
    },
    /// The SVG nests elements deeper than the limit.
    #[error("SVG nests elements deeper than {max}")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The SVG refers to an entity other than the five predefined ones or a
    /// character reference; entities are never expanded.
    #[error("SVG refers to the undeclared or external entity `{0}`")]
    UnknownEntity(String),
    /// The badge element is malformed (nested elements, or no content).
    #[error("malformed badge element: {0}")]
    MalformedCarrier(&'static str),
    /// The image's pixels could not be decoded to look for a QR code.
    #[error("the image's pixels could not be read: {0}")]
    UndecodableImage(String),
    /// The image has more pixels than the QR reader accepts.
    #[error("the image has {pixels} pixels, more than the {max} the QR reader accepts")]
    TooManyPixels {
        /// Width times height.
        pixels: usize,
        /// The limit.
        max: usize,
    },
    /// The image has QR codes, but none holds a badge (a URL, say).
    #[error(
        "the image's QR code does not hold a badge (a badgemesh certificate's code starts with `BM1:`)"
    )]
    ForeignQr,
    /// The QR code (or a compact text) holds a damaged badge.
    #[error("{0}")]
    Compact(crate::compact::CompactError),
    /// A printed badge holds something that is not a badge's bytes (an
    /// image, or another compact text).
    #[error("the QR code holds something other than a signed badge")]
    NestedCarrier,
}
