//! Pictures in any terminal: each cell shows two pixels with the upper half block `▀`
//! (foreground the upper pixel, background the lower), with an oval where the head belongs.

use image::RgbImage;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

/// Whether pixel (x, y) of a w×h picture lies on the head outline: where the head belongs
/// in a passport photo, centred, about 75 % of the height.
pub fn on_oval(x: f64, y: f64, w: f64, h: f64) -> bool {
    let (dx, dy) = ((x - w / 2.0) / (w * 0.30), (y - h * 0.42) / (h * 0.37));
    ((dx * dx + dy * dy).sqrt() - 1.0).abs() < 0.06
}

/// Draws `img` fitted into `area` (aspect kept, centred); with `oval`, the head outline.
pub fn render(img: &RgbImage, area: Rect, buf: &mut Buffer, oval: bool) {
    let (iw, ih) = (
        f64::from(img.width().max(1)),
        f64::from(img.height().max(1)),
    );
    let (aw, ah) = (f64::from(area.width), f64::from(area.height) * 2.0);
    if aw < 1.0 || ah < 2.0 {
        return;
    }
    let k = (aw / iw).min(ah / ih);
    let (w, h) = ((iw * k).floor().max(1.0), (ih * k).floor().max(2.0));
    let (x0, y0) = (
        f64::from(area.x) + (aw - w) / 2.0,
        f64::from(area.y) + (ah - h) / 4.0,
    );
    let pixel = |px: f64, py: f64| {
        let (x, y) = ((px / k) as u32, (py / k) as u32);
        let p = img
            .get_pixel(x.min(img.width() - 1), y.min(img.height() - 1))
            .0;
        Color::Rgb(p[0], p[1], p[2])
    };
    let rows = (h / 2.0) as u16;
    for row in 0..rows {
        for col in 0..w as u16 {
            let (px, py) = (f64::from(col) + 0.5, f64::from(row) * 2.0);
            let (mut top, mut bottom) = (pixel(px, py + 0.5), pixel(px, py + 1.5));
            if oval {
                if on_oval(px, py + 0.5, w, h) {
                    top = Color::Yellow;
                }
                if on_oval(px, py + 1.5, w, h) {
                    bottom = Color::Yellow;
                }
            }
            let (x, y) = (x0 as u16 + col, y0 as u16 + row);
            if x < area.right() && y < area.bottom() {
                buf[(x, y)].set_symbol("▀").set_fg(top).set_bg(bottom);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_pixels_a_cell() {
        let img = RgbImage::from_fn(4, 4, |_, y| {
            if y < 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let area = Rect::new(0, 0, 4, 2);
        let mut buf = Buffer::empty(area);
        render(&img, area, &mut buf, false);
        assert_eq!(buf[(0, 0)].symbol(), "▀");
        assert_eq!(
            (buf[(0, 0)].fg, buf[(0, 0)].bg),
            (Color::Rgb(255, 0, 0), Color::Rgb(255, 0, 0))
        );
        assert_eq!(
            (buf[(0, 1)].fg, buf[(0, 1)].bg),
            (Color::Rgb(0, 0, 255), Color::Rgb(0, 0, 255))
        );
    }
}
