//! A thin drawing layer over printpdf's operation lists: absolute text placement (left- or
//! right-aligned), rules, boxes and images on A4 pages, in points from the page's bottom-left
//! corner, with word wrapping measured from the embedded fonts.

use super::fonts::{Fonts, Weight};
use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, PdfFontHandle, PdfPage, Point, Polygon,
    PolygonRing, Pt, Rect, Rgb, TextItem, TextMatrix, WindingOrder, XObjectId, XObjectTransform,
};

/// A4 in points.
pub(super) const PAGE_WIDTH: f32 = 595.276;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

/// Colours as 0-255 RGB triples.
pub(super) type Colour = (u8, u8, u8);

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Style {
    pub(super) weight: Weight,
    pub(super) size: f32,
    pub(super) colour: Colour,
}

impl Style {
    pub(super) const fn new(weight: Weight, size: f32, colour: Colour) -> Self {
        Self {
            weight,
            size,
            colour,
        }
    }
}

/// Collects the operations of each page. Text and graphics may be interleaved freely: the canvas
/// opens and closes text objects (`BT`/`ET`) as needed and skips redundant font and colour
/// changes.
pub(super) struct Canvas {
    fonts: &'static Fonts,
    regular: FontId,
    bold: FontId,
    done: Vec<Vec<Op>>,
    ops: Vec<Op>,
    in_text: bool,
    font: Option<(Weight, f32)>,
    fill: Option<Colour>,
}

impl Canvas {
    pub(super) fn new(fonts: &'static Fonts, regular: FontId, bold: FontId) -> Self {
        Self {
            fonts,
            regular,
            bold,
            done: Vec::new(),
            ops: Vec::with_capacity(512),
            in_text: false,
            font: None,
            fill: None,
        }
    }

    /// Ends the current page; what follows is drawn on a new one.
    pub(super) fn new_page(&mut self) {
        self.end_text();
        self.done.push(std::mem::take(&mut self.ops));
        self.font = None;
        self.fill = None;
    }

    /// Pages drawn so far, the current one included.
    pub(super) fn page_count(&self) -> usize {
        self.done.len() + 1
    }

    /// Runs `draw` once for every page, with its 1-based number and the page count (for footers).
    pub(super) fn for_each_page(&mut self, mut draw: impl FnMut(&mut Self, usize, usize)) {
        self.end_text();
        let count = self.page_count();
        let current = std::mem::take(&mut self.ops);
        let mut pages = std::mem::take(&mut self.done);
        pages.push(current);
        for (index, ops) in pages.into_iter().enumerate() {
            self.ops = ops;
            self.font = None;
            self.fill = None;
            draw(self, index + 1, count);
            self.end_text();
            self.done.push(std::mem::take(&mut self.ops));
        }
        // `done` now holds every page; `into_pages` takes them from there.
        self.ops = self.done.pop().unwrap_or_default();
    }

    pub(super) fn into_pages(mut self) -> Vec<PdfPage> {
        self.end_text();
        let mut pages = self.done;
        pages.push(self.ops);
        pages
            .into_iter()
            .map(|ops| PdfPage::new(Pt(PAGE_WIDTH).into(), Pt(PAGE_HEIGHT).into(), ops))
            .collect()
    }

    pub(super) fn width(&self, text: &str, style: Style) -> f32 {
        self.fonts.face(style.weight).text_width(text, style.size)
    }

