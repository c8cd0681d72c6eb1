//! `badgemesh bake` and `badgemesh unbake`: badge images that carry their
//! credential, as the Open Badges baking specifications say. Local: no node.

use std::path::{Path, PathBuf};

use anyhow::Result;
use badgemesh_bake::{
    Carrier, Format as ImageFormat, Limits, bake_png, bake_svg, sniff, unbake_png, unbake_svg,
};
use clap::Args;

use crate::fail::{OK, usage};
use crate::issuing::Format;

/// `badgemesh bake`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  badgemesh bake badge.png ada.json --out ada.png\n\nOB 3.0 credentials go in an iTXt chunk `openbadgecredential` (PNG) or an\n<openbadges:credential> element (SVG); OB 2.0 assertions in `openbadges`."
)]
pub struct BakeArgs {
    /// The badge image (PNG or SVG).
    image: PathBuf,
    /// The credential: OB 3.0 JSON, or an OB 2.0 assertion (JSON or JWS).
    credential: PathBuf,
    /// Where to write the baked image.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `badgemesh unbake`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  badgemesh unbake ada.png > ada.json")]
pub struct UnbakeArgs {
    /// The baked image (PNG or SVG).
    image: PathBuf,
}

fn carrier_for(text: &str) -> Carrier {
    if text.contains("https://www.w3.org/ns/credentials/")
        || text.contains("https://www.w3.org/2018/credentials/v1")
    {
        Carrier::Ob3
    } else {
        Carrier::Ob2
    }
}

fn bake_image(image: &[u8], text: &str) -> Result<Vec<u8>> {
    let carrier = carrier_for(text);
    match sniff(image) {
        ImageFormat::Png => {
            bake_png(image, text, carrier).map_err(|e| usage(format!("cannot bake: {e}")))
        }
        ImageFormat::Svg => {
            let svg =
                std::str::from_utf8(image).map_err(|_| usage("the SVG image is not UTF-8"))?;
            Ok(bake_svg(svg, text, carrier)
                .map_err(|e| usage(format!("cannot bake: {e}")))?
                .into_bytes())
        }
        _ => Err(usage("the image is neither a PNG nor an SVG")),
    }
}

/// Bakes `credential` (OB 3.0 JSON) into `image` for `award --format`.
pub fn bake_into(format: Format, image: Option<&[u8]>, credential: &str) -> Result<Vec<u8>> {
    match (format, image) {
        (Format::Ob3 | Format::Ob3Jwt, _) => Ok(credential.as_bytes().to_vec()),
        (Format::Png, Some(img)) if sniff(img) != ImageFormat::Png => {
            Err(usage("--format png needs a PNG --image"))
        }
        (Format::Svg, Some(img)) if sniff(img) != ImageFormat::Svg => {
            Err(usage("--format svg needs an SVG --image"))
        }
        (Format::Png | Format::Svg, Some(img)) => bake_image(img, credential),
        _ => Err(usage("nothing to bake into")),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

/// `badgemesh bake`
pub fn bake(a: BakeArgs) -> Result<i32> {
    let image = read(&a.image)?;
    let credential = String::from_utf8(read(&a.credential)?)
        .map_err(|_| usage(format!("{} is not UTF-8 text", a.credential.display())))?;
    let baked = bake_image(&image, credential.trim())?;
    crate::output::write_output(&a.out, &baked)?;
    println!("baked into {}", a.out.display());
    Ok(OK)
}

/// `badgemesh unbake`
pub fn unbake(a: UnbakeArgs) -> Result<i32> {
    let bytes = read(&a.image)?;
    let limits = Limits::default();
    let baked = match sniff(&bytes) {
        ImageFormat::Png => unbake_png(&bytes, &limits),
        ImageFormat::Svg => unbake_svg(&bytes, &limits),
        _ => {
            return Err(usage(format!(
                "{} is neither a PNG nor an SVG image",
                a.image.display()
            )));
        }
    }
    .map_err(|e| usage(format!("{}: {e}", a.image.display())))?;
    println!("{}", baked.text);
    Ok(OK)
}
