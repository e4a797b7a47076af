//! Real pixels for the photo step on terminals that speak an image protocol (kitty, sixel,
//! iTerm2), through ratatui-image. Elsewhere `preview` draws half-blocks.

use image::{DynamicImage, RgbImage};
use ratatui::layout::Rect;
use ratatui_image::Resize;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;

/// Asks the terminal what it can show (call after entering the alternate screen, before
/// reading events). `None` when it speaks no image protocol.
pub fn detect() -> Option<Picker> {
    Picker::from_query_stdio()
        .ok()
        .filter(|p| p.protocol_type() != ProtocolType::Halfblocks)
}

/// The picture scaled to `area`'s pixels with the head outline drawn into it, encoded for
/// the terminal's protocol.
pub fn encode(picker: &Picker, img: &RgbImage, area: Rect) -> Option<Protocol> {
    let (fw, fh) = picker.font_size();
    let (pw, ph) = (
        u32::from(area.width) * u32::from(fw),
        u32::from(area.height) * u32::from(fh),
    );
    if pw == 0 || ph == 0 || img.width() == 0 || img.height() == 0 {
        return None;
    }
    let k = (f64::from(pw) / f64::from(img.width())).min(f64::from(ph) / f64::from(img.height()));
    let (w, h) = (
        ((f64::from(img.width()) * k) as u32).max(1),
        ((f64::from(img.height()) * k) as u32).max(1),
    );
    let mut small = image::imageops::thumbnail(img, w, h);
    for (x, y, p) in small.enumerate_pixels_mut() {
        if super::preview::on_oval(f64::from(x), f64::from(y), f64::from(w), f64::from(h)) {
            *p = image::Rgb([255, 215, 0]);
        }
    }
    picker
        .new_protocol(DynamicImage::ImageRgb8(small), area, Resize::Fit(None))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::style::Color;
    use ratatui::widgets::Widget;

    #[test]
    #[allow(deprecated)] // Picker::from_fontsize: a terminal cannot be queried in a test
    fn the_head_outline_is_drawn_into_the_pixels() {
        let mut picker = Picker::from_fontsize((2, 4));
        picker.set_protocol_type(ProtocolType::Halfblocks);
        let black = RgbImage::new(300, 400);
        let area = Rect::new(0, 0, 30, 20);
        let protocol = encode(&picker, &black, area).unwrap();
        let mut buf = Buffer::empty(area);
        ratatui_image::Image::new(&protocol).render(area, &mut buf);
        // The terminal's cells blend neighbouring pixels: count the clearly golden ones.
        let golden = |c: Color| matches!(c, Color::Rgb(r, g, b) if r >= 150 && g >= 120 && b < 40);
        let outline = buf
            .content()
            .iter()
            .filter(|c| golden(c.fg) || golden(c.bg))
            .count();
        assert!(outline > 20, "{outline} cells of outline");
        // The centre of the face stays the picture's own colour.
        let centre = &buf[(15, 8)];
        assert!(!golden(centre.fg) && !golden(centre.bg));
    }
}
