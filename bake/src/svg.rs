//! SVG carriers: one `<openbadges:credential>` (OB 3.0) or
//! `<openbadges:assertion>` (OB 2.0) element directly after the `<svg>` start
//! tag.
//!
//! XML is read with `quick-xml`, which never expands entities beyond the
//! five predefined ones and character references: a document type
//! declaration is skipped, and a reference to any other entity is an error
//! ([`UnbakeError::UnknownEntity`]). Baking edits the text of the document
//! around the root start tag only; everything else is kept byte for byte.
//!
//! Reading resolves namespaces, so the carrier is found whatever prefix is
//! bound to the OB 3.0 (`https://purl.imsglobal.org/ob/v3p0`) or OB 2.0
//! (`http://openbadges.org`) namespace, and wherever the binding is declared
//! (on the root or on the element itself). The element may be named
//! `credential` or `assertion`; the namespace decides the [`Found`] kind. Its
//! content may be CDATA or escaped text, and the `verify` attribute is read
//! too.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, Reader, XmlVersion};

use crate::carrier::{SVG_NS_OB2, SVG_NS_OB3};
use crate::payload::PayloadForm;
use crate::{BakeError, Baked, Carrier, Found, Limits, UnbakeError, payload};

/// The prefix used when baking.
const PREFIX: &str = "openbadges";

/// Bakes `payload` (a JSON object or a compact JWS) into an SVG document.
///
/// Adds `xmlns:openbadges` for the carrier's namespace to the root `<svg>`
/// (unless it is already there) and, directly after the root start tag:
///
/// - a compact JWS: `<openbadges:credential verify="JWS"/>` (OB 3.0) or
///   `<openbadges:assertion verify="JWS"/>` (OB 2.0);
/// - JSON, OB 3.0: `<openbadges:credential><![CDATA[JSON]]></openbadges:credential>`;
/// - JSON, OB 2.0: `<openbadges:assertion verify="ID"><![CDATA[JSON]]></openbadges:assertion>`,
///   where `ID` is the assertion's `id` (its hosted URL).
///
/// A payload containing `]]>` is split across CDATA sections, so it reads
/// back unchanged. [`Limits::DEFAULT`] applies.
///
/// # Errors
///
/// [`BakeError::AlreadyBaked`] if the document already has a carrier of
/// either kind; [`BakeError::InvalidSvg`] for a document that is not
/// well-formed or has no `<svg>` root; [`BakeError::PrefixTaken`] if the
/// root binds `openbadges` to another namespace;
/// [`BakeError::MissingAssertionId`] for OB 2.0 JSON without an `id`;
/// [`BakeError::InvalidPayload`] and the size errors.
pub fn bake_svg(svg: &str, payload: &str, kind: Carrier) -> Result<String, BakeError> {
    let limits = Limits::DEFAULT;
    if svg.len() > limits.max_input {
        return Err(BakeError::ImageTooLarge {
            len: svg.len(),
            max: limits.max_input,
        });
    }
    let form = payload::classify(payload, limits.max_text)?;
    match unbake_svg(svg.as_bytes(), &limits) {
        Ok(_) => return Err(BakeError::AlreadyBaked),
        Err(UnbakeError::NotBaked) => {}
        Err(e) => return Err(BakeError::InvalidSvg(e.to_string())),
    }
    let root = find_root(svg, kind)?;
    let element = carrier_element(payload, form, kind)?;

    let tag = svg
        .get(root.start..root.end)
        .ok_or_else(|| BakeError::InvalidSvg("root tag offsets out of range".into()))?;
    let ns_attr = if root.bound {
        String::new()
    } else {
        format!(" {}=\"{}\"", xmlns_attr(), kind.svg_namespace())
    };
    let mut out = String::with_capacity(svg.len() + ns_attr.len() + element.len() + 16);
    out.push_str(svg.get(..root.start).unwrap_or_default());
    if root.empty {
        let head = tag
            .strip_suffix("/>")
            .ok_or_else(|| BakeError::InvalidSvg("root tag does not end with />".into()))?;
        out.push_str(head);
        out.push_str(&ns_attr);
        out.push('>');
        out.push_str(&element);
        out.push_str("</");
        out.push_str(&root.name);
        out.push('>');
    } else {
        let head = tag
            .strip_suffix('>')
            .ok_or_else(|| BakeError::InvalidSvg("root tag does not end with >".into()))?;
        out.push_str(head);
        out.push_str(&ns_attr);
        out.push('>');
        out.push_str(&element);
    }
    out.push_str(svg.get(root.end..).unwrap_or_default());
    Ok(out)
}

