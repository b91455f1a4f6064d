//! Checking an uploaded image: the kind is known from its leading bytes; the header's
//! dimensions are read before any pixel is decoded, so a 20,000-pixel-wide image is
//! refused without allocating it; then every frame is decoded under an allocation limit,
//! a frame cap and a budget of decoded pixels, which refuses truncated or corrupt files
//! and decompression bombs.

use std::io::Cursor;

use application::ports::ImageProblem;
use domain::ImageKind;
use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, Frames, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

/// Most frames an animated emoji may have.
pub const MAX_FRAMES: usize = 500;

/// Most pixels decoding one image may produce, over all its frames.
pub const MAX_DECODED_PIXELS: u64 = 64 * 1024 * 1024;

/// Most bytes a decoder may hold at once.
const MAX_ALLOC: u64 = 64 * 1024 * 1024;

fn problem(e: ImageError) -> ImageProblem {
    match e {
        ImageError::Limits(_) => ImageProblem::TooLarge,
        _ => ImageProblem::Invalid,
    }
}

fn limits(max_dimension: u32) -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_dimension);
    limits.max_image_height = Some(max_dimension);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn format(kind: ImageKind) -> ImageFormat {
    match kind {
        ImageKind::Gif => ImageFormat::Gif,
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Jpeg => ImageFormat::Jpeg,
        ImageKind::Webp => ImageFormat::WebP,
    }
}

/// A decoder with the limits set.
fn limited<D: ImageDecoder>(mut decoder: D, max_dimension: u32) -> Result<D, ImageProblem> {
    decoder.set_limits(limits(max_dimension)).map_err(problem)?;
    Ok(decoder)
}

/// Decodes a still image completely.
fn still(decoder: impl ImageDecoder) -> Result<(), ImageProblem> {
    DynamicImage::from_decoder(decoder).map(drop).map_err(problem)
}

/// Decodes every frame of an animation of `width` × `height`, within the frame cap and the
/// pixel budget.
fn animation(frames: Frames<'_>, (width, height): (u32, u32)) -> Result<(), ImageProblem> {
    let per_frame = u64::from(width) * u64::from(height);
    let mut count = 0u64;
    for frame in frames.take(MAX_FRAMES + 1) {
        frame.map_err(problem)?;
        count += 1;
        if count > MAX_FRAMES as u64 || per_frame * count > MAX_DECODED_PIXELS {
            return Err(ImageProblem::TooLarge);
        }
    }
    if count == 0 { Err(ImageProblem::Invalid) } else { Ok(()) }
}

/// Whether `bytes` are one whole image of `kind`, at most `max_dimension` pixels wide and
/// tall. Blocking: call it off the async workers.
pub fn check(bytes: &[u8], kind: ImageKind, max_dimension: u32) -> Result<(), ImageProblem> {
    let mut header = ImageReader::with_format(Cursor::new(bytes), format(kind));
    header.no_limits();
    let (width, height) = header.into_dimensions().map_err(problem)?;
    if width == 0 || height == 0 {
        return Err(ImageProblem::Invalid);
    }
    if width > max_dimension || height > max_dimension {
        return Err(ImageProblem::TooLarge);
    }
    let input = Cursor::new(bytes);
    match kind {
        ImageKind::Gif => {
            let decoder = limited(GifDecoder::new(input).map_err(problem)?, max_dimension)?;
            let size = decoder.dimensions();
            animation(decoder.into_frames(), size)
        }
        ImageKind::Png => {
            let decoder = limited(PngDecoder::new(input).map_err(problem)?, max_dimension)?;
            if decoder.is_apng().map_err(problem)? {
                let size = decoder.dimensions();
                animation(decoder.apng().map_err(problem)?.into_frames(), size)
            } else {
                still(decoder)
            }
        }
        ImageKind::Webp => {
            let decoder = limited(WebPDecoder::new(input).map_err(problem)?, max_dimension)?;
            if decoder.has_animation() {
                let size = decoder.dimensions();
                animation(decoder.into_frames(), size)
            } else {
                still(decoder)
            }
        }
        ImageKind::Jpeg => still(limited(JpegDecoder::new(input).map_err(problem)?, max_dimension)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Frame, ImageEncoder, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = vec![];
        let pixels = vec![200u8; (width * height * 4) as usize];
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&pixels, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    fn gif(frames: usize, side: u32) -> Vec<u8> {
        let mut out = vec![];
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
            for i in 0..frames {
                let img = RgbaImage::from_pixel(side, side, image::Rgba([i as u8, 0, 0, 255]));
                encoder.encode_frame(Frame::new(img)).unwrap();
            }
        }
        out
    }

    #[test]
    fn whole_images_within_limits_pass() {
        assert_eq!(check(&png(16, 16), ImageKind::Png, 1024), Ok(()));
        assert_eq!(check(&gif(3, 8), ImageKind::Gif, 1024), Ok(()));
        let mut jpeg = vec![];
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .write_image(&[10u8; 8 * 8 * 3], 8, 8, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(check(&jpeg, ImageKind::Jpeg, 1024), Ok(()));
    }

    #[test]
    fn dimensions_frames_and_corruption_are_refused() {
        assert_eq!(check(&png(40, 8), ImageKind::Png, 32), Err(ImageProblem::TooLarge));
        assert_eq!(check(&png(8, 40), ImageKind::Png, 32), Err(ImageProblem::TooLarge));
        let whole = png(16, 16);
        assert_eq!(check(&whole[..whole.len() - 20], ImageKind::Png, 1024), Err(ImageProblem::Invalid));
        let animated = gif(3, 8);
        assert_eq!(check(&animated[..animated.len() / 2], ImageKind::Gif, 1024), Err(ImageProblem::Invalid));
        assert_eq!(check(b"GIF89a", ImageKind::Gif, 1024), Err(ImageProblem::Invalid));
        assert_eq!(check(&gif(MAX_FRAMES + 1, 1), ImageKind::Gif, 1024), Err(ImageProblem::TooLarge));
        assert_eq!(check(&whole, ImageKind::Gif, 1024), Err(ImageProblem::Invalid), "the kind must match");
    }
}
