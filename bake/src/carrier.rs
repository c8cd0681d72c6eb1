//! The vocabulary shared by the PNG and SVG carriers: which kind of badge a
//! carrier holds, what unbaking returns, and the limits every reader applies.

/// The kind of carrier to bake: it picks the PNG keyword and the SVG
/// namespace and element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// Open Badges 3.0: PNG keyword `openbadgecredential`, SVG
    /// `<openbadges:credential>` in `https://purl.imsglobal.org/ob/v3p0`.
    Ob3,
    /// Open Badges 2.0: PNG keyword `openbadges`, SVG
    /// `<openbadges:assertion>` in `http://openbadges.org`.
    Ob2,
}

impl Carrier {
    /// The PNG `iTXt` keyword of this carrier.
    pub const fn png_keyword(self) -> &'static str {
        match self {
            Self::Ob3 => PNG_KEYWORD_OB3,
            Self::Ob2 => PNG_KEYWORD_OB2,
        }
    }

    /// The SVG namespace URI of this carrier.
    pub const fn svg_namespace(self) -> &'static str {
        match self {
            Self::Ob3 => SVG_NS_OB3,
            Self::Ob2 => SVG_NS_OB2,
        }
    }

    /// The SVG element (local) name of this carrier.
    pub const fn svg_element(self) -> &'static str {
        match self {
            Self::Ob3 => "credential",
            Self::Ob2 => "assertion",
        }
    }
}

pub(crate) const PNG_KEYWORD_OB3: &str = "openbadgecredential";
pub(crate) const PNG_KEYWORD_OB2: &str = "openbadges";
pub(crate) const SVG_NS_OB3: &str = "https://purl.imsglobal.org/ob/v3p0";
pub(crate) const SVG_NS_OB2: &str = "http://openbadges.org";

/// Which carrier an unbaked badge came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    /// An OB 3.0 carrier (`openbadgecredential` keyword or the OB 3.0 SVG
    /// namespace): an OpenBadgeCredential as JSON or compact JWS.
    Ob3,
    /// An OB 2.0 carrier (`openbadges` iTXt keyword or the OB 2.0 SVG
    /// namespace): an assertion as JSON or compact JWS.
    Ob2,
    /// A pre-1.0 PNG `tEXt` chunk `openbadges`: the URL of a hosted
    /// assertion, which can only be checked by fetching it.
    LegacyUrl,
}

/// A badge found in an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baked {
    /// Which carrier held it.
    pub carrier: Found,
    /// The badge text: JSON, a compact JWS, or (for [`Found::LegacyUrl`]) a
    /// URL. For an SVG element with both a body and a `verify` attribute this
    /// is the body.
    pub text: String,
    /// The SVG `verify` attribute, when there was one (an OB 2.0 hosted
    /// badge's URL, or a compact JWS). Always `None` for PNG.
    pub verify: Option<String>,
}

/// Bounds applied to untrusted input by every reader in this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted input file, in bytes.
    pub max_input: usize,
    /// Largest accepted badge text, in bytes (after inflating, if any).
    pub max_text: usize,
    /// Largest size a compressed PNG `iTXt` may inflate to (zlib bomb guard).
    pub max_inflated: usize,
    /// Most PNG chunks accepted in one image.
    pub max_chunks: usize,
    /// Deepest SVG element nesting accepted.
    pub max_depth: usize,
    /// Most pixels (width times height) of an image searched for a QR code:
    /// the search costs time and memory in proportion.
    pub max_pixels: usize,
}

impl Limits {
    /// The defaults: 16 MiB input, 4 MiB text, 1 MiB inflated, 65,536 PNG
    /// chunks, SVG depth 256, 25 million pixels (a page scanned at 600 dpi).
    pub const DEFAULT: Self = Self {
        max_input: 16 * 1024 * 1024,
        max_text: 4 * 1024 * 1024,
        max_inflated: 1024 * 1024,
        max_chunks: 65_536,
        max_depth: 256,
        max_pixels: 25_000_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