/// Reads the first badge carrier from an SVG document.
///
/// # Errors
///
/// [`UnbakeError::NotBaked`] if there is none; [`UnbakeError::NotUtf8`],
/// [`UnbakeError::InvalidSvg`], [`UnbakeError::TooDeep`] and
/// [`UnbakeError::UnknownEntity`] for a bad document;
/// [`UnbakeError::MalformedCarrier`] for a carrier with child elements or no
/// content; the size errors.
pub fn unbake_svg(bytes: &[u8], limits: &Limits) -> Result<Baked, UnbakeError> {
    if bytes.len() > limits.max_input {
        return Err(UnbakeError::TooLarge {
            len: bytes.len(),
            max: limits.max_input,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| UnbakeError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let mut depth = 0usize;
    loop {
        let (carrier, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (carrier_of(&ns), event),
            Err(e) => return Err(xml_error(&reader, &e)),
        };
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(UnbakeError::TooDeep {
                        max: limits.max_depth,
                    });
                }
                if let Some(carrier) = carrier.filter(|_| is_carrier_name(&start)) {
                    let verify = verify_attribute(&reader, &start, limits)?;
                    let body = read_body(&mut reader, limits)?;
                    return finish(carrier, body, verify);
                }
            }
            Event::Empty(start) => {
                if depth >= limits.max_depth {
                    return Err(UnbakeError::TooDeep {
                        max: limits.max_depth,
                    });
                }
                if let Some(carrier) = carrier.filter(|_| is_carrier_name(&start)) {
                    let verify = verify_attribute(&reader, &start, limits)?;
                    return finish(carrier, String::new(), verify);
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(UnbakeError::NotBaked),
            _ => {}
        }
    }
}

fn xmlns_attr() -> String {
    format!("xmlns:{PREFIX}")
}

fn xml_error<R>(reader: &NsReader<R>, error: &quick_xml::Error) -> UnbakeError {
    UnbakeError::InvalidSvg {
        position: reader.error_position(),
        message: error.to_string(),
    }
}

fn carrier_of(ns: &ResolveResult<'_>) -> Option<Found> {
    match ns {
        ResolveResult::Bound(Namespace(uri)) if *uri == SVG_NS_OB3 => Some(Found::Ob3),
        ResolveResult::Bound(Namespace(uri)) if *uri == SVG_NS_OB2 => Some(Found::Ob2),
        _ => None,
    }
}

fn is_carrier_name(start: &BytesStart<'_>) -> bool {
    let local = start.local_name();
    matches!(local.as_ref(), "credential" | "assertion")
}

/// The `verify` attribute: unprefixed, or in one of the badge namespaces.
fn verify_attribute(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    limits: &Limits,
) -> Result<Option<String>, UnbakeError> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| UnbakeError::InvalidSvg {
            position: reader.buffer_position(),
            message: e.to_string(),
        })?;
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        let ours = matches!(ns, ResolveResult::Unbound) || carrier_of(&ns).is_some();
        if ours && local.as_ref() == "verify" {
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| UnbakeError::InvalidSvg {
                    position: reader.buffer_position(),
                    message: e.to_string(),
                })?;
            check_len(value.len(), limits)?;
            return Ok(Some(value.trim().to_owned()));
        }
    }
    Ok(None)
}

/// Reads the carrier's content up to its end tag: text, CDATA and
/// references to the predefined entities or characters.
fn read_body(reader: &mut NsReader<&[u8]>, limits: &Limits) -> Result<String, UnbakeError> {
    let mut body = String::new();
    loop {
        let event = reader.read_event().map_err(|e| xml_error(reader, &e))?;
        match event {
            Event::Text(text) => body.push_str(&text.xml10_content()),
            Event::CData(cdata) => body.push_str(&cdata.xml10_content()),
            Event::GeneralRef(reference) => {
                if reference.is_char_ref() {
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => body.push(c),
                        Ok(None) | Err(_) => {
                            return Err(UnbakeError::UnknownEntity(reference.to_string()));
                        }
                    }
                } else {
                    match quick_xml::escape::resolve_predefined_entity(&reference) {
                        Some(s) => body.push_str(s),
                        None => return Err(UnbakeError::UnknownEntity(reference.to_string())),
                    }
                }
            }
            Event::Start(_) | Event::Empty(_) => {
                return Err(UnbakeError::MalformedCarrier(
                    "the badge element contains other elements",
                ));
            }
            Event::End(_) => return Ok(body),
            Event::Eof => {
                return Err(UnbakeError::InvalidSvg {
                    position: reader.buffer_position(),
                    message: "document ends inside the badge element".into(),
                });
            }
            _ => {}
        }
        check_len(body.len(), limits)?;
    }
}

