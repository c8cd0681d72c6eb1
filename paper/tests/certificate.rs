//! Certificates rendered and read back: the code on the page must give the
//! badge's bytes exactly, through our reader and an independent one.

use badgemesh_bake::{Extracted, Format, Limits, read_qr_png, to_compact, unbake};
use badgemesh_paper::{Certificate, Paper, PaperError, pdf, png, svg};

/// An OB 3.0 credential signed by 1EdTech's reference implementation.
const SIGNED: &[u8] = include_bytes!("../../openbadges/tests/vectors/1edtech-ob3/signed.json");

fn certificate(badge: &[u8]) -> Certificate {
    Certificate {
        badge_name: "Laboratory Safety & <Centrifuge> Operation".into(),
        issuer: "Example University (listed by the National Registry)".into(),
        recipient: Some("Zoë Åström-Ñúñez".into()),
        issued_on: Some("2026-11-30".into()),
        expires: None,
        description: Some("Operated the centrifuge safely under supervision. ".repeat(12)),
        id: "urn:uuid:a63a60be-f4af-491e-87d6-2f3d1d7a8e74".into(),
        badge: badge.to_vec(),
    }
}

/// The page's pixels as luminance, for the independent decoder.
fn grey(png_bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = d.read_info().expect("our PNG");
    let mut buf = vec![0; r.output_buffer_size().expect("a page fits")];
    let info = r.next_frame(&mut buf).expect("one frame");
    let n = info.color_type.samples();
    let grey = buf
        .chunks_exact(n)
        .take(info.width as usize * info.height as usize)
        .map(|p| p[0])
        .collect();
    (info.width as usize, info.height as usize, grey)
}

#[test]
fn the_code_on_the_page_gives_back_the_signed_credential_on_both_papers() {
    for (paper, dpi) in [(Paper::A4, 150), (Paper::Letter, 150), (Paper::A4, 100)] {
        let page = png(&certificate(SIGNED), paper, dpi).unwrap();
        let (w, h) = paper.points();
        let (pw, ph, _) = grey(&page);
        assert_eq!(
            (pw, ph),
            (
                (w * dpi as f32 / 72.0).ceil() as usize,
                (h * dpi as f32 / 72.0).ceil() as usize
            )
        );
        assert_eq!(
            read_qr_png(&page, &Limits::DEFAULT).unwrap(),
            SIGNED,
            "{paper:?} at {dpi} dpi"
        );
        // What `verify` does with the file: a printed badge, not a baked one.
        match unbake(&page, &Limits::DEFAULT).unwrap() {
            Extracted::Printed { from, badge } => {
                assert_eq!(from, Format::Png);
                assert_eq!(badge, SIGNED);
            }
            other => panic!("not read as printed: {other:?}"),
        }
    }
}

#[test]
fn an_independent_decoder_reads_the_same_text() {
    let page = png(&certificate(SIGNED), Paper::A4, 150).unwrap();
    let (w, h, pixels) = grey(&page);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, to_compact(SIGNED));
}

#[test]
fn the_pdf_is_one_page_of_the_paper_size_with_real_text() {
    for (paper, media) in [(Paper::A4, "595.28 841.89"), (Paper::Letter, "612 792")] {
        let doc = pdf(&certificate(SIGNED), paper).unwrap();
        assert!(doc.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&doc);
        assert!(
            text.contains(&format!("/MediaBox [0 0 {media}]")),
            "{paper:?}"
        );
        assert_eq!(
            text.matches("/Type /Page\n").count()
                + text.matches("/Type /Page/").count()
                + text.matches("/Type /Page ").count(),
            1,
            "one page"
        );
        assert!(text.contains("/FontFile2"), "the font is embedded");
    }
}

#[test]
fn the_words_are_escaped_in_the_page() {
    if let Ok(dir) = std::env::var("BADGEMESH_PAPER_SAMPLE") {
        // For a look by eye: BADGEMESH_PAPER_SAMPLE=/tmp cargo test -p badgemesh-paper
        let c = certificate(SIGNED);
        std::fs::write(
            format!("{dir}/certificate.png"),
            png(&c, Paper::A4, 72).unwrap(),
        )
        .unwrap();
        std::fs::write(
            format!("{dir}/certificate.pdf"),
            pdf(&c, Paper::A4).unwrap(),
        )
        .unwrap();
    }
    let page = svg(&certificate(SIGNED), Paper::A4).unwrap();
    assert!(page.contains("Laboratory Safety &amp;"));
    assert!(page.contains("&lt;Centrifuge&gt;"));
    assert!(page.contains("Zoë Åström-Ñúñez"));
    assert!(!page.contains("<Centrifuge>"));
}

#[test]
fn a_badge_too_large_for_any_code_is_refused_with_its_size() {
    // Incompressible bytes: about 1.5 Base45 characters each.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    match png(&certificate(&noise), Paper::A4, 150) {
        Err(PaperError::TooLarge { chars }) => assert!(chars > 4000),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

/// Many codes, not one: whether a reader gets every module right depends on
/// the code's pattern, and with edges smoothed across fractional pixels
/// (5.5 pixels a module at 150 dpi) one OB 3.0 credential in eight failed
/// our reader's error correction. Each variant here changes the pattern.
#[test]
fn every_code_reads_back_whatever_its_pattern() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut failed = Vec::new();
    for i in 0..24 {
        let mut badge = SIGNED.to_vec();
        // Some incompressible bytes: codes of versions about 20 to 23, like
        // real OB 3.0 credentials', with a different pattern each time.
        badge.extend((0..60 + 5 * i).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        }));
        let paper = if i % 2 == 0 { Paper::Letter } else { Paper::A4 };
        // A short description leaves the code its largest size, 300 points:
        // 625 pixels at 150 dpi for 113 modules.
        let c = Certificate {
            description: Some("Operated the centrifuge safely.".into()),
            ..certificate(&badge)
        };
        let page = png(&c, paper, 150).unwrap();
        if read_qr_png(&page, &Limits::DEFAULT).ok().as_deref() != Some(&badge[..]) {
            failed.push(format!("variant {i} on {paper:?}"));
        }
    }
    assert!(failed.is_empty(), "unread: {failed:?}");
}
