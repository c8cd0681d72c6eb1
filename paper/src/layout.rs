//! The certificate page as an SVG document, in points.

use badgemesh_bake::to_compact;

use crate::qr::draw;
use crate::{Certificate, Paper, PaperError};

/// The font the page uses (embedded by [`crate::render`]).
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans";

/// DejaVu Sans' average advance, as a share of the font size: enough to
/// break lines before they run off the page.
const ADVANCE: f32 = 0.56;

/// Lines of description at most.
const DESCRIPTION_LINES: usize = 6;

/// The page as SVG: the words on top, the QR code below them.
///
/// # Errors
///
/// [`PaperError::TooLarge`] when the badge does not fit in a QR code.
pub fn svg(c: &Certificate, paper: Paper) -> Result<String, PaperError> {
    let (w, h) = paper.points();
    let qr = draw(&to_compact(&c.badge))?;
    let mid = w / 2.0;
    let text_width = w - 2.0 * 72.0;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" text-anchor="middle">
<rect width="{w}" height="{h}" fill="#fff"/>
<rect x="24" y="24" width="{}" height="{}" fill="none" stroke="#1f3a5f" stroke-width="3"/>
<rect x="32" y="32" width="{}" height="{}" fill="none" stroke="#1f3a5f" stroke-width="0.75"/>
"##,
        w - 48.0,
        h - 48.0,
        w - 64.0,
        h - 64.0
    );
    let mut y = 100.0;
    line(
        &mut out,
        mid,
        y,
        12.0,
        "#5b6b7f",
        "CERTIFICATE OF ACHIEVEMENT",
    );
    y += 50.0;
    for l in wrap(&c.badge_name, 26.0, text_width).into_iter().take(2) {
        line(&mut out, mid, y, 26.0, "#10243d", &l);
        y += 34.0;
    }
    if let Some(r) = c.recipient.as_deref().filter(|r| !r.is_empty()) {
        y += 6.0;
        line(&mut out, mid, y, 12.0, "#5b6b7f", "awarded to");
        y += 30.0;
        for l in wrap(r, 20.0, text_width).into_iter().take(2) {
            line(&mut out, mid, y, 20.0, "#10243d", &l);
            y += 26.0;
        }
    }
    y += 8.0;
    line(&mut out, mid, y, 12.0, "#5b6b7f", "by");
    y += 22.0;
    for l in wrap(&c.issuer, 13.0, text_width).into_iter().take(3) {
        line(&mut out, mid, y, 13.0, "#10243d", &l);
        y += 18.0;
    }
    let dates: Vec<String> = [
        c.issued_on.as_deref().map(|d| format!("Issued {d}")),
        c.expires.as_deref().map(|d| format!("Expires {d}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !dates.is_empty() {
        y += 6.0;
        line(&mut out, mid, y, 10.0, "#5b6b7f", &dates.join("  ·  "));
        y += 14.0;
    }
    if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
        y += 10.0;
        let mut lines = wrap(d, 10.0, text_width);
        if lines.len() > DESCRIPTION_LINES {
            lines.truncate(DESCRIPTION_LINES);
            if let Some(last) = lines.last_mut() {
                last.push('…');
            }
        }
        for l in lines {
            line(&mut out, mid, y, 10.0, "#33475b", &l);
            y += 14.0;
        }
    }
    // The code takes the rest of the page, up to a square that a desk
    // scanner at 150 dpi still resolves module by module. Its modules fall
    // on fractions of a pixel (5.5 at 150 dpi for a version 22 code), and
    // smoothed edges there made one code in eight fail the reader's error
    // correction: they are drawn crisp, each pixel wholly dark or light.
    let caption = 52.0;
    let size = (h - 40.0 - caption - (y + 12.0)).clamp(150.0, 300.0);
    let top = h - 40.0 - caption - size;
    let scale = size / qr.modules as f32;
    out.push_str(&format!(
        r##"<path transform="translate({} {top}) scale({scale})" fill="#000" shape-rendering="crispEdges" d="{}"/>
"##,
        mid - size / 2.0,
        qr.path
    ));
    let mut cy = top + size + 14.0;
    line(
        &mut out,
        mid,
        cy,
        8.0,
        "#5b6b7f",
        "This code holds the signed badge itself: scan it with badgemesh to verify it, with no network.",
    );
    cy += 12.0;
    line(&mut out, mid, cy, 7.0, "#5b6b7f", &c.id);
    out.push_str("</svg>\n");
    Ok(out)
}

/// One centred line of text.
fn line(out: &mut String, x: f32, y: f32, size: f32, fill: &str, text: &str) {
    out.push_str(&format!(
        r#"<text x="{x}" y="{y}" font-size="{size}" fill="{fill}">{}</text>
"#,
        escape(text)
    ));
}

/// Greedy word wrap by an average advance; a word longer than a line is cut.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let max = ((width / (size * ADVANCE)) as usize).max(8);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_owned();
        while word.chars().count() > max {
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            lines.push(head);
        }
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// XML text escaping; control characters (never printable, and some not
/// allowed in XML at all) are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_controls_dropped() {
        assert_eq!(
            escape("<b>Tom & \"Jerry\"</b>\u{0}\u{1b}"),
            "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn long_text_wraps_within_the_line_and_keeps_every_word() {
        let text = "Demonstrated safe operation of the laboratory centrifuge under supervision across three sessions";
        let lines = wrap(text, 10.0, 200.0);
        let max = (200.0 / (10.0 * ADVANCE)) as usize;
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= max), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(100);
        assert!(
            wrap(&long, 10.0, 200.0)
                .iter()
                .all(|l| l.chars().count() <= max)
        );
    }
}