    /// Draws `text` with its baseline starting at (`x`, `y`).
    pub(super) fn text(&mut self, x: f32, y: f32, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        if !self.in_text {
            self.ops.push(Op::StartTextSection);
            self.in_text = true;
        }
        if self.font != Some((style.weight, style.size)) {
            let id = match style.weight {
                Weight::Regular => self.regular.clone(),
                Weight::Bold => self.bold.clone(),
            };
            self.ops.push(Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(style.size),
            });
            self.font = Some((style.weight, style.size));
        }
        self.set_fill(style.colour);
        self.ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(x), Pt(y)),
        });
        self.ops.push(Op::ShowText {
            items: vec![TextItem::Text(text.to_owned())],
        });
    }

    /// Draws `text` so that it ends at `right`.
    pub(super) fn text_right(&mut self, right: f32, y: f32, text: &str, style: Style) {
        let x = right - self.width(text, style);
        self.text(x, y, text, style);
    }

    /// A horizontal rule from `x1` to `x2` at height `y`.
    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, colour: Colour) {
        self.end_text();
        self.ops.push(Op::SetOutlineColor { col: rgb(colour) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(x1, y), point(x2, y)],
                is_closed: false,
            },
        });
    }

    /// A rectangle with corners rounded by `radius`, its lower-left corner at (`x`, `y`); filled
    /// when `fill` is set, outlined in `stroke` (of the given thickness) when that is.
    pub(super) fn rounded_box(
        &mut self,
        (x, y, w, h): (f32, f32, f32, f32),
        radius: f32,
        fill: Option<Colour>,
        stroke: Option<(Colour, f32)>,
    ) {
        self.end_text();
        let mode = match (fill, stroke) {
            (Some(colour), Some(_)) => {
                self.set_fill(colour);
                PaintMode::FillStroke
            }
            (Some(colour), None) => {
                self.set_fill(colour);
                PaintMode::Fill
            }
            (None, Some(_)) => PaintMode::Stroke,
            (None, None) => return,
        };
        if let Some((colour, thickness)) = stroke {
            self.ops.push(Op::SetOutlineColor { col: rgb(colour) });
            self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        }
        let r = radius.min(w / 2.0).min(h / 2.0);
        if r <= 0.0 {
            self.ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(x),
                    y: Pt(y),
                    width: Pt(w),
                    height: Pt(h),
                    mode: Some(mode),
                    winding_order: Some(WindingOrder::NonZero),
                },
            });
            return;
        }
        // A quarter circle as a cubic Bézier: control points at 0.5523 of the radius.
        let k = r * 0.552_284_8;
        let (x2, y2) = (x + w, y + h);
        let corner =
            |points: &mut Vec<LinePoint>, c1: (f32, f32), c2: (f32, f32), end: (f32, f32)| {
                points.push(control(c1.0, c1.1));
                points.push(control(c2.0, c2.1));
                points.push(point(end.0, end.1));
            };
        let mut points = Vec::with_capacity(17);
        points.push(point(x + r, y));
        points.push(point(x2 - r, y));
        corner(&mut points, (x2 - r + k, y), (x2, y + r - k), (x2, y + r));
        points.push(point(x2, y2 - r));
        corner(
            &mut points,
            (x2, y2 - r + k),
            (x2 - r + k, y2),
            (x2 - r, y2),
        );
        points.push(point(x + r, y2));
        corner(&mut points, (x + r - k, y2), (x, y2 - r + k), (x, y2 - r));
        points.push(point(x, y + r));
        corner(&mut points, (x, y + r - k), (x + r - k, y), (x + r, y));
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing { points }],
                mode,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// Places an image XObject of `px_width` x `px_height` pixels so it fills the box whose
    /// lower-left corner is (`x`, `y`).
    pub(super) fn image(
        &mut self,
        id: &XObjectId,
        (px_width, px_height): (usize, usize),
        (x, y, w, h): (f32, f32, f32, f32),
    ) {
        self.end_text();
        // printpdf scales an image to its pixel size at `dpi` (1 px = 72/dpi pt): with 72 dpi a
        // pixel is a point, and the scale factors take it from there.
        self.ops.push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(y)),
                rotate: None,
                scale_x: Some(w / px_width.max(1) as f32),
                scale_y: Some(h / px_height.max(1) as f32),
                dpi: Some(72.0),
                no_auto_scale: false,
            },
        });
    }

    /// Breaks `text` into lines no wider than `max_width`, at spaces where it can and inside a
    /// word only when that word alone is too wide.
    pub(super) fn wrap(&self, text: &str, style: Style, max_width: f32) -> Vec<String> {
        let face = self.fonts.face(style.weight);
        let fits = |s: &str| face.text_width(s, style.size) <= max_width;
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if fits(&candidate) {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a line of its own; split it if even that is too wide.
            for c in word.chars() {
                line.push(c);
                if !fits(&line) && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn set_fill(&mut self, colour: Colour) {
        if self.fill != Some(colour) {
            self.ops.push(Op::SetFillColor { col: rgb(colour) });
            self.fill = Some(colour);
        }
    }

    fn end_text(&mut self) {
        if self.in_text {
            self.ops.push(Op::EndTextSection);
            self.in_text = false;
        }
    }
}

fn rgb((r, g, b): Colour) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    })
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

fn control(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: true,
    }
}