fn finish(carrier: Found, body: String, verify: Option<String>) -> Result<Baked, UnbakeError> {
    let body = body.trim();
    let text = if !body.is_empty() {
        body.to_owned()
    } else if let Some(verify) = verify.as_ref().filter(|v| !v.is_empty()) {
        verify.clone()
    } else {
        return Err(UnbakeError::MalformedCarrier(
            "the badge element has neither content nor a verify attribute",
        ));
    };
    Ok(Baked {
        carrier,
        text,
        verify,
    })
}

fn check_len(len: usize, limits: &Limits) -> Result<(), UnbakeError> {
    if len > limits.max_text {
        return Err(UnbakeError::TextTooLarge {
            len,
            max: limits.max_text,
        });
    }
    Ok(())
}

/// Where the root start tag is, and what it says.
struct Root {
    /// Byte offset of `<`.
    start: usize,
    /// Byte offset just after `>`.
    end: usize,
    /// `<svg .../>`.
    empty: bool,
    /// The root's qualified name as written.
    name: String,
    /// The root already binds `openbadges` to the carrier's namespace.
    bound: bool,
}

fn find_root(svg: &str, kind: Carrier) -> Result<Root, BakeError> {
    let invalid = |m: String| BakeError::InvalidSvg(m);
    // quick-xml skips a byte order mark without counting it in its positions
    // (found by fuzzing): parse after it and add its length back.
    let bom = if svg.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut reader = Reader::from_str(svg.get(bom..).unwrap_or_default());
    loop {
        let start = reader.buffer_position();
        let event = reader.read_event().map_err(|e| invalid(e.to_string()))?;
        let end = reader.buffer_position();
        let (tag, empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::Eof => return Err(invalid("no root element".into())),
            _ => continue,
        };
        if tag.local_name().as_ref() != "svg" {
            return Err(invalid("the root element is not <svg>".into()));
        }
        let mut bound = false;
        for attr in tag.attributes() {
            let attr = attr.map_err(|e| invalid(e.to_string()))?;
            if attr.key.as_ref() == xmlns_attr() {
                let value = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| invalid(e.to_string()))?;
                if value != kind.svg_namespace() {
                    return Err(BakeError::PrefixTaken);
                }
                bound = true;
            }
        }
        let offset = |p: u64| {
            usize::try_from(p)
                .map(|p| p + bom)
                .map_err(|e| invalid(e.to_string()))
        };
        return Ok(Root {
            start: offset(start)?,
            end: offset(end)?,
            empty,
            name: tag.name().as_ref().to_owned(),
            bound,
        });
    }
}

fn carrier_element(payload: &str, form: PayloadForm, kind: Carrier) -> Result<String, BakeError> {
    let name = format!("{PREFIX}:{}", kind.svg_element());
    match (form, kind) {
        (PayloadForm::Jws, _) => Ok(format!(
            "<{name} verify=\"{}\"/>",
            quick_xml::escape::escape(payload)
        )),
        (PayloadForm::Json, Carrier::Ob3) => Ok(format!("<{name}>{}</{name}>", cdata(payload))),
        (PayloadForm::Json, Carrier::Ob2) => {
            let value: serde_json::Value =
                serde_json::from_str(payload).map_err(|_| BakeError::InvalidPayload)?;
            let id = value
                .get("id")
                .and_then(serde_json::Value::as_str)
                .ok_or(BakeError::MissingAssertionId)?;
            Ok(format!(
                "<{name} verify=\"{}\">{}</{name}>",
                quick_xml::escape::escape(id),
                cdata(payload)
            ))
        }
    }
}

/// Wraps text in CDATA, splitting it wherever it contains `]]>`.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_splits_terminator() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }
}
