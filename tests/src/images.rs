//! Images for emoji tests: small real ones made with the `image` crate, and crafted bytes
//! (a PNG header claiming 20,000 × 20,000 pixels, truncated files).

use base64::Engine;
use image::{ExtendedColorType, Frame, ImageEncoder, RgbaImage};

/// A `width` × `height` PNG.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width * height * 4).map(|i| (i * 7 % 251) as u8).collect();
    let mut out = vec![];
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&pixels, width, height, ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// A `side` × `side` GIF of `frames` frames.
pub fn gif(frames: u8, side: u32) -> Vec<u8> {
    let mut out = vec![];
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        for i in 0..frames {
            let img = RgbaImage::from_pixel(side, side, image::Rgba([i.wrapping_mul(40), 90, 200, 255]));
            encoder.encode_frame(Frame::new(img)).unwrap();
        }
    }
    out
}

/// An 8 × 8 JPEG.
pub fn jpeg() -> Vec<u8> {
    let mut out = vec![];
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .write_image(&[120; 8 * 8 * 3], 8, 8, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// An 8 × 8 lossless WebP.
pub fn webp() -> Vec<u8> {
    let mut out = vec![];
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(&[50; 8 * 8 * 4], 8, 8, ExtendedColorType::Rgba8)
        .unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
    out
}

/// A PNG whose header claims `width` × `height` RGBA pixels, with a few bytes of data:
/// decoding it would need the whole image in memory.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &header));
    out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// `bytes` as a `data:` URL of `media_type`, as browsers' `readAsDataURL` makes it.
pub fn data_url(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// `bytes` as bare base64.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crafted_header_is_a_png_header() {
        let bytes = png_claiming(20_000, 20_000);
        let reader = image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::Png);
        assert_eq!(reader.into_dimensions().unwrap(), (20_000, 20_000));
    }
}
