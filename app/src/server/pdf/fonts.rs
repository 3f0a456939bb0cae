//! The two embedded faces (DejaVu Sans and DejaVu Sans Bold, see
//! `app/assets/fonts/LICENSE-DejaVu.txt`), parsed once per process, and text measurement from
//! their glyph advances.

use super::PdfError;
use printpdf::ParsedFont;
use std::sync::LazyLock;

const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Which of the two faces a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

/// One parsed face plus what measuring needs.
pub(super) struct Face {
    pub(super) parsed: ParsedFont,
    /// Advance widths of U+0020..=U+007E in thousandths of an em: most invoice text is ASCII,
    /// and this saves a cmap lookup per character.
    ascii: [i64; 95],
}

impl Face {
    fn load(bytes: &[u8]) -> Option<Self> {
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())?;
        let mut ascii = [0; 95];
        for (slot, c) in ascii.iter_mut().zip(' '..='~') {
            *slot = glyph_width(&parsed, c);
        }
        Some(Self { parsed, ascii })
    }

    /// The advance of `c` in thousandths of an em.
    fn width(&self, c: char) -> i64 {
        match (c as usize)
            .checked_sub(0x20)
            .and_then(|i| self.ascii.get(i))
        {
            Some(w) => *w,
            None => glyph_width(&self.parsed, c),
        }
    }

    /// Width of `text` in points when set at `size` points, without kerning (the PDF shows text
    /// by glyph advances alone, so this is exactly where the viewer puts the next glyph).
    pub(super) fn text_width(&self, text: &str, size: f32) -> f32 {
        let units: i64 = text.chars().map(|c| self.width(c)).sum();
        units as f32 * size / 1000.0
    }
}

/// The advance of the glyph `c` maps to (.notdef when the font lacks it), rounded the way printpdf
/// writes the `/W` widths array, so measured and displayed widths agree to the unit.
fn glyph_width(font: &ParsedFont, c: char) -> i64 {
    let gid = font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
    let units_per_em = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    (f32::from(font.get_horizontal_advance(gid)) * 1000.0 / units_per_em) as i64
}

pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Fonts {
    pub(super) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

static FONTS: LazyLock<Result<Fonts, &'static str>> = LazyLock::new(|| {
    Ok(Fonts {
        regular: Face::load(REGULAR_TTF).ok_or("DejaVuSans.ttf")?,
        bold: Face::load(BOLD_TTF).ok_or("DejaVuSans-Bold.ttf")?,
    })
});

/// The parsed faces; the first call parses them (about 1.5 MB of TrueType).
pub(super) fn fonts() -> Result<&'static Fonts, PdfError> {
    FONTS.as_ref().map_err(|name| PdfError::Font(name))
}

/// The size of the unsubset font programs, for comparison with what a PDF embeds.
#[doc(hidden)]
pub fn embedded_font_bytes() -> usize {
    REGULAR_TTF.len() + BOLD_TTF.len()
}
